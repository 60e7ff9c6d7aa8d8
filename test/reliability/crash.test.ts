/**
 * Crash under load: a scheduler with a state directory runs in a child process (the built dist/) while
 * clients write to it; it gets kill -9 at a random moment, a new one starts on the same directory, and
 * every acknowledged job, kill, cron job, quota and update must be there; task processes must be
 * adopted (no orphans: every marked process belongs to an active task). CRASH_ROUNDS rounds (3 in CI).
 * The durability helper's own kill -9 cases (exactly-once launches, adoption, update resumption) are
 * in test/scheduler/durability.test.ts.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { ScheduleStatus, type JobKey } from '../../src/gen/types.js';
import { markedProcesses, SUPERVISOR_MARKER_VAR } from '../../src/scheduler/runner/index.js';
import { envInt, jobConfig, report, schedulerProcess, tempDir, writeExecutors } from './helpers.js';

const ROUNDS = envInt('CRASH_ROUNDS', 3);
const WRITERS = 8;
const ACTIVE = [ScheduleStatus.PENDING, ScheduleStatus.ASSIGNED, ScheduleStatus.STARTING, ScheduleStatus.RUNNING, ScheduleStatus.THROTTLED, ScheduleStatus.KILLING, ScheduleStatus.RESTARTING];
const children = new Set<ChildProcess>();
const stateDirs: string[] = [];

/** Task and supervisor processes whose sandbox lives in one of this file's state directories. */
async function ourProcesses() {
  return (await markedProcesses(SUPERVISOR_MARKER_VAR)).filter((p) => stateDirs.some((dir) => existsSync(join(dir, 'sandboxes', p.taskId))));
}

afterAll(async () => {
  // After a failure, leave nothing running: the schedulers and the task processes they left.
  for (const child of children) child.kill('SIGKILL');
  for (const p of await ourProcesses()) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

async function startChild(stateDir: string, executors: string): Promise<{ url: string; child: ChildProcess }> {
  const { url, child } = await schedulerProcess({ executors, stateDir, cpus: 100, ramMb: 100_000, diskMb: 100_000, killGraceMs: 200, throttle: { minRunningMs: 0, initialBackoffMs: 100, maxBackoffMs: 200 } });
  children.add(child);
  return { url, child };
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => {
      children.delete(child);
      resolve();
    });
    child.kill('SIGKILL');
  });
}

interface Ledger {
  live: Set<string>;
  killed: Set<string>;
  cron: Set<string>;
  quota: Map<string, number>;
  /** setQuota calls interrupted since the role's last acknowledged one: their outcome is unknown, so the role may hold any of these values. */
  quotaInFlight: Map<string, number[]>;
  updates: Set<string>;
}

describe(`kill -9 during load, ${ROUNDS} rounds`, () => {
  it(
    'every acknowledged write survives, and no task process is orphaned',
    async () => {
      const dir = tempDir('aurora-ts-rel-crash-');
      const stateDir = join(dir, 'state');
      stateDirs.push(stateDir);
      const executors = writeExecutors(dir);
      const ledger: Ledger = { live: new Set(), killed: new Set(), cron: new Set(), quota: new Map(), quotaInFlight: new Map(), updates: new Set() };
      const key = (name: string): JobKey & { name: string } => ({ role: 'crash', environment: 'devel', name });
      let serial = 0;
      let acknowledged = 0;
      let interrupted = 0;

      for (let round = 0; round < ROUNDS; round++) {
        const { url, child } = await startChild(stateDir, executors);
        const client = new AuroraClient({ url, netrc: false, retry: false, timeoutMs: 10_000 });
        await verify(client, ledger);

        let stop = false;
        const writer = async (w: number): Promise<void> => {
          const mine = new AuroraClient({ url, netrc: false, retry: false, timeoutMs: 10_000 });
          try {
            while (!stop) {
              const n = serial++;
              const roll = Math.random();
              try {
                if (roll < 0.4) {
                  const k = key(`job${n}`);
                  const config = jobConfig(k.name, 1, { key: k });
                  config.taskConfig!.job = k;
                  await mine.createJob(config);
                  ledger.live.add(k.name);
                } else if (roll < 0.55 && ledger.live.size > 0) {
                  const name = [...ledger.live][0]!;
                  ledger.live.delete(name); // in flight: neither live nor known-killed until acknowledged
                  await mine.killTasks(key(name), [], 'crash test');
                  ledger.killed.add(name);
                } else if (roll < 0.7) {
                  const k = key(`cron${n}`);
                  const config = jobConfig(k.name, 1, { key: k, cronSchedule: '0 0 1 1 *' });
                  config.taskConfig!.job = k;
                  config.taskConfig!.isService = false;
                  await mine.scheduleCronJob(config);
                  ledger.cron.add(k.name);
                } else if (roll < 0.85) {
                  const role = `crashq${w}`;
                  // Only this writer sets this role, one call at a time.
                  ledger.quotaInFlight.set(role, [...(ledger.quotaInFlight.get(role) ?? []), n + 1]);
                  await mine.setQuota(role, { resources: [{ numCpus: n + 1 }, { ramMb: 1024 }, { diskMb: 1024 }] });
                  ledger.quota.set(role, n + 1);
                  ledger.quotaInFlight.delete(role);
                } else {
                  const k = key(`upd${n}`);
                  const config = jobConfig(k.name, 1, { key: k });
                  config.taskConfig!.job = k;
                  await mine.createJob(config);
                  const next = structuredClone(config.taskConfig!);
                  next.executorConfig = { name: 'sleeper', data: 'v2' };
                  const started = await mine.startJobUpdate({ taskConfig: next, instanceCount: 1, settings: { updateGroupSize: 1, minWaitInInstanceRunningMs: 100 } }, 'crash');
                  ledger.updates.add(`${k.name}/${started.key?.id}`);
                  ledger.live.add(k.name);
                }
                acknowledged++;
              } catch {
                // The crash interrupted this call: its outcome is unknown, so it is not in the ledger.
                interrupted++;
                if (stop) return;
              }
            }
          } finally {
            mine.close();
          }
        };
        const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 1200));
        await kill9(child);
        stop = true;
        await Promise.all(writers);
        client.close();
      }

      // A last restart: everything acknowledged is there, and every task process belongs to an active task.
      const { url, child } = await startChild(stateDir, executors);
      const client = new AuroraClient({ url, netrc: false, timeoutMs: 10_000 });
      try {
        await verify(client, ledger);
        const active = await waitForSettled(client);
        const activeIds = new Set(active.map((t) => t.assignedTask!.taskId!));
        // A process of a task that just ended may take a moment to exit; one that stays is an orphan.
        let orphans = (await ourProcesses()).filter((p) => !activeIds.has(p.taskId));
        for (let i = 0; i < 50 && orphans.length > 0; i++) {
          await new Promise((r) => setTimeout(r, 100));
          orphans = (await ourProcesses()).filter((p) => !activeIds.has(p.taskId));
        }
        expect(orphans).toEqual([]);
        report('crash', { rounds: ROUNDS, writers: WRITERS, acknowledged, interrupted, liveJobs: ledger.live.size, killed: ledger.killed.size, cron: ledger.cron.size, updates: ledger.updates.size });
        // Clean up: kill every job, then stop the scheduler; nothing of ours may be left running.
        const names = new Set(((await client.getTasksStatus({ role: 'crash', statuses: ACTIVE })).tasks ?? []).map((t) => t.assignedTask!.task!.job!.name!));
        for (const name of names) await client.killTasks(key(name), [], 'cleanup');
        await waitForNone(client);
      } finally {
        client.close();
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
        children.delete(child);
      }
      const left = await ourProcesses();
      expect(left).toEqual([]);
    },
    60_000 + ROUNDS * 20_000,
  );
});

async function verify(client: AuroraClient, ledger: Ledger): Promise<void> {
  const active = (await client.getTasksStatus({ role: 'crash', statuses: ACTIVE })).tasks ?? [];
  const activeJobs = new Set(active.map((t) => t.assignedTask?.task?.job?.name));
  for (const name of ledger.live) expect(activeJobs.has(name), `acknowledged job ${name}`).toBe(true);
  // An acknowledged kill may still be finishing (KILLING) right after a restart, but nothing else.
  const unkilled = new Set(active.filter((t) => t.status !== ScheduleStatus.KILLING).map((t) => t.assignedTask?.task?.job?.name));
  for (const name of ledger.killed) expect(unkilled.has(name), `acknowledged kill of ${name}`).toBe(false);
  const jobs = (await client.getJobs('crash')).configs ?? [];
  const cron = new Set(jobs.filter((j) => j.cronSchedule).map((j) => j.key?.name));
  for (const name of ledger.cron) expect(cron.has(name), `acknowledged cron job ${name}`).toBe(true);
  for (const [role, cpus] of ledger.quota) {
    const quota = (await client.getQuota(role)).quota?.resources ?? [];
    const stored = quota.find((r) => typeof r.numCpus === 'number')?.numCpus;
    // The acknowledged value, or that of a later call a crash interrupted (stored before its reply was lost).
    const allowed = [cpus, ...(ledger.quotaInFlight.get(role) ?? [])];
    expect(allowed, `quota of ${role}: ${stored}`).toContain(stored);
  }
  for (const entry of ledger.updates) {
    const [name, id] = entry.split('/') as [string, string];
    const summaries = (await client.getJobUpdateSummaries({ jobKey: { role: 'crash', environment: 'devel', name } })).updateSummaries ?? [];
    expect(summaries.some((s) => s.key?.id === id), `acknowledged update ${entry}`).toBe(true);
  }
}

async function waitForSettled(client: AuroraClient) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const active = (await client.getTasksStatus({ role: 'crash', statuses: ACTIVE })).tasks ?? [];
    if (active.every((t) => t.status === ScheduleStatus.RUNNING) || Date.now() > deadline) return active;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitForNone(client: AuroraClient): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (((await client.getTasksStatus({ role: 'crash', statuses: ACTIVE })).tasks ?? []).length > 0) {
    if (Date.now() > deadline) throw new Error('tasks still active after cleanup');
    await new Promise((r) => setTimeout(r, 100));
  }
}
