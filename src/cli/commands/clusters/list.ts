/** `aurora-ts clusters list`: the clusters of clusters.json and the built-in `local`. */
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import type { VerbInput } from '../../spec.js';
import type { LIST } from './index.js';

export async function run(ctx: CliContext, _options: VerbInput<typeof LIST> = {}): Promise<number> {
  const { io } = ctx;
  const { loadClusters } = await import('../../../discovery/clusters.js');
  const clusters = await loadClusters({ env: ctx.env, home: ctx.env['HOME'] || undefined });
  const rows = clusters.list().map((c) => ({
    name: c.name,
    scheduler: c.zk ? `zk://${c.zk}${c.zkPort !== 2181 ? `:${c.zkPort}` : ''}${c.schedulerZkPath ?? ''}` : (c.schedulerUri ?? null),
    zk: c.zk ?? null,
    zkPort: c.zkPort,
    schedulerZkPath: c.schedulerZkPath ?? null,
    schedulerUri: c.schedulerUri ?? null,
    authMechanism: c.authMechanism,
    source: c.source,
  }));
  if (io.json) {
    io.data({ files: clusters.files, clusters: rows });
    return ExitCode.OK;
  }
  io.table(rows, [
    { header: 'NAME', value: (r) => r.name },
    { header: 'SCHEDULER', value: (r) => r.scheduler ?? '-', shrink: true },
    { header: 'AUTH', value: (r) => r.authMechanism },
    { header: 'DEFINED IN', value: (r) => r.source, shrink: true },
  ]);
  return ExitCode.OK;
}
