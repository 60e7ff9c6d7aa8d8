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

function createdAt(task: ScheduledTask): number {
  return task.taskEvents?.[0]?.timestamp ?? 0;
}

function byInstanceThenTime(a: ScheduledTask, b: ScheduledTask): number {
  return (a.assignedTask?.instanceId ?? 0) - (b.assignedTask?.instanceId ?? 0) || createdAt(a) - createdAt(b);
}

/** The task that speaks for each instance now: its active task, else its most recent one. */
export function currentTasks(tasks: readonly ScheduledTask[]): Map<number, ScheduledTask> {
  const out = new Map<number, ScheduledTask>();
  for (const task of tasks) {
    const id = task.assignedTask?.instanceId ?? 0;
    const seen = out.get(id);
    const active = ACTIVE_STATES.has(task.status!);
    if (!seen) out.set(id, task);
    else {
      const seenActive = ACTIVE_STATES.has(seen.status!);
      if ((active && !seenActive) || (active === seenActive && createdAt(task) >= createdAt(seen))) out.set(id, task);
    }
  }
  return out;
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

function countStates(tasks: Iterable<ScheduledTask>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const t of tasks) counts[statusName(t.status)] = (counts[statusName(t.status)] ?? 0) + 1;
  return counts;
}

function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort(([, a], [, b]) => b - a)
    .map(([state, n]) => `${state} ${n}`)
    .join(', ');
}

/**
 * Polls the job's tasks until the watched instances reach `target` (RUNNING: all running;
 * PENDING: all exist; FINISHED: all terminal, ok when all FINISHED; KILLED: none active), showing
 * progress like `RUNNING 3/5`. A wait that cannot succeed any more ends early with ok=false.
 */
export async function waitForInstances(ctx: CliContext, client: AuroraClient, key: JobKeySpec, options: WaitOptions): Promise<WaitResult> {
  const pollMs = options.pollMs ?? 500;
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  const watched = options.instances ?? key.instances;
  const total = watched?.length;
  const label = formatJobKey(key);
  const progress = await ctx.io.progress(`waiting for ${label} to be ${options.target}...`);
  try {
    for (;;) {
      const tasks = await jobTasks(client, key, { instances: watched });
      const current = currentTasks(tasks);
      const states = [...current.values()];
      const counts = countStates(states);
      let done = false;
      let ok = true;
      let line: string;
      switch (options.target) {
        case 'PENDING':
          done = current.size >= (total ?? 0);
          line = `created ${current.size}/${total}`;
          break;
        case 'RUNNING': {
          const running = counts['RUNNING'] ?? 0;
          done = running >= (total ?? 0);
          line = `RUNNING ${running}/${total}`;
          // A one-off (non-service) task that ended cannot become RUNNING again.
          const over = states.filter((t) => TERMINAL_STATES.has(t.status!) && t.assignedTask?.task?.isService === false);
          if (over.length > 0 && !done) {
            done = true;
            ok = false;
          }
          break;
        }
        case 'FINISHED': {
          const finished = states.filter((t) => TERMINAL_STATES.has(t.status!)).length;
          done = current.size >= (total ?? 0) && finished >= current.size;
          ok = (counts['FINISHED'] ?? 0) === current.size;
          line = `FINISHED ${counts['FINISHED'] ?? 0}/${total}`;
          break;
        }
        case 'KILLED': {
          const active = tasks.filter((t) => ACTIVE_STATES.has(t.status!)).length;
          done = active === 0;
          line = `active tasks left: ${active}`;
          break;
        }
      }
      const detail = describeCounts(counts);
      const text = `${label}: ${line}${detail ? ` (${detail})` : ''}`;
      if (done) {
        const result: WaitResult = { ok, counts, summary: text };
        if (!ok) result.failure = describeFailure(label, options.target, states);
        if (ok) progress.succeed(text);
        else progress.fail(text);
        return result;
      }
      progress.update(text);
      if (Date.now() >= deadline) {
        progress.fail(text);
        throw new CliFailure(`gave up waiting for ${label} to be ${options.target}: ${line}${detail ? ` (${detail})` : ''}`, ExitCode.FAILURE);
      }
      await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())), ctx.signal);
    }
  } finally {
    progress.stop();
  }
}

/** Resolves after `ms`, or at once when `signal` aborts; removes its listener either way (one per poll would pile up). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
