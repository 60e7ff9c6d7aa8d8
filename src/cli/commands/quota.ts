/** `aurora-ts quota get|set CLUSTER/ROLE`: a role's production quota and what it consumes. */
import type { Resource, ResourceAggregate } from '../../gen/types.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { parseClusterRole } from '../jobkey.js';

function clusterRole(text: string): { cluster: string; role: string } {
  const { cluster, role } = parseClusterRole(text);
  if (role === undefined) throw new UsageError(`${JSON.stringify(text)}: expected CLUSTER/ROLE, e.g. local/www-data`);
  return { cluster, role };
}

interface Amounts {
  cpus: number;
  ramMb: number;
  diskMb: number;
  gpus: number;
}

function amounts(aggregate: ResourceAggregate | undefined): Amounts {
  const out: Amounts = { cpus: 0, ramMb: 0, diskMb: 0, gpus: 0 };
  for (const r of [...(aggregate?.resources ?? [])] as Resource[]) {
    out.cpus += r.numCpus ?? 0;
    out.ramMb += r.ramMb ?? 0;
    out.diskMb += r.diskMb ?? 0;
    out.gpus += r.numGpus ?? 0;
  }
  // Sums of 0.1s are not exact in binary: show what the user would have written.
  out.cpus = Math.round(out.cpus * 1000) / 1000;
  return out;
}

export async function get(ctx: CliContext, options: { target: string }): Promise<number> {
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

export interface SetOptions {
  target: string;
  cpus: number;
  ramMb: number;
  diskMb: number;
}

export async function set(ctx: CliContext, options: SetOptions): Promise<number> {
  const { cluster, role } = clusterRole(options.target);
  const client = await ctx.client(cluster);
  await client.setQuota(role, { resources: [{ numCpus: options.cpus }, { ramMb: options.ramMb }, { diskMb: options.diskMb }] });
  ctx.io.out(`Set the quota of ${cluster}/${role}: cpus ${options.cpus}, ram ${options.ramMb} MiB, disk ${options.diskMb} MiB.`);
  if (ctx.io.json) ctx.io.data({ cluster, role, quota: { cpus: options.cpus, ramMb: options.ramMb, diskMb: options.diskMb } });
  return ExitCode.OK;
}
