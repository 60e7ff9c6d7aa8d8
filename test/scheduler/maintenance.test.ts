/**
 * Host maintenance on the local scheduler through the real client: draining this machine moves its
 * tasks DRAINING → KILLED and holds their replacements PENDING until maintenance ends; an SLA-aware
 * drain keeps enough instances RUNNING until its timeout.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { MaintenanceMode, ScheduleStatus, type JobConfiguration, type JobKey, type ScheduledTask } from '../../src/gen/types.js';
import { startScheduler, type RunningScheduler } from '../../src/scheduler/index.js';
import { waitForMaintenance } from '../../src/waiters/index.js';

const EXECUTORS = [{ executor: { name: 'sleeper', command: { value: 'exec sleep 60', shell: true } }, task_prefix: '' }];
const HOST = hostname();

let scheduler: RunningScheduler;
let client: AuroraClient;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aurora-ts-maintenance-'));
  const config = join(dir, 'executors.json');
  writeFileSync(config, JSON.stringify(EXECUTORS));
  scheduler = await startScheduler({
    port: 0,
    executors: config,
    cpus: 4,
    ramMb: 4096,
    killGraceMs: 300,
    throttle: { minRunningMs: 0, initialBackoffMs: 0, maxBackoffMs: 0 },
    maintenance: { pollMs: 100, slaMinRequiredInstances: 1, slaAwareKillNonProd: true },
  });
  client = new AuroraClient({ url: scheduler.url });
});

afterAll(async () => {
  await scheduler?.close();
});

function service(name: string, instances: number): JobConfiguration {
  const key: JobKey = { role: 'ops', environment: 'devel', name };
  return {
    key,
    owner: { user: 'tester' },
    instanceCount: instances,
    taskConfig: {
      job: key,
      owner: { user: 'tester' },
      isService: true,
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

const modes = (statuses: { host?: string; mode?: MaintenanceMode }[] | undefined) =>
  Object.fromEntries((statuses ?? []).map((s) => [s.host, MaintenanceMode[s.mode!]]));

describe('host maintenance', () => {
  it('drains this host: tasks DRAINING → KILLED, services held PENDING, host DRAINED; endMaintenance brings them back', async () => {
    const job = service('web', 2);
    await client.createJob(job);
    const before = await running(job.key!, 2);

    const status = await client.maintenanceStatus({ hostNames: [HOST, 'elsewhere.example'] });
    expect(modes(status.statuses)).toEqual({ [HOST]: 'NONE', 'elsewhere.example': 'NONE' });
    const scheduled = await client.startMaintenance({ hostNames: [HOST] });
    expect(modes(scheduled.statuses)).toEqual({ [HOST]: 'SCHEDULED' });
    // SCHEDULED alone changes nothing for the tasks.
    expect(await tasks(job.key!, [ScheduleStatus.RUNNING])).toHaveLength(2);

    const draining = await client.drainHosts({ hostNames: [HOST] });
    expect(modes(draining.statuses)).toEqual({ [HOST]: 'DRAINING' });
    await waitForMaintenance(client, [HOST], [MaintenanceMode.DRAINED], { timeoutMs: 10_000, intervalMs: 30, backoff: 1 });

    const drained = await tasks(job.key!, [ScheduleStatus.KILLED]);
    expect(drained.map((t) => t.assignedTask!.taskId).sort()).toEqual(before.map((t) => t.assignedTask!.taskId).sort());
    for (const t of drained) {
      expect(t.taskEvents!.map((e) => ScheduleStatus[e.status!])).toEqual(['PENDING', 'ASSIGNED', 'STARTING', 'RUNNING', 'DRAINING', 'KILLED']);
      expect(t.taskEvents!.find((e) => e.status === ScheduleStatus.DRAINING)!.message).toBe('Draining machine for maintenance.');
    }
    const pending = await tasks(job.key!, [ScheduleStatus.PENDING]);
    expect(pending).toHaveLength(2);
    const reasons = await client.getPendingReason({ jobKeys: [job.key!] });
    expect(reasons.reasons!.map((r) => r.reason)).toEqual(['Host is in maintenance', 'Host is in maintenance']);
    await new Promise((r) => setTimeout(r, 300));
    expect(await tasks(job.key!, [ScheduleStatus.PENDING])).toHaveLength(2);

    const ended = await client.endMaintenance({ hostNames: [HOST] });
    expect(modes(ended.statuses)).toEqual({ [HOST]: 'NONE' });
    const back = await running(job.key!, 2);
    expect(back.every((t) => t.ancestorId !== undefined)).toBe(true);
    expect(modes((await client.maintenanceStatus({ hostNames: [HOST] })).statuses)).toEqual({ [HOST]: 'NONE' });

    await client.killTasks(job.key!, undefined, 'done');
    await waitFor('no active task', async () => ((await tasks(job.key!, [ScheduleStatus.RUNNING, ScheduleStatus.KILLING])).length === 0 ? true : undefined));
  });

  it('tracks other hosts: they hold no tasks, so a drain makes them DRAINED at once', async () => {
    const other = 'agent-7.example';
    expect(modes((await client.startMaintenance({ hostNames: [other] })).statuses)).toEqual({ [other]: 'SCHEDULED' });
    expect(modes((await client.drainHosts({ hostNames: [other] })).statuses)).toEqual({ [other]: 'DRAINED' });
    expect(modes((await client.maintenanceStatus({ hostNames: [other] })).statuses)).toEqual({ [other]: 'DRAINED' });
    expect(modes((await client.endMaintenance({ hostNames: [other] })).statuses)).toEqual({ [other]: 'NONE' });
  });

  it('slaDrainHosts keeps the SLA (2 of 3 instances RUNNING) until its timeout, then drains the rest', async () => {
    const job = service('sla', 3);
    await client.createJob(job);
    await running(job.key!, 3);

    const started = Date.now();
    const result = await client.slaDrainHosts({ hostNames: [HOST] }, { countSlaPolicy: { count: 2, durationSecs: 0 } }, 2);
    expect(modes(result.statuses)).toEqual({ [HOST]: 'DRAINING' });

    await waitFor('one drained instance', async () => ((await tasks(job.key!, [ScheduleStatus.KILLED])).length === 1 ? true : undefined));
    // Several polls later the other two still run: draining either would leave fewer than 2 RUNNING.
    await new Promise((r) => setTimeout(r, 600));
    expect(await tasks(job.key!, [ScheduleStatus.RUNNING])).toHaveLength(2);
    expect(await tasks(job.key!, [ScheduleStatus.KILLED])).toHaveLength(1);
    expect(modes((await client.maintenanceStatus({ hostNames: [HOST] })).statuses)).toEqual({ [HOST]: 'DRAINING' });

    // After timeoutSecs the drain is forced.
    await waitForMaintenance(client, [HOST], [MaintenanceMode.DRAINED], { timeoutMs: 10_000, intervalMs: 30, backoff: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(await tasks(job.key!, [ScheduleStatus.KILLED])).toHaveLength(3);
    expect(await tasks(job.key!, [ScheduleStatus.PENDING])).toHaveLength(3);

    await client.endMaintenance({ hostNames: [HOST] });
    await running(job.key!, 3);
    await client.killTasks(job.key!, undefined, 'done');
  });
});
