/** `aurora-ts maintenance start|drain|sla-drain|status|end CLUSTER HOST...`: host maintenance RPCs. */
import { MaintenanceMode, type HostStatus } from '../../gen/types.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { parseClusterRole } from '../jobkey.js';

export interface HostsOptions {
  cluster: string;
  hosts?: string[];
}

function cluster(text: string): string {
  const parsed = parseClusterRole(text);
  if (parsed.role !== undefined) throw new UsageError(`${JSON.stringify(text)}: expected a cluster name`);
  return parsed.cluster;
}

function print(ctx: CliContext, statuses: readonly HostStatus[] | undefined, verb: string): void {
  const rows = [...(statuses ?? [])]
    .map((s) => ({ host: s.host ?? '', mode: s.mode === undefined ? '?' : (MaintenanceMode[s.mode] ?? String(s.mode)) }))
    .sort((a, b) => a.host.localeCompare(b.host));
  if (ctx.io.json) {
    ctx.io.data({ hosts: rows });
    return;
  }
  if (rows.length === 0) {
    ctx.io.out(`No hosts ${verb}.`);
    return;
  }
  ctx.io.table(rows, [
    { header: 'HOST', value: (r) => r.host },
    { header: 'MODE', value: (r) => r.mode },
  ]);
}

type HostsMethod = 'startMaintenance' | 'drainHosts' | 'maintenanceStatus' | 'endMaintenance';

function hostsCall(method: HostsMethod, verb: string) {
  return async (ctx: CliContext, options: HostsOptions): Promise<number> => {
    const client = await ctx.client(cluster(options.cluster));
    const result = await client[method]({ hostNames: options.hosts ?? [] });
    print(ctx, result.statuses, verb);
    return ExitCode.OK;
  };
}

export const start = hostsCall('startMaintenance', 'scheduled');
export const drain = hostsCall('drainHosts', 'draining');
export const end = hostsCall('endMaintenance', 'changed');

/**
 * maintenanceStatus answers only for the hosts it is asked about, and the API has no list of hosts:
 * without HOSTS, ask about every host that tasks have run on.
 */
export async function status(ctx: CliContext, options: HostsOptions): Promise<number> {
  const client = await ctx.client(cluster(options.cluster));
  let hosts = options.hosts ?? [];
  if (hosts.length === 0) {
    const tasks = await client.getTasksWithoutConfigs({});
    hosts = [...new Set((tasks.tasks ?? []).map((t) => t.assignedTask?.slaveHost).filter((h): h is string => typeof h === 'string' && h !== ''))];
    if (hosts.length === 0) {
      if (ctx.io.json) ctx.io.data({ hosts: [] });
      else ctx.io.out('No hosts known: no task has run yet. Name hosts to ask about them.');
      return ExitCode.OK;
    }
  }
  const result = await client.maintenanceStatus({ hostNames: hosts });
  print(ctx, result.statuses, 'known');
  return ExitCode.OK;
}

export interface SlaDrainOptions extends HostsOptions {
  percentage?: number;
  count?: number;
  duration?: number;
  forceDrainTimeout?: number;
}

export async function slaDrain(ctx: CliContext, options: SlaDrainOptions): Promise<number> {
  if ((options.percentage === undefined) === (options.count === undefined)) {
    throw new UsageError('sla-drain needs exactly one of --percentage and --count', 'the default SLA policy for tasks without their own');
  }
  if (options.percentage !== undefined && options.percentage > 100) throw new UsageError('--percentage: expected a percentage between 0 and 100');
  const durationSecs = options.duration ?? 0;
  const policy =
    options.percentage !== undefined
      ? { percentageSlaPolicy: { percentage: options.percentage, durationSecs } }
      : { countSlaPolicy: { count: options.count, durationSecs } };
  const client = await ctx.client(cluster(options.cluster));
  const result = await client.slaDrainHosts({ hostNames: options.hosts ?? [] }, policy, options.forceDrainTimeout ?? 3600);
  print(ctx, result.statuses, 'draining');
  return ExitCode.OK;
}
