/**
 * A local cluster of agents through the real client: tasks are placed by Aurora's rules (LIMIT and
 * VALUE constraints on attributes, dedicated hosts, per-agent resources and port ranges), pending tasks
 * say why in Aurora's words, a drain moves tasks to the other agent, and maintenance answers only for
 * hosts agents have. Every agent's tasks are real processes of this machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuroraClient } from '../../src/client/client.js';
import { MaintenanceMode, ScheduleStatus, type Constraint, type JobKey } from '../../src/gen/types.js';
import type { AgentSpec } from '../../src/scheduler/agents/pool.js';
import { loadAgentsFile } from '../../src/scheduler/agents/schema.js';
import { waitForMaintenance } from '../../src/waiters/index.js';
import { ACTIVE_STATUSES, errorOf, shellExecutor, startTestScheduler, tasksOf, testJob, waitFor, waitForRunning, type TestScheduler } from '../support/scheduler.js';

const AGENTS: AgentSpec[] = [
  { host: 'localhost', attributes: { host: 'localhost', zone: 'west', rack: 'r1' }, resources: { cpus: 2, ramMb: 2048, diskMb: 4096, ports: '21000-21009' } },
  { host: 'agent-two', attributes: { host: 'agent-two', zone: 'east' }, resources: { cpus: 2, ramMb: 2048, diskMb: 4096, ports: '22000-22009' } },
  { host: 'agent-ded', attributes: { host: 'agent-ded', zone: 'east', dedicated: 'www-data/db' }, resources: { cpus: 2, ramMb: 2048, diskMb: 4096 } },
];

let local: TestScheduler;
let client: AuroraClient;

beforeAll(async () => {
  local = await startTestScheduler({
    executors: [shellExecutor('sleeper', 'exec sleep 60')],
    agents: AGENTS,
    maintenance: { pollMs: 100 },
  });
  client = local.client;
});

afterAll(async () => {
  await local?.close();
});

const limit = (name: string, n: number): Constraint => ({ name, constraint: { limit: { limit: n } } });
const value = (name: string, values: string[], negated = false): Constraint => ({ name, constraint: { value: { values, negated } } });

async function pendingReasons(key: JobKey, count: number): Promise<string[]> {
  return waitFor(`${count} pending reasons`, async () => {
    const reasons = (await client.getPendingReason({ jobKeys: [key] })).reasons ?? [];
    return reasons.length === count && reasons.every((r) => r.reason !== '') ? reasons.map((r) => r.reason!) : undefined;
  });
}

async function killAll(key: JobKey): Promise<void> {
  await client.killTasks(key, [], 'done');
  await waitFor('job gone', async () => ((await tasksOf(client, key, [...ACTIVE_STATUSES])).length === 0 ? true : undefined));
}

const hostsOf = (tasks: { assignedTask?: { slaveHost?: string } }[]) => tasks.map((t) => t.assignedTask!.slaveHost!).sort();

describe('a cluster of agents', () => {
  it('spreads a job by a zone LIMIT: one RUNNING per zone, the third PENDING with "Limit not satisfied: zone"', async () => {
    const job = testJob({ name: 'spread', instances: 3, service: true, task: { constraints: [limit('zone', 1)] } });
    await client.createJob(job);
    const running = await waitFor('2 RUNNING', async () => {
      const tasks = await tasksOf(client, job.key!, [ScheduleStatus.RUNNING]);
      return tasks.length === 2 ? tasks : undefined;
    });
    expect(hostsOf(running)).toEqual(['agent-two', 'localhost']);
    expect(running.map((t) => t.assignedTask!.slaveId).sort()).toEqual(['agent-two-aurora-ts-local', 'localhost-aurora-ts-local']);
    expect(await tasksOf(client, job.key!, [ScheduleStatus.PENDING])).toHaveLength(1);
    // The dedicated agent is in zone east too, but its first veto is the stronger one: it is dedicated.
    expect(await pendingReasons(job.key!, 1)).toEqual(['Limit not satisfied: zone']);
    await killAll(job.key!);
  });

  it('places by VALUE constraints on zone and on host, negated ones too', async () => {
    const east = testJob({ name: 'east', instances: 2, task: { constraints: [value('zone', ['east'])] } });
    const notLocal = testJob({ name: 'notlocal', instances: 2, task: { constraints: [value('host', ['localhost'], true)] } });
    const nowhere = testJob({ name: 'nowhere', instances: 1, task: { constraints: [value('zone', ['north'])] } });
    await client.createJob(east);
    await client.createJob(notLocal);
    await client.createJob(nowhere);
    expect(hostsOf(await waitForRunning(client, east.key!, 2))).toEqual(['agent-two', 'agent-two']);
    expect(hostsOf(await waitForRunning(client, notLocal.key!, 2))).toEqual(['agent-two', 'agent-two']);
    expect(await pendingReasons(nowhere.key!, 1)).toEqual(['Constraint not satisfied: zone']);
    for (const job of [east, notLocal, nowhere]) await killAll(job.key!);
  });

  it('keeps a dedicated agent for the role that asks for it', async () => {
    const db = testJob({ name: 'db', instances: 2, task: { constraints: [value('dedicated', ['www-data/db'])] } });
    await client.createJob(db);
    expect(hostsOf(await waitForRunning(client, db.key!, 2))).toEqual(['agent-ded', 'agent-ded']);
    // A job pinned to the dedicated host without asking for it is refused there, in Aurora's words.
    const intruder = testJob({ name: 'intruder', task: { constraints: [value('host', ['agent-ded'])] } });
    await client.createJob(intruder);
    expect(await pendingReasons(intruder.key!, 1)).toEqual(['Constraint not satisfied: host']);
    // Another role may not ask for it at all.
    const other = testJob({ name: 'db', role: 'other', task: { constraints: [value('dedicated', ['www-data/db'])] } });
    expect(String(await errorOf(client.createJob(other)))).toContain('Only www-data may use hosts dedicated for that role.');
    for (const job of [db, intruder]) await killAll(job.key!);
  });

  it('fits resources per agent and says which fall short', async () => {
    const big = testJob({ name: 'big', resources: [{ numCpus: 3 }, { ramMb: 16 }, { diskMb: 16 }] });
    await client.createJob(big);
    expect(await pendingReasons(big.key!, 1)).toEqual(['Insufficient: CPU']);
    await killAll(big.key!);
  });

  it("assigns named ports from the agent's ranges", async () => {
    const web = testJob({ name: 'ports', instances: 2, resources: [{ numCpus: 0.1 }, { ramMb: 16 }, { diskMb: 16 }, { namedPort: 'http' }, { namedPort: 'admin' }], task: { constraints: [limit('host', 1)] } });
    await client.createJob(web);
    const running = await waitForRunning(client, web.key!, 2);
    for (const t of running) {
      const ports = Object.values(t.assignedTask!.assignedPorts!);
      const [low, high] = t.assignedTask!.slaveHost === 'localhost' ? [21000, 21009] : [22000, 22009];
      expect(ports).toHaveLength(2);
      for (const port of ports) expect(port).toBeGreaterThanOrEqual(low), expect(port).toBeLessThanOrEqual(high);
    }
    await killAll(web.key!);
  });

  it('drains a host: its tasks move to the other agent; unknown hosts are left out of the replies', async () => {
    // First fit: both on localhost (the dedicated agent refuses tasks that do not ask for it).
    const job = testJob({ name: 'movers', instances: 2, service: true });
    await client.createJob(job);
    expect(hostsOf(await waitForRunning(client, job.key!, 2))).toEqual(['localhost', 'localhost']);

    const drain = await client.drainHosts({ hostNames: ['localhost', 'nosuchhost'] });
    expect((drain.statuses ?? []).map((s) => [s.host, MaintenanceMode[s.mode!]])).toEqual([['localhost', 'DRAINING']]);
    await waitForMaintenance(client, ['localhost'], [MaintenanceMode.DRAINED], { timeoutMs: 10_000, intervalMs: 50, backoff: 1 });
    const after = await waitForRunning(client, job.key!, 2);
    expect(hostsOf(after)).toEqual(['agent-two', 'agent-two']);
    expect((await client.maintenanceStatus({ hostNames: ['nosuchhost'] })).statuses ?? []).toEqual([]);
    expect((await client.startMaintenance({ hostNames: ['nosuchhost'] })).statuses ?? []).toEqual([]);

    // While localhost is drained, a job that may only run there waits. Its reason is the nearest fit's,
    // as Aurora's NearestFit keeps it: the host mismatch elsewhere scores lower than the maintenance veto.
    const pinned = testJob({ name: 'pinned', task: { constraints: [value('host', ['localhost'])] } });
    await client.createJob(pinned);
    expect(await pendingReasons(pinned.key!, 1)).toEqual(['Constraint not satisfied: host']);
    await client.endMaintenance({ hostNames: ['localhost'] });
    expect(hostsOf(await waitForRunning(client, pinned.key!, 1))).toEqual(['localhost']);
    for (const j of [job, pinned]) await killAll(j.key!);
  });

  it('serves the agents, with resources used and free, on GET /agents', async () => {
    const job = testJob({ name: 'usage', instances: 1, task: { constraints: [value('host', ['agent-two'])] } });
    await client.createJob(job);
    await waitForRunning(client, job.key!, 1);
    const reply = (await (await fetch(`${local.url}/agents`)).json()) as { agents: Array<{ host: string; mode: string; tasks: number; resources: { used: { cpus: number }; free: { cpus: number } } }> };
    expect(reply.agents.map((a) => a.host)).toEqual(['localhost', 'agent-two', 'agent-ded']);
    const two = reply.agents.find((a) => a.host === 'agent-two')!;
    expect(two).toMatchObject({ mode: 'NONE', tasks: 1 });
    // The sleeper executor has no overhead: the task's own 0.1 CPU.
    expect(two.resources.used.cpus).toBeCloseTo(0.1);
    expect(two.resources.free.cpus).toBeCloseTo(1.9);
    await killAll(job.key!);
  });
});

describe('agents across a restart (stateDir)', () => {
  it('keep their tasks and maintenance modes; a host left out of the new agents is forgotten', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'aurora-ts-agents-state-'));
    const executors = [shellExecutor('sleeper', 'exec sleep 60')];
    const start = (agents: AgentSpec[]) => startTestScheduler({ executors, agents, stateDir });
    const job = testJob({ name: 'kept', task: { constraints: [value('host', ['agent-two'])] } });
    let first: TestScheduler | undefined = await start(AGENTS);
    try {
      await first.client.createJob(job);
      const [task] = await waitForRunning(first.client, job.key!, 1);
      expect((await first.client.drainHosts({ hostNames: ['localhost'] })).statuses).toEqual([{ host: 'localhost', mode: MaintenanceMode.DRAINED }]);
      await first.close();
      first = await start(AGENTS);
      const [same] = await waitForRunning(first.client, job.key!, 1);
      expect([same!.assignedTask!.taskId, same!.assignedTask!.slaveHost]).toEqual([task!.assignedTask!.taskId, 'agent-two']);
      expect((await first.client.maintenanceStatus({ hostNames: ['localhost'] })).statuses).toEqual([{ host: 'localhost', mode: MaintenanceMode.DRAINED }]);
      await first.close();
      // localhost is no agent any more: its stored mode is dropped, and the task on agent-two is adopted as before.
      first = await start([AGENTS[1]!]);
      expect((await first.client.maintenanceStatus({ hostNames: ['localhost', 'agent-two'] })).statuses).toEqual([{ host: 'agent-two', mode: MaintenanceMode.NONE }]);
      expect((await waitForRunning(first.client, job.key!, 1))[0]!.assignedTask!.taskId).toBe(task!.assignedTask!.taskId);
      await first.client.killTasks(job.key!, [], 'done');
      await waitFor('killed', async () => ((await tasksOf(first!.client, job.key!, [...ACTIVE_STATUSES])).length === 0 ? true : undefined));
    } finally {
      await first?.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe('agents given in code', () => {
  it('reserve a dedicated host: a job that does not ask for it waits with "Host is dedicated"', async () => {
    const only = await startTestScheduler({ executors: [shellExecutor('sleeper', 'exec sleep 60')], agents: [AGENTS[2]!] });
    try {
      const plain = testJob({ name: 'plain' });
      await only.client.createJob(plain);
      const reasons = await waitFor('a reason', async () => (await only.client.getPendingReason({ jobKeys: [plain.key!] })).reasons?.[0]?.reason || undefined);
      expect(reasons).toBe('Host is dedicated');
    } finally {
      await only.close();
    }
  });

  it('examples/agents.json is a valid agents file', async () => {
    const agents = await loadAgentsFile(join(import.meta.dirname, '../../examples/agents.json'));
    expect(agents.map((a) => [a.host, a.attributes?.zone, a.resources.ports])).toEqual([
      ['localhost', 'west', '11000-11999'],
      ['agent-two', 'east', '12000-12999'],
    ]);
  });

  it('are checked like the agents file: one line naming the field', async () => {
    const bad = [{ host: 'a', resources: { cpus: 1, ramMb: 1 } }, { host: 'a', resources: { cpus: 1, ramMb: 1 } }];
    await expect(startTestScheduler({ executors: [], agents: bad })).rejects.toThrow('agents[1].host: expected a unique host name; "a" is taken');
  });
});
