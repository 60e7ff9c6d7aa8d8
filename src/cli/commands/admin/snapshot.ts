/** `aurora-ts admin snapshot CLUSTER`: snapshot. */
import type { CliContext } from '../../context.js';
import type { VerbInput } from '../../spec.js';
import type { SNAPSHOT } from './index.js';
import { clusterOnly, done } from './shared.js';

export async function run(ctx: CliContext, input: VerbInput<typeof SNAPSHOT>): Promise<number> {
  const client = await ctx.client(clusterOnly(input.cluster));
  await client.snapshot();
  return done(ctx, 'Snapshot taken.');
}
