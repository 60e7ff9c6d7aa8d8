/**
 * The operations gorealis users reach for, on top of the raw RPCs and the waiters: create a service
 * through an update, add and remove instances, restart a job, find instances by state, read the
 * config a running task was started with, abort an update and wait for it to stop.
 */
import type { AuroraClient } from '../client/client.js';
import { startJobUpdateSafely } from '../client/safe-writes.js';
import { AuroraValidationError } from '../errors.js';
import { ACTIVE_STATES, JobUpdateStatus, type JobKey, type JobUpdateKey, type ScheduleStatus, type TaskConfig } from '../gen/types.js';
import type { JobUpdate } from '../update/index.js';
import { waitForUpdate, type UpdateProgress } from './index.js';
import type { WaitOptions } from './waiter.js';

/**
 * Creates (or updates) a service by starting a job update, as gorealis' CreateService does: the
 * update's settings (batch size, watch time, rollback) govern how instances come up. Safe to retry.
 * Resolves with the update key, or `undefined` when the job already runs this configuration.
 */
export async function createService(client: AuroraClient, update: JobUpdate, message = 'create service'): Promise<JobUpdateKey | undefined> {
  const request = update.toRequest();
  if (!request.taskConfig?.isService) {
    throw new AuroraValidationError('taskConfig.isService', 'createService needs a service job (Job.service())');
  }
  const started = await startJobUpdateSafely(client, update, message);
  return started.key;
}

/** Active instance ids of a job, sorted; only those in `states` when given. */
export async function instanceIds(client: AuroraClient, job: JobKey, states: Iterable<ScheduleStatus> = ACTIVE_STATES): Promise<number[]> {
  const { tasks = [] } = await client.getTasksWithoutConfigs({ jobKeys: [job], statuses: [...states] });
  return [...new Set(tasks.map((t) => t.assignedTask!.instanceId!))].sort((a, b) => a - b);
}

/** Kills the `count` highest active instances (gorealis' RemoveInstances). Returns the ids killed. */
export async function removeInstances(client: AuroraClient, job: JobKey, count: number, message = 'remove instances'): Promise<number[]> {
  if (!Number.isInteger(count) || count <= 0) throw new AuroraValidationError('count', `expected a positive integer, got ${count}`);
  const active = await instanceIds(client, job);
  if (count > active.length) {
    throw new AuroraValidationError('count', `the job has ${active.length} active instance(s); cannot remove ${count}`);
  }
  const doomed = active.slice(-count);
  await client.killTasks(job, doomed, message);
  return doomed;
}

/** Restarts every active instance of a job (restartShards with all of them). Returns the ids. */
export async function restartJob(client: AuroraClient, job: JobKey): Promise<number[]> {
  const ids = await instanceIds(client, job);
  if (ids.length === 0) throw new AuroraValidationError('job', `${job.role}/${job.environment}/${job.name} has no active instances to restart`);
  await client.restartShards(job, ids);
  return ids;
}

/** The TaskConfig the active task of one instance runs with (gorealis' FetchTaskConfig). */
export async function taskConfigOf(client: AuroraClient, job: JobKey, instanceId: number): Promise<TaskConfig | undefined> {
  const { tasks = [] } = await client.getTasksStatus({ jobKeys: [job], instanceIds: [instanceId], statuses: [...ACTIVE_STATES] });
  return tasks[0]?.assignedTask?.task;
}

/** Aborts an update and waits until it has stopped (ABORTED, or whatever end it reached first). */
export async function abortUpdateAndWait(
  client: AuroraClient,
  key: JobUpdateKey,
  message = 'aborted',
  options: WaitOptions<UpdateProgress> = {},
): Promise<JobUpdateStatus> {
  await client.abortJobUpdate(key, message);
  return waitForUpdate(client, key, options);
}
