/**
 * SLA checks on the local scheduler, end to end: slaDrainHosts asks a coordinator (a real HTTP server in
 * the test) before draining, and SLA-aware job updates (settings.slaAware) kill an old task only once its
 * count or coordinator SLA allows. Real scheduler, real processes, real client over HTTP, short timings.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuroraClient } from '../../src/client/client.js';
import {
  JobUpdateAction,
  JobUpdateStatus,
  MaintenanceMode,
  ScheduleStatus,
  type JobConfiguration,
  type JobKey,
  type JobUpdateDetails,
  type JobUpdateKey,
  type JobUpdateSettings,
  type SlaPolicy,
} from '../../src/gen/types.js';
import { askCoordinator } from '../../src/scheduler/sla.js';
import { waitForMaintenance, waitForUpdate } from '../../src/waiters/index.js';
import { shellExecutor, startTestScheduler, tasksOf, testJob, waitFor, waitForRunning, type TestScheduler } from '../support/scheduler.js';

const HOST = hostname();
const CLUSTER = 'local-ish-cluster';
const CHECKING = 'Checking SLA before continuing.';
const PASSED = 'SLA check passed, continuing.';

interface Seen {
  method: string;
  url: string;
  body: Record<string, unknown>;
}

/** A coordinator: records every request and answers with whatever `reply` says at the time. */
class Coordinator {
  readonly requests: Seen[] = [];
  reply: { status: number; body: string } | 'hang' = { status: 200, body: '{"drain": false}' };
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          // Recorded as empty; the assertions on the body then fail.
        }
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', body });
        const reply = this.reply;
        if (reply === 'hang') return;
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/sla`;
  }

  answer(status: number, body: string): void {
    this.reply = { status, body };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let local: TestScheduler;
let client: AuroraClient;
const coordinator = new Coordinator();

beforeAll(async () => {
  await coordinator.start();
  local = await startTestScheduler({
    clusterName: CLUSTER,
    executors: [shellExecutor('sleeper', 'exec sleep 60')],
    cpus: 8,
    ramMb: 8192,
    throttle: { minRunningMs: 2000, initialBackoffMs: 200, maxBackoffMs: 500 },
    maintenance: { pollMs: 100, slaMinRequiredInstances: 1, slaAwareKillNonProd: true, slaCoordinatorTimeoutMs: 1000 },
    updates: { slaKillRetryMinMs: 50, slaKillRetryMaxMs: 100 },
  });
  client = local.client;
  // Production jobs (SLA policies need a production tier) run against the role's quota.
  await client.setQuota('ops', { resources: [{ numCpus: 6 }, { ramMb: 4096 }, { diskMb: 4096 }] });
});

afterAll(async () => {
  await local?.close();
  await coordinator.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** slaDrainHosts' policy for tasks without one: drain at once. The tasks below carry their own, which must win. */
const DRAIN_AT_ONCE: SlaPolicy = { countSlaPolicy: { count: 0, durationSecs: 0 } };
const coordinated = (statusKey?: string): SlaPolicy => ({ coordinatorSlaPolicy: { coordinatorUrl: coordinator.url, statusKey } });
const service = (name: string, instances: number, slaPolicy: SlaPolicy, data = 'v1'): JobConfiguration =>
  testJob({ name, role: 'ops', environment: 'prod', instances, data, service: true, task: { tier: 'preferred', slaPolicy } });

async function cleanUp(key: JobKey): Promise<void> {
  await client.killTasks(key, [], 'done');
  await waitFor('no active task', async () => ((await tasksOf(client, key, [ScheduleStatus.RUNNING, ScheduleStatus.KILLING, ScheduleStatus.PENDING])).length === 0 ? true : undefined));
}

async function endMaintenance(): Promise<void> {
  await client.endMaintenance({ hostNames: [HOST] });
}

/** Requests for one task key, as the coordinator saw them. */
const asked = (key: string) => coordinator.requests.filter((r) => new URL(r.url, 'http://x').searchParams.get('task') === key);

describe('slaDrainHosts with a coordinator policy', () => {
  it('asks the coordinator (POST ?task=<key>, taskConfig and task in the body) and drains only once it says yes', async () => {
    const job = service('coord-drain', 1, coordinated());
    await client.createJob(job);
    const [task] = await waitForRunning(client, job.key!, 1);
    const taskKey = `${CLUSTER}/ops/prod/coord-drain/0`;
    coordinator.answer(200, '{"drain": false}');

    await client.slaDrainHosts({ hostNames: [HOST] }, DRAIN_AT_ONCE, 60);
    await waitFor('three coordinator requests', () => asked(taskKey).length >= 3);
    const first = asked(taskKey)[0]!;
    expect(first.method).toBe('POST');
    expect(first.url).toBe(`/sla?task=${taskKey}`);
    expect(first.body.task).toBe(taskKey);
    const sent = first.body.taskConfig as { assignedTask: { taskId: string; instanceId: number; task: { isService: number; job: JobKey } }; status: number };
    // Thrift simple JSON: field names, enums and booleans as numbers.
    expect(sent.assignedTask.taskId).toBe(task!.assignedTask!.taskId);
    expect(sent.assignedTask.instanceId).toBe(0);
    expect(sent.assignedTask.task.isService).toBe(1);
    expect(sent.assignedTask.task.job).toEqual(job.key);
    expect(sent.status).toBe(ScheduleStatus.RUNNING);
    expect(Number(first.body.forceMaintenanceCountdownMs)).toBeGreaterThan(50_000);
    // "No" holds the task.
    expect(await tasksOf(client, job.key!, [ScheduleStatus.RUNNING])).toHaveLength(1);
    expect((await client.maintenanceStatus({ hostNames: [HOST] })).statuses![0]!.mode).toBe(MaintenanceMode.DRAINING);

    coordinator.answer(200, '{"drain": true}');
    await waitForMaintenance(client, [HOST], [MaintenanceMode.DRAINED], { timeoutMs: 10_000, intervalMs: 30, backoff: 1 });
    const [drained] = await tasksOf(client, job.key!, [ScheduleStatus.KILLED]);
    expect(drained!.assignedTask!.taskId).toBe(task!.assignedTask!.taskId);
    expect(drained!.taskEvents!.find((e) => e.status === ScheduleStatus.DRAINING)!.message).toBe('Draining machine for maintenance.');

    await endMaintenance();
    await waitForRunning(client, job.key!, 1);
    await cleanUp(job.key!);
  });

  it('reads the answer under the policy’s statusKey', async () => {
    const job = service('coord-key', 1, coordinated('safe'));
    await client.createJob(job);
    await waitForRunning(client, job.key!, 1);
    const taskKey = `${CLUSTER}/ops/prod/coord-key/0`;
    // "drain" means nothing to this policy.
    coordinator.answer(200, '{"drain": true, "safe": false}');

    await client.slaDrainHosts({ hostNames: [HOST] }, DRAIN_AT_ONCE, 60);
    await waitFor('two coordinator requests', () => asked(taskKey).length >= 2);
    expect(await tasksOf(client, job.key!, [ScheduleStatus.RUNNING])).toHaveLength(1);

    coordinator.answer(200, '{"safe": true}');
    await waitForMaintenance(client, [HOST], [MaintenanceMode.DRAINED], { timeoutMs: 10_000, intervalMs: 30, backoff: 1 });
    expect(await tasksOf(client, job.key!, [ScheduleStatus.KILLED])).toHaveLength(1);

    await endMaintenance();
    await waitForRunning(client, job.key!, 1);
    await cleanUp(job.key!);
  });

  it('never drains on a 500 or an unreadable answer; the slaDrain timeout forces it', async () => {
    const job = service('coord-broken', 1, coordinated());
    await client.createJob(job);
    await waitForRunning(client, job.key!, 1);
    const taskKey = `${CLUSTER}/ops/prod/coord-broken/0`;
    coordinator.answer(500, '{"drain": true}');

    const started = Date.now();
    await client.slaDrainHosts({ hostNames: [HOST] }, DRAIN_AT_ONCE, 2);
    await waitFor('two coordinator requests', () => asked(taskKey).length >= 2);
    expect(await tasksOf(client, job.key!, [ScheduleStatus.RUNNING])).toHaveLength(1);
    coordinator.answer(200, 'drain: yes please');
    const before = asked(taskKey).length;
    await waitFor('more coordinator requests', () => asked(taskKey).length >= before + 2);
    expect(await tasksOf(client, job.key!, [ScheduleStatus.RUNNING])).toHaveLength(1);
    coordinator.answer(200, '["drain", true]');

    await waitForMaintenance(client, [HOST], [MaintenanceMode.DRAINED], { timeoutMs: 10_000, intervalMs: 30, backoff: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(await tasksOf(client, job.key!, [ScheduleStatus.KILLED])).toHaveLength(1);

    await endMaintenance();
    await waitForRunning(client, job.key!, 1);
    await cleanUp(job.key!);
  });

  it('gives up on a coordinator that does not answer in time', async () => {
    const job = service('coord-silent', 1, coordinated());
    await client.createJob(job);
    const [task] = await waitForRunning(client, job.key!, 1);
    coordinator.reply = 'hang';
    const started = Date.now();
    const allowed = await askCoordinator(task!, `${CLUSTER}/ops/prod/coord-silent/0`, { coordinatorUrl: coordinator.url }, {}, 300);
    expect(allowed).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
    // Nothing listens here: refused, not allowed.
    expect(await askCoordinator(task!, 'k', { coordinatorUrl: 'http://127.0.0.1:1/sla' }, {}, 1000)).toBe(false);
    coordinator.answer(200, '{"drain": false}');
    await cleanUp(job.key!);
  });
});

function settings(extra: JobUpdateSettings = {}): JobUpdateSettings {
  return {
    updateGroupSize: 1,
    maxPerInstanceFailures: 0,
    maxFailedInstances: 0,
    minWaitInInstanceRunningMs: 200,
    rollbackOnFailure: false,
    waitForBatchCompletion: false,
    slaAware: true,
    ...extra,
  };
}

async function details(key: JobUpdateKey): Promise<JobUpdateDetails> {
  const { detailsList } = await client.getJobUpdateDetails(key, { key });
  return detailsList![0]!;
}

async function status(key: JobUpdateKey): Promise<JobUpdateStatus> {
  return (await details(key)).update!.summary!.state!.status!;
}

/** The instance's events as `ACTION` or `ACTION: message`, oldest first. */
async function instanceEvents(key: JobUpdateKey, instanceId: number, update?: JobUpdateDetails): Promise<string[]> {
  return (update ?? (await details(key)))
    .instanceEvents!.filter((e) => e.instanceId === instanceId)
    .sort((a, b) => a.timestampMs! - b.timestampMs!)
    .map((e) => (e.message ? `${JobUpdateAction[e.action!]}: ${e.message}` : JobUpdateAction[e.action!]));
}

describe('SLA-aware updates', () => {
  it("uses the scheduler's slaMinRequiredInstances for which jobs may have a count policy, too", async () => {
    // This scheduler sets slaMinRequiredInstances 1 (Aurora's one -min_required_instances_for_sla_check flag).
    const small = service('small-counted', 3, { countSlaPolicy: { count: 2, durationSecs: 0 } });
    await client.createJob(small);
    await waitForRunning(client, small.key!, 3);
    await cleanUp(small.key!);
  });


  it('kills under a count policy only while 18 of 20 instances stay RUNNING', async () => {
    // Aurora accepts count/percentage policies only on jobs of at least 20 instances.
    const ids = [...Array(20).keys()];
    const job = service('counted', 20, { countSlaPolicy: { count: 18, durationSecs: 0 } });
    await client.createJob(job);
    await waitForRunning(client, job.key!, 20);

    // Sample the RUNNING count throughout the update.
    let sampling = true;
    let fewest = 20;
    const sampler = (async () => {
      while (sampling) {
        fewest = Math.min(fewest, (await tasksOf(client, job.key!, [ScheduleStatus.RUNNING])).length);
        await sleep(10);
      }
    })();

    const next = { ...job.taskConfig!, executorConfig: { name: 'sleeper', data: 'v2' } };
    // All twenty at once: only the SLA keeps eighteen running.
    const { key } = await client.startJobUpdate({ taskConfig: next, instanceCount: 20, settings: settings({ updateGroupSize: 20 }) }, 'sla update');
    const final = await waitForUpdate(client, key!, { intervalMs: 50, backoff: 1, timeoutMs: 20_000 });
    sampling = false;
    await sampler;

    expect(JobUpdateStatus[final]).toBe('ROLLED_FORWARD');
    expect(fewest).toBeGreaterThanOrEqual(18);
    const update = await details(key!);
    for (const id of ids) {
      expect(await instanceEvents(key!, id, update)).toEqual([
        'INSTANCE_UPDATING',
        `INSTANCE_UPDATING: ${CHECKING}`,
        `INSTANCE_UPDATING: ${PASSED}`,
        'INSTANCE_UPDATED',
      ]);
    }
    await waitForRunning(client, job.key!, 20, 'v2');
    await cleanUp(job.key!);
  });

  it('holds while the coordinator says no, stops asking while paused, and completes once it says yes', async () => {
    const job = service('coord-update', 1, coordinated());
    await client.createJob(job);
    const [old] = await waitForRunning(client, job.key!, 1);
    const taskKey = `${CLUSTER}/ops/prod/coord-update/0`;
    coordinator.answer(200, '{"drain": false}');

    const next = { ...job.taskConfig!, executorConfig: { name: 'sleeper', data: 'v2' } };
    const { key } = await client.startJobUpdate({ taskConfig: next, instanceCount: 1, settings: settings() }, 'coordinated');
    await waitFor('three coordinator requests', () => asked(taskKey).length >= 3);
    const first = asked(taskKey)[0]!;
    expect(first.method).toBe('POST');
    expect(first.url).toBe(`/sla?task=${taskKey}`);
    expect((first.body.taskConfig as { assignedTask: { taskId: string } }).assignedTask.taskId).toBe(old!.assignedTask!.taskId);
    expect(await instanceEvents(key!, 0)).toEqual(['INSTANCE_UPDATING', `INSTANCE_UPDATING: ${CHECKING}`]);
    expect(JobUpdateStatus[await status(key!)]).toBe('ROLLING_FORWARD');
    const running = await tasksOf(client, job.key!, [ScheduleStatus.RUNNING]);
    expect(running.map((t) => t.assignedTask!.taskId)).toEqual([old!.assignedTask!.taskId]);

    await client.pauseJobUpdate(key!, 'hold on');
    expect(JobUpdateStatus[await status(key!)]).toBe('ROLL_FORWARD_PAUSED');
    await sleep(300);
    const whilePaused = asked(taskKey).length;
    await sleep(500);
    expect(asked(taskKey).length).toBe(whilePaused);

    await client.resumeJobUpdate(key!, 'go on');
    await waitFor('requests after resuming', () => asked(taskKey).length > whilePaused);
    expect(await tasksOf(client, job.key!, [ScheduleStatus.RUNNING])).toHaveLength(1);

    coordinator.answer(200, '{"drain": true}');
    const final = await waitForUpdate(client, key!, { intervalMs: 50, backoff: 1, timeoutMs: 20_000 });
    expect(JobUpdateStatus[final]).toBe('ROLLED_FORWARD');
    // The checking event is recorded once, however often the update was paused and resumed.
    expect(await instanceEvents(key!, 0)).toEqual([
      'INSTANCE_UPDATING',
      `INSTANCE_UPDATING: ${CHECKING}`,
      `INSTANCE_UPDATING: ${PASSED}`,
      'INSTANCE_UPDATED',
    ]);
    const [killed] = await tasksOf(client, job.key!, [ScheduleStatus.KILLED]);
    expect(killed!.assignedTask!.taskId).toBe(old!.assignedTask!.taskId);
    expect(killed!.taskEvents!.find((e) => e.status === ScheduleStatus.KILLING)!.message).toBe(`Killed for job update ${key!.id}`);
    coordinator.answer(200, '{"drain": false}');
    await cleanUp(job.key!);
  });

  it('checks the new config’s policy rolling forward and the original config’s rolling back', async () => {
    const job = service('roll-back', 1, coordinated());
    await client.createJob(job);
    const [old] = await waitForRunning(client, job.key!, 1);
    const taskKey = `${CLUSTER}/ops/prod/roll-back/0`;
    // The original policy (status key "drain") says no; the new one (status key "v2") says yes.
    coordinator.answer(200, '{"drain": false, "v2": true}');

    const next = { ...job.taskConfig!, slaPolicy: coordinated('v2'), executorConfig: { name: 'sleeper', data: 'v2' } };
    // A long watch keeps the update rolling forward until the test rolls it back.
    const { key } = await client.startJobUpdate({ taskConfig: next, instanceCount: 1, settings: settings({ minWaitInInstanceRunningMs: 3000 }) }, 'to v2');
    const [v2] = await waitForRunning(client, job.key!, 1, 'v2');
    expect(v2!.assignedTask!.taskId).not.toBe(old!.assignedTask!.taskId);
    expect(await instanceEvents(key!, 0)).toEqual(['INSTANCE_UPDATING', `INSTANCE_UPDATING: ${CHECKING}`, `INSTANCE_UPDATING: ${PASSED}`]);
    const forward = asked(taskKey).length;
    expect(forward).toBeGreaterThanOrEqual(1);

    await client.rollbackJobUpdate(key!, 'back to v1');
    await waitFor('two more coordinator requests', () => asked(taskKey).length >= forward + 2);
    const sent = asked(taskKey)[forward]!.body.taskConfig as { assignedTask: { taskId: string } };
    expect(sent.assignedTask.taskId).toBe(v2!.assignedTask!.taskId);
    expect(JobUpdateStatus[await status(key!)]).toBe('ROLLING_BACK');
    expect((await instanceEvents(key!, 0)).slice(3)).toEqual(['INSTANCE_ROLLING_BACK', `INSTANCE_ROLLING_BACK: ${CHECKING}`]);
    expect((await tasksOf(client, job.key!, [ScheduleStatus.RUNNING])).map((t) => t.assignedTask!.taskId)).toEqual([v2!.assignedTask!.taskId]);

    coordinator.answer(200, '{"drain": true}');
    const final = await waitForUpdate(client, key!, { intervalMs: 50, backoff: 1, timeoutMs: 20_000 });
    expect(JobUpdateStatus[final]).toBe('ROLLED_BACK');
    expect((await instanceEvents(key!, 0)).slice(4)).toEqual([`INSTANCE_ROLLING_BACK: ${CHECKING}`, `INSTANCE_ROLLING_BACK: ${PASSED}`, 'INSTANCE_ROLLED_BACK']);
    await waitForRunning(client, job.key!, 1, 'v1');
    coordinator.answer(200, '{"drain": false}');
    await cleanUp(job.key!);
  });

  it('kills at once without slaAware, even with a policy that would hold', async () => {
    const job = service('not-aware', 1, coordinated());
    await client.createJob(job);
    await waitForRunning(client, job.key!, 1);
    const taskKey = `${CLUSTER}/ops/prod/not-aware/0`;
    coordinator.answer(200, '{"drain": false}');
    const next = { ...job.taskConfig!, executorConfig: { name: 'sleeper', data: 'v2' } };
    const { key } = await client.startJobUpdate({ taskConfig: next, instanceCount: 1, settings: settings({ slaAware: false }) }, 'plain');
    const final = await waitForUpdate(client, key!, { intervalMs: 50, backoff: 1, timeoutMs: 20_000 });
    expect(JobUpdateStatus[final]).toBe('ROLLED_FORWARD');
    expect(asked(taskKey)).toHaveLength(0);
    expect(await instanceEvents(key!, 0)).toEqual(['INSTANCE_UPDATING', 'INSTANCE_UPDATED']);
    await cleanUp(job.key!);
  });
});
