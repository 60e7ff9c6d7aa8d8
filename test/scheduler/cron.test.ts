/**
 * Cron jobs on the local scheduler through the real client: scheduling, firing on the minute (an
 * injected clock stands in for the wall clock), collision policies, startCronJob and the rejections
 * Aurora gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuroraClient } from '../../src/client/client.js';
import { CronCollisionPolicy, ResponseCode, ScheduleStatus, type JobConfiguration, type ScheduledTask } from '../../src/gen/types.js';
import { rejectionOf, shellExecutor, startTestScheduler, tasksOf, testJob, waitFor, waitForRunning, type TestScheduler } from '../support/scheduler.js';

let local: TestScheduler;
let client: AuroraClient;
// 2030-01-01 00:00:30 UTC: the injected cron clock, moved forward by the tests.
let clock = Date.UTC(2030, 0, 1, 0, 0, 30);

beforeAll(async () => {
  local = await startTestScheduler({ executors: [shellExecutor('sleeper', 'exec sleep 60')], cron: { now: () => clock, tickMs: 20 } });
  client = local.client;
});

afterAll(async () => {
  await local?.close();
});

const cronJob = (name: string, cronSchedule: string | undefined, cronCollisionPolicy?: CronCollisionPolicy, instances = 2): JobConfiguration => ({
  ...testJob({ name, role: 'cron-role', instances }),
  cronSchedule,
  cronCollisionPolicy,
});

const ids = (t: ScheduledTask[]) => t.map((x) => x.assignedTask!.taskId!).sort();

describe('cron jobs', () => {
  it('lists a scheduled job with its next run, fires it on the minute and kills the previous run under KILL_EXISTING', async () => {
    const job = cronJob('every-five', '*/5 * * * *');
    await client.scheduleCronJob(job);

    const summary = (await client.getJobSummary('cron-role')).summaries!.find((s) => s.job!.key!.name === 'every-five')!;
    expect(summary.nextCronRunMs).toBe(Date.UTC(2030, 0, 1, 0, 5));
    expect(summary.job!.cronSchedule).toBe('*/5 * * * *');
    const jobs = await client.getJobs('cron-role');
    expect(jobs.configs!.find((c) => c.key!.name === 'every-five')!.instanceCount).toBe(2);
    const roles = await client.getRoleSummary();
    expect(roles.summaries!.find((s) => s.role === 'cron-role')!.cronJobCount).toBeGreaterThanOrEqual(1);
    // Nothing runs before the schedule says so.
    await new Promise((r) => setTimeout(r, 100));
    expect(await tasksOf(client, job.key!)).toHaveLength(0);

    clock = Date.UTC(2030, 0, 1, 0, 5, 0);
    const first = await waitForRunning(client, job.key!, 2);
    expect(first.map((t) => t.assignedTask!.instanceId).sort()).toEqual([0, 1]);

    // The next firing finds the first run still active: KILL_EXISTING (the default) replaces it.
    clock = Date.UTC(2030, 0, 1, 0, 10, 1);
    const second = await waitFor('a new run', async () => {
      const t = await tasksOf(client, job.key!, [ScheduleStatus.RUNNING]);
      return t.length === 2 && ids(t).every((id) => !ids(first).includes(id)) ? t : undefined;
    });
    expect(second).toHaveLength(2);
    const killed = await tasksOf(client, job.key!, [ScheduleStatus.KILLED]);
    expect(ids(killed)).toEqual(ids(first));
    expect(killed[0]!.taskEvents!.at(-1)!.message).toBe('Killed by cronScheduler');
    const next = (await client.getJobSummary('cron-role')).summaries!.find((s) => s.job!.key!.name === 'every-five')!;
    expect(next.nextCronRunMs).toBe(Date.UTC(2030, 0, 1, 0, 15));

    await client.descheduleCronJob(job.key!);
    await client.killTasks(job.key!, [], 'done');
  });

  it('skips a run under CANCEL_NEW while the previous one is active, and startCronJob runs a job now', async () => {
    const job = cronJob('new-year', '0 0 1 1 *', CronCollisionPolicy.CANCEL_NEW);
    await client.scheduleCronJob(job);
    expect(await tasksOf(client, job.key!)).toHaveLength(0);

    await client.startCronJob(job.key!);
    const first = await waitForRunning(client, job.key!, 2);

    await client.startCronJob(job.key!);
    await new Promise((r) => setTimeout(r, 300));
    const after = await tasksOf(client, job.key!);
    expect(ids(after)).toEqual(ids(first));
    expect(after.every((t) => t.status === ScheduleStatus.RUNNING)).toBe(true);

    const missing = await rejectionOf(client.startCronJob({ role: 'cron-role', environment: 'devel', name: 'nope' }));
    expect(missing.code).toBe(ResponseCode.INVALID_REQUEST);
    expect(missing.details).toEqual(['Failed to start cron job - No cron job found for cron-role/devel/nope.']);

    await client.descheduleCronJob(job.key!);
    await client.killTasks(job.key!, [], 'done');
  });

  it('rejects what Aurora rejects: createJob of a cron job, jobs without a valid schedule, RUN_OVERLAP, and adding instances', async () => {
    const job = cronJob('rules', '30 2 * * *');
    const viaCreate = await rejectionOf(client.createJob(job));
    expect(viaCreate.details).toEqual(['Cron jobs may only be created/updated by calling scheduleCronJob.']);

    const noSchedule = await rejectionOf(client.scheduleCronJob(cronJob('rules', undefined)));
    expect(noSchedule.details).toEqual(['Job cron-role/devel/rules has no cron schedule']);

    const bad = await rejectionOf(client.scheduleCronJob(cronJob('rules', '0 0 * * 7')));
    expect(bad.code).toBe(ResponseCode.INVALID_REQUEST);
    expect(bad.details[0]).toMatch(/^Invalid cron schedule: .*day-of-week/);

    const overlap = await rejectionOf(client.scheduleCronJob(cronJob('rules', '30 2 * * *', CronCollisionPolicy.RUN_OVERLAP)));
    expect(overlap.details).toEqual(['The RUN_OVERLAP collision policy has been removed (AURORA-38).']);

    const notYet = await rejectionOf(client.replaceCronTemplate(job));
    expect(notYet.details).toEqual(['No cron job found for cron-role/devel/rules.']);

    await client.scheduleCronJob(job);
    const exists = await rejectionOf(client.createJob({ ...job, cronSchedule: undefined }));
    expect(exists.details).toEqual(['Job cron-role/devel/rules already exists']);
    const add = await rejectionOf(client.addInstances({ jobKey: job.key!, instanceId: 0 }, 1));
    expect(add.details).toEqual(['Instances may not be added to cron jobs.']);

    // replaceCronTemplate and a second scheduleCronJob both replace the template.
    await client.replaceCronTemplate({ ...job, cronSchedule: '45 3 * * *', instanceCount: 3 });
    let config = (await client.getJobs('cron-role')).configs!.find((c) => c.key!.name === 'rules')!;
    expect(config.cronSchedule).toBe('45 3 * * *');
    expect(config.instanceCount).toBe(3);
    await client.scheduleCronJob({ ...job, cronSchedule: '0 4 * * *' });
    config = (await client.getJobs('cron-role')).configs!.find((c) => c.key!.name === 'rules')!;
    expect(config.cronSchedule).toBe('0 4 * * *');

    const gone = await client.descheduleCronJob(job.key!);
    expect(gone.$response.details).toEqual([]);
    const again = await client.descheduleCronJob(job.key!);
    expect(again.$response.code).toBe(ResponseCode.OK);
    expect(again.$response.details).toEqual(['Job cron-role/devel/rules is not scheduled with cron']);
    expect((await client.getJobs('cron-role')).configs!.some((c) => c.key!.name === 'rules')).toBe(false);
  });

  it('does not let scheduleCronJob take over a running non-cron job', async () => {
    const plain = cronJob('plain', undefined, undefined, 1);
    await client.createJob(plain);
    const taken = await rejectionOf(client.scheduleCronJob({ ...plain, cronSchedule: '* * * * *' }));
    expect(taken.details).toEqual(['Job cron-role/devel/plain already exists']);
    await client.killTasks(plain.key!, [], 'done');
  });
});
