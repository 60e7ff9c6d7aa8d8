/**
 * Cron jobs on the local scheduler through the real client: scheduling, firing on the minute (an
 * injected clock stands in for the wall clock), collision policies, startCronJob and the rejections
 * Aurora gives.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { AuroraResponseError } from '../../src/client/errors.js';
import { CronCollisionPolicy, ResponseCode, ScheduleStatus, type JobConfiguration, type JobKey, type ScheduledTask } from '../../src/gen/types.js';
import { startScheduler, type RunningScheduler } from '../../src/scheduler/index.js';

const EXECUTORS = [{ executor: { name: 'sleeper', command: { value: 'exec sleep 60', shell: true } }, task_prefix: '' }];

let scheduler: RunningScheduler;
let client: AuroraClient;
// 2030-01-01 00:00:30 UTC: the injected cron clock, moved forward by the tests.
let clock = Date.UTC(2030, 0, 1, 0, 0, 30);

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aurora-ts-cron-'));
  const config = join(dir, 'executors.json');
  writeFileSync(config, JSON.stringify(EXECUTORS));
  scheduler = await startScheduler({ port: 0, executors: config, cpus: 4, ramMb: 4096, killGraceMs: 300, cron: { now: () => clock, tickMs: 20 } });
  client = new AuroraClient({ url: scheduler.url });
});

afterAll(async () => {
  await scheduler?.close();
});

function cronJob(name: string, schedule: string | undefined, policy?: CronCollisionPolicy, instances = 2): JobConfiguration {
  const key: JobKey = { role: 'cron-role', environment: 'devel', name };
  return {
    key,
    owner: { user: 'tester' },
    instanceCount: instances,
    cronSchedule: schedule,
    cronCollisionPolicy: policy,
    taskConfig: {
      job: key,
      owner: { user: 'tester' },
      isService: false,
      resources: [{ numCpus: 0.1 }, { ramMb: 16 }, { diskMb: 16 }],
      executorConfig: { name: 'sleeper', data: '' },
    },
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

async function tasks(key: JobKey, statuses?: ScheduleStatus[]): Promise<ScheduledTask[]> {
  return (await client.getTasksStatus({ jobKeys: [key], statuses })).tasks ?? [];
}

async function running(key: JobKey, count: number): Promise<ScheduledTask[]> {
  return waitFor(`${count} RUNNING`, async () => {
    const t = await tasks(key, [ScheduleStatus.RUNNING]);
    return t.length === count ? t : undefined;
  });
}

async function rejection(call: Promise<unknown>): Promise<AuroraResponseError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuroraResponseError);
  return error as AuroraResponseError;
}

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
    expect(await tasks(job.key!)).toHaveLength(0);

    clock = Date.UTC(2030, 0, 1, 0, 5, 0);
    const first = await running(job.key!, 2);
    expect(first.map((t) => t.assignedTask!.instanceId).sort()).toEqual([0, 1]);

    // The next firing finds the first run still active: KILL_EXISTING (the default) replaces it.
    clock = Date.UTC(2030, 0, 1, 0, 10, 1);
    const second = await waitFor('a new run', async () => {
      const t = await tasks(job.key!, [ScheduleStatus.RUNNING]);
      return t.length === 2 && ids(t).every((id) => !ids(first).includes(id)) ? t : undefined;
    });
    expect(second).toHaveLength(2);
    const killed = await tasks(job.key!, [ScheduleStatus.KILLED]);
    expect(ids(killed)).toEqual(ids(first));
    expect(killed[0]!.taskEvents!.at(-1)!.message).toBe('Killed by cronScheduler');
    const next = (await client.getJobSummary('cron-role')).summaries!.find((s) => s.job!.key!.name === 'every-five')!;
    expect(next.nextCronRunMs).toBe(Date.UTC(2030, 0, 1, 0, 15));

    await client.descheduleCronJob(job.key!);
    await client.killTasks(job.key!, undefined, 'done');
  });

  it('skips a run under CANCEL_NEW while the previous one is active, and startCronJob runs a job now', async () => {
    const job = cronJob('new-year', '0 0 1 1 *', CronCollisionPolicy.CANCEL_NEW);
    await client.scheduleCronJob(job);
    expect(await tasks(job.key!)).toHaveLength(0);

    await client.startCronJob(job.key!);
    const first = await running(job.key!, 2);

    await client.startCronJob(job.key!);
    await new Promise((r) => setTimeout(r, 300));
    const after = await tasks(job.key!);
    expect(ids(after)).toEqual(ids(first));
    expect(after.every((t) => t.status === ScheduleStatus.RUNNING)).toBe(true);

    const missing = await rejection(client.startCronJob({ role: 'cron-role', environment: 'devel', name: 'nope' }));
    expect(missing.code).toBe(ResponseCode.INVALID_REQUEST);
    expect(missing.details).toEqual(['Failed to start cron job - No cron job found for cron-role/devel/nope.']);

    await client.descheduleCronJob(job.key!);
    await client.killTasks(job.key!, undefined, 'done');
  });

  it('rejects what Aurora rejects: createJob of a cron job, jobs without a valid schedule, RUN_OVERLAP, and adding instances', async () => {
    const job = cronJob('rules', '30 2 * * *');
    const viaCreate = await rejection(client.createJob(job));
    expect(viaCreate.details).toEqual(['Cron jobs may only be created/updated by calling scheduleCronJob.']);

    const noSchedule = await rejection(client.scheduleCronJob(cronJob('rules', undefined)));
    expect(noSchedule.details).toEqual(['Job cron-role/devel/rules has no cron schedule']);

    const bad = await rejection(client.scheduleCronJob(cronJob('rules', '0 0 * * 7')));
    expect(bad.code).toBe(ResponseCode.INVALID_REQUEST);
    expect(bad.details[0]).toMatch(/^Invalid cron schedule: .*day-of-week/);

    const overlap = await rejection(client.scheduleCronJob(cronJob('rules', '30 2 * * *', CronCollisionPolicy.RUN_OVERLAP)));
    expect(overlap.details).toEqual(['The RUN_OVERLAP collision policy has been removed (AURORA-38).']);

    const notYet = await rejection(client.replaceCronTemplate(job));
    expect(notYet.details).toEqual(['No cron job found for cron-role/devel/rules.']);

    await client.scheduleCronJob(job);
    const exists = await rejection(client.createJob({ ...job, cronSchedule: undefined }));
    expect(exists.details).toEqual(['Job cron-role/devel/rules already exists']);
    const add = await rejection(client.addInstances({ jobKey: job.key!, instanceId: 0 }, 1));
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
    const taken = await rejection(client.scheduleCronJob({ ...plain, cronSchedule: '* * * * *' }));
    expect(taken.details).toEqual(['Job cron-role/devel/plain already exists']);
    await client.killTasks(plain.key!, undefined, 'done');
  });
});
