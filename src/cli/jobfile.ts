/** Loading a job file for a command: the file's job, the cluster it goes to and its job key. */
import type { LoadedJob } from '../job/file.js';
import type { CliContext } from './context.js';
import { LOCAL_CLUSTER } from './discovery.js';
import { UsageError } from './errors.js';
import { parseClusterRole, type JobKeySpec } from './jobkey.js';

export interface JobFromFile extends LoadedJob {
  /** --cluster, else the file's `cluster`, else `local`. */
  cluster: string;
  key: JobKeySpec;
}

export async function loadJob(_ctx: CliContext, file: string, clusterFlag: string | undefined): Promise<JobFromFile> {
  if (clusterFlag !== undefined && parseClusterRole(clusterFlag).role !== undefined) {
    throw new UsageError(`--cluster ${JSON.stringify(clusterFlag)}: expected a cluster name, without a role`);
  }
  const { loadJobFile } = await import('../job/loader.js');
  const loaded = await loadJobFile(file);
  const cluster = clusterFlag ?? loaded.cluster ?? LOCAL_CLUSTER;
  const jobKey = loaded.config.key ?? {};
  return {
    ...loaded,
    cluster,
    key: { cluster, role: jobKey.role ?? '', environment: jobKey.environment ?? '', name: jobKey.name ?? '' },
  };
}
