/** What `aurora-ts quota get` and `quota set` share: CLUSTER/ROLE, and resource amounts. */
import type { Resource, ResourceAggregate } from '../../../gen/types.js';
import { UsageError } from '../../errors.js';
import { parseClusterRole } from '../../jobkey.js';

export function clusterRole(text: string): { cluster: string; role: string } {
  const { cluster, role } = parseClusterRole(text);
  if (role === undefined) throw new UsageError(`${JSON.stringify(text)}: expected CLUSTER/ROLE, e.g. local/www-data`);
  return { cluster, role };
}

export interface Amounts {
  cpus: number;
  ramMb: number;
  diskMb: number;
  gpus: number;
}

export function amounts(aggregate: ResourceAggregate | undefined): Amounts {
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
