/** `aurora-ts admin reconcile CLUSTER [--explicit [--batch-size N]]`: task reconciliation. */
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import type { VerbInput } from '../../spec.js';
import type { RECONCILE } from './index.js';
import { clusterOnly, done } from './shared.js';

export async function run(ctx: CliContext, input: VerbInput<typeof RECONCILE>): Promise<number> {
  const client = await ctx.client(clusterOnly(input.cluster));
  if (input.explicit) {
    await client.triggerExplicitTaskReconciliation(input.batchSize === undefined ? {} : { batchSize: input.batchSize });
    return done(ctx, 'Explicit task reconciliation triggered.', { reconciliation: 'explicit' });
  }
  if (input.batchSize !== undefined) throw new UsageError('--batch-size applies only with --explicit');
  await client.triggerImplicitTaskReconciliation();
  return done(ctx, 'Implicit task reconciliation triggered.', { reconciliation: 'implicit' });
}
