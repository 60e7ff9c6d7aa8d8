/**
 * The task lifecycle through its seams, without processes: fake agents (an AgentPool) and a fake
 * agent driver whose tasks end when the test says, and a fake clock. Placement decides, the lifecycle
 * applies the plan through the driver, and maintenance modes in the pool change where tasks go. Then
 * the real driver's launch limit, held per instance.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobUpdateAction, JobUpdateStatus, MaintenanceMode, ScheduleStatus, type TaskConfig } from '../../src/gen/types.js';
import { LocalAgentDriver, type AgentDriver } from '../../src/scheduler/agents/driver.js';
import { AgentPool } from '../../src/scheduler/agents/pool.js';
import { TaskLifecycle } from '../../src/scheduler/lifecycle.js';
import { UpdateController } from '../../src/scheduler/updates/controller.js';
import { JobUpdateStore, type NewUpdate } from '../../src/scheduler/updates/store.js';
import type { LaunchHooks, LaunchSpec, RunningTask, TaskOutcome } from '../../src/scheduler/runner/index.js';
import { waitFor } from '../support/scheduler.js';
import { taskConfig } from '../support/task-config.js';

/** A driver whose launches run at once and end when `finish` is called. */
class FakeDriver implements AgentDriver {
  readonly launched: LaunchSpec[] = [];
  private readonly endings = new Map<string, (outcome: TaskOutcome) => void>();

  /** Tasks whose executor data is this fail as soon as they run. */
  failing = 'bad';

  launch(spec: LaunchSpec, hooks: LaunchHooks): RunningTask {
    this.launched.push(spec);
    const fails = spec.env?.['EXECUTOR_DATA'] === this.failing;
    let end!: (outcome: TaskOutcome) => void;
    const done = new Promise<TaskOutcome>((resolve) => (end = resolve));
    this.endings.set(spec.taskId, end);
    queueMicrotask(() => {
      hooks.onStarting?.();
      hooks.onRunning?.(1);
      if (fails) setImmediate(() => end({ state: 'FAILED', message: 'bad config' }));
    });
    return { taskId: spec.taskId, pid: 1, identity: undefined, started: Promise.resolve(), done, kill: (reason) => (end({ state: 'KILLED', message: reason ?? 'Killed' }), done) };
  }
  finish(taskId: string, outcome: TaskOutcome): void {
    this.endings.get(taskId)?.(outcome);
  }
  adopt(): Promise<RunningTask | undefined> {
    return Promise.resolve(undefined);
  }
  recordedOutcome(): Promise<TaskOutcome | undefined> {
    return Promise.resolve(undefined);
  }
  killOrphans(): Promise<void> {
    return Promise.resolve();
  }
  killNowSync(): void {
    // Fake tasks have no processes.
  }

  freePorts(count: number): Promise<number[]> {
    return Promise.resolve(Array.from({ length: count }, (_, i) => 40_000 + i));
  }
}

const config = (constraints: TaskConfig['constraints'] = []): TaskConfig =>
  taskConfig({
    job: { role: 'www-data', environment: 'prod', name: 'web' },
    isService: true,
    constraints,
    resources: [{ numCpus: 1 }, { ramMb: 64 }, { diskMb: 64 }, { namedPort: 'http' }],
  });

function lifecycleOn(driver: AgentDriver, pool: AgentPool, now: () => number): TaskLifecycle {
  return new TaskLifecycle({
    // Tasks that ran less than a minute of the fake clock wait THROTTLED for a second of real time.
    throttle: { minRunningMs: 60_000, initialBackoffMs: 1000, maxBackoffMs: 1000 },
    schedulerHost: 'scheduler-host',
    agents: pool,
    driver,
    demand: () => ({ cpus: 1, ramMb: 64, diskMb: 64 }),
    launchSpec: (task) => ({
      taskId: task.assignedTask!.taskId!,
      executorId: 'e',
      sandboxDir: '/nonexistent',
      command: { value: 'true', shell: false },
      env: { EXECUTOR_DATA: task.assignedTask!.task!.executorConfig?.data ?? '' },
    }),
    now,
  });
}

describe('the lifecycle through its seams', () => {
  it('applies placement through the driver: hosts, slave ids, ports from ranges, vetoes, and maintenance from the pool', async () => {
    let clock = 1_000_000;
    const driver = new FakeDriver();
    const pool = new AgentPool(
      [
        { host: 'a1', attributes: { zone: 'west' }, resources: { cpus: 2, ramMb: 1024, ports: '31000-31001' } },
        { host: 'a2', attributes: { zone: 'east' }, resources: { cpus: 2, ramMb: 1024 } },
      ],
      { cpus: 1, ramMb: 1, diskMb: 1_000 },
    );
    const lifecycle = lifecycleOn(driver, pool, () => clock);
    const tasks = lifecycle.insertPending(config([{ name: 'zone', constraint: { limit: { limit: 1 } } }]), [0, 1, 2]);
    await waitFor('2 RUNNING', () => tasks.filter((t) => t.status === ScheduleStatus.RUNNING).length === 2 || undefined);
    await lifecycle.idle();
    const running = tasks.filter((t) => t.status === ScheduleStatus.RUNNING);
    expect(running.map((t) => [t.assignedTask!.slaveHost, t.assignedTask!.slaveId, t.assignedTask!.assignedPorts])).toEqual([
      ['a1', 'a1-aurora-ts-local', { http: 31000 }],
      ['a2', 'a2-aurora-ts-local', { http: 40000 }],
    ]);
    // Events carry the fake clock and the scheduler's host, not the agent's.
    expect(running[0]!.taskEvents!.map((e) => [e.timestamp, e.scheduler])).toEqual(Array(4).fill([1_000_000, 'scheduler-host']));
    const pending = tasks.find((t) => t.status === ScheduleStatus.PENDING)!;
    expect(lifecycle.pendingReason(pending.assignedTask!.taskId!)).toBe('Limit not satisfied: zone');

    // a1 drains; the task on a2 fails. The older pending task goes first (same priority, older) and takes
    // a2; the replacement finds a1 drained and a2 holding the zone's one task.
    clock += 120_000;
    pool.setMode('a1', MaintenanceMode.DRAINED);
    driver.finish(running[1]!.assignedTask!.taskId!, { state: 'FAILED', message: 'boom' });
    await waitFor('the old pending task RUNNING', () => pending.status === ScheduleStatus.RUNNING || undefined);
    await lifecycle.idle();
    expect(pending.assignedTask!.slaveHost).toBe('a2');
    const replacement = lifecycle.store.all().find((t) => t.ancestorId === running[1]!.assignedTask!.taskId)!;
    expect(replacement.status).toBe(ScheduleStatus.PENDING);
    // Nearest fit: the limit on a2 (score 10,000) beats a1's maintenance veto (100,000).
    expect(lifecycle.pendingReason(replacement.assignedTask!.taskId!)).toBe('Limit not satisfied: zone');
    expect(driver.launched).toHaveLength(3);
    await lifecycle.close('done');
  });
});

describe('the update controller on fake agents', () => {
  const v = (data: string): TaskConfig => ({ ...config(), executorConfig: { name: 'fake', data } });
  const update = (id: string, from: string, to: string, watchMs = 0): NewUpdate => ({
    summary: { key: { job: v(from).job, id }, user: 'tester' },
    instructions: {
      initialState: [{ task: v(from), instances: [{ first: 0, last: 3 }] }],
      desiredState: { task: v(to), instances: [{ first: 0, last: 3 }] },
      settings: { updateGroupSize: 2, maxPerInstanceFailures: 0, maxFailedInstances: 0, minWaitInInstanceRunningMs: watchMs, rollbackOnFailure: true, updateStrategy: { batchStrategy: { groupSize: 2 } } },
    },
  });

  async function rolled(store: JobUpdateStore, id: string): Promise<JobUpdateStatus> {
    return waitFor(`update ${id} to end`, () => {
      const status = store.all().find((d) => d.update!.summary!.key!.id === id)?.update?.summary?.state?.status;
      return status === JobUpdateStatus.ROLLED_FORWARD || status === JobUpdateStatus.ROLLED_BACK || status === JobUpdateStatus.FAILED ? status : undefined;
    });
  }

  it('rolls a job forward in batches, and back when the new config fails, with events on the fake clock', async () => {
    let clock = 5_000;
    const driver = new FakeDriver();
    const pool = new AgentPool([{ host: 'a1', resources: { cpus: 16, ramMb: 4096 } }], { cpus: 1, ramMb: 1, diskMb: 1_000 });
    const lifecycle = lifecycleOn(driver, pool, () => clock);
    const store = new JobUpdateStore();
    const controller = new UpdateController({ lifecycle, store, now: () => clock });
    lifecycle.insertPending(v('v1'), [0, 1, 2, 3]);
    const active = () => lifecycle.store.all().filter((t) => t.status === ScheduleStatus.RUNNING);
    await waitFor('4 RUNNING', () => active().length === 4 || undefined);

    expect(controller.start(update('u1', 'v1', 'v2'), { user: 'tester' })).toBeUndefined();
    expect(await rolled(store, 'u1')).toBe(JobUpdateStatus.ROLLED_FORWARD);
    await waitFor('4 RUNNING on v2', () => (active().length === 4 && active().every((t) => t.assignedTask!.task!.executorConfig!.data === 'v2')) || undefined);
    const u1 = store.all().find((d) => d.update!.summary!.key!.id === 'u1')!;
    // Batches of 2: instances 0 and 1 are updated before 2 and 3 start.
    const order = u1.instanceEvents!.map((e) => [e.instanceId, JobUpdateAction[e.action!]]);
    expect(order.slice(0, 4).map(([id]) => id).sort()).toEqual([0, 0, 1, 1]);
    expect(u1.instanceEvents!.every((e) => e.timestampMs === 5_000)).toBe(true);

    // "bad" fails right after it runs, within the 300 ms watch: the failed instance fails the update, which rolls back to v2.
    expect(controller.start(update('u2', 'v2', 'bad', 300), { user: 'tester' })).toBeUndefined();
    // The watch is measured on the fake clock: time passes only as the test moves it.
    const ticking = setInterval(() => (clock += 100), 10);
    try {
      expect(await rolled(store, 'u2')).toBe(JobUpdateStatus.ROLLED_BACK);
    } finally {
      clearInterval(ticking);
    }
    await waitFor('4 RUNNING on v2 again', () => (active().length === 4 && active().every((t) => t.assignedTask!.task!.executorConfig!.data === 'v2')) || undefined);
    const u2 = store.all().find((d) => d.update!.summary!.key!.id === 'u2')!;
    expect(u2.instanceEvents!.some((e) => e.action === JobUpdateAction.INSTANCE_UPDATE_FAILED)).toBe(true);
    controller.close();
    await lifecycle.close('done');
  });
});

describe('the local driver', () => {
  const work = mkdtempSync(join(tmpdir(), 'aurora-ts-driver-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('holds its launch limit per instance: one slot makes the second launch wait until the first has spawned', async () => {
    const one = new LocalAgentDriver({ launchSlots: 1 });
    const other = new LocalAgentDriver({ launchSlots: 1 });
    const order: string[] = [];
    const spec = (id: string): LaunchSpec => ({ taskId: id, executorId: id, sandboxDir: join(work, id), command: { value: 'exec sleep 30', shell: true }, killGraceMs: 100 });
    const hooks = (id: string): LaunchHooks => ({
      onStarting: () => order.push(`${id} starting`),
      onSpawned: () => order.push(`${id} spawned`),
      onRunning: () => order.push(`${id} running`),
    });
    const first = one.launch(spec('first'), hooks('first'));
    const second = one.launch(spec('second'), hooks('second'));
    // Another instance's slot is its own: it starts without waiting for `one`.
    const third = other.launch(spec('third'), hooks('third'));
    await Promise.all([first.started, second.started, third.started]);
    // The slot comes back once the first task's owner runs (its exec needs no slot), or at RUNNING without an owner.
    const firstSpawned = Math.min(...['first spawned', 'first running'].map((e) => order.indexOf(e)).filter((i) => i >= 0));
    expect(order.indexOf('second starting')).toBeGreaterThan(firstSpawned);
    expect(order.indexOf('third starting')).toBeLessThan(order.indexOf('second starting'));
    // A queued launch killed before its slot comes never starts a process.
    const queued = one.launch(spec('queued'), hooks('queued'));
    const blocker = one.launch(spec('blocker'), hooks('blocker'));
    expect(await queued.kill('not wanted')).toEqual({ state: 'KILLED', message: 'not wanted' });
    await Promise.all([first.kill(), second.kill(), third.kill(), blocker.kill()]);
    expect(order).not.toContain('queued starting');
  });
});
