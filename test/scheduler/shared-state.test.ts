/**
 * Schedulers sharing a `--state-dir` under ZooKeeper leadership: only the leader holds the state
 * directory; a follower starts without touching it, and on becoming leader loads it, adopts the task
 * processes the old leader left running (same pids) and finishes its update. Real ZooKeeper, real
 * processes; the kill -9 case runs the first leader in a child process (as test/scheduler/durability.test.ts does).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { JobUpdateStatus, ScheduleStatus, type JobConfiguration, type JobUpdateKey, type ScheduledTask } from '../../src/gen/types.js';
import { LOCK_FILE } from '../../src/scheduler/store/state.js';
import { findTaskProcesses, markedProcesses, SUPERVISOR_MARKER_VAR } from '../../src/scheduler/runner/index.js';
import { waitForUpdate } from '../../src/waiters/index.js';
import { buildSchedulerForChild, CHILD_SCHEDULER_OPTIONS, startChildScheduler } from '../support/child-scheduler.js';
import { pidAlive, shellExecutor, startTestScheduler, tasksOf, testJob, waitFor, waitForRunning, writeExecutorsFile, type TestScheduler } from '../support/scheduler.js';
import { startZooKeeper, type ZooKeeperServer } from '../support/zookeeper.js';

const ZK_PATH = '/aurora/shared';

let zk: ZooKeeperServer;
let work: string;
let executors: string;
let built: string;
const stateDirs: string[] = [];
const running: TestScheduler[] = [];
const children = new Set<ChildProcess>();

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'aurora-ts-shared-state-'));
  executors = writeExecutorsFile([shellExecutor('sleeper', 'echo "up $MESOS_TASK_ID"; exec sleep 600')]);
  [zk, built] = await Promise.all([startZooKeeper(), buildSchedulerForChild(path.join(work, 'build'))]);
}, 60_000);

afterAll(async () => {
  for (const s of running) await s.close();
  for (const child of children) child.kill('SIGKILL');
  // Tasks outlive schedulers that share a state directory, by design: end every process of these tests.
  const ours = (await markedProcesses(SUPERVISOR_MARKER_VAR)).filter((p) => stateDirs.some((dir) => existsSync(path.join(dir, 'sandboxes', p.taskId))));
  for (const p of ours) process.kill(p.pid, 'SIGKILL');
  await zk?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  rmSync(path.dirname(executors), { recursive: true, force: true });
}, 60_000);

function newStateDir(name: string): string {
  const dir = path.join(work, name);
  stateDirs.push(dir);
  return dir;
}

function zkOptions(zkPath: string) {
  return { hosts: zk.connectString, path: zkPath, sessionTimeoutMs: 2000 };
}

async function inProcess(stateDir: string, zkPath: string): Promise<TestScheduler> {
  const s = await startTestScheduler({ executors, stateDir, zk: zkOptions(zkPath), killGraceMs: 200 });
  running.push(s);
  return s;
}

/** Task ids and their process pids, by instance: a task is RUNNING once its executor has exec'd, so each has some. */
async function processes(tasks: ScheduledTask[]): Promise<Map<number, { taskId: string; pids: number[] }>> {
  const out = new Map<number, { taskId: string; pids: number[] }>();
  for (const t of tasks) out.set(t.assignedTask!.instanceId!, { taskId: t.assignedTask!.taskId!, pids: await findTaskProcesses(t.assignedTask!.taskId!) });
  return out;
}

function service(name: string, instances: number, data = 'v1'): JobConfiguration {
  return testJob({ name, instances, service: true, data });
}

/** An update of `job` to v2, one instance at a time with a short watch: a few seconds in all. */
async function startUpdate(client: AuroraClient, job: JobConfiguration): Promise<JobUpdateKey> {
  const { key } = await client.startJobUpdate(
    {
      taskConfig: { ...job.taskConfig, executorConfig: { name: 'sleeper', data: 'v2' } },
      instanceCount: job.instanceCount!,
      settings: { updateGroupSize: 1, minWaitInInstanceRunningMs: 800, maxPerInstanceFailures: 0, maxFailedInstances: 0, rollbackOnFailure: false },
    },
    'shared state handover',
  );
  return key!;
}

/** After the handover: the stable job's tasks are the same, with the same processes; the update rolls forward. */
async function expectHandedOver(client: AuroraClient, stable: JobConfiguration, before: Map<number, { taskId: string; pids: number[] }>, updated: JobConfiguration, update: JobUpdateKey) {
  const after = await processes(await waitForRunning(client, stable.key!, before.size));
  expect(after).toEqual(before);
  for (const { pids } of after.values()) expect(pids.length).toBeGreaterThan(0);
  const status = await waitForUpdate(client, update, { intervalMs: 100, backoff: 1, timeoutMs: 30_000 });
  expect(JobUpdateStatus[status]).toBe('ROLLED_FORWARD');
  const rolled = await waitForRunning(client, updated.key!, updated.instanceCount!, 'v2');
  // Each instance runs exactly once: one process set per active task, none left over.
  const active = await tasksOf(client, updated.key!, [ScheduleStatus.RUNNING, ScheduleStatus.PENDING, ScheduleStatus.ASSIGNED, ScheduleStatus.STARTING]);
  expect(active.map((t) => t.assignedTask!.taskId).sort()).toEqual(rolled.map((t) => t.assignedTask!.taskId).sort());
}

describe('schedulers sharing a state directory under ZooKeeper leadership', () => {
  it('the follower starts without the lock, and takes over the state, the task processes and the update when the leader closes', async () => {
    const dir = newStateDir('close');
    const a = await inProcess(dir, `${ZK_PATH}/close`);
    expect(a.scheduler.isLeader()).toBe(true);
    // Before: a second scheduler on a directory in use failed to start.
    const b = await inProcess(dir, `${ZK_PATH}/close`);
    expect(b.scheduler.isLeader()).toBe(false);
    // The follower sends callers to the leader.
    const redirected = await fetch(`${b.url}/api`, { method: 'POST', body: '', redirect: 'manual' });
    expect(redirected.status).toBe(307);
    expect(redirected.headers.get('location')).toBe(`${a.url}/api`);

    const client = new AuroraClient({ zk: zk.connectString, zkPath: `${ZK_PATH}/close`, netrc: false });
    try {
      const stable = service('stable', 2);
      const rolling = service('rolling', 3);
      await client.createJob(stable);
      await client.createJob(rolling);
      const before = await processes(await waitForRunning(client, stable.key!, 2));
      await waitForRunning(client, rolling.key!, 3);
      const update = await startUpdate(client, rolling);
      const { detailsList } = await client.getJobUpdateDetails(update, { key: update });
      expect(JobUpdateStatus[detailsList![0]!.update!.summary!.state!.status!]).toBe('ROLLING_FORWARD');

      await a.close();
      await b.scheduler.leadership!.until(() => b.scheduler.isLeader(), 20_000);
      expect(b.scheduler.core.lifecycle.store.active(stable.key!)).toHaveLength(2);
      await expectHandedOver(client, stable, before, rolling, update);
    } finally {
      client.close();
    }
  }, 60_000);

  it('after the leader is killed with -9, the follower takes over its dead lock, its tasks and its update', async () => {
    const dir = newStateDir('kill9');
    const zkPath = `${ZK_PATH}/kill9`;
    const options = { ...CHILD_SCHEDULER_OPTIONS, executors, stateDir: dir, zk: zkOptions(zkPath) };
    const started = await startChildScheduler(built, options, children);
    expect(started.leader).toBe(true);
    const b = await inProcess(dir, zkPath);
    expect(b.scheduler.isLeader()).toBe(false);

    const client = new AuroraClient({ zk: zk.connectString, zkPath, netrc: false });
    try {
      const stable = service('stable', 2);
      const rolling = service('rolling', 3);
      await client.createJob(stable);
      await client.createJob(rolling);
      const before = await processes(await waitForRunning(client, stable.key!, 2));
      await waitForRunning(client, rolling.key!, 3);
      const update = await startUpdate(client, rolling);

      await started.kill9();
      // ZooKeeper ends the dead leader's session after its timeout; the lock names a dead pid.
      await b.scheduler.leadership!.until(() => b.scheduler.isLeader(), 20_000);
      await expectHandedOver(client, stable, before, rolling, update);
    } finally {
      client.close();
    }
  }, 60_000);

  it('a leader that loses its ZooKeeper session stops serving, leaves its tasks running and releases the state directory', async () => {
    const own = await startZooKeeper();
    try {
      const dir = newStateDir('lost');
      const a = await startTestScheduler({ executors, stateDir: dir, zk: { hosts: own.connectString, path: ZK_PATH, sessionTimeoutMs: 1500 }, killGraceMs: 200 });
      running.push(a);
      expect(a.scheduler.isLeader()).toBe(true);
      expect(existsSync(path.join(dir, LOCK_FILE))).toBe(true);
      const stable = service('stable', 2);
      await a.client.createJob(stable);
      const before = await processes(await waitForRunning(a.client, stable.key!, 2));

      await own.stop();
      await waitFor('leadership to end', () => !a.scheduler.isLeader(), 10_000);
      const raw = await fetch(`${a.url}/api`, { method: 'POST', body: '' });
      expect(raw.status).toBe(503);
      // Detached, not killed, and the lock is free for the next leader.
      await waitFor('the state directory to be released', () => !existsSync(path.join(dir, LOCK_FILE)), 10_000);
      for (const { pids } of before.values()) for (const pid of pids) expect(pidAlive(pid)).toBe(true);

      // The next scheduler on the directory adopts the same processes.
      const next = await startTestScheduler({ executors, stateDir: dir, killGraceMs: 200 });
      running.push(next);
      expect(await processes(await waitForRunning(next.client, stable.key!, 2))).toEqual(before);
    } finally {
      await own.stop();
    }
  }, 60_000);
});
