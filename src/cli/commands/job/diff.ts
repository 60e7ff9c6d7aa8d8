/**
 * `aurora-ts job diff FILE`: how the job in FILE differs from the running job: instances that would
 * be added or removed, and per group of running instances the fields whose values differ. Both sides
 * go through the scheduler's populateJobConfig-style normalisation where possible, so defaults the
 * scheduler fills in do not show up as changes.
 */
import type { TaskConfig } from '../../../gen/types.js';
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import { loadJob } from '../../jobfile.js';
import { formatInstances, formatJobKey, thriftJobKey } from '../../jobkey.js';

export interface DiffOptions {
  file: string;
  cluster?: string;
}

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

export async function run(ctx: CliContext, options: DiffOptions): Promise<number> {
  const { io } = ctx;
  const job = await loadJob(ctx, options.file, options.cluster);
  const client = await ctx.client(job.cluster);
  const label = formatJobKey(job.key);
  const summary = await client.getConfigSummary(thriftJobKey(job.key));
  let proposed: TaskConfig = job.config.taskConfig ?? {};
  try {
    proposed = (await client.populateJobConfig(job.config)).taskConfig ?? proposed;
  } catch (err) {
    io.debug(`populateJobConfig failed, comparing the file as written: ${(err as Error).message}`);
  }
  const wanted = Array.from({ length: job.config.instanceCount ?? 1 }, (_, i) => i);
  const groups = [...(summary.summary?.groups ?? [])].map((g) => ({
    config: g.config ?? {},
    instances: [...(g.instances ?? [])].flatMap((r) => range(r.first ?? 0, r.last ?? r.first ?? 0)),
  }));
  const running = new Set(groups.flatMap((g) => g.instances));
  const added = wanted.filter((i) => !running.has(i));
  const removed = [...running].filter((i) => !wanted.includes(i)).sort((a, b) => a - b);
  const changed: GroupDiff[] = groups
    .map((g) => ({ instances: g.instances.filter((i) => wanted.includes(i)).sort((a, b) => a - b), changes: diffValues(flatten(g.config), flatten(proposed)) }))
    .filter((g) => g.instances.length > 0 && g.changes.length > 0);

  if (io.json) {
    io.data({ job: label, running: running.size > 0, added, removed, changed });
    return ExitCode.OK;
  }
  if (running.size === 0) {
    io.out(`Job ${label} is not running: creating it would start ${wanted.length} instance${wanted.length === 1 ? '' : 's'} (${formatInstances(wanted)}).`);
    return ExitCode.OK;
  }
  if (added.length === 0 && removed.length === 0 && changed.length === 0) {
    io.out(`No differences: ${options.file} matches the running job ${label} (instances ${formatInstances([...running])}).`);
    return ExitCode.OK;
  }
  io.out(`${io.style('bold', label)}: running vs ${options.file}`);
  if (added.length > 0) io.out(io.style('green', `+ instances ${formatInstances(added)} would be added`));
  if (removed.length > 0) io.out(io.style('red', `- instances ${formatInstances(removed)} would be removed`));
  for (const group of changed) {
    io.out(`instances ${formatInstances(group.instances)}: ${group.changes.length} field${group.changes.length === 1 ? '' : 's'} differ`);
    for (const c of group.changes) {
      if (c.running !== undefined) io.out(io.style('red', `  - ${c.path}: ${JSON.stringify(c.running)}`));
      if (c.file !== undefined) io.out(io.style('green', `  + ${c.path}: ${JSON.stringify(c.file)}`));
    }
  }
  return ExitCode.OK;
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
