/**
 * The SDK's rolling restart against a real local scheduler and real processes: batches in order,
 * every instance on a new task that stayed RUNNING; and a job whose restarted tasks crash, where
 * failed instances are tried again and the restart stops at its failure limits.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraValidationError } from '../../src/errors.js';
import { ScheduleStatus, type JobKey } from '../../src/gen/types.js';
import { jobUptime, jobUptimeOf, taskUpCount, taskUpCountOf } from '../../src/sla/index.js';
import { AuroraRestartFailedError, rollingRestart, type RestartProgress } from '../../src/waiters/index.js';
import { errorOf, shellExecutor, startTestScheduler, tasksOf, testJob, waitForRunning, type TestScheduler } from '../support/scheduler.js';

let t: TestScheduler;
const dir = mkdtempSync(join(tmpdir(), 'aurora-ts-restart-'));
const broken = join(dir, 'broken');

beforeAll(async () => {
  // `fragile` runs for good until `broken` exists; from then on each new task dies after half a second.
  t = await startTestScheduler({
    executors: [shellExecutor('sleeper', 'exec sleep 60'), shellExecutor('fragile', `if [ -e ${broken} ]; then sleep 0.5; exit 1; fi; exec sleep 60`)],
  });
});

afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function runningIds(key: JobKey): Promise<Map<number, string>> {
  const tasks = await tasksOf(t.client, key, [ScheduleStatus.RUNNING]);
  return new Map(tasks.map((task) => [task.assignedTask!.instanceId!, task.assignedTask!.taskId!]));
}

describe('rollingRestart', () => {
  it('restarts batch by batch, each instance on a new task that stayed RUNNING for watchSecs', { timeout: 60_000 }, async () => {
    const key: JobKey = { role: 'www-data', environment: 'devel', name: 'rolling' };
    await t.client.createJob(testJob({ name: 'rolling', instances: 3, service: true }));
    await waitForRunning(t.client, key, 3);
    const before = await runningIds(key);
    const events: RestartProgress[] = [];
    const started = Date.now();
    const result = await rollingRestart(t.client, key, { batchSize: 2, watchSecs: 1, healthCheckIntervalSecs: 0.2, onProgress: (e) => events.push(e) });
    expect(result).toEqual({ job: key, instances: [0, 1, 2], batches: [{ instances: [0, 1], failed: [] }, { instances: [2], failed: [] }], failures: {} });
    // Two batches, each watched for at least its second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    const after = await runningIds(key);
    for (const id of [0, 1, 2]) expect(after.get(id)).not.toBe(before.get(id));
    expect(events.filter((e) => e.type !== 'watch')).toEqual([
      { type: 'batch', batch: 1, instances: [0, 1], remaining: 1 },
      { type: 'batch-done', batch: 1, healthy: [0, 1], failed: [] },
      { type: 'batch', batch: 2, instances: [2], remaining: 0 },
      { type: 'batch-done', batch: 2, healthy: [2], failed: [] },
    ]);
    expect(events.some((e) => e.type === 'watch' && Object.values(e.waiting).some((w) => /^RUNNING/.test(w)))).toBe(true);
  });

  it('tries a failed instance again and stops once the limits are passed', { timeout: 90_000 }, async () => {
    const key: JobKey = { role: 'www-data', environment: 'devel', name: 'fragile' };
    await t.client.createJob(testJob({ name: 'fragile', executor: 'fragile', instances: 3, service: true }));
    await waitForRunning(t.client, key, 3);
    writeFileSync(broken, '');
    // A failed instance is known as soon as its new task ends: a long watch costs no time here, and a
    // loaded machine would have to stall for 10 s before a task that lives half a second passed it.
    const error = await errorOf(rollingRestart(t.client, key, { watchSecs: 10, healthCheckIntervalSecs: 0.2, maxPerInstanceFailures: 1, maxTotalFailures: 0 }));
    expect(error).toBeInstanceOf(AuroraRestartFailedError);
    const failure = error as AuroraRestartFailedError;
    // 0 fails, goes to the back; 1 and 2 fail; 0 fails a second time: one instance over its limit of 1.
    expect(failure.message).toBe(
      'restart of www-data/devel/fragile stopped: 1 instance failed more than 1 time (instance 0 failed 2 times), more than the 0 failed instances allowed; a failed instance\'s new task did not stay RUNNING for 10 s',
    );
    expect(failure.result.batches).toEqual([
      { instances: [0], failed: [0] },
      { instances: [1], failed: [1] },
      { instances: [2], failed: [2] },
      { instances: [0], failed: [0] },
    ]);
    expect(failure.result.failures).toEqual({ 0: 2, 1: 1, 2: 1 });
  });

  it('refuses bad limits before restarting anything', async () => {
    const key: JobKey = { role: 'www-data', environment: 'devel', name: 'rolling' };
    const before = await runningIds(key);
    for (const [options, field] of [
      [{ batchSize: 0 }, 'batchSize'],
      [{ watchSecs: -1 }, 'watchSecs'],
      [{ maxTotalFailures: 1.5 }, 'maxTotalFailures'],
      [{ instances: [] }, 'instances'],
    ] as const) {
      const error = await errorOf(rollingRestart(t.client, key, options));
      expect(error).toBeInstanceOf(AuroraValidationError);
      expect((error as AuroraValidationError).field).toBe(field);
    }
    expect(await runningIds(key)).toEqual(before);
  });
});

describe('SLA figures from the SDK', () => {
  it("computes Aurora's get-job-uptime and get-task-up-count from the job's tasks", async () => {
    const key: JobKey = { role: 'www-data', environment: 'devel', name: 'rolling' };
    const tasks = await tasksOf(t.client, key, [ScheduleStatus.RUNNING]);
    expect(tasks).toHaveLength(3);
    // Seconds since each instance's RUNNING event, seen from a clock 100 s after the latest of them.
    const since = tasks.map((task) => task.taskEvents!.filter((e) => e.status === ScheduleStatus.RUNNING).at(-1)!.timestamp!);
    const now = Math.max(...since) + 100_000;
    const ups = since.map((s) => (now - s) / 1000).sort((a, b) => b - a);
    expect(jobUptimeOf(tasks, [50, 100], now)).toEqual({
      instances: 3,
      running: 3,
      percentiles: [
        { percentile: 50, seconds: Math.floor(ups[1]!) },
        { percentile: 100, seconds: Math.floor(ups[2]!) },
      ],
    });
    expect(taskUpCountOf(tasks, [0, 100, 3600], now)).toEqual([
      { durationSecs: 0, up: 3, instances: 3, percentage: 100 },
      { durationSecs: 100, up: 3, instances: 3, percentage: 100 },
      { durationSecs: 3600, up: 0, instances: 3, percentage: 0 },
    ]);
    // Live, against the scheduler: every instance running, none for an hour yet.
    expect(await jobUptime(t.client, key)).toMatchObject({ instances: 3, running: 3 });
    expect((await taskUpCount(t.client, key, [3600]))[0]).toEqual({ durationSecs: 3600, up: 0, instances: 3, percentage: 0 });
    expect(() => jobUptimeOf(tasks, [0])).toThrow('percentiles: 0 is not a percentage in (0, 100]');
  });
});
