/**
 * Read answers the local scheduler keeps between polls (getJobSummary, getJobs, getTasksStatus,
 * getJobUpdateSummaries) and the reply buffers it reuses: a poll repeated while nothing changed gets
 * the same answer, and the first poll after any change (a task's transition, a cron job scheduled or
 * its next run passing, an update's progress) sees it, in both protocols; replies encoded into reused
 * buffers arrive intact under concurrent calls, small and large. A real scheduler, real processes,
 * the real client over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { JobUpdateStatus, ScheduleStatus, type JobConfiguration, type JobSummary, type JobUpdateQuery } from '../../src/gen/types.js';
import { waitForUpdate } from '../../src/waiters/index.js';
import { shellExecutor, startTestScheduler, tasksOf, testJob, waitFor, waitForRunning, type TestScheduler } from '../support/scheduler.js';

let local: TestScheduler;
let clients: AuroraClient[];
// The injected cron clock: 2030-01-01 00:00:30 UTC, moved forward by the tests.
let clock = Date.UTC(2030, 0, 1, 0, 0, 30);

beforeAll(async () => {
  local = await startTestScheduler({ executors: [shellExecutor('sleeper', 'exec sleep 60')], cpus: 8, ramMb: 8192, cron: { now: () => clock, tickMs: 20 } });
  clients = [new AuroraClient({ url: local.url, protocol: 'binary' }), new AuroraClient({ url: local.url, protocol: 'json' })];
});

afterAll(async () => {
  for (const c of clients ?? []) c.close();
  await local?.close();
});

const service = (name: string, instances: number, data = 'v1'): JobConfiguration => testJob({ name, role: 'poll', environment: 'prod', instances, data, service: true });

/** The role's summaries in both protocols, which must agree, by job name. */
async function summaries(role: string): Promise<Map<string, JobSummary>> {
  const [binary, json] = await Promise.all(clients.map(async (c) => (await c.getJobSummary(role)).summaries ?? []));
  expect(json).toEqual(binary);
  return new Map(binary!.map((s) => [s.job!.key!.name!, s]));
}

describe('answers kept between polls', () => {
  it('getJobSummary and getJobs show every change at the next poll, cron runs included', async () => {
    const a = service('a', 3);
    const b = service('b', 1);
    const [client] = clients;
    await client!.createJob(a);
    await client!.createJob(b);
    await waitForRunning(client!, a.key!, 3);
    await waitForRunning(client!, b.key!, 1);

    const first = await summaries('poll');
    expect([...first.keys()]).toEqual(['a', 'b']);
    expect(first.get('a')!.job!.instanceCount).toBe(3);
    expect(first.get('a')!.stats).toEqual({ activeTaskCount: 3, finishedTaskCount: 0, failedTaskCount: 0, pendingTaskCount: 0 });
    expect(await summaries('poll')).toEqual(first);

    // A task's transition: the next poll counts it.
    await client!.killTasks(a.key!, [2], 'one less');
    await waitFor('instance 2 KILLED', async () => (await tasksOf(client!, a.key!, [ScheduleStatus.KILLED])).length === 1);
    const second = await summaries('poll');
    expect(second.get('a')!.job!.instanceCount).toBe(2);
    expect(second.get('a')!.stats).toEqual({ activeTaskCount: 2, finishedTaskCount: 1, failedTaskCount: 0, pendingTaskCount: 0 });
    for (const c of clients) expect((await c.getJobs('poll')).configs!.map((j) => [j.key!.name, j.instanceCount])).toEqual([['a', 2], ['b', 1]]);

    // A cron job in the same role, then its next run passing while no task changes.
    await client!.scheduleCronJob({ ...testJob({ name: 'c', role: 'poll', environment: 'prod' }), cronSchedule: '0 * * * *' });
    const third = await summaries('poll');
    expect([...third.keys()]).toEqual(['a', 'b', 'c']);
    expect(third.get('c')!.nextCronRunMs).toBe(Date.UTC(2030, 0, 1, 1, 0));
    expect(third.get('a')).toEqual(second.get('a'));
    clock = Date.UTC(2030, 0, 1, 1, 30);
    expect((await summaries('poll')).get('c')!.nextCronRunMs).toBe(Date.UTC(2030, 0, 1, 2, 0));

    // That run fired; descheduled, the job stays listed by its running task, without a schedule.
    const c = testJob({ name: 'c', role: 'poll', environment: 'prod' }).key!;
    await waitForRunning(client!, c, 1);
    await client!.descheduleCronJob(c);
    const fourth = await summaries('poll');
    expect([...fourth.keys()]).toEqual(['a', 'b', 'c']);
    expect(fourth.get('c')!.nextCronRunMs).toBeUndefined();
    expect(fourth.get('c')!.job!.cronSchedule).toBeUndefined();
    expect(fourth.get('c')!.stats!.activeTaskCount).toBe(1);
    await client!.killTasks(c, [], 'done');
    await waitFor('c gone', async () => !(await summaries('poll')).has('c'));
    expect((await summaries('nobody')).size).toBe(0);
  });

  it('getJobUpdateSummaries shows an update from its start to its end', async () => {
    const [client] = clients;
    const job = service('u', 2);
    await client!.createJob(job);
    await waitForRunning(client!, job.key!, 2);
    const query: JobUpdateQuery = { role: 'poll' };
    const states = async () => {
      const [binary, json] = await Promise.all(clients.map(async (c) => (await c.getJobUpdateSummaries(query)).updateSummaries ?? []));
      expect(json).toEqual(binary);
      return binary!.map((s) => [s.key!.job!.name, s.state!.status]);
    };
    expect(await states()).toEqual([]);

    const settings = { updateGroupSize: 2, maxPerInstanceFailures: 0, maxFailedInstances: 0, minWaitInInstanceRunningMs: 200, rollbackOnFailure: false, waitForBatchCompletion: false };
    const v2 = service('u', 2, 'v2');
    const key = (await client!.startJobUpdate({ taskConfig: v2.taskConfig, instanceCount: 2, settings }, 'to v2')).key!;
    expect(await states()).toEqual([['u', JobUpdateStatus.ROLLING_FORWARD]]);
    expect(await waitForUpdate(client!, key, { intervalMs: 50, backoff: 1, timeoutMs: 20_000 })).toBe(JobUpdateStatus.ROLLED_FORWARD);
    expect(await states()).toEqual([['u', JobUpdateStatus.ROLLED_FORWARD]]);
  });
});

describe('reply buffers', () => {
  it('carry each of many concurrent replies intact, small and larger than a buffer', async () => {
    const [client] = clients;
    // Two tasks with 100 KB of executor data each: getTasksStatus answers ~200 KB, past a 64 KB buffer.
    const big = testJob({ name: 'big', role: 'bulk', environment: 'prod', instances: 2, data: 'x'.repeat(100_000), service: true });
    await client!.createJob(big);
    await waitForRunning(client!, big.key!, 2);
    const calls = (c: AuroraClient) => [() => c.getTasksStatus({ role: 'bulk' }), () => c.getJobSummary('poll'), () => c.getTasksWithoutConfigs({ role: 'poll' }), () => c.getJobSummary('bulk')];
    const alone = await Promise.all(clients.map((c) => Promise.all(calls(c).map((call) => call()))));
    expect(JSON.stringify(alone[0]![0]).length).toBeGreaterThan(200_000);
    const together = await Promise.all(
      Array.from({ length: 48 }, (_, i) => {
        const c = clients[i % 2]!;
        return calls(c)[Math.floor(i / 2) % 4]!();
      }),
    );
    together.forEach((reply, i) => expect(reply).toEqual(alone[i % 2]![Math.floor(i / 2) % 4]));
  });
});
