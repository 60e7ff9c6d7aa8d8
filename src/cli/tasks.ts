/**
 * What several commands share about tasks: querying a job's tasks, one row per task for tables and
 * --json, and waiting for instances to reach a state with live progress. Loaded only by commands
 * that talk to a scheduler (it imports the generated types).
 */
import type { AuroraClient } from '../client/client.js';
import { ACTIVE_STATES, ScheduleStatus, TERMINAL_STATES, type ScheduledTask, type TaskQuery } from '../gen/types.js';
import type { CliContext } from './context.js';
import { CliFailure } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { compareText } from './io.js';
import { formatJobKey, parseJobKey, thriftJobKey, type JobKeySpec } from './jobkey.js';
import type { InstancesProgress } from '../waiters/index.js';
import { firstTimestamp } from '../client/latest-tasks.js';

export function statusName(status: ScheduleStatus | undefined): string {
  return status === undefined ? '?' : (ScheduleStatus[status] ?? String(status));
}

export async function jobTasks(client: AuroraClient, key: JobKeySpec, options: { activeOnly?: boolean; instances?: readonly number[] } = {}): Promise<ScheduledTask[]> {
  const query: TaskQuery = { jobKeys: [thriftJobKey(key)] };
  if (options.activeOnly) query.statuses = [...ACTIVE_STATES];
  const instances = options.instances ?? key.instances;
  if (instances && instances.length > 0) query.instanceIds = [...instances];
  const result = await client.getTasksWithoutConfigs(query);
  return [...(result.tasks ?? [])].sort(byInstanceThenTime);
}

function byInstanceThenTime(a: ScheduledTask, b: ScheduledTask): number {
  return (a.assignedTask?.instanceId ?? 0) - (b.assignedTask?.instanceId ?? 0) || firstTimestamp(a) - firstTimestamp(b);
}

export interface TaskRow {
  instance: number;
  state: string;
  taskId: string;
  host: string;
  ports: Record<string, number>;
  /** When the task was created (ms since the epoch), from its first event. */
  createdMs: number | null;
  /** When it entered its current state. */
  stateSinceMs: number | null;
  failureCount: number;
  message: string | null;
}

export function taskRow(task: ScheduledTask): TaskRow {
  const events = task.taskEvents ?? [];
  const last = events[events.length - 1];
  return {
    instance: task.assignedTask?.instanceId ?? 0,
    state: statusName(task.status),
    taskId: task.assignedTask?.taskId ?? '',
    host: task.assignedTask?.slaveHost ?? '',
    ports: { ...(task.assignedTask?.assignedPorts ?? {}) },
    createdMs: events[0]?.timestamp ?? null,
    stateSinceMs: last?.timestamp ?? null,
    failureCount: task.failureCount ?? 0,
    message: last?.message ?? null,
  };
}

/** The rows of every task of the job named by `keyText` (`cluster/role/env/name[/instances]`); none is a failure. */
export async function jobTaskRows(ctx: CliContext, keyText: string): Promise<{ label: string; tasks: TaskRow[] }> {
  const key = parseJobKey(keyText, 'optional');
  const client = await ctx.client(key.cluster);
  const tasks = (await jobTasks(client, key)).map(taskRow);
  const label = formatJobKey(key);
  if (tasks.length === 0) throw new CliFailure(`no tasks found for job ${label}`);
  return { label, tasks };
}

export function formatPorts(ports: Record<string, number>): string {
  const entries = Object.entries(ports).sort(([a], [b]) => compareText(a, b));
  return entries.length === 0 ? '-' : entries.map(([name, port]) => `${name}=${port}`).join(',');
}

const UUID_END = /([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A task id for an 80-column table: Aurora's and the local scheduler's ids end in a UUID after the
 * job key and instance, which the table already shows; its first 8 hex digits tell tasks apart.
 */
export function shortTaskId(id: string): string {
  const uuid = UUID_END.exec(id);
  if (uuid) return uuid[1]!;
  return id.length <= 16 ? id : `…${id.slice(-15)}`;
}

/** An update id (a UUID) for an 80-column table: its first 8 characters, which `--id` accepts as a prefix. */
export function shortUpdateId(id: string): string {
  return /^[0-9a-f]{8}-/i.test(id) ? id.slice(0, 8) : id;
}

export function formatAge(sinceMs: number | null, now = Date.now()): string {
  if (sinceMs === null) return '-';
  const s = Math.max(0, Math.floor((now - sinceMs) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 > 0 ? `${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d`;
}

/** Colours a state name: green running/finished, red failed/lost/killed, yellow the rest. */
export function styleState(ctx: CliContext, state: string): string {
  if (state === 'RUNNING' || state === 'FINISHED') return ctx.io.style('green', state);
  if (state === 'FAILED' || state === 'LOST' || state === 'KILLED') return ctx.io.style('red', state);
  return ctx.io.style('yellow', state);
}

export type WaitTarget = 'PENDING' | 'RUNNING' | 'FINISHED' | 'KILLED';

export interface WaitOptions {
  target: WaitTarget;
  /** Instances to watch (required for PENDING/RUNNING/FINISHED; for KILLED, all when absent). */
  instances?: readonly number[];
  timeoutMs?: number;
  pollMs?: number;
}

export interface WaitResult {
  ok: boolean;
  counts: Record<string, number>;
  summary: string;
  /** When not ok: what failed, for the closing `aurora-ts:` line, e.g. `instance 0 FAILED: Command exited with status 3`. */
  failure?: string;
}

/** `job X did not reach RUNNING: instance 1 FAILED: ...` from the instances that cannot reach `target`. */
function describeFailure(label: string, target: WaitTarget, tasks: readonly ScheduledTask[]): string {
  const bad = tasks.filter((t) => TERMINAL_STATES.has(t.status!) && t.status !== ScheduleStatus.FINISHED);
  const first = bad[0] ?? tasks.find((t) => t.status !== ScheduleStatus.FINISHED);
  const head = `${label} did not reach ${target}`;
  if (!first) return head;
  const message = first.taskEvents?.[first.taskEvents.length - 1]?.message?.split('\n')[0];
  const others = bad.length > 1 ? ` (and ${bad.length - 1} more)` : '';
  return `${head}: instance ${first.assignedTask?.instanceId ?? 0} ${statusName(first.status)}${message ? `: ${message}` : ''}${others}`;
}

function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort(([, a], [, b]) => b - a)
    .map(([state, n]) => `${state} ${n}`)
    .join(', ');
}

/** What each target waits for, as the SDK's waiters take it, and how its progress reads (`RUNNING 3/5`). */
const TARGETS: Record<WaitTarget, { states?: ScheduleStatus[]; line: (p: InstancesProgress) => string }> = {
  // Created: any state at all.
  PENDING: { states: Object.values(ScheduleStatus).filter((v): v is ScheduleStatus => typeof v === 'number'), line: (p) => `created ${p.ready}/${p.total}` },
  RUNNING: { states: [ScheduleStatus.RUNNING], line: (p) => `RUNNING ${p.ready}/${p.total}` },
  FINISHED: { states: [ScheduleStatus.FINISHED], line: (p) => `FINISHED ${p.ready}/${p.total}` },
  // No active task left: the SDK's waitForJobGone, whose `total` counts the active tasks.
  KILLED: { line: (p) => `active tasks left: ${p.total}` },
};

/**
 * Waits, through the SDK's waiters, until the watched instances reach `target` (RUNNING: all
 * running; PENDING: all exist; FINISHED: all finished; KILLED: none active), showing progress like
 * `RUNNING 3/5`. A wait that cannot succeed any more (an instance ended otherwise) ends early with
 * ok=false; running out of time is a CliFailure.
 */
export async function waitForInstances(ctx: CliContext, client: AuroraClient, key: JobKeySpec, options: WaitOptions): Promise<WaitResult> {
  const waiters = await import('../waiters/index.js');
  const watched = options.instances ?? key.instances;
  const label = formatJobKey(key);
  const target = TARGETS[options.target];
  const state = (p: InstancesProgress | undefined): string => {
    if (p === undefined) return 'no answer yet';
    const detail = describeCounts(p.counts);
    return `${target.line(p)}${detail ? ` (${detail})` : ''}`;
  };
  const text = (p: InstancesProgress | undefined): string => `${label}: ${state(p)}`;
  const progress = await ctx.io.progress(`waiting for ${label} to be ${options.target}...`);
  let last: InstancesProgress | undefined;
  const common = {
    // No --wait-timeout: as long as it takes (Ctrl-C ends it).
    timeoutMs: options.timeoutMs ?? 365 * 24 * 3600_000,
    // Every 500 ms, as the CLI always polled: a person is watching the line.
    intervalMs: options.pollMs ?? 500,
    backoff: 1,
    signal: ctx.signal,
    onProgress: (p: InstancesProgress) => {
      last = p;
      progress.update(text(p));
    },
  };
  const jobKey = thriftJobKey(key);
  const instances = watched === undefined ? undefined : [...watched];
  try {
    if (target.states === undefined) {
      // The closing line says how each instance's task ended (`active tasks left: 0 (KILLED 2)`), as
      // an operator checks that a kill was clean.
      const ended = await waiters.waitForJobGone(client, jobKey, { ...common, instances });
      const counts: Record<string, number> = {};
      for (const t of ended) counts[statusName(t.status)] = (counts[statusName(t.status)] ?? 0) + 1;
      last = { counts, ready: 0, total: 0 };
    } else await waiters.waitForInstances(client, jobKey, { ...common, states: target.states, instances });
    progress.succeed(text(last));
    return { ok: true, counts: last?.counts ?? {}, summary: text(last) };
  } catch (err) {
    if (err instanceof waiters.AuroraWaitTimeoutError) {
      progress.fail(text(last));
      throw new CliFailure(`gave up waiting for ${label} to be ${options.target}: ${state(last)}`, ExitCode.FAILURE);
    }
    // An instance ended in a state from which the target cannot be reached.
    if (!(err instanceof waiters.AuroraInstanceFailedError)) throw err;
    progress.fail(text(last));
    return { ok: false, counts: last?.counts ?? {}, summary: text(last), failure: describeFailure(label, options.target, err.tasks) };
  } finally {
    progress.stop();
  }
}
