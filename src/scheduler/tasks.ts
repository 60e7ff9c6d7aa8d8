/**
 * The local scheduler's task store: every ScheduledTask it knows, and the queries Aurora's TaskQuery
 * expresses. Jobs that are not cron jobs have no record of their own, as in Aurora: a job is the set
 * of its tasks, and exists while any of them is active.
 */
import { SCHEMA } from '../gen/schema.js';
import { encodedOnce, KeptAnswers } from './kept.js';
import type { TypeRef } from '../protocol/schema.js';
import { ACTIVE_STATES, ScheduleStatus, type JobKey, type ScheduledTask, type ScheduleStatusResult, type TaskConfig, type TaskQuery } from '../gen/types.js';

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
  /** The job key strings of `byJob` by role: a role's queries (getJobSummary, `job list`, the web UI) look at its jobs only. */
  private readonly byRole = new Map<string, Set<string>>();
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
    this.changes++;
  }

  private changes = 0;
  /** Moved by every change to any task: an answer derived from tasks holds while it has not moved. */
  get version(): number {
    return this.changes;
  }

  /** getTasksStatus/getTasksWithoutConfigs answers by query, while no task changes (the web UI and waiters poll the same query). */
  private readonly answers = new KeptAnswers<ScheduleStatusResult>();

  /**
   * The getTasksStatus (or, without executor data, getTasksWithoutConfigs) result for `query`, as a
   * reply carries it: the same one, encoded once per protocol, until a task changes.
   */
  resultForReply(query: TaskQuery, withoutExecutorData: boolean): ScheduleStatusResult {
    const key = `${withoutExecutorData ? '-' : '+'}${canonicalJson('TaskQuery', query)}`;
    return this.answers.get(key, this.changes, () =>
      encodedOnce<ScheduleStatusResult>('ScheduleStatusResult', { tasks: this.query(query).map((t) => this.forReply(t, withoutExecutorData)) }),
    );
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
    const key = jobKeyString(taskJobKey(task));
    // Replacing a task keeps its place in `all()` (Map.set does) and in its job group, unless its job changed.
    if (previous && jobKeyString(taskJobKey(previous)) !== key) this.leaveGroup(previous, id);
    this.tasks.set(id, task);
    const group = this.byJob.get(key);
    if (group) {
      group.set(id, task);
      return;
    }
    this.byJob.set(key, new Map([[id, task]]));
    const role = taskJobKey(task).role ?? '';
    const keys = this.byRole.get(role);
    if (keys) keys.add(key);
    else this.byRole.set(role, new Set([key]));
  }

  delete(taskId: string): void {
    this.changed(taskId);
    const task = this.tasks.get(taskId);
    if (!task) return;
    this.tasks.delete(taskId);
    this.leaveGroup(task, taskId);
  }

  private leaveGroup(task: ScheduledTask, id: string): void {
    const key = jobKeyString(taskJobKey(task));
    const group = this.byJob.get(key);
    group?.delete(id);
    if (group?.size !== 0) return;
    this.byJob.delete(key);
    const role = taskJobKey(task).role ?? '';
    const keys = this.byRole.get(role);
    keys?.delete(key);
    if (keys?.size === 0) this.byRole.delete(role);
  }

  all(): ScheduledTask[] {
    return [...this.tasks.values()];
  }

  /** Every task of one job, in no particular order (cheaper than `query` when order does not matter). */
  jobTasks(key: JobKey): ScheduledTask[] {
    return [...(this.byJob.get(jobKeyString(key))?.values() ?? [])];
  }

  /** The job key strings a query can match: the named jobs, the named tasks' jobs, the role's jobs, or every job. */
  private candidateJobs(keys: string[] | undefined, taskIds: ReadonlySet<string> | undefined, query: TaskQuery): Iterable<string> {
    if (keys === undefined && query.role !== undefined && query.environment !== undefined && query.jobName !== undefined) {
      keys = [jobKeyString({ role: query.role, environment: query.environment, name: query.jobName })];
    }
    if (keys !== undefined) return new Set(keys);
    if (taskIds !== undefined) return new Set([...taskIds].flatMap((id) => (this.tasks.has(id) ? [jobKeyString(taskJobKey(this.tasks.get(id)!))] : [])));
    if (query.role !== undefined) return this.byRole.get(query.role) ?? [];
    return this.byJob.keys();
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

    // Job by job in job key order (each job's tasks are grouped already), then by instance and age.
    const jobs = [...this.candidateJobs(keyList, taskIdSet, query)].filter((k) => this.byJob.has(k)).sort(byLocale);
    const out: ScheduledTask[] = [];
    const matches: { task: ScheduledTask; instance: number; age: number }[] = [];
    for (const key of jobs) {
      matches.length = 0;
      for (const t of this.byJob.get(key)!.values()) {
        const a = t.assignedTask!;
        const job = a.task!.job!;
        if (query.role !== undefined && job.role !== query.role) continue;
        if (query.environment !== undefined && job.environment !== query.environment) continue;
        if (query.jobName !== undefined && job.name !== query.jobName) continue;
        if (statusSet && !statusSet.has(t.status!)) continue;
        if (taskIdSet && !taskIdSet.has(a.taskId!)) continue;
        if (instanceSet && !instanceSet.has(a.instanceId!)) continue;
        if (hostSet && (a.slaveHost === undefined || !hostSet.has(a.slaveHost))) continue;
        matches.push({ task: t, instance: a.instanceId!, age: firstEventTime(t) });
      }
      matches.sort((x, y) => x.instance - y.instance || x.age - y.age);
      for (const m of matches) out.push(m.task);
    }
    const offset = query.offset ?? 0;
    const limit = query.limit !== undefined && query.limit > 0 ? query.limit : undefined;
    return offset === 0 && limit === undefined ? out : out.slice(offset, limit === undefined ? undefined : offset + limit);
  }

  active(key?: JobKey): ScheduledTask[] {
    return this.query({ jobKeys: key ? [key] : undefined, statuses: [...ACTIVE_STATES] });
  }

  /** Keys of every job with at least one active task, in job key order. */
  activeJobKeys(role?: string): JobKey[] {
    const keys: { text: string; key: JobKey }[] = [];
    for (const text of role === undefined ? this.byJob.keys() : (this.byRole.get(role) ?? [])) {
      for (const t of this.byJob.get(text)!.values()) {
        if (!ACTIVE_STATES.has(t.status!)) continue;
        keys.push({ text, key: taskJobKey(t) });
        break;
      }
    }
    return keys.sort((x, y) => byLocale(x.text, y.text)).map((k) => k.key);
  }
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

/** String.prototype.localeCompare's order (the same default collator), without looking the collator up per comparison. */
const byLocale = new Intl.Collator().compare;

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
