/**
 * Waiters and the high-level operations, against a real local scheduler: progress callbacks, a
 * timeout that carries the last observed state, an abort, and the gorealis-style operations.
 */
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraAbortError, AuroraValidationError } from '../../src/errors.js';
import { JobUpdateStatus, ScheduleStatus, type JobKey } from '../../src/gen/types.js';
import { Job } from '../../src/job/index.js';
import { JobUpdate } from '../../src/update/index.js';
import {
  abortUpdateAndWait,
  AuroraWaitTimeoutError,
  createService,
  instanceIds,
  removeInstances,
  restartJob,
  taskConfigOf,
  AuroraInstanceFailedError,
  waitForInstances,
  waitForJobGone,
  waitForUpdate,
  type InstancesProgress,
} from '../../src/waiters/index.js';
import { shellExecutor, startTestScheduler, tasksOf, waitFor, type TestScheduler } from '../support/scheduler.js';

let t: TestScheduler;

beforeAll(async () => {
  // `unfetchable` fails in the fetcher, before its process ever runs.
  const unfetchable = shellExecutor('unfetchable', 'exec sleep 60');
  (unfetchable.executor.command as { uris?: unknown[] }).uris = [{ value: '/nonexistent/aurora-ts/payload.tgz' }];
  t = await startTestScheduler({ executors: [shellExecutor('sleeper', 'exec sleep 60'), unfetchable] });
});

afterAll(async () => {
  await t?.close();
});

function service(name: string, executor = 'sleeper', data = 'v1'): Job {
  return Job.create({ role: 'ops', environment: 'devel', name }).service().instances(3).executor(executor, data).cpus(0.1).ramMb(16).diskMb(16);
}

describe('waiters', () => {
  it('waitForInstances reports progress until every instance is RUNNING', async () => {
    const job = service('progress');
    await t.client.createJob(job);
    const seen: InstancesProgress[] = [];
    const running = await waitForInstances(t.client, job.toConfig().key!, { intervalMs: 20, onProgress: (p) => seen.push(p) });
    expect(running).toHaveLength(3);
    expect(seen.at(-1)).toMatchObject({ ready: 3, total: 3, counts: { RUNNING: 3 } });
    expect(seen.every((p) => p.total === 3)).toBe(true);
  });

  it('times out with the last observed state, and stops on abort', async () => {
    const key: JobKey = { role: 'ops', environment: 'devel', name: 'progress' };
    const timeout = await waitForInstances(t.client, key, { states: [ScheduleStatus.FINISHED], timeoutMs: 200, intervalMs: 20 }).catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(AuroraWaitTimeoutError);
    expect((timeout as AuroraWaitTimeoutError<InstancesProgress>).lastProgress).toMatchObject({ ready: 0, counts: { RUNNING: 3 } });

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(waitForInstances(t.client, key, { states: [ScheduleStatus.FINISHED], signal: controller.signal, intervalMs: 20 })).rejects.toBeInstanceOf(
      AuroraAbortError,
    );
  });

  it('takes the Job builder itself, and reports progress only when it changed', async () => {
    const job = service('builder-ref');
    await t.client.createJob(job);
    const seen: InstancesProgress[] = [];
    expect(await waitForInstances(t.client, job, { intervalMs: 10, onProgress: (p) => seen.push(p) })).toHaveLength(3);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toEqual(seen[i - 1]);

    // Every poll now sees the same three RUNNING instances: one report, however many polls.
    let polls = 0;
    const counting = { getTasksWithoutConfigs: (...args: Parameters<typeof t.client.getTasksWithoutConfigs>) => (polls++, t.client.getTasksWithoutConfigs(...args)) };
    const unchanged: InstancesProgress[] = [];
    const timeout = await waitForInstances(counting as unknown as typeof t.client, job, {
      states: [ScheduleStatus.FINISHED],
      timeoutMs: 400,
      intervalMs: 10,
      backoff: 1,
      onProgress: (p) => unchanged.push(p),
    }).catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(AuroraWaitTimeoutError);
    expect(polls).toBeGreaterThan(3);
    expect(unchanged).toEqual([{ counts: { RUNNING: 3 }, ready: 0, total: 3 }]);
    await t.client.killTasks(job.jobKey, [], 'done');
    // How each instance ended, by instance: the KILLED task, not only "no active task left".
    const ended = await waitForJobGone(t.client, job, { intervalMs: 20 });
    expect(ended.map((task) => [task.assignedTask.instanceId, ScheduleStatus[task.status]])).toEqual([
      [0, 'KILLED'],
      [1, 'KILLED'],
      [2, 'KILLED'],
    ]);
  });

  it('a long wait on one AbortSignal leaves no abort listener behind and prints no MaxListenersExceededWarning', async () => {
    // 16 CPUs on this scheduler: PENDING for as long as the wait lasts.
    const job = Job.create({ role: 'ops', environment: 'devel', name: 'never-placed' }).service().executor('sleeper', 'v1').cpus(16).ramMb(16).diskMb(16);
    await t.client.createJob(job);
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    const controller = new AbortController();
    let polls = 0;
    const counting = { getTasksWithoutConfigs: (...args: Parameters<typeof t.client.getTasksWithoutConfigs>) => (polls++, t.client.getTasksWithoutConfigs(...args)) };
    try {
      const timeout = await waitForInstances(counting as unknown as typeof t.client, job, { signal: controller.signal, intervalMs: 2, backoff: 1, timeoutMs: 1_500 }).catch((e: unknown) => e);
      expect(timeout).toBeInstanceOf(AuroraWaitTimeoutError);
      expect((timeout as AuroraWaitTimeoutError<InstancesProgress>).lastProgress).toEqual({ counts: { PENDING: 1 }, ready: 0, total: 1 });
      // Node warns past 10 listeners on one signal: far more polls than that, each with a sleep on the signal.
      expect(polls).toBeGreaterThan(30);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      // A warning is emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      await t.client.killTasks(job.jobKey, [], 'done');
    }
  });

  it('waitForInstances fails early when instances die instead of starting', async () => {
    const job = Job.create({ role: 'ops', environment: 'devel', name: 'crashing' }).instances(2).executor('unfetchable').cpus(0.1).ramMb(16).diskMb(16);
    await t.client.createJob(job);
    const failed = await waitForInstances(t.client, job.toConfig().key!, { intervalMs: 20, timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(AuroraInstanceFailedError);
    expect(String(failed)).toMatch(/ended FAILED: Failed to fetch all URIs/);
    // The current task of each instance when the wait gave up, for a caller to say more than the first failure.
    const tasks = (failed as AuroraInstanceFailedError).tasks;
    expect(tasks.map((task) => task.assignedTask.instanceId)).toEqual([0, 1]);
    expect(tasks.some((task) => task.status === ScheduleStatus.FAILED)).toBe(true);
  });
});

describe('operations', () => {
  it('createService rolls a service out through an update, and reports an unchanged job', async () => {
    const job = service('via-update');
    const update = JobUpdate.for(job).batchSize(3).watchSecs(0);
    const key = await createService(t.client, update);
    expect(key?.id).toBeTruthy();
    const progress: string[] = [];
    expect(await waitForUpdate(t.client, key!, { intervalMs: 20, onProgress: (p) => progress.push(p.statusName) })).toBe(JobUpdateStatus.ROLLED_FORWARD);
    expect(progress.at(-1)).toBe('ROLLED_FORWARD');
    expect(await createService(t.client, update)).toBeUndefined();
    await expect(createService(t.client, JobUpdate.for(service('batch').service(false)))).rejects.toBeInstanceOf(AuroraValidationError);
  });

  it('finds instances, removes the highest ones, restarts the rest, reads a running config', async () => {
    const key: JobKey = { role: 'ops', environment: 'devel', name: 'via-update' };
    await waitForInstances(t.client, key, { intervalMs: 20 });
    expect(await instanceIds(t.client, key)).toEqual([0, 1, 2]);
    expect((await taskConfigOf(t.client, key, 1))?.executorConfig).toEqual({ name: 'sleeper', data: 'v1' });

    expect(await removeInstances(t.client, key, 1)).toEqual([2]);
    await waitFor('instance 2 gone', async () => ((await instanceIds(t.client, key)).length === 2 ? true : undefined));
    await expect(removeInstances(t.client, key, 5)).rejects.toThrow(/has 2 active instance\(s\); cannot remove 5/);

    const before = (await tasksOf(t.client, key, [ScheduleStatus.RUNNING])).map((x) => x.assignedTask!.taskId);
    expect(await restartJob(t.client, key)).toEqual([0, 1]);
    const after = await waitForInstances(t.client, key, { intervalMs: 20, count: 2 });
    for (const task of after) expect(before).not.toContain(task.assignedTask!.taskId);
  });

  it('abortUpdateAndWait stops an update that is waiting to watch its instances', async () => {
    const key: JobKey = { role: 'ops', environment: 'devel', name: 'via-update' };
    const started = await t.client.startJobUpdate(JobUpdate.for(service('via-update', 'sleeper', 'v2').instances(2)).batchSize(1).watchSecs(30), 'slow');
    expect(await abortUpdateAndWait(t.client, started.key!, 'changed my mind', { intervalMs: 20 })).toBe(JobUpdateStatus.ABORTED);
    await t.client.killTasks(key, [], 'done');
    await waitForJobGone(t.client, key, { intervalMs: 20 });
    expect(await instanceIds(t.client, key)).toEqual([]);
  });
});
