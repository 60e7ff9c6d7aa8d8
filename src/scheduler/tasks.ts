/**
 * The local scheduler's task store: every ScheduledTask it knows, and the queries Aurora's TaskQuery
 * expresses. Jobs that are not cron jobs have no record of their own, as in Aurora: a job is the set
 * of its tasks, and exists while any of them is active.
 */
import { SCHEMA } from '../gen/schema.js';
import type { TypeRef } from '../protocol/schema.js';
import { ACTIVE_STATES, ScheduleStatus, type JobKey, type ScheduledTask, type TaskConfig, type TaskQuery } from '../gen/types.js';

export function jobKeyString(key: JobKey | undefined): string {
  return `${key?.role ?? ''}/${key?.environment ?? ''}/${key?.name ?? ''}`;
}

export function taskJobKey(task: ScheduledTask): JobKey {
  return task.assignedTask!.task!.job!;
}

function asArray<T>(value: readonly T[] | ReadonlySet<T> | undefined): T[] | undefined {
  if (value === undefined) return undefined;
  return [...value];
}

export class TaskStore {
  private readonly tasks = new Map<string, ScheduledTask>();

  get(taskId: string): ScheduledTask | undefined {
    return this.tasks.get(taskId);
  }

  put(task: ScheduledTask): void {
    this.tasks.set(task.assignedTask!.taskId!, task);
  }

  delete(taskId: string): void {
    this.tasks.delete(taskId);
  }

  all(): ScheduledTask[] {
    return [...this.tasks.values()];
  }

  /** Tasks matching a TaskQuery, ordered by job then instance then age (offset/limit applied last). */
  query(query: TaskQuery = {}): ScheduledTask[] {
    const statuses = asArray(query.statuses);
    const statusSet = statuses && statuses.length > 0 ? new Set(statuses) : undefined;
    const taskIds = asArray(query.taskIds);
    const taskIdSet = taskIds && taskIds.length > 0 ? new Set(taskIds) : undefined;
    const instances = asArray(query.instanceIds);
    const instanceSet = instances && instances.length > 0 ? new Set(instances) : undefined;
    const hosts = asArray(query.slaveHosts);
    const hostSet = hosts && hosts.length > 0 ? new Set(hosts) : undefined;
    const keys = asArray(query.jobKeys);
    const keySet = keys && keys.length > 0 ? new Set(keys.map(jobKeyString)) : undefined;

    const matches = this.all().filter((t) => {
      const a = t.assignedTask!;
      const job = a.task!.job!;
      if (query.role !== undefined && job.role !== query.role) return false;
      if (query.environment !== undefined && job.environment !== query.environment) return false;
      if (query.jobName !== undefined && job.name !== query.jobName) return false;
      if (statusSet && !statusSet.has(t.status!)) return false;
      if (taskIdSet && !taskIdSet.has(a.taskId!)) return false;
      if (instanceSet && !instanceSet.has(a.instanceId!)) return false;
      if (hostSet && (a.slaveHost === undefined || !hostSet.has(a.slaveHost))) return false;
      if (keySet && !keySet.has(jobKeyString(job))) return false;
      return true;
    });
    matches.sort(
      (x, y) =>
        jobKeyString(taskJobKey(x)).localeCompare(jobKeyString(taskJobKey(y))) ||
        x.assignedTask!.instanceId! - y.assignedTask!.instanceId! ||
        firstEventTime(x) - firstEventTime(y),
    );
    const offset = query.offset ?? 0;
    const limit = query.limit !== undefined && query.limit > 0 ? query.limit : undefined;
    return matches.slice(offset, limit === undefined ? undefined : offset + limit);
  }

  active(key?: JobKey): ScheduledTask[] {
    return this.query({ jobKeys: key ? [key] : undefined, statuses: [...ACTIVE_STATES] });
  }

  /** Keys of every job with at least one active task. */
  activeJobKeys(role?: string): JobKey[] {
    const keys = new Map<string, JobKey>();
    for (const t of this.active()) {
      const key = taskJobKey(t);
      if (role === undefined || key.role === role) keys.set(jobKeyString(key), key);
    }
    return [...keys.values()];
  }
}

export function firstEventTime(task: ScheduledTask): number {
  return task.taskEvents?.[0]?.timestamp ?? 0;
}

export function lastEventTime(task: ScheduledTask, status?: ScheduleStatus): number {
  const events = task.taskEvents ?? [];
  for (let i = events.length - 1; i >= 0; i--) {
    if (status === undefined || events[i]!.status === status) return events[i]!.timestamp ?? 0;
  }
  return 0;
}

/** Task configs compare equal when their Thrift-shaped data is equal, sets compared without order. */
export function sameConfig(a: TaskConfig, b: TaskConfig): boolean {
  return canonicalJson('TaskConfig', a) === canonicalJson('TaskConfig', b);
}

/** A stable text form of a struct value: absent fields dropped, set members sorted. */
export function canonicalJson(struct: string, value: unknown): string {
  return JSON.stringify(canonical({ struct }, value));
}

function canonical(type: TypeRef, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof type === 'string' || 'enum' in type) return value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value;
  if ('struct' in type) {
    const def = SCHEMA.structs[type.struct]!;
    const out: Record<string, unknown> = {};
    for (const f of def.fields) {
      const v = canonical(f.type, (value as Record<string, unknown>)[f.name]);
      if (v !== undefined) out[f.name] = v;
    }
    return out;
  }
  if ('list' in type) return [...(value as Iterable<unknown>)].map((v) => canonical(type.list, v));
  if ('set' in type) {
    return [...(value as Iterable<unknown>)]
      .map((v) => canonical(type.set, v))
      .sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
  }
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value as object);
  return Object.fromEntries(entries.map(([k, v]) => [String(k), canonical(type.map[1], v)]).sort(([x], [y]) => String(x).localeCompare(String(y))));
}
