/** `aurora-ts quota get CLUSTER/ROLE`: a role's production quota and what it consumes. */
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import type { VerbInput } from '../../spec.js';
import type { GET } from './index.js';
import { amounts, clusterRole } from './shared.js';

export async function run(ctx: CliContext, options: VerbInput<typeof GET>): Promise<number> {
  const { io } = ctx;
  const { cluster, role } = clusterRole(options.target);
  const client = await ctx.client(cluster);
  const result = await client.getQuota(role);
  const rows = [
    { name: 'quota', ...amounts(result.quota) },
    { name: 'prod shared', ...amounts(result.prodSharedConsumption) },
    { name: 'prod dedicated', ...amounts(result.prodDedicatedConsumption) },
    { name: 'non-prod shared', ...amounts(result.nonProdSharedConsumption) },
    { name: 'non-prod dedicated', ...amounts(result.nonProdDedicatedConsumption) },
  ];
  if (io.json) {
    io.data({ cluster, role, ...Object.fromEntries(rows.map(({ name, ...a }) => [name.replace(/[- ](\w)/g, (_m, c: string) => c.toUpperCase()), a])) });
    return ExitCode.OK;
  }
  io.table(rows, [
    { header: role, value: (r) => r.name },
    { header: 'CPUS', value: (r) => String(r.cpus), right: true },
    { header: 'RAM MB', value: (r) => String(r.ramMb), right: true },
    { header: 'DISK MB', value: (r) => String(r.diskMb), right: true },
    { header: 'GPUS', value: (r) => String(r.gpus), right: true },
  ]);
  return ExitCode.OK;
}
