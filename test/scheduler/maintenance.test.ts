/**
 * Host maintenance on the local scheduler through the real client: draining this machine moves its
 * tasks DRAINING → KILLED and holds their replacements PENDING until maintenance ends; an SLA-aware
 * drain keeps enough instances RUNNING until its timeout.
 */
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuroraClient } from '../../src/client/client.js';
import { MaintenanceMode, ScheduleStatus } from '../../src/gen/types.js';
import { waitForMaintenance } from '../../src/waiters/index.js';
import { shellExecutor, startTestScheduler, tasksOf, testJob, waitFor, waitForRunning, type TestScheduler } from '../support/scheduler.js';

const HOST = hostname();

let local: TestScheduler;
let client: AuroraClient;

beforeAll(async () => {
  local = await startTestScheduler({
    executors: [shellExecutor('sleeper', 'exec sleep 60')],
    maintenance: { pollMs: 100, slaMinRequiredInstances: 1, slaAwareKillNonProd: true },
  });
  client = local.client;
});

afterAll(async () => {
  await local?.close();
});

const modes = (statuses: { host?: string; mode?: MaintenanceMode }[] | undefined) =>
  Object.fromEntries((statuses ?? []).map((s) => [s.host, MaintenanceMode[s.mode!]]));

describe('host maintenance', () => {
  it('drains this host: tasks DRAINING → KILLED, services held PENDING, host DRAINED; endMaintenance brings them back', async () => {
    const job = testJob({ name: 'web', role: 'ops', instances: 2, service: true });
    await client.createJob(job);
    const before = await waitForRunning(client, job.key!, 2);

    // Only hosts the scheduler has agents on are answered for.
    const status = await client.maintenanceStatus({ hostNames: [HOST, 'elsewhere.example'] });
    expect(modes(status.statuses)).toEqual({ [HOST]: 'NONE' });
    const scheduled = await client.startMaintenance({ hostNames: [HOST] });
    expect(modes(scheduled.statuses)).toEqual({ [HOST]: 'SCHEDULED' });
    // SCHEDULED alone changes nothing for the tasks.
    expect(await tasksOf(client, job.key!, [ScheduleStatus.RUNNING])).toHaveLength(2);

    const draining = await client.drainHosts({ hostNames: [HOST] });
    expect(modes(draining.statuses)).toEqual({ [HOST]: 'DRAINING' });
    await waitForMaintenance(client, [HOST], [MaintenanceMode.DRAINED], { timeoutMs: 10_000, intervalMs: 30, backoff: 1 });

    const drained = await tasksOf(client, job.key!, [ScheduleStatus.KILLED]);
    expect(drained.map((t) => t.assignedTask!.taskId).sort()).toEqual(before.map((t) => t.assignedTask!.taskId).sort());
    for (const t of drained) {
      expect(t.taskEvents!.map((e) => ScheduleStatus[e.status!])).toEqual(['PENDING', 'ASSIGNED', 'STARTING', 'RUNNING', 'DRAINING', 'KILLED']);
      expect(t.taskEvents!.find((e) => e.status === ScheduleStatus.DRAINING)!.message).toBe('Draining machine for maintenance.');
    }
    const pending = await tasksOf(client, job.key!, [ScheduleStatus.PENDING]);
    expect(pending).toHaveLength(2);
    // Aurora's maintenance veto, for the only agent there is.
    await waitFor('pending reasons', async () => {
      const reasons = (await client.getPendingReason({ jobKeys: [job.key!] })).reasons!.map((r) => r.reason);
      return reasons.length === 2 && reasons.every((r) => r === 'Host drained for maintenance') ? reasons : undefined;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(await tasksOf(client, job.key!, [ScheduleStatus.PENDING])).toHaveLength(2);

    const ended = await client.endMaintenance({ hostNames: [HOST] });
    expect(modes(ended.statuses)).toEqual({ [HOST]: 'NONE' });
    const back = await waitForRunning(client, job.key!, 2);
    expect(back.every((t) => t.ancestorId !== undefined)).toBe(true);
    expect(modes((await client.maintenanceStatus({ hostNames: [HOST] })).statuses)).toEqual({ [HOST]: 'NONE' });

    await client.killTasks(job.key!, [], 'done');
    await waitFor('no active task', async () => ((await tasksOf(client, job.key!, [ScheduleStatus.RUNNING, ScheduleStatus.KILLING])).length === 0 ? true : undefined));
  });

  it('leaves hosts no agent has out of every reply, as MaintenanceControllerImpl does', async () => {
    const other = 'agent-7.example';
    expect(modes((await client.startMaintenance({ hostNames: [other] })).statuses)).toEqual({});
    expect(modes((await client.drainHosts({ hostNames: [other, HOST] })).statuses)).toEqual({ [HOST]: 'DRAINED' });
    expect(modes((await client.maintenanceStatus({ hostNames: [other, HOST] })).statuses)).toEqual({ [HOST]: 'DRAINED' });
    expect(modes((await client.endMaintenance({ hostNames: [other, HOST] })).statuses)).toEqual({ [HOST]: 'NONE' });
  });

  it('slaDrainHosts keeps the SLA (2 of 3 instances RUNNING) until its timeout, then drains the rest', async () => {
    const job = testJob({ name: 'sla', role: 'ops', instances: 3, service: true });
    await client.createJob(job);
    await waitForRunning(client, job.key!, 3);

    const started = Date.now();
    const result = await client.slaDrainHosts({ hostNames: [HOST] }, { countSlaPolicy: { count: 2, durationSecs: 0 } }, 2);
    expect(modes(result.statuses)).toEqual({ [HOST]: 'DRAINING' });

    await waitFor('one drained instance', async () => ((await tasksOf(client, job.key!, [ScheduleStatus.KILLED])).length === 1 ? true : undefined));
    // Several polls later the other two still run: draining either would leave fewer than 2 RUNNING.
    await new Promise((r) => setTimeout(r, 600));
    expect(await tasksOf(client, job.key!, [ScheduleStatus.RUNNING])).toHaveLength(2);
    expect(await tasksOf(client, job.key!, [ScheduleStatus.KILLED])).toHaveLength(1);
    expect(modes((await client.maintenanceStatus({ hostNames: [HOST] })).statuses)).toEqual({ [HOST]: 'DRAINING' });

    // After timeoutSecs the drain is forced.
    await waitForMaintenance(client, [HOST], [MaintenanceMode.DRAINED], { timeoutMs: 10_000, intervalMs: 30, backoff: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(await tasksOf(client, job.key!, [ScheduleStatus.KILLED])).toHaveLength(3);
    expect(await tasksOf(client, job.key!, [ScheduleStatus.PENDING])).toHaveLength(3);

    await client.endMaintenance({ hostNames: [HOST] });
    await waitForRunning(client, job.key!, 3);
    await client.killTasks(job.key!, [], 'done');
  });
});
