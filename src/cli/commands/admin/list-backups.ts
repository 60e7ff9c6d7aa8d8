/** `aurora-ts admin list-backups CLUSTER`: listBackups, sorted. */
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import type { VerbInput } from '../../spec.js';
import type { LIST_BACKUPS } from './index.js';
import { clusterOnly } from './shared.js';

export async function run(ctx: CliContext, input: VerbInput<typeof LIST_BACKUPS>): Promise<number> {
  const client = await ctx.client(clusterOnly(input.cluster));
  const result = await client.listBackups();
  const backups = [...(result.backups ?? [])].sort();
  if (ctx.io.json) ctx.io.data({ backups });
  else if (backups.length === 0) ctx.io.out('No backups.');
  else for (const b of backups) ctx.io.out(b);
  return ExitCode.OK;
}
