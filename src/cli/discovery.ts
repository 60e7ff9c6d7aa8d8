/**
 * Cluster names for the CLI: clusters.json plus the built-in `local` cluster. The client does the
 * rest (ZooKeeper leader lookup, ~/.netrc credentials); this file only turns an unknown name into a
 * usage error that lists the known ones.
 */
import type { Cluster } from '../discovery/clusters.js';
import { UsageError } from './errors.js';

export const LOCAL_CLUSTER = 'local';

export async function findCluster(name: string, env: NodeJS.ProcessEnv): Promise<Cluster> {
  const { loadClusters } = await import('../discovery/clusters.js');
  const clusters = await loadClusters({ env, home: env['HOME'] || undefined });
  if (!clusters.has(name)) {
    const known = clusters.list().map((c) => c.name);
    throw new UsageError(`unknown cluster ${JSON.stringify(name)} (known: ${known.join(', ')})`, 'define it in clusters.json, or pass --scheduler-url URL');
  }
  return clusters.get(name);
}
