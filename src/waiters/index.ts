/**
 * Waiters for the states deployment tooling waits on: an update reaching a terminal state, instances
 * reaching a set of states, hosts reaching a maintenance mode, a job going away.
 */
import type { AuroraClient } from '../client/client.js';
import { AuroraError } from '../errors.js';
import {
  ACTIVE_JOB_UPDATE_STATES,
  ACTIVE_STATES,
  JobUpdateAction,
  JobUpdateStatus,
  MaintenanceMode,
  ScheduleStatus,
  type HostStatus,
  type JobKeyInput,
  type JobUpdateDetails,
  type JobUpdateKey,
  type JobUpdateSummary,
  type ScheduledTask,
} from '../gen/types.js';
import type { Job } from '../job/builder.js';
import { latestTasks } from '../client/latest-tasks.js';
import { waitUntil, type WaitOptions } from './waiter.js';

export { latestTasks } from '../client/latest-tasks.js';

export { waitUntil, AuroraWaitTimeoutError, type Verdict, type WaitOptions } from './waiter.js';

/** A job as the waiters take it: its key, or the Job builder that made it. */
export type JobRef = JobKeyInput | Job;

function keyOf(job: JobRef): JobKeyInput {
  return 'jobKey' in job ? job.jobKey : job;
}

export interface UpdateProgress {
  status: JobUpdateStatus;
  statusName: string;
  /** Instances whose latest event says INSTANCE_UPDATED (or ROLLED_BACK when rolling back). */
  instancesDone: number;
  /** Instances the update touches. */
  instancesTotal: number;
  summary: JobUpdateSummary | undefined;
  /** What the scheduler said about the update at this poll (events, instructions), for a UI to show more. */
  details: JobUpdateDetails | undefined;
}

/** Terminal update states that mean success for a caller that wanted the update applied. */
const UPDATE_SUCCESS = new Set([JobUpdateStatus.ROLLED_FORWARD]);

export class AuroraUpdateFailedError extends AuroraError {
  readonly status: JobUpdateStatus;
  constructor(key: JobUpdateKey, status: JobUpdateStatus, message?: string) {
    super('response', `update ${key.id} of ${key.job?.role}/${key.job?.environment}/${key.job?.name} ended ${JobUpdateStatus[status]}${message ? `: ${message}` : ''}`);
    this.status = status;
  }
}

/** A waited-on instance ended in a state from which the wanted ones cannot be reached. */
export class AuroraInstanceFailedError extends AuroraError {
  readonly instanceId: number;
  readonly status: ScheduleStatus;
  /** The message of the task's last event, e.g. `Command exited with status 3`. */
  readonly taskMessage: string | undefined;
  /** The current task of every instance waited on ({@link latestTasks}) when the wait gave up, by instance. */
  readonly tasks: readonly ScheduledTask[];
  constructor(instanceId: number, status: ScheduleStatus, taskMessage: string | undefined, tasks: readonly ScheduledTask[] = []) {
    super('response', `instance ${instanceId} ended ${ScheduleStatus[status] ?? String(status)}${taskMessage ? `: ${taskMessage}` : ''}`);
    this.instanceId = instanceId;
    this.status = status;
    this.taskMessage = taskMessage;
    this.tasks = tasks;
  }
}

function byInstance(tasks: Map<number, ScheduledTask>): ScheduledTask[] {
  return [...tasks.entries()].sort(([a], [b]) => a - b).map(([, task]) => task);
}

/**
 * Waits until an update leaves the active states and returns its final status. With
 * `requireSuccess`, any end but ROLLED_FORWARD rejects with AuroraUpdateFailedError.
 */
export async function waitForUpdate(
  client: AuroraClient,
  key: JobUpdateKey,
  options: WaitOptions<UpdateProgress> & { requireSuccess?: boolean } = {},
): Promise<JobUpdateStatus> {
  return waitUntil<JobUpdateStatus, UpdateProgress>(
    `update ${key.id}`,
    async () => {
      const reply = await client.getJobUpdateDetails(key, { key });
      const details = reply.details ?? reply.detailsList?.[0];
      // A scheduler that does not know the update (e.g. a new leader with other state) never will.
      if (!details) throw new AuroraError('response', `update ${key.id} is not known to the scheduler`);
      const status = details?.update?.summary?.state?.status ?? JobUpdateStatus.ERROR;
      const events = details?.instanceEvents ?? [];
      const latest = new Map<number, number>();
      for (const e of [...events].sort((a, b) => (a.timestampMs ?? 0) - (b.timestampMs ?? 0))) latest.set(e.instanceId, e.action);
      const doneActions = new Set<number>([JobUpdateAction.INSTANCE_UPDATED, JobUpdateAction.INSTANCE_ROLLED_BACK]);
      const progress: UpdateProgress = {
        status,
        statusName: JobUpdateStatus[status] ?? String(status),
        instancesDone: [...latest.values()].filter((a) => doneActions.has(a)).length,
        instancesTotal: updateInstanceCount(details),
        summary: details?.update?.summary,
        details,
      };
      if (ACTIVE_JOB_UPDATE_STATES.has(status)) return { done: false, progress };
      if (options.requireSuccess && !UPDATE_SUCCESS.has(status)) {
        const last = details?.updateEvents?.at(-1)?.message;
        return { failed: true, error: new AuroraUpdateFailedError(key, status, last), progress };
      }
      return { done: true, value: status, progress };
    },
    options,
  );
}

function updateInstanceCount(details: { update?: { instructions?: { desiredState?: { instances?: { first?: number; last?: number }[] }; initialState?: { instances?: { first?: number; last?: number }[] }[] } } } | undefined): number {
  const ids = new Set<number>();
  const add = (ranges: { first?: number; last?: number }[] | undefined) => {
    for (const r of ranges ?? []) for (let i = r.first ?? 0; i <= (r.last ?? -1); i++) ids.add(i);
  };
  add(details?.update?.instructions?.desiredState?.instances);
  for (const group of details?.update?.instructions?.initialState ?? []) add(group.instances);
  return ids.size;
}

export interface InstancesProgress {
  /** Tasks per state name among the instances waited on, e.g. `{ RUNNING: 3, PENDING: 2 }`. */
  counts: Record<string, number>;
  /** How many instances are in one of the wanted states. */
  ready: number;
  /** How many instances are waited on. */
  total: number;
}

/**
 * Waits until `count` instances (default: all instances given, or every active instance of the
 * job) are in one of `states` (default RUNNING). Rejects early if a wanted instance ends in a
 * terminal state that is not wanted and no replacement is on its way.
 */
export async function waitForInstances(
  client: AuroraClient,
  jobRef: JobRef,
  options: WaitOptions<InstancesProgress> & { states?: ScheduleStatus[]; instances?: number[]; count?: number } = {},
): Promise<ScheduledTask[]> {
  const job = keyOf(jobRef);
  const wanted = new Set(options.states ?? [ScheduleStatus.RUNNING]);
  return waitUntil<ScheduledTask[], InstancesProgress>(
    `instances of ${job.role}/${job.environment}/${job.name}`,
    async () => {
      const { tasks = [] } = await client.getTasksWithoutConfigs({ jobKeys: [job], instanceIds: options.instances });
      const latest = latestTasks(tasks);
      const counts: Record<string, number> = {};
      for (const t of latest.values()) {
        const name = ScheduleStatus[t.status!] ?? String(t.status);
        counts[name] = (counts[name] ?? 0) + 1;
      }
      // Without an explicit count, the instances waited on are those not deliberately killed.
      const considered = [...latest.values()].filter((t) => options.count !== undefined || options.instances !== undefined || t.status !== ScheduleStatus.KILLED);
      const ready = considered.filter((t) => wanted.has(t.status));
      const active = considered.filter((t) => ACTIVE_STATES.has(t.status) && !wanted.has(t.status));
      const total = options.count ?? options.instances?.length ?? considered.length;
      const progress = { counts, ready: ready.length, total };
      // An instance whose newest task ended unwanted, with no successor on its way, will not get there.
      const dead = considered.filter((t) => !ACTIVE_STATES.has(t.status) && !wanted.has(t.status));
      if (dead.length > 0 && ready.length + active.length < total) {
        const t = dead[0]!;
        return { failed: true, error: new AuroraInstanceFailedError(t.assignedTask.instanceId, t.status, t.taskEvents?.at(-1)?.message, byInstance(latest)), progress };
      }
      if (total > 0 && ready.length >= total) return { done: true, value: ready, progress };
      return { done: false, progress };
    },
    options,
  );
}

/** Waits until every host is in one of `modes` and returns their statuses. */
export async function waitForMaintenance(
  client: AuroraClient,
  hosts: string[],
  modes: MaintenanceMode[],
  options: WaitOptions<HostStatus[]> = {},
): Promise<HostStatus[]> {
  const wanted = new Set(modes);
  return waitUntil<HostStatus[], HostStatus[]>(
    `maintenance of ${hosts.join(', ')}`,
    async () => {
      const { statuses = [] } = await client.maintenanceStatus({ hostNames: hosts });
      const done = hosts.every((h) => statuses.some((s) => s.host === h && wanted.has(s.mode)));
      return done ? { done: true, value: statuses, progress: statuses } : { done: false, progress: statuses };
    },
    options,
  );
}

/**
 * Waits until a job (only `instances` of it, when given) has no active task left, and returns how
 * each instance ended: its last task ({@link latestTasks}), by instance, read once the last active
 * task ended (e.g. KILLED, or FINISHED for one that ended first). Progress counts active tasks.
 */
export async function waitForJobGone(client: AuroraClient, jobRef: JobRef, options: WaitOptions<InstancesProgress> & { instances?: number[] } = {}): Promise<ScheduledTask[]> {
  const job = keyOf(jobRef);
  await waitUntil<void, InstancesProgress>(
    `${job.role}/${job.environment}/${job.name} to stop`,
    async () => {
      const { tasks = [] } = await client.getTasksWithoutConfigs({ jobKeys: [job], statuses: [...ACTIVE_STATES], instanceIds: options.instances });
      const counts: Record<string, number> = {};
      for (const t of tasks) counts[ScheduleStatus[t.status]!] = (counts[ScheduleStatus[t.status]!] ?? 0) + 1;
      const progress = { counts, ready: 0, total: tasks.length };
      return tasks.length === 0 ? { done: true, value: undefined, progress } : { done: false, progress };
    },
    options,
  );
  const { tasks = [] } = await client.getTasksWithoutConfigs({ jobKeys: [job], instanceIds: options.instances });
  return byInstance(latestTasks(tasks));
}
export { AuroraRestartFailedError, rollingRestart, type RestartBatch, type RestartProgress, type RollingRestartOptions, type RollingRestartResult } from './restart.js';
export { createService, instanceIds, removeInstances, restartJob, taskConfigOf, abortUpdateAndWait } from './operations.js';
