/** `aurora-ts admin backup CLUSTER`: performBackup. */
import type { CliContext } from '../../context.js';
import type { VerbInput } from '../../spec.js';
import type { BACKUP } from './index.js';
import { clusterOnly, done } from './shared.js';

export async function run(ctx: CliContext, input: VerbInput<typeof BACKUP>): Promise<number> {
  const client = await ctx.client(clusterOnly(input.cluster));
  await client.performBackup();
  return done(ctx, 'Backup written.');
}
