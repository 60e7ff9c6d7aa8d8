/**
 * `aurora-ts job diff FILE`: how the job in FILE differs from the running job, as the scheduler sees
 * it (getJobUpdateDiff, the same comparison an update makes): instances that would be added, removed,
 * updated or left alone, and per group of updated instances the fields whose values differ. The file's
 * side goes through populateJobConfig, so defaults the scheduler fills in do not show up as changes.
 * A cron job file is compared with the scheduled template instead.
 */
import type { ConfigGroup, TaskConfigInput } from '../../../gen/types.js';
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import { loadJob } from '../../jobfile.js';
import { formatInstances, formatJobKey } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { DIFF } from './index.js';

export interface FieldChange {
  path: string;
  running: unknown;
  file: unknown;
}

export interface GroupDiff {
  instances: number[];
  changes: FieldChange[];
}

// Thrift sets: order carries no meaning, so they are compared sorted.
const SETS = new Set(['resources', 'constraints', 'mesosFetcherUris', 'metadata', 'values', 'volumes', 'parameters']);

export async function run(ctx: CliContext, options: VerbInput<typeof DIFF>): Promise<number> {
  const { io } = ctx;
  const job = await loadJob(ctx, options.file, options.cluster, 'inspect', { key: options.key, instances: 'optional' });
  const client = await ctx.client(job.cluster);
  const label = formatJobKey(job.key);
  let proposed: TaskConfigInput = job.config.taskConfig ?? {};
  try {
    proposed = (await client.populateJobConfig(job.config)).taskConfig ?? proposed;
  } catch (err) {
    io.debug(`populateJobConfig failed, comparing the file as written: ${(err as Error).message}`);
  }

  let added: number[] = [];
  let removed: number[] = [];
  let unchanged: number[] = [];
  let changed: GroupDiff[] = [];
  let running: boolean;
  if (job.config.cronSchedule) {
    const jobs = await client.getJobs(job.key.role);
    const template = (jobs.configs ?? []).find((c) => c.key?.environment === job.key.environment && c.key?.name === job.key.name);
    running = template !== undefined;
    if (template) {
      const changes = diffValues(flatten(template.taskConfig ?? {}), flatten(proposed));
      const count = template.instanceCount ?? 0;
      const wanted = job.config.instanceCount ?? 1;
      added = range(count, wanted - 1);
      removed = range(wanted, count - 1);
      const kept = range(0, Math.min(count, wanted) - 1);
      if (changes.length > 0) changed = [{ instances: kept, changes }];
      else unchanged = kept;
    }
  } else {
    const diff = await client.getJobUpdateDiff({ taskConfig: job.config.taskConfig, instanceCount: job.config.instanceCount, settings: {} });
    const ids = (groups: ConfigGroup[] | undefined) => (groups ?? []).flatMap(groupIds).sort((a, b) => a - b);
    added = ids(diff.add);
    removed = ids(diff.remove);
    unchanged = ids(diff.unchanged);
    changed = (diff.update ?? []).map((g) => ({ instances: groupIds(g).sort((a, b) => a - b), changes: diffValues(flatten(g.config ?? {}), flatten(proposed)) }));
    running = removed.length + unchanged.length + changed.length > 0;
  }

  if (job.instances !== undefined) {
    // Aurora's `job diff KEY/INSTANCES CONFIG`: only those instances.
    const wanted = new Set(job.instances);
    const keep = (ids: number[]) => ids.filter((id) => wanted.has(id));
    [added, removed, unchanged] = [keep(added), keep(removed), keep(unchanged)];
    changed = changed.map((g) => ({ ...g, instances: keep(g.instances) })).filter((g) => g.instances.length > 0);
  }

  const differs = added.length > 0 || removed.length > 0 || changed.length > 0;
  const status = options.exitCode && differs ? ExitCode.FAILURE : ExitCode.OK;
  if (io.json) {
    io.data({ job: label, running, added, removed, changed, unchanged });
    return status;
  }
  if (!running) {
    io.out(`Job ${label} is not running: creating it would start ${added.length} instance${added.length === 1 ? '' : 's'} (${formatInstances(added)}).`);
    return status;
  }
  if (!differs) {
    // Instances named in the key that neither side has leave nothing to compare.
    const which = unchanged.length > 0 ? `instances ${formatInstances(unchanged)}` : `it has no instance ${formatInstances(job.instances ?? [])}`;
    io.out(`No differences: ${options.file} matches the running job ${label} (${which}).`);
    return ExitCode.OK;
  }
  io.out(`${io.style('bold', label)}: running vs ${options.file}`);
  if (added.length > 0) io.out(io.style('green', `+ ${instancesLabel(added)} would be added`));
  if (removed.length > 0) io.out(io.style('red', `- ${instancesLabel(removed)} would be removed`));
  for (const group of changed) {
    const n = group.changes.length;
    // The scheduler may see a difference in a field the CLI does not flatten (or one populateJobConfig hid).
    io.out(`${instancesLabel(group.instances)} would be updated${n > 0 ? `: ${n} field${n === 1 ? ' differs' : 's differ'}` : ''}`);
    for (const c of group.changes) {
      if (c.running !== undefined) io.out(io.style('red', `  - ${c.path}: ${JSON.stringify(c.running)}`));
      if (c.file !== undefined) io.out(io.style('green', `  + ${c.path}: ${JSON.stringify(c.file)}`));
    }
  }
  if (unchanged.length > 0) io.out(`${instancesLabel(unchanged)} ${unchanged.length === 1 ? 'is' : 'are'} unchanged`);
  return status;
}

function instancesLabel(ids: readonly number[]): string {
  return `${ids.length === 1 ? 'instance' : 'instances'} ${formatInstances(ids)}`;
}

function groupIds(group: ConfigGroup): number[] {
  return [...(group.instances ?? [])].flatMap((r) => range(r.first ?? 0, r.last ?? r.first ?? 0));
}

function range(first: number, last: number): number[] {
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
}

/** Leaf paths → values; executor data that is JSON is compared field by field. */
export function flatten(value: unknown, path = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (path === 'executorConfig.data' && typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (parsed !== null && typeof parsed === 'object') {
        flatten(parsed, `${path}.`, out);
        return out;
      }
    } catch {
      // not JSON: compared as a string
    }
  }
  if (value instanceof Set) value = [...value];
  // Resources are a set of one-field unions: compare them by kind (resources.numCpus), not by position.
  if (Array.isArray(value) && path.split('.').pop() === 'resources') {
    const byKind: Record<string, unknown[]> = {};
    for (const r of value as Record<string, unknown>[]) for (const [k, v] of Object.entries(r)) if (v !== undefined && v !== null) (byKind[k] ??= []).push(v);
    for (const [k, values] of Object.entries(byKind)) out.set(`${path}.${k}`, values.length === 1 ? values[0] : [...values].sort());
    return out;
  }
  if (Array.isArray(value)) {
    const last = path.split('.').pop()!.replace(/\[\d+\]$/, '');
    const items = SETS.has(last) ? [...value].sort((a, b) => stable(a).localeCompare(stable(b))) : value;
    if (items.length === 0) out.set(path, []);
    items.forEach((item, i) => flatten(item, `${path}[${i}]`, out));
    return out;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || v === null) continue;
      flatten(v, path === '' || path.endsWith('.') ? `${path}${k}` : `${path}.${k}`, out);
    }
    return out;
  }
  out.set(path, value);
  return out;
}

function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as object).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

export function diffValues(running: Map<string, unknown>, file: Map<string, unknown>): FieldChange[] {
  const paths = [...new Set([...running.keys(), ...file.keys()])].sort();
  return paths
    .filter((p) => stable(running.get(p)) !== stable(file.get(p)))
    .map((p) => ({ path: p, running: running.get(p), file: file.get(p) }));
}
