/**
 * Re-subscription after a scheduler restart, as a checkpointing executor re-subscribes after a Mesos
 * agent restart: an executor written with the kit (test/fixtures/kit-executor/executor.mjs, run from
 * dist/) keeps its task through a scheduler killed -9 (a real child process) or stopped (its tasks
 * left running) and restarted on the same state directory: the executor API comes back on the same
 * address, the same executor process SUBSCRIBEs again, the task stays RUNNING, and a kill reaches the
 * executor as a KILL (its own TASK_KILLED message). One that cannot re-subscribe within Mesos'
 * executor_reregistration_timeout (stopped with SIGSTOP; or the old port taken) is killed and its task
 * is LOST (REASON_EXECUTOR_REREGISTRATION_TIMEOUT). Needs `npm run build`.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { ScheduleStatus, type ScheduledTask } from '../../src/gen/types.js';
import { startScheduler, type SchedulerOptions } from '../../src/scheduler/index.js';
import { buildSchedulerForChild, CHILD_SCHEDULER_OPTIONS, startChildScheduler } from '../support/child-scheduler.js';
import { pidAlive, tasksOf, testJob, waitFor } from '../support/scheduler.js';

const FIXTURE = resolve(import.meta.dirname, '../fixtures/kit-executor/executor.mjs');
const KEY = (name: string) => ({ role: 'www-data', environment: 'devel', name });

let work: string;
let built: string;
let executors: string;
const children = new Set<ChildProcess>();
const executorPids: number[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'aurora-ts-resub-'));
  executors = join(work, 'executors.json');
  const entry = (media: string) => ({
    executor: {
      name: `kit-${media}`,
      command: { value: process.execPath, shell: false, arguments: ['node', FIXTURE, media] },
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.05 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }],
    },
    task_prefix: `kit${media}-`,
  });
  writeFileSync(executors, JSON.stringify([entry('json'), entry('protobuf')]));
  built = await buildSchedulerForChild(join(work, 'build'));
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  // Executors outlive their schedulers by design: end the ones these tests started.
  for (const pid of executorPids) if (pidAlive(pid)) process.kill(-pid, 'SIGKILL');
  if (work) rmSync(work, { recursive: true, force: true });
});

const options = (stateDir: string, mesos: SchedulerOptions['mesosExecutors'] = {}): Partial<SchedulerOptions> => ({
  ...CHILD_SCHEDULER_OPTIONS,
  executors,
  stateDir,
  mesosExecutors: { mode: 'mesos', killRetryMs: 300, ...mesos },
});
const read = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};
const subscriptions = (log: string): string[] => log.split('\n').filter((line) => line.includes('executor: subscribed to the agent at '));

async function taskIn(client: AuroraClient, name: string, status: ScheduleStatus): Promise<ScheduledTask> {
  const [task] = await waitFor(ScheduleStatus[status], async () => {
    const tasks = await tasksOf(client, KEY(name), [status]);
    return tasks.length > 0 ? tasks : undefined;
  });
  return task!;
}

/** A service on the kit executor, RUNNING: its task id, sandbox and executor pid. */
async function runService(client: AuroraClient, stateDir: string, name: string, media: string) {
  await client.createJob(testJob({ name, executor: `kit-${media}`, service: true, data: JSON.stringify({ cmd: 'exec sleep 600' }) }));
  const task = await taskIn(client, name, ScheduleStatus.RUNNING);
  const taskId = task.assignedTask!.taskId!;
  const sandbox = join(stateDir, 'sandboxes', taskId);
  const pid = Number(await waitFor('executor.pid', () => read(join(sandbox, 'executor.pid')) || undefined));
  executorPids.push(pid);
  await waitFor('the first subscription', () => subscriptions(read(join(sandbox, 'stderr'))).length === 1 || undefined);
  return { taskId, sandbox, pid };
}

/** After the restart: the same executor subscribed again, to the same address, and the task is the same RUNNING one. */
async function expectResubscribed(client: AuroraClient, name: string, service: { taskId: string; sandbox: string; pid: number }): Promise<void> {
  const lines = await waitFor('the executor to re-subscribe', () => {
    const found = subscriptions(read(join(service.sandbox, 'stderr')));
    return found.length >= 2 ? found : undefined;
  });
  expect(lines[1]).toBe(lines[0]);
  expect(pidAlive(service.pid)).toBe(true);
  // Well past the re-registration timeout (2 s): still the same task, RUNNING.
  await new Promise((done) => setTimeout(done, 2500));
  const [task, ...others] = await tasksOf(client, KEY(name));
  expect(others).toEqual([]);
  expect(task!.assignedTask!.taskId).toBe(service.taskId);
  expect(ScheduleStatus[task!.status!]).toBe('RUNNING');
  expect(pidAlive(service.pid)).toBe(true);
}

/** A kill after the restart reaches the executor as a KILL: its own TASK_KILLED ends the task, and it exits. */
async function expectKilledThroughExecutor(client: AuroraClient, name: string, service: { sandbox: string; pid: number }): Promise<void> {
  await client.killTasks(KEY(name), [], 'enough');
  const killed = await taskIn(client, name, ScheduleStatus.KILLED);
  expect(killed.taskEvents!.at(-1)!.message).toBe('Killed by the executor');
  await waitFor('the executor to exit', () => (read(join(service.sandbox, 'stdout')).includes('exit 0: every task has ended') ? true : undefined));
  await waitFor('the executor gone', () => !pidAlive(service.pid) || undefined);
}

describe('a kit executor across scheduler restarts on the same state directory', () => {
  it('re-subscribes after the scheduler is killed -9 (protobuf, with its authentication token): RUNNING, then KILLED through KILL', async () => {
    const stateDir = join(work, 'kill9');
    // Executors authenticate: the token it was started with must still be good for the restarted scheduler.
    const authenticated = options(stateDir, { authenticateHttpExecutors: true });
    const first = await startChildScheduler(built, authenticated, children);
    const service = await runService(new AuroraClient({ url: first.url, protocol: 'binary' }), stateDir, 'resubkill', 'protobuf');
    expect(read(join(service.sandbox, 'stderr'))).not.toContain('401');
    await first.kill9();

    const second = await startChildScheduler(built, authenticated, children);
    const client = new AuroraClient({ url: second.url, protocol: 'binary' });
    await expectResubscribed(client, 'resubkill', service);
    expect(read(join(service.sandbox, 'stderr'))).not.toMatch(/401|Unauthorized/);
    await expectKilledThroughExecutor(client, 'resubkill', service);
    await second.kill9();
  });

  it('re-subscribes after the scheduler stops leaving its tasks running (json): RUNNING, then KILLED through KILL', async () => {
    const stateDir = join(work, 'stop');
    const first = await startScheduler({ ...options(stateDir), onLog: () => undefined });
    const service = await runService(new AuroraClient({ url: first.url, protocol: 'binary' }), stateDir, 'resubstop', 'json');
    await first.close();
    // The stream ended with the scheduler: the executor says so and keeps trying.
    await waitFor('the executor to notice', () => read(join(service.sandbox, 'stderr')).includes('executor: disconnected') || undefined);

    const second = await startScheduler({ ...options(stateDir), onLog: () => undefined });
    try {
      const client = new AuroraClient({ url: second.url, protocol: 'binary' });
      await expectResubscribed(client, 'resubstop', service);
      await expectKilledThroughExecutor(client, 'resubstop', service);
    } finally {
      await second.close();
    }
  });

  it('an executor that does not re-subscribe in time (stopped) is killed and its task is LOST', async () => {
    const stateDir = join(work, 'stopped');
    const first = await startChildScheduler(built, options(stateDir), children);
    const service = await runService(new AuroraClient({ url: first.url, protocol: 'binary' }), stateDir, 'resubmiss', 'protobuf');
    process.kill(service.pid, 'SIGSTOP');
    await first.kill9();

    const second = await startChildScheduler(built, options(stateDir), children);
    const client = new AuroraClient({ url: second.url, protocol: 'binary' });
    const lost = await taskIn(client, 'resubmiss', ScheduleStatus.LOST);
    expect(lost.assignedTask!.taskId).toBe(service.taskId);
    expect(lost.taskEvents!.at(-1)!.message).toBe('Executor did not reregister within 2secs (REASON_EXECUTOR_REREGISTRATION_TIMEOUT)');
    await waitFor('the executor killed', () => !pidAlive(service.pid) || undefined);
    expect(subscriptions(read(join(service.sandbox, 'stderr')))).toHaveLength(1);
    await second.kill9();
  });

  it('when the executor API port is taken meanwhile, says so in one line; the executor cannot re-subscribe and its task is LOST', async () => {
    const stateDir = join(work, 'taken');
    const first = await startScheduler({ ...options(stateDir), onLog: () => undefined });
    const service = await runService(new AuroraClient({ url: first.url, protocol: 'binary' }), stateDir, 'resubtaken', 'json');
    const endpoint = subscriptions(read(join(service.sandbox, 'stderr')))[0]!.match(/at 127\.0\.0\.1:(\d+) /)![1]!;
    await first.close();
    const squatter: Server = createServer();
    await new Promise<void>((done) => squatter.listen(Number(endpoint), '127.0.0.1', done));
    const logs: string[] = [];
    const second = await startScheduler({ ...options(stateDir), onLog: (line) => logs.push(line) });
    try {
      expect(logs.filter((line) => line.includes(`executor API's port ${endpoint}`))).toEqual([
        expect.stringMatching(new RegExp(`^The executor API's port ${endpoint} \\(127\\.0\\.0\\.1\\) is taken by another process; serving it on \\d+: executors started before the restart cannot re-subscribe and their tasks will be LOST\\.$`)),
      ]);
      const client = new AuroraClient({ url: second.url, protocol: 'binary' });
      const lost = await taskIn(client, 'resubtaken', ScheduleStatus.LOST);
      expect(lost.taskEvents!.at(-1)!.message).toMatch(/REASON_EXECUTOR_REREGISTRATION_TIMEOUT/);
      await waitFor('the executor killed', () => !pidAlive(service.pid) || undefined);
    } finally {
      await second.close();
      squatter.close();
    }
  });
});
