/** What the `aurora-ts maintenance ...` verbs share: CLUSTER HOST... and the table of hosts' modes. */
import { MaintenanceMode, type HostStatus } from '../../../gen/types.js';
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { parseClusterRole } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { STATUS } from './index.js';

/** What every maintenance verb gets: the cluster, and the hosts (optional for `status`). */
export type HostsOptions = VerbInput<typeof STATUS>;

export function cluster(text: string): string {
  const parsed = parseClusterRole(text);
  if (parsed.role !== undefined) throw new UsageError(`${JSON.stringify(text)}: expected a cluster name`);
  return parsed.cluster;
}

export function print(ctx: CliContext, statuses: readonly HostStatus[] | undefined, verb: string): void {
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

export function hostsCall(method: HostsMethod, verb: string) {
  return async (ctx: CliContext, options: HostsOptions): Promise<number> => {
    const client = await ctx.client(cluster(options.cluster));
    const result = await client[method]({ hostNames: options.hosts ?? [] });
    print(ctx, result.statuses, verb);
    return ExitCode.OK;
  };
}
