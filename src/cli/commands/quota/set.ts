/** `aurora-ts quota set CLUSTER/ROLE --cpus N --ram-mb N --disk-mb N`: setQuota (admin). */
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import type { VerbInput } from '../../spec.js';
import type { SET } from './index.js';
import { clusterRole } from './shared.js';

export async function run(ctx: CliContext, options: VerbInput<typeof SET>): Promise<number> {
  const { cluster, role } = clusterRole(options.target);
  const client = await ctx.client(cluster);
  await client.setQuota(role, { resources: [{ numCpus: options.cpus }, { ramMb: options.ramMb }, { diskMb: options.diskMb }] });
  ctx.io.out(`Set the quota of ${cluster}/${role}: cpus ${options.cpus}, ram ${options.ramMb} MiB, disk ${options.diskMb} MiB.`);
  if (ctx.io.json) ctx.io.data({ cluster, role, quota: { cpus: options.cpus, ramMb: options.ramMb, diskMb: options.diskMb } });
  return ExitCode.OK;
}
