/**
 * A rolling restart, done client side as Aurora's Python client does it (client/api/restarter.py,
 * instance_watcher.py, health_check.py, updater_util.py FailureThreshold): restartShards one batch
 * at a time, each batch watched until every instance's new task has been RUNNING, as the same task,
 * for `watchSecs`; an instance that does not get there failed, goes to the back of the queue to be
 * restarted again, and counts against the limits. The restart stops with an AuroraRestartFailedError
 * once more instances than `maxTotalFailures` have failed more than `maxPerInstanceFailures` times.
 *
 * One difference, on purpose: Aurora's watcher looks only at RUNNING tasks, so a new task that fails
 * before it is seen RUNNING, or an old task still RUNNING right after the restart, can fool or stall
 * it. Here every task of the batch's instances that existed before the restart is ignored, and a new
 * task that ends, or is replaced, before it has been RUNNING for `watchSecs` fails its instance.
 */
import type { AuroraClient } from '../client/client.js';
import { AuroraError, AuroraValidationError } from '../errors.js';
import { ACTIVE_STATES, ScheduleStatus, type JobKeyInput, type ScheduledTask } from '../gen/types.js';
import type { JobRef } from './index.js';
import { waitUntil, type WaitOptions } from './waiter.js';

export interface RollingRestartOptions {
  /** Instances to restart (default every active instance), in this order. */
  instances?: readonly number[];
  /** Instances restarted at a time. Default 1 (Aurora's `--batch-size`). */
  batchSize?: number;
  /** Seconds an instance's new task must stay RUNNING to count as restarted. Default 30 (`--watch-secs`). */
  watchSecs?: number;
  /** Failures an instance may have before it counts as failed. Default 0 (`--max-per-instance-failures`). */
  maxPerInstanceFailures?: number;
  /** Failed instances tolerated before the restart stops. Default 0 (`--max-total-failures`). */
  maxTotalFailures?: number;
  /** Seconds between looks at a batch's tasks. Default 3 (`--healthcheck-interval-seconds`). */
  healthCheckIntervalSecs?: number;
  /** Bound on watching one batch (default 10 minutes): an instance that never starts is a timeout, not a hang. */
  batchTimeoutMs?: number;
  signal?: AbortSignal;
  /** What a UI shows: a batch restarted (restartShards accepted), its instances as they come up, a batch's end. */
  onProgress?: (event: RestartProgress) => void;
}

export type RestartProgress =
  | { type: 'batch'; batch: number; instances: number[]; remaining: number }
  | { type: 'watch'; batch: number; healthy: number[]; failed: number[]; waiting: Record<number, string> }
  | { type: 'batch-done'; batch: number; healthy: number[]; failed: number[] };

export interface RestartBatch {
  instances: number[];
  /** Instances of the batch that did not stay RUNNING for watchSecs. */
  failed: number[];
}

export interface RollingRestartResult {
  job: JobKeyInput;
  /** The instances asked for, in order. */
  instances: number[];
  batches: RestartBatch[];
  /** Failures per instance (only instances that failed at least once). */
  failures: Record<number, number>;
}

/** A rolling restart stopped at its failure limits; `result` says what was done. */
export class AuroraRestartFailedError extends AuroraError {
  readonly result: RollingRestartResult;
  constructor(message: string, result: RollingRestartResult) {
    super('response', message);
    this.result = result;
  }
}

/**
 * Restarts a job's instances in batches, each watched until healthy (see the module comment).
 * Resolves with what was restarted; rejects with AuroraRestartFailedError past the failure limits,
 * AuroraWaitTimeoutError when a batch does not settle in `batchTimeoutMs`, AuroraAbortError on
 * `signal`, or the scheduler's refusal of restartShards (an AuroraResponseError).
 */
export async function rollingRestart(client: AuroraClient, jobRef: JobRef, options: RollingRestartOptions = {}): Promise<RollingRestartResult> {
  const job = 'jobKey' in jobRef ? jobRef.jobKey : jobRef;
  const batchSize = whole('batchSize', options.batchSize ?? 1, 1);
  const watchMs = whole('watchSecs', options.watchSecs ?? 30, 0) * 1000;
  const maxPerInstance = whole('maxPerInstanceFailures', options.maxPerInstanceFailures ?? 0, 0);
  const maxTotal = whole('maxTotalFailures', options.maxTotalFailures ?? 0, 0);
  const intervalMs = positive('healthCheckIntervalSecs', options.healthCheckIntervalSecs ?? 3) * 1000;
  let queue: number[];
  if (options.instances !== undefined) {
    queue = [...options.instances];
    for (const id of queue) whole('instances', id, 0);
    if (queue.length === 0) throw new AuroraValidationError('instances', 'name at least one instance, or leave instances out to restart every active one');
  } else {
    const { tasks = [] } = await client.getTasksWithoutConfigs({ jobKeys: [job], statuses: [...ACTIVE_STATES] }, { signal: options.signal });
    queue = [...new Set(tasks.map((t) => t.assignedTask!.instanceId!))].sort((a, b) => a - b);
    if (queue.length === 0) throw new AuroraValidationError('job', `${job.role}/${job.environment}/${job.name} has no active instances to restart`);
  }
  const result: RollingRestartResult = { job, instances: [...queue], batches: [], failures: {} };
  const overLimit = () => Object.values(result.failures).filter((n) => n > maxPerInstance).length;

  while (queue.length > 0) {
    const batch = queue.slice(0, batchSize);
    queue = queue.slice(batchSize);
    const number = result.batches.length + 1;
    // Every task these instances had before: none of them may pass for the restarted one.
    const before = await client.getTasksWithoutConfigs({ jobKeys: [job], instanceIds: batch }, { signal: options.signal });
    const old = new Set((before.tasks ?? []).map((t) => t.assignedTask!.taskId!));
    await client.restartShards(job, batch, { signal: options.signal });
    options.onProgress?.({ type: 'batch', batch: number, instances: batch, remaining: queue.length });
    const failed = await watchBatch(client, job, batch, old, watchMs, {
      intervalMs,
      backoff: 1,
      timeoutMs: options.batchTimeoutMs,
      signal: options.signal,
      onProgress: (p) => options.onProgress?.({ type: 'watch', batch: number, ...p }),
    });
    result.batches.push({ instances: batch, failed });
    options.onProgress?.({ type: 'batch-done', batch: number, healthy: batch.filter((i) => !failed.includes(i)), failed });
    for (const id of failed) result.failures[id] = (result.failures[id] ?? 0) + 1;
    // Aurora's restarter tries a failed instance again, after the others.
    queue.push(...failed);
    if (overLimit() > maxTotal) {
      const worst = Object.entries(result.failures)
        .filter(([, n]) => n > maxPerInstance)
        .map(([id, n]) => `instance ${id} failed ${n} time${n === 1 ? '' : 's'}`)
        .join(', ');
      throw new AuroraRestartFailedError(
        `restart of ${job.role}/${job.environment}/${job.name} stopped: ${overLimit()} instance${overLimit() === 1 ? '' : 's'} failed more than ${maxPerInstance} time${maxPerInstance === 1 ? '' : 's'} (${worst}), more than the ${maxTotal} failed instance${maxTotal === 1 ? '' : 's'} allowed; a failed instance's new task did not stay RUNNING for ${watchMs / 1000} s`,
        result,
      );
    }
  }
  return result;
}

interface WatchProgress {
  healthy: number[];
  failed: number[];
  /** Instances still watched, with what their new task is doing (restarting, PENDING, RUNNING, ...). */
  waiting: Record<number, string>;
}

/** Watches one batch until each instance is healthy or failed; resolves with the failed ones. */
async function watchBatch(client: AuroraClient, job: JobKeyInput, batch: number[], old: Set<string>, watchMs: number, wait: WaitOptions<WatchProgress>): Promise<number[]> {
  // Per instance: the new task first seen RUNNING and when (Aurora's Instance.birthday), then the verdict.
  const seen = new Map<number, { taskId: string; since: number }>();
  const verdict = new Map<number, boolean>();
  return waitUntil<number[], WatchProgress>(
    `restart of instances ${batch.join(',')} of ${job.role}/${job.environment}/${job.name}`,
    async () => {
      const { tasks = [] } = await client.getTasksWithoutConfigs({ jobKeys: [job], instanceIds: batch }, { signal: wait.signal });
      const now = Date.now();
      const waiting: Record<number, string> = {};
      for (const id of batch) {
        if (verdict.has(id)) continue;
        const current = newestNew(tasks, id, old);
        const first = seen.get(id);
        if (current === undefined) {
          waiting[id] = 'restarting';
        } else if (first === undefined) {
          if (current.status === ScheduleStatus.RUNNING) {
            seen.set(id, { taskId: current.assignedTask!.taskId!, since: now });
            waiting[id] = 'RUNNING';
          } else if (!ACTIVE_STATES.has(current.status!)) {
            verdict.set(id, false); // ended before it was ever RUNNING
          } else {
            waiting[id] = ScheduleStatus[current.status!] ?? String(current.status);
          }
        } else if (current.assignedTask!.taskId !== first.taskId || current.status !== ScheduleStatus.RUNNING) {
          verdict.set(id, false); // left RUNNING, or was replaced, before watchSecs
        } else if (now - first.since >= watchMs) {
          verdict.set(id, true);
        } else {
          waiting[id] = 'RUNNING'; // being watched (no seconds: progress reports changes, not a clock)
        }
      }
      const progress = {
        healthy: batch.filter((i) => verdict.get(i) === true),
        failed: batch.filter((i) => verdict.get(i) === false),
        waiting,
      };
      return verdict.size === batch.length ? { done: true, value: progress.failed, progress } : { done: false, progress };
    },
    wait,
  );
}

/** The instance's newest task that was not there before the restart. */
function newestNew(tasks: readonly ScheduledTask[], instance: number, old: Set<string>): ScheduledTask | undefined {
  let newest: ScheduledTask | undefined;
  for (const t of tasks) {
    if (t.assignedTask?.instanceId !== instance || old.has(t.assignedTask.taskId!)) continue;
    if (!newest || (t.taskEvents?.[0]?.timestamp ?? 0) >= (newest.taskEvents?.[0]?.timestamp ?? 0)) newest = t;
  }
  return newest;
}

function whole(field: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new AuroraValidationError(field, `expected a whole number >= ${min}, got ${String(value)}`);
  return value;
}

function positive(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new AuroraValidationError(field, `expected a number > 0, got ${String(value)}`);
  return value;
}
