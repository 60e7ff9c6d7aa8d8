/**
 * Durable state (`stateDir`): a real scheduler runs in a child process so that it can be killed with
 * SIGKILL at awkward moments, then a new one starts on the same directory. Nothing acknowledged may be
 * lost, no task may run twice, surviving task processes are adopted (same pid, still RUNNING, killable),
 * dead ones are LOST and replaced, and an update in progress completes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import {
  JobUpdateAction,
  JobUpdateStatus,
  ScheduleStatus,
  type JobConfiguration,
  type JobKey,
  type JobUpdateRequest,
  type ScheduledTask,
} from '../../src/gen/types.js';
import { LOST_WHILE_DOWN_MESSAGE } from '../../src/scheduler/lifecycle.js';
import { findTaskProcesses, markedProcesses, SUPERVISOR_MARKER_VAR, TASK_MARKER_VAR } from '../../src/scheduler/runner/index.js';
import { startScheduler } from '../../src/scheduler/index.js';
import { waitForUpdate } from '../../src/waiters/index.js';
import { buildSchedulerForChild, CHILD_SCHEDULER_OPTIONS, startChildScheduler } from '../support/child-scheduler.js';
import { ACTIVE_STATUSES, testJob } from '../support/scheduler.js';

const EXECUTORS = [{ executor: { name: 'sleeper', command: { value: 'echo "up $MESOS_TASK_ID"; exec sleep 600', shell: true } }, task_prefix: '' }];

let work: string;
let built: string;
let executors: string;
const children = new Set<ChildProcess>();
const stateDirs: string[] = [];

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(tmpdir(), 'aurora-ts-durability-'));
  executors = path.join(work, 'executors.json');
  writeFileSync(executors, JSON.stringify(EXECUTORS));
  built = await buildSchedulerForChild(path.join(work, 'build'));
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  // Tasks outlive their schedulers by design: end every process that belongs to these tests.
  const ours = (await markedProcesses(SUPERVISOR_MARKER_VAR)).filter((p) => stateDirs.some((dir) => existsSync(path.join(dir, 'sandboxes', p.taskId))));
  for (const p of ours) process.kill(p.pid, 'SIGKILL');
  if (work) await fs.rm(work, { recursive: true, force: true });
});

function newStateDir(name: string): string {
  const dir = path.join(work, name);
  stateDirs.push(dir);
  return dir;
}

interface Child {
  client: AuroraClient;
  process: ChildProcess;
  kill9(): Promise<void>;
}

const OPTIONS = CHILD_SCHEDULER_OPTIONS;

async function startChild(stateDir: string): Promise<Child> {
  const child = await startChildScheduler(built, { ...OPTIONS, executors, stateDir }, children);
  return { client: new AuroraClient({ url: child.url, protocol: 'binary' }), process: child.process, kill9: child.kill9 };
}

function job(name: string, instances: number, data = 'v1'): JobConfiguration {
  return testJob({ name, environment: 'prod', instances, service: true, data });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function tasks(client: AuroraClient, key: JobKey, statuses?: ScheduleStatus[]): Promise<ScheduledTask[]> {
  return (await client.getTasksStatus({ jobKeys: [key], statuses })).tasks ?? [];
}

async function allRunning(client: AuroraClient, key: JobKey, count: number, data?: string): Promise<ScheduledTask[]> {
  return waitFor(`${count} RUNNING`, async () => {
    const active = await tasks(client, key, [...ACTIVE_STATUSES]);
    const ok =
      active.length === count &&
      active.every((t) => t.status === ScheduleStatus.RUNNING && (data === undefined || t.assignedTask!.task!.executorConfig!.data === data));
    if (!ok) return undefined;
    // RUNNING comes once a task's executor has exec'd: its processes are there.
    for (const t of active) expect(await findTaskProcesses(id(t))).not.toHaveLength(0);
    return active;
  });
}

/** Task processes (marker carriers, supervisors and owners excluded) per task id, among the state directory's sandboxes. */
async function processesByTask(stateDir: string): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const p of await markedProcesses(SUPERVISOR_MARKER_VAR)) {
    if (p.supervisor || p.owner || !existsSync(path.join(stateDir, 'sandboxes', p.taskId))) continue;
    out.set(p.taskId, [...(out.get(p.taskId) ?? []), p.pid]);
  }
  return out;
}

function id(task: ScheduledTask): string {
  return task.assignedTask!.taskId!;
}

describe('durable state', () => {
  it('keeps a job acknowledged just before kill -9, and runs each instance exactly once', async () => {
    const dir = newStateDir('created');
    const first = await startChild(dir);
    const config = job('acked', 2);
    await first.client.createJob(config);
    await first.kill9();

    const second = await startChild(dir);
    const running = await allRunning(second.client, config.key!, 2);
    expect(running.map((t) => t.assignedTask!.instanceId).sort()).toEqual([0, 1]);
    // Settle: nothing else starts behind the scheduler's back.
    await new Promise((r) => setTimeout(r, 300));
    const processes = await processesByTask(dir);
    expect([...processes.keys()].sort()).toEqual(running.map(id).sort());
    for (const pids of processes.values()) expect(pids).toHaveLength(1);
    await second.kill9();
  });

  it('adopts surviving tasks, settles or replaces the dead (LOST without an exit record), kills orphans, keeps cron jobs and quotas', async () => {
    const dir = newStateDir('running');
    const first = await startChild(dir);
    await first.client.setQuota('www-data', { resources: [{ numCpus: 2 }, { ramMb: 1024 }, { diskMb: 1024 }] });
    const cron: JobConfiguration = { ...job('nightly', 1), cronSchedule: '0 3 * * *', taskConfig: { ...job('nightly', 1).taskConfig, isService: false } };
    await first.client.scheduleCronJob(cron);
    const config = job('svc', 3);
    await first.client.createJob(config);
    const before = await allRunning(first.client, config.key!, 3);
    const [survivor, victim, failed] = [...before].sort((a, b) => a.assignedTask!.instanceId! - b.assignedTask!.instanceId!);
    const survivorPids = await findTaskProcesses(id(survivor!));
    expect(survivorPids).toHaveLength(1);
    await first.kill9();

    // While no scheduler runs: instance 1 vanishes without a trace (its owner, which supervises it,
    // first, so no exit is recorded), and a stray process claims to be a task the store never heard of.
    // One owner per task and no Node supervisor: the owner is the supervisor.
    expect((await markedProcesses(SUPERVISOR_MARKER_VAR)).filter((p) => p.supervisor && stateDirs.some((d) => existsSync(path.join(d, 'sandboxes', p.taskId))))).toEqual([]);
    const owners = (await markedProcesses(SUPERVISOR_MARKER_VAR)).filter((p) => p.owner && p.taskId === id(victim!));
    expect(owners).toHaveLength(1);
    process.kill(owners[0]!.pid, 'SIGKILL');
    for (const pid of await findTaskProcesses(id(victim!))) process.kill(pid, 'SIGKILL');
    // Instance 2's executor dies while its owner lives to record the exit.
    for (const pid of await findTaskProcesses(id(failed!))) process.kill(pid, 'SIGKILL');
    const strayId = 'www-data-prod-stray-0-00000000-0000-0000-0000-000000000000';
    mkdirSync(path.join(dir, 'sandboxes', strayId), { recursive: true });
    const stray = spawn('sleep', ['600'], { env: { PATH: process.env.PATH, [TASK_MARKER_VAR]: strayId }, detached: true, stdio: 'ignore' });
    stray.unref();
    const strayGone = new Promise<void>((resolve) => stray.once('exit', () => resolve()));

    const second = await startChild(dir);
    const { client } = second;
    // The survivor is the same task and the same process, still RUNNING.
    const adopted = (await tasks(client, config.key!)).find((t) => id(t) === id(survivor!))!;
    expect(ScheduleStatus[adopted.status!]).toBe('RUNNING');
    expect(await findTaskProcesses(id(survivor!))).toEqual(survivorPids);
    // The victim is LOST and replaced by a new task for the same instance.
    const lost = (await tasks(client, config.key!)).find((t) => id(t) === id(victim!))!;
    expect(ScheduleStatus[lost.status!]).toBe('LOST');
    expect(lost.taskEvents!.at(-1)!.message).toBe(LOST_WHILE_DOWN_MESSAGE);
    // Instance 2 ended with a recorded exit: FAILED with the real reason, and (a service) replaced.
    const ended = (await tasks(client, config.key!)).find((t) => id(t) === id(failed!))!;
    expect(ScheduleStatus[ended.status!]).toBe('FAILED');
    expect(ended.taskEvents!.at(-1)!.message).toBe('Command terminated with signal SIGKILL');
    const after = await allRunning(client, config.key!, 3);
    for (const [instance, dead] of [[1, victim!], [2, failed!]] as const) {
      const replacement = after.find((t) => t.assignedTask!.instanceId === instance)!;
      expect(id(replacement)).not.toBe(id(dead));
      expect(replacement.ancestorId).toBe(id(dead));
    }
    await strayGone;

    // Cron job and quota were stored.
    const { configs } = await client.getJobs('www-data');
    expect(configs!.find((c) => c.key!.name === 'nightly')?.cronSchedule).toBe('0 3 * * *');
    const quota = await client.getQuota('www-data');
    expect(quota.quota!.resources).toEqual(expect.arrayContaining([{ numCpus: 2 }, { ramMb: 1024 }, { diskMb: 1024 }]));

    // The adopted process is the scheduler's to kill.
    await client.killTasks(config.key!, [], 'done');
    const killed = await waitFor('KILLED', async () => {
      const t = (await tasks(client, config.key!)).find((x) => id(x) === id(survivor!))!;
      return t.status === ScheduleStatus.KILLED ? t : undefined;
    });
    expect(killed.taskEvents!.map((e) => ScheduleStatus[e.status!]).slice(-2)).toEqual(['KILLING', 'KILLED']);
    expect(await findTaskProcesses(id(survivor!))).toEqual([]);
    await waitFor('no processes', async () => ((await processesByTask(dir)).size === 0 ? true : undefined));
    await second.kill9();
  });

  it('adopts a task killed -9 with the scheduler while STARTING (its owner and executor run) instead of counting it LOST', async () => {
    const dir = newStateDir('starting');
    // A Mesos-mode executor stays STARTING until it subscribes to the executor API; this one never does.
    const mesos = { mesosExecutors: { mode: 'mesos', registrationTimeoutMs: 120_000 } };
    const first = await startChildScheduler(built, { ...OPTIONS, executors, stateDir: dir, ...mesos }, children);
    const client = new AuroraClient({ url: first.url, protocol: 'binary' });
    const config = job('starting', 1);
    await client.createJob(config);
    const starting = await waitFor('STARTING with its executor running', async () => {
      const [task] = await tasks(client, config.key!, [ScheduleStatus.STARTING]);
      return task && (await findTaskProcesses(id(task))).length > 0 ? task : undefined;
    });
    const pids = await findTaskProcesses(id(starting));
    await first.kill9();

    const second = await startChildScheduler(built, { ...OPTIONS, executors, stateDir: dir, ...mesos }, children);
    const again = new AuroraClient({ url: second.url, protocol: 'binary' });
    const [adopted, ...others] = await tasks(again, config.key!);
    // The same task and the same processes: stored as soon as its owner ran, not only once RUNNING.
    expect(id(adopted!)).toBe(id(starting));
    expect(ScheduleStatus[adopted!.status!]).toBe('RUNNING');
    expect(others).toEqual([]);
    expect(await findTaskProcesses(id(starting))).toEqual(pids);
    await second.kill9();
  });

  it('resumes an update interrupted by kill -9 and completes it', async () => {
    const dir = newStateDir('update');
    const first = await startChild(dir);
    const config = job('rolling', 3, 'v1');
    await first.client.createJob(config);
    await allRunning(first.client, config.key!, 3);
    const request: JobUpdateRequest = {
      taskConfig: { ...config.taskConfig, executorConfig: { name: 'sleeper', data: 'v2' } },
      instanceCount: 3,
      settings: { updateGroupSize: 1, maxPerInstanceFailures: 0, maxFailedInstances: 0, minWaitInInstanceRunningMs: 400, rollbackOnFailure: false },
    };
    const { key } = await first.client.startJobUpdate(request, 'to v2');
    await waitFor('instance 0 updated', async () => {
      const { detailsList } = await first.client.getJobUpdateDetails(key!, { key });
      return detailsList![0]!.instanceEvents!.some((e) => e.action === JobUpdateAction.INSTANCE_UPDATED) ? true : undefined;
    });
    await first.kill9();

    const second = await startChild(dir);
    const status = await waitForUpdate(second.client, key!, { intervalMs: 50, backoff: 1, timeoutMs: 20_000 });
    expect(JobUpdateStatus[status]).toBe('ROLLED_FORWARD');
    const running = await allRunning(second.client, config.key!, 3, 'v2');
    const processes = await processesByTask(dir);
    expect([...processes.keys()].sort()).toEqual(running.map(id).sort());
    for (const pids of processes.values()) expect(pids).toHaveLength(1);
    const { detailsList } = await second.client.getJobUpdateDetails(key!, { key });
    const updated = detailsList![0]!.instanceEvents!.filter((e) => e.action === JobUpdateAction.INSTANCE_UPDATED).map((e) => e.instanceId);
    expect(updated.sort()).toEqual([0, 1, 2]);
    await second.kill9();
  });

  it('survives a clean close and restart, and backs the database up', async () => {
    const dir = newStateDir('clean');
    const first = await startScheduler({ ...OPTIONS, executors, stateDir: dir });
    const client = new AuroraClient({ url: first.url, protocol: 'binary' });
    const config = job('steady', 1);
    await client.createJob(config);
    const [task] = await allRunning(client, config.key!, 1);
    await client.setQuota('www-data', { resources: [{ numCpus: 1 }, { ramMb: 512 }, { diskMb: 512 }] });
    await client.performBackup();
    const [backup] = (await client.listBackups()).backups!;
    expect(backup).toMatch(/^scheduler-backup-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}$/);
    const pids = await findTaskProcesses(id(task!));
    // One scheduler per state directory: a second one would run every task twice.
    await expect(startScheduler({ ...OPTIONS, executors, stateDir: dir })).rejects.toThrow(/is in use by another scheduler \(pid \d+\)/);
    await first.close();
    // Tasks keep running across a clean restart, as they do on Aurora's agents.
    expect(await findTaskProcesses(id(task!))).toEqual(pids);

    const copy = new Database(path.join(dir, 'backups', backup!), { readonly: true });
    const stored = copy.prepare<[], { kind: string; n: number }>('SELECT kind, count(*) AS n FROM state GROUP BY kind').all();
    copy.close();
    expect(Object.fromEntries(stored.map((r) => [r.kind, r.n]))).toMatchObject({ task: 1, quota: 1 });

    const second = await startScheduler({ ...OPTIONS, executors, stateDir: dir });
    try {
      const again = new AuroraClient({ url: second.url, protocol: 'binary' });
      const [same] = await allRunning(again, config.key!, 1);
      expect(id(same!)).toBe(id(task!));
      expect((await again.getQuota('www-data')).quota!.resources).toEqual(expect.arrayContaining([{ numCpus: 1 }]));
      expect((await again.listBackups()).backups).toEqual([backup]);
      expect(readFileSync(path.join(dir, 'sandboxes', id(task!), 'stdout'), 'utf8')).toContain(`up ${id(task!)}`);
      await again.killTasks(config.key!, [], 'done');
      await waitFor('KILLED', async () => ((await tasks(again, config.key!, [ScheduleStatus.KILLED])).length === 1 ? true : undefined));
      expect(await findTaskProcesses(id(task!))).toEqual([]);
    } finally {
      await second.close();
    }
  });
});
