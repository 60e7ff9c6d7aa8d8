/**
 * The local scheduler's task store: every ScheduledTask it knows, and the queries Aurora's TaskQuery
 * expresses. Jobs that are not cron jobs have no record of their own, as in Aurora: a job is the set
 * of its tasks, and exists while any of them is active.
 */
import { SCHEMA } from '../gen/schema.js';
import { EncodedOnce } from '../protocol/index.js';
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
  /**
   * The same tasks grouped by job key string. Most queries name a job (getJobSummary asks once per
   * job), and scanning every task of every job for each would make them O(jobs × tasks).
   */
  private readonly byJob = new Map<string, Map<string, ScheduledTask>>();
  /**
   * Each task as replies carry it, whole and without its executor data, encoded at most once per
   * protocol until the task changes: clients poll the same tasks over and over (the web UI, `job
   * status`, update waiters), and encoding a task costs far more than copying its bytes.
   */
  private readonly replies = new Map<string, { whole?: ScheduledTask; withoutData?: ScheduledTask; config?: TaskConfig }>();

  get(taskId: string): ScheduledTask | undefined {
    return this.tasks.get(taskId);
  }

  /**
   * Must follow every change made to a stored task in place (the lifecycle's transitions), so that
   * replies stop carrying its old encoding.
   */
  changed(taskId: string): void {
    this.replies.delete(taskId);
  }

  /**
   * `task` (a stored one) for a reply: encoded once per protocol until it changes. The value is only
   * for encoding (an EncodedOnce typed as the task): read the task itself for anything else.
   */
  forReply(task: ScheduledTask, withoutExecutorData = false): ScheduledTask {
    const kept = this.kept(task);
    if (withoutExecutorData) return (kept.withoutData ??= encodedOnce('ScheduledTask', stripExecutorData(task)));
    return (kept.whole ??= encodedOnce('ScheduledTask', snapshot(task)));
  }

  /** A stored task's config for a reply (a job's in getJobSummary and getJobs), encoded as forReply does. */
  configForReply(task: ScheduledTask): TaskConfig {
    return (this.kept(task).config ??= encodedOnce('TaskConfig', task.assignedTask!.task!));
  }

  private kept(task: ScheduledTask): { whole?: ScheduledTask; withoutData?: ScheduledTask; config?: TaskConfig } {
    const id = task.assignedTask!.taskId!;
    let kept = this.replies.get(id);
    if (kept === undefined) this.replies.set(id, (kept = {}));
    return kept;
  }

  put(task: ScheduledTask): void {
    const id = task.assignedTask!.taskId!;
    this.changed(id);
    const previous = this.tasks.get(id);
    // Replacing a task keeps its place in `all()` (Map.set does); only its job group may change.
    if (previous) this.byJob.get(jobKeyString(taskJobKey(previous)))?.delete(id);
    this.tasks.set(id, task);
    const key = jobKeyString(taskJobKey(task));
    const group = this.byJob.get(key);
    if (group) group.set(id, task);
    else this.byJob.set(key, new Map([[id, task]]));
  }

  delete(taskId: string): void {
    this.changed(taskId);
    const task = this.tasks.get(taskId);
    if (!task) return;
    this.tasks.delete(taskId);
    const key = jobKeyString(taskJobKey(task));
    const group = this.byJob.get(key);
    group?.delete(taskId);
    if (group?.size === 0) this.byJob.delete(key);
  }

  all(): ScheduledTask[] {
    return [...this.tasks.values()];
  }

  /** Every task of one job, in no particular order (cheaper than `query` when order does not matter). */
  jobTasks(key: JobKey): ScheduledTask[] {
    return [...(this.byJob.get(jobKeyString(key))?.values() ?? [])];
  }

  /** The tasks a query can match: only the named jobs' or task ids' when it names any. */
  private candidates(keys: string[] | undefined, taskIds: string[] | undefined, query: TaskQuery): Iterable<ScheduledTask> {
    if (keys === undefined && query.role !== undefined && query.environment !== undefined && query.jobName !== undefined) {
      keys = [jobKeyString({ role: query.role, environment: query.environment, name: query.jobName })];
    }
    if (keys !== undefined) return [...new Set(keys)].flatMap((k) => [...(this.byJob.get(k)?.values() ?? [])]);
    if (taskIds !== undefined) return [...new Set(taskIds)].flatMap((id) => this.tasks.get(id) ?? []);
    return this.tasks.values();
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
    const keyList = keys && keys.length > 0 ? keys.map(jobKeyString) : undefined;
    const keySet = keyList ? new Set(keyList) : undefined;

    const matches: { task: ScheduledTask; key: string; instance: number; age: number }[] = [];
    for (const t of this.candidates(keyList, taskIdSet ? [...taskIdSet] : undefined, query)) {
      const a = t.assignedTask!;
      const job = a.task!.job!;
      if (query.role !== undefined && job.role !== query.role) continue;
      if (query.environment !== undefined && job.environment !== query.environment) continue;
      if (query.jobName !== undefined && job.name !== query.jobName) continue;
      if (statusSet && !statusSet.has(t.status!)) continue;
      if (taskIdSet && !taskIdSet.has(a.taskId!)) continue;
      if (instanceSet && !instanceSet.has(a.instanceId!)) continue;
      if (hostSet && (a.slaveHost === undefined || !hostSet.has(a.slaveHost))) continue;
      const key = jobKeyString(job);
      if (keySet && !keySet.has(key)) continue;
      matches.push({ task: t, key, instance: a.instanceId!, age: firstEventTime(t) });
    }
    // Keys computed once per task; localeCompare only between different jobs.
    matches.sort((x, y) => (x.key === y.key ? 0 : x.key.localeCompare(y.key)) || x.instance - y.instance || x.age - y.age);
    const offset = query.offset ?? 0;
    const limit = query.limit !== undefined && query.limit > 0 ? query.limit : undefined;
    return matches.slice(offset, limit === undefined ? undefined : offset + limit).map((m) => m.task);
  }

  active(key?: JobKey): ScheduledTask[] {
    return this.query({ jobKeys: key ? [key] : undefined, statuses: [...ACTIVE_STATES] });
  }

  /** Keys of every job with at least one active task, in job key order. */
  activeJobKeys(role?: string): JobKey[] {
    const keys: { text: string; key: JobKey }[] = [];
    for (const [text, group] of this.byJob) {
      for (const t of group.values()) {
        if (!ACTIVE_STATES.has(t.status!)) continue;
        const key = taskJobKey(t);
        if (role === undefined || key.role === role) keys.push({ text, key });
        break;
      }
    }
    return keys.sort((x, y) => x.text.localeCompare(y.text)).map((k) => k.key);
  }
}

/** `value` as an EncodedOnce of `struct`, typed as the value: only for putting in a reply. */
function encodedOnce<T>(struct: string, value: T): T {
  return new EncodedOnce(struct, value) as unknown as T;
}

/**
 * The task as it is now, for a reply encoded later: transitions change a stored task in place (its
 * status, its events list, its host), so the parts they change are copied; the rest is shared.
 */
function snapshot(task: ScheduledTask): ScheduledTask {
  return { ...task, assignedTask: { ...task.assignedTask }, taskEvents: task.taskEvents && [...task.taskEvents] };
}

/** getTasksWithoutConfigs' form of a task: its executor config without `data` (often the largest field). */
function stripExecutorData(task: ScheduledTask): ScheduledTask {
  const copy = snapshot(task);
  const config = copy.assignedTask?.task;
  if (config?.executorConfig) {
    const { data: _data, ...executorConfig } = config.executorConfig;
    copy.assignedTask!.task = { ...config, executorConfig };
  }
  return copy;
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
