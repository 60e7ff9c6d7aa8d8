/**
 * The SLA figures Aurora's client computes from a job's tasks (client/api/sla.py, `aurora sla
 * get-job-uptime` and `get-task-up-count`): how long instances have been RUNNING, by percentile,
 * and how many have been up for at least a given time. The pure functions take the tasks (as
 * getTasksWithoutConfigs returns them) and a clock; the async ones fetch the job's active tasks.
 */
import type { AuroraClient, CallOptions } from '../client/client.js';
import { AuroraValidationError } from '../errors.js';
import { ACTIVE_STATES, ScheduleStatus, type JobKey, type ScheduledTask } from '../gen/types.js';

export interface JobUptime {
  /** Active instances. */
  instances: number;
  /** Of those, RUNNING. */
  running: number;
  /** p% of the instances have been up at least `seconds` (instances not RUNNING count as 0). */
  percentiles: { percentile: number; seconds: number }[];
}

export interface TaskUpCount {
  durationSecs: number;
  /** Instances RUNNING for at least durationSecs. */
  up: number;
  /** Active instances. */
  instances: number;
  /** up / instances in percent, two decimals. */
  percentage: number;
}

/** Aurora's default percentiles of get-job-uptime. */
export const DEFAULT_UPTIME_PERCENTILES: readonly number[] = [50, 75, 90, 95, 99];

/** Seconds each RUNNING instance has been running (since its latest RUNNING event), by instance. */
export function instanceUptimes(tasks: readonly ScheduledTask[], now = Date.now()): Map<number, number> {
  const out = new Map<number, number>();
  for (const t of tasks) {
    if (t.status !== ScheduleStatus.RUNNING) continue;
    const since = [...(t.taskEvents ?? [])].reverse().find((e) => e.status === ScheduleStatus.RUNNING)?.timestamp;
    if (since !== undefined) out.set(t.assignedTask?.instanceId ?? 0, Math.max(0, (now - since) / 1000));
  }
  return out;
}

/** The uptime percentiles of the active tasks given. */
export function jobUptimeOf(tasks: readonly ScheduledTask[], percentiles: readonly number[] = DEFAULT_UPTIME_PERCENTILES, now = Date.now()): JobUptime {
  for (const p of percentiles) {
    if (!Number.isFinite(p) || p <= 0 || p > 100) throw new AuroraValidationError('percentiles', `${String(p)} is not a percentage in (0, 100]`);
  }
  const active = tasks.filter((t) => ACTIVE_STATES.has(t.status!));
  const instances = new Set(active.map((t) => t.assignedTask?.instanceId)).size;
  const up = [...instanceUptimes(active, now).values()].sort((a, b) => b - a);
  const all = [...up, ...Array<number>(Math.max(0, instances - up.length)).fill(0)];
  return {
    instances,
    running: up.length,
    percentiles: percentiles.map((p) => ({ percentile: p, seconds: all.length === 0 ? 0 : Math.floor(all[Math.max(0, Math.ceil((p / 100) * all.length) - 1)]!) })),
  };
}

/** For each duration, how many of the active tasks given have been up at least that long. */
export function taskUpCountOf(tasks: readonly ScheduledTask[], durationsSecs: readonly number[], now = Date.now()): TaskUpCount[] {
  for (const d of durationsSecs) {
    if (!Number.isFinite(d) || d < 0) throw new AuroraValidationError('durations', `${String(d)} is not a number of seconds >= 0`);
  }
  const active = tasks.filter((t) => ACTIVE_STATES.has(t.status!));
  const instances = new Set(active.map((t) => t.assignedTask?.instanceId)).size;
  const up = [...instanceUptimes(active, now).values()];
  return durationsSecs.map((durationSecs) => {
    const n = up.filter((s) => s >= durationSecs).length;
    return { durationSecs, up: n, instances, percentage: instances === 0 ? 0 : Math.round((n / instances) * 10000) / 100 };
  });
}

async function activeTasks(client: AuroraClient, job: JobKey, options: CallOptions): Promise<ScheduledTask[]> {
  const { tasks = [] } = await client.getTasksWithoutConfigs({ jobKeys: [job], statuses: [...ACTIVE_STATES] }, options);
  return tasks;
}

/** `aurora sla get-job-uptime`: the job's uptime percentiles now. */
export async function jobUptime(client: AuroraClient, job: JobKey, options: CallOptions & { percentiles?: readonly number[] } = {}): Promise<JobUptime> {
  return jobUptimeOf(await activeTasks(client, job, { signal: options.signal }), options.percentiles);
}

/** `aurora sla get-task-up-count`: instances up for at least each duration (seconds), now. */
export async function taskUpCount(client: AuroraClient, job: JobKey, durationsSecs: readonly number[], options: CallOptions = {}): Promise<TaskUpCount[]> {
  return taskUpCountOf(await activeTasks(client, job, options), durationsSecs);
}
