/**
 * Role quotas on the local scheduler through the real client: production (tier `preferred`) jobs
 * need quota, consumption is reported per pool, and the quota cannot drop below what runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuroraClient } from '../../src/client/client.js';
import { ResponseCode, type JobConfiguration, type Resource, type TaskConfig } from '../../src/gen/types.js';
import { rejectionOf, shellExecutor, startTestScheduler, testJob, type TestScheduler } from '../support/scheduler.js';

const ROLE = 'quota-role';

let local: TestScheduler;
let client: AuroraClient;

beforeAll(async () => {
  local = await startTestScheduler({ executors: [shellExecutor('sleeper', 'exec sleep 60')], cpus: 8, ramMb: 8192 });
  client = local.client;
});

afterAll(async () => {
  await local?.close();
});

/** A production-environment service of ROLE. */
const job = (name: string, instances: number, task: Partial<TaskConfig> = {}): JobConfiguration =>
  testJob({ name, role: ROLE, environment: 'prod', instances, service: true, task });

/** A ResourceAggregate as plain numbers, e.g. { numCpus: 0.2, ramMb: 32, diskMb: 32 }. */
function plain(resources: Resource[] | undefined): Record<string, number> {
  return Object.assign({}, ...(resources ?? []).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined && v !== null))));
}

describe('quota', () => {
  it('rejects a production job over quota with Aurora details, admits it within quota, and reports consumption per pool', async () => {
    const empty = await client.getQuota(ROLE);
    expect(plain(empty.quota!.resources)).toEqual({});
    expect(plain(empty.prodSharedConsumption!.resources)).toEqual({});

    const prod = job('prod-web', 2, { tier: 'preferred' });
    const noQuota = await rejectionOf(client.createJob(prod));
    expect(noQuota.code).toBe(ResponseCode.INVALID_REQUEST);
    expect(noQuota.details).toEqual([
      'Insufficient resource quota: CPU quota exceeded by 0.20 core(s); RAM quota exceeded by 32.00 MB; disk quota exceeded by 32.00 MB',
    ]);

    await client.setQuota(ROLE, { resources: [{ numCpus: 0.5 }, { ramMb: 100 }, { diskMb: 1000 }] });
    await client.createJob(prod);
    // Non-production and dedicated jobs never need quota.
    await client.createJob(job('batchy', 3));
    await client.createJob(job('dedicated-prod', 1, { tier: 'preferred', constraints: [{ name: 'dedicated', constraint: { value: { negated: false, values: [`${ROLE}/db`] } } }] }));

    const quota = await client.getQuota(ROLE);
    expect(plain(quota.quota!.resources)).toEqual({ numCpus: 0.5, ramMb: 100, diskMb: 1000 });
    expect(plain(quota.prodSharedConsumption!.resources)).toEqual({ numCpus: 0.2, ramMb: 32, diskMb: 32 });
    expect(plain(quota.nonProdSharedConsumption!.resources).ramMb).toBe(48);
    expect(plain(quota.nonProdSharedConsumption!.resources).numCpus).toBeCloseTo(0.3);
    expect(plain(quota.prodDedicatedConsumption!.resources)).toEqual({ numCpus: 0.1, ramMb: 16, diskMb: 16 });
    expect(plain(quota.nonProdDedicatedConsumption!.resources)).toEqual({});

    // 0.2 + 4 × 0.1 CPUs is over 0.5; 32 + 4 × 16 MB of RAM fits in 100.
    const more = await rejectionOf(client.addInstances({ jobKey: prod.key!, instanceId: 0 }, 4));
    expect(more.details).toEqual(['Insufficient resource quota: CPU quota exceeded by 0.10 core(s)']);
    await client.addInstances({ jobKey: prod.key!, instanceId: 0 }, 1);
    expect(plain((await client.getQuota(ROLE)).prodSharedConsumption!.resources)).toMatchObject({ ramMb: 48, diskMb: 48 });
  });

  it('refuses a quota below the current production consumption, and negative values', async () => {
    const below = await rejectionOf(client.setQuota(ROLE, { resources: [{ numCpus: 0.1 }, { ramMb: 100 }, { diskMb: 1000 }] }));
    expect(below.code).toBe(ResponseCode.INVALID_REQUEST);
    expect(below.details[0]).toMatch(/^Quota: \{CPU=0\.1, RAM=100, disk=1000\} is less then current prod reservation: \{CPU=0\.3, RAM=48, disk=48\}$/);

    const negative = await rejectionOf(client.setQuota(ROLE, { resources: [{ numCpus: -1 }] }));
    expect(negative.details).toEqual(['Negative values in: {CPU=-1}']);
  });

  it('counts a rolling update as the larger of its old and new configs, and refuses one that grows past quota', async () => {
    const role = 'quota-update-role';
    const cpus = (n: number): Resource[] => [{ numCpus: n }, { ramMb: 16 }, { diskMb: 16 }];
    const grow: JobConfiguration = testJob({ name: 'grow', role, environment: 'prod', instances: 4, service: true, resources: cpus(0.1), task: { tier: 'preferred' } });
    await client.setQuota(role, { resources: [{ numCpus: 1 }, { ramMb: 1000 }, { diskMb: 1000 }] });
    await client.createJob(grow);
    const update = (perInstance: number) => ({
      taskConfig: { ...grow.taskConfig!, resources: cpus(perInstance) },
      instanceCount: 4,
      // A long watch keeps the update rolling while the test looks at the quota.
      settings: { updateGroupSize: 1, minWaitInInstanceRunningMs: 60_000 },
    });

    // Same instance count, bigger tasks: 4 × 0.3 CPUs is 0.2 over the quota (no instance is added).
    const over = await rejectionOf(client.startJobUpdate(update(0.3), 'too big'));
    expect(over.code).toBe(ResponseCode.INVALID_REQUEST);
    expect(over.details).toEqual(['Insufficient resource quota: CPU quota exceeded by 0.20 core(s)']);

    // 4 × 0.2 fits; while it rolls the job counts max(4 × 0.1, 4 × 0.2) = 0.8 CPUs, whatever runs right now.
    const { key } = await client.startJobUpdate(update(0.2), 'fits');
    const during = await client.getQuota(role);
    expect(plain(during.prodSharedConsumption!.resources).numCpus).toBeCloseTo(0.8);
    const another = await rejectionOf(client.createJob(testJob({ name: 'other', role, environment: 'prod', resources: cpus(0.3), task: { tier: 'preferred' } })));
    expect(another.details).toEqual(['Insufficient resource quota: CPU quota exceeded by 0.10 core(s)']);

    await client.abortJobUpdate(key!, 'done looking');
    await client.killTasks(grow.key!, [], 'test done');
  });

  it('counts a production cron template against quota', async () => {
    const cron: JobConfiguration = { ...job('prod-cron', 10, { tier: 'preferred', isService: false }), cronSchedule: '0 0 1 1 *' };
    const over = await rejectionOf(client.scheduleCronJob(cron));
    expect(over.details[0]).toMatch(/^Insufficient resource quota: CPU quota exceeded by 0\.80 core\(s\); RAM quota exceeded by 108\.00 MB$/);
    // 0.3 + 0.2 CPUs is exactly the quota (no floating-point crumbs count as an overage).
    await client.scheduleCronJob({ ...cron, instanceCount: 2 });
    const quota = await client.getQuota(ROLE);
    expect(plain(quota.prodSharedConsumption!.resources)).toMatchObject({ ramMb: 80, diskMb: 80 });
  });
});
