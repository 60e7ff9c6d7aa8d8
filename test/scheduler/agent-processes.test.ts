/**
 * Agent processes (`agentProcesses` with a state directory): each agent's tasks run under that agent's
 * own process, as on Mesos. kill -9 of an agent leaves its tasks running and the agent started again
 * takes them over (same pids, still RUNNING, still killable); kill -9 of the scheduler leaves agents and
 * tasks running, and the next scheduler reconciles its stored tasks with the agents: the running ones
 * are kept, one that ended meanwhile gets the exit its agent saw. An agent that answers no ping for
 * longer than the ping timeouts (SIGSTOP) is marked unreachable: its tasks are LOST and rescheduled on
 * the other agent, and once it answers again the tasks it still runs are killed. With `partitionAware`
 * (Aurora's -partition_aware) its tasks go PARTITIONED instead and follow their job's PartitionPolicy:
 * `reschedule: false` keeps the task, RUNNING again with the same processes once the agent answers;
 * `reschedule: true, delaySecs` turns it LOST and rescheduled after the delay.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { ScheduleStatus, type JobKey, type ScheduledTask } from '../../src/gen/types.js';
import { findTaskProcesses, markedProcesses, SUPERVISOR_MARKER_VAR } from '../../src/scheduler/runner/index.js';
import { buildSchedulerForChild, CHILD_SCHEDULER_OPTIONS, startChildScheduler, type ChildScheduler } from '../support/child-scheduler.js';
import { ACTIVE_STATUSES, pidAlive, testJob, waitFor } from '../support/scheduler.js';

const EXECUTORS = [{ executor: { name: 'sleeper', command: { value: 'exec sleep 600', shell: true } }, task_prefix: '' }];
const HOSTS = ['agent-one', 'agent-two'];
const AGENTS = HOSTS.map((host) => ({ host, attributes: { host }, resources: { cpus: 2, ramMb: 2048, diskMb: 4096 } }));

let work: string;
let built: string;
let executors: string;
let stateDir: string;
let options: object;
const stateDirs: string[] = [];
const children = new Set<ChildProcess>();

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(tmpdir(), 'aurora-ts-agentp-'));
  executors = path.join(work, 'executors.json');
  writeFileSync(executors, JSON.stringify(EXECUTORS));
  useStateDir('state');
  built = await buildSchedulerForChild(path.join(work, 'build'));
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  // Agents and tasks outlive their schedulers by design: end every one of these tests'.
  for (const dir of stateDirs) {
    stateDir = dir;
    for (const host of HOSTS) {
      const pid = agentPid(host);
      if (pid !== undefined && pidAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    for (const p of await markedProcesses(SUPERVISOR_MARKER_VAR)) {
      if (existsSync(path.join(dir, 'sandboxes', p.taskId))) process.kill(p.pid, 'SIGKILL');
    }
  }
  if (work) await fs.rm(work, { recursive: true, force: true });
});

function useStateDir(name: string, extra: object = {}): void {
  stateDir = path.join(work, name);
  stateDirs.push(stateDir);
  options = { ...CHILD_SCHEDULER_OPTIONS, executors, stateDir, agents: AGENTS, agentProcesses: true, ...extra };
}

function agentPid(host: string): number | undefined {
  const file = path.join(stateDir, 'agents', host, 'agent.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8')) : undefined;
}

/** Whether the process exists and has not exited (a zombie not yet reaped by its new parent has). */
function runs(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** /proc/<pid>/stat field 4 (after the parenthesised command, which may hold spaces). */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

async function start(): Promise<{ scheduler: ChildScheduler; client: AuroraClient }> {
  const scheduler = await startChildScheduler(built, options, children);
  return { scheduler, client: new AuroraClient({ url: scheduler.url, protocol: 'binary' }) };
}

async function tasks(client: AuroraClient, key: JobKey, statuses?: ScheduleStatus[]): Promise<ScheduledTask[]> {
  return (await client.getTasksStatus({ jobKeys: [key], statuses })).tasks ?? [];
}

const id = (t: ScheduledTask) => t.assignedTask!.taskId!;

/** Task id → its processes, for the job's RUNNING tasks (waits until `count` run). */
async function running(client: AuroraClient, key: JobKey, count: number): Promise<Map<string, number[]>> {
  return waitFor(`${count} RUNNING`, async () => {
    const active = await tasks(client, key, [...ACTIVE_STATUSES]);
    if (active.length !== count || active.some((t) => t.status !== ScheduleStatus.RUNNING)) return undefined;
    const out = new Map<string, number[]>();
    for (const t of active) out.set(id(t), (await findTaskProcesses(id(t))).sort());
    return [...out.values()].every((pids) => pids.length > 0) ? out : undefined;
  });
}

/** Stops `host`'s agent (SIGSTOP) while `body` runs, then lets it go on (SIGCONT). */
async function whileFrozen<T>(host: string, body: (frozen: number) => Promise<T>): Promise<T> {
  const frozen = agentPid(host)!;
  process.kill(frozen, 'SIGSTOP');
  try {
    return await body(frozen);
  } finally {
    process.kill(frozen, 'SIGCONT');
  }
}

/** The task LOST with `message`, and its replacement RUNNING on `other`; returns the LOST task. */
async function lostAndReplaced(client: AuroraClient, key: JobKey, taskId: string, pids: number[], other: string, message: string): Promise<ScheduledTask> {
  const lost = await waitFor('the task LOST', async () => (await tasks(client, key, [ScheduleStatus.LOST]))[0]);
  expect(id(lost)).toBe(taskId);
  expect(lost.taskEvents!.at(-1)!.message).toBe(message);
  // Rescheduled on the agent that answers; the frozen one offers nothing.
  const [replacement] = await waitFor('a replacement RUNNING', async () => {
    const now = await tasks(client, key, [ScheduleStatus.RUNNING]);
    return now.length === 1 ? now : undefined;
  });
  expect(replacement!.assignedTask!.slaveHost).toBe(other);
  // A partition does not stop the task's processes: they run on, out of the scheduler's reach.
  expect(pids.every(pidAlive)).toBe(true);
  return lost;
}

/** The agent is back: the task it still runs is one the scheduler calls LOST, so it is killed. */
async function oldOneKilled(client: AuroraClient, key: JobKey, taskId: string, other: string): Promise<void> {
  await waitFor('the old processes gone', async () => ((await findTaskProcesses(taskId)).length === 0 ? true : undefined));
  expect((await tasks(client, key, [ScheduleStatus.RUNNING])).map((t) => t.assignedTask!.slaveHost)).toEqual([other]);
  expect((await tasks(client, key)).find((t) => id(t) === taskId)!.status).toBe(ScheduleStatus.LOST);
}

describe('agent processes', () => {
  const key: JobKey = { role: 'www-data', environment: 'prod', name: 'held' };
  let client: AuroraClient;
  let scheduler: ChildScheduler;
  let before: Map<string, number[]>;

  it('runs each agent as a process of its own that starts the tasks placed on it', async () => {
    ({ scheduler, client } = await start());
    await client.createJob(testJob({ name: 'held', environment: 'prod', instances: 2, service: true, task: { constraints: [{ name: 'host', constraint: { limit: { limit: 1 } } }] } }));
    before = await running(client, key, 2);
    const placed = (await tasks(client, key, [ScheduleStatus.RUNNING])).map((t) => t.assignedTask!.slaveHost!).sort();
    expect(placed).toEqual(HOSTS);
    // Each task's owner is a child of its agent's process, not of the scheduler.
    const owners = (await markedProcesses(SUPERVISOR_MARKER_VAR)).filter((p) => p.owner && before.has(p.taskId));
    expect(owners).toHaveLength(2);
    for (const t of await tasks(client, key, [ScheduleStatus.RUNNING])) {
      const owner = owners.find((p) => p.taskId === id(t))!;
      expect(parentOf(owner.pid), id(t)).toBe(agentPid(t.assignedTask!.slaveHost!));
    }
    for (const host of HOSTS) {
      const pid = agentPid(host)!;
      expect(pidAlive(pid), host).toBe(true);
      // Its socket is the agent's only door: for the scheduler's user alone.
      expect((await fs.stat(path.join(stateDir, 'agents', host, 'agent.sock'))).mode & 0o777).toBe(0o600);
    }
  });

  it('agent kill -9: its tasks keep running, and the agent started again takes them over', async () => {
    const first = agentPid('agent-one')!;
    process.kill(first, 'SIGKILL');
    const second = await waitFor('a new agent-one', () => {
      const pid = agentPid('agent-one');
      return pid !== undefined && pid !== first && pidAlive(pid) ? pid : undefined;
    });
    expect(second).not.toBe(first);
    // The same processes, still RUNNING, on both agents.
    expect(await running(client, key, 2)).toEqual(before);
    // And the new agent controls them: a restart kills the old process and starts a new one.
    const onOne = (await tasks(client, key, [ScheduleStatus.RUNNING])).find((t) => t.assignedTask!.slaveHost === 'agent-one')!;
    await client.restartShards(key, [onOne.assignedTask!.instanceId!]);
    await waitFor('the old task KILLED', async () => ((await tasks(client, key, [ScheduleStatus.KILLED])).some((t) => id(t) === id(onOne)) ? true : undefined));
    expect(await findTaskProcesses(id(onOne))).toEqual([]);
    before = await running(client, key, 2);
  });

  it('scheduler kill -9: agents and tasks run on; the next scheduler reconciles with them', async () => {
    const [victim, survivor] = [...before.keys()];
    const placed = new Map((await tasks(client, key, [ScheduleStatus.RUNNING])).map((t) => [id(t), t.assignedTask!.slaveHost!]));
    const victimAgent = agentPid(placed.get(victim!)!)!;
    const survivorAgent = agentPid(placed.get(survivor!)!)!;
    await scheduler.kill9();
    // While no scheduler runs, one task's process ends: its agent keeps the exit.
    for (const pid of before.get(victim!)!) process.kill(pid, 'SIGKILL');
    await waitFor('the victim gone', async () => ((await findTaskProcesses(victim!)).length === 0 ? true : undefined));

    ({ scheduler, client } = await start());
    const now = await running(client, key, 2);
    // The survivor's agent is the same process, reconnected; the victim's, left with no task and no
    // scheduler, exited, and the new scheduler started it again, which read the exit from its records.
    expect(agentPid(placed.get(survivor!)!)).toBe(survivorAgent);
    expect(runs(victimAgent)).toBe(false);
    expect(now.get(survivor!)).toEqual(before.get(survivor!));
    const ended = (await tasks(client, key)).find((t) => id(t) === victim)!;
    expect(ScheduleStatus[ended.status!]).toBe('FAILED');
    expect(ended.taskEvents!.at(-1)!.message).toBe('Command terminated with signal SIGKILL');

    await client.killTasks(key, [], 'done');
    await waitFor('job gone', async () => ((await tasks(client, key, [...ACTIVE_STATUSES])).length === 0 ? true : undefined));
    for (const taskId of now.keys()) expect(await findTaskProcesses(taskId)).toEqual([]);
    await scheduler.kill9();
  });
});

describe('an agent that stops answering', () => {
  const key: JobKey = { role: 'www-data', environment: 'prod', name: 'roaming' };

  it('is marked unreachable past its ping timeouts: its task LOST and rescheduled elsewhere, then killed when it answers again', async () => {
    useStateDir('state-pings', { agentPingTimeoutMs: 200, maxAgentPingTimeouts: 3 });
    const { scheduler, client } = await start();
    await client.createJob(testJob({ name: 'roaming', environment: 'prod', instances: 1, service: true }));
    const [[taskId, pids]] = [...(await running(client, key, 1))];
    const host = (await tasks(client, key))[0]!.assignedTask!.slaveHost!;
    const other = HOSTS.find((h) => h !== host)!;
    const frozen = await whileFrozen(host, async (pid) => {
      await lostAndReplaced(client, key, taskId!, pids!, other, `Agent ${host} removed: health check timed out`);
      return pid;
    });
    await oldOneKilled(client, key, taskId!, other);
    expect(agentPid(host)).toBe(frozen);
    await scheduler.kill9();
  });
});

describe('partition awareness (Aurora -partition_aware)', () => {
  const agentsOf = async (url: string) =>
    ((await (await fetch(`${url}/agents`)).json()) as { agents: Array<{ host: string; reachable: boolean }> }).agents;

  it('keeps a PARTITIONED task whose policy says reschedule: false, and takes it back RUNNING with the same processes', async () => {
    useStateDir('state-partition-keep', { agentPingTimeoutMs: 200, maxAgentPingTimeouts: 3, partitionAware: true });
    const key: JobKey = { role: 'www-data', environment: 'prod', name: 'kept' };
    const { scheduler, client } = await start();
    await client.createJob(testJob({ name: 'kept', environment: 'prod', service: true, task: { partitionPolicy: { reschedule: false } } }));
    const [[taskId, pids]] = [...(await running(client, key, 1))];
    const host = (await tasks(client, key))[0]!.assignedTask!.slaveHost!;
    expect((await agentsOf(scheduler.url)).every((a) => a.reachable)).toBe(true);

    await whileFrozen(host, async () => {
      const partitioned = await waitFor('the task PARTITIONED', async () => (await tasks(client, key, [ScheduleStatus.PARTITIONED]))[0]);
      expect(id(partitioned)).toBe(taskId);
      expect(partitioned.taskEvents!.at(-1)!.message).toBe(`Agent ${host} removed: health check timed out`);
      expect(partitioned.timesPartitioned).toBe(1);
      expect((await agentsOf(scheduler.url)).find((a) => a.host === host)!.reachable).toBe(false);
      // Well past the timeouts: still the one PARTITIONED task, nothing rescheduled.
      await new Promise((r) => setTimeout(r, 1500));
      const all = await tasks(client, key);
      expect(all.map((t) => [id(t), ScheduleStatus[t.status!]])).toEqual([[taskId, 'PARTITIONED']]);
    });
    const [[again, samePids]] = [...(await running(client, key, 1))];
    expect(again).toBe(taskId);
    expect(samePids).toEqual(pids);
    expect((await tasks(client, key))[0]!.taskEvents!.map((e) => ScheduleStatus[e.status!]).slice(-2)).toEqual(['PARTITIONED', 'RUNNING']);
    expect((await agentsOf(scheduler.url)).find((a) => a.host === host)!.reachable).toBe(true);
    // Still the scheduler's: a kill reaches it.
    await client.killTasks(key, [], 'done');
    await waitFor('the task KILLED', async () => ((await tasks(client, key))[0]!.status === ScheduleStatus.KILLED ? true : undefined));
    await waitFor('its processes gone', async () => ((await findTaskProcesses(taskId!)).length === 0 ? true : undefined));
    await scheduler.kill9();
  });

  it('turns a task PARTITIONED longer than its delaySecs LOST and reschedules it elsewhere; the old one is killed when its agent answers', async () => {
    useStateDir('state-partition-delay', { agentPingTimeoutMs: 200, maxAgentPingTimeouts: 3, partitionAware: true });
    const key: JobKey = { role: 'www-data', environment: 'prod', name: 'moved' };
    const { scheduler, client } = await start();
    await client.createJob(testJob({ name: 'moved', environment: 'prod', service: true, task: { partitionPolicy: { reschedule: true, delaySecs: 1 } } }));
    const [[taskId, pids]] = [...(await running(client, key, 1))];
    const host = (await tasks(client, key))[0]!.assignedTask!.slaveHost!;
    const other = HOSTS.find((h) => h !== host)!;
    await whileFrozen(host, async () => {
      const partitioned = await waitFor('the task PARTITIONED', async () => (await tasks(client, key, [ScheduleStatus.PARTITIONED]))[0]);
      const lost = await lostAndReplaced(client, key, taskId!, pids!, other, 'Task partitioned for too long.');
      expect(lost.taskEvents!.at(-1)!.timestamp! - partitioned.taskEvents!.at(-1)!.timestamp!).toBeGreaterThanOrEqual(1000);
    });
    await oldOneKilled(client, key, taskId!, other);
    await scheduler.kill9();
  });

  it('a scheduler restarted while a task is PARTITIONED takes it back RUNNING from its agent, same processes', async () => {
    useStateDir('state-partition-restart', { agentPingTimeoutMs: 200, maxAgentPingTimeouts: 3, partitionAware: true });
    const key: JobKey = { role: 'www-data', environment: 'prod', name: 'waited' };
    const first = await start();
    await first.client.createJob(testJob({ name: 'waited', environment: 'prod', service: true, task: { partitionPolicy: { reschedule: false } } }));
    const [[taskId, pids]] = [...(await running(first.client, key, 1))];
    await whileFrozen((await tasks(first.client, key))[0]!.assignedTask!.slaveHost!, async () => {
      await waitFor('the task PARTITIONED', async () => (await tasks(first.client, key, [ScheduleStatus.PARTITIONED]))[0]);
      await first.scheduler.kill9();
    });
    const { scheduler, client } = await start();
    const [[again, samePids]] = [...(await running(client, key, 1))];
    expect(again).toBe(taskId);
    expect(samePids).toEqual(pids);
    expect((await tasks(client, key))[0]!.taskEvents!.map((e) => ScheduleStatus[e.status!]).slice(-2)).toEqual(['PARTITIONED', 'RUNNING']);
    await scheduler.kill9();
  });
});
