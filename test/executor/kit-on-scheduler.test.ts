/**
 * An executor written with the kit (test/fixtures/kit-executor/executor.mjs, run from dist/) named
 * in a custom-executor file and run by a real local scheduler under Mesos' rules, in both media
 * types: its updates drive the task (RUNNING, FINISHED or FAILED from its command's exit, KILLED
 * through KILL, KILLED through SHUTDOWN when the scheduler stops), it decoded the AssignedTask and
 * its JSON executor data, and it exits on its own once its task has ended. Needs `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleStatus, type ScheduledTask } from '../../src/gen/types.js';
import { pidAlive, startTestScheduler, tasksOf, testJob, waitFor, type ExecutorEntry, type TestScheduler } from '../support/scheduler.js';

const FIXTURE = resolve(import.meta.dirname, '../fixtures/kit-executor/executor.mjs');

function kitExecutor(name: string, media: 'json' | 'protobuf', mode: 'default' | 'stubborn', prefix: string): ExecutorEntry {
  return {
    executor: {
      name,
      command: { value: process.execPath, shell: false, arguments: ['node', FIXTURE, media, mode] },
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.05 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }],
    },
    task_prefix: prefix,
  } as ExecutorEntry;
}

const statusNames = (task: ScheduledTask): string[] => task.taskEvents!.map((e) => ScheduleStatus[e.status!]);
const messageOf = (task: ScheduledTask, status: ScheduleStatus): string | undefined => task.taskEvents!.find((e) => e.status === status)?.message;
const read = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

async function taskIn(local: TestScheduler, name: string, status: ScheduleStatus): Promise<ScheduledTask> {
  const key = { role: 'www-data', environment: 'devel', name };
  const [task] = await waitFor(ScheduleStatus[status], async () => {
    const tasks = await tasksOf(local.client, key, [status]);
    return tasks.length > 0 ? tasks : undefined;
  });
  return task!;
}

describe.each(['json', 'protobuf'] as const)('an executor written with the kit, in %s', (media) => {
  let local: TestScheduler;
  let workDir: string;
  let closed = false;
  const sandbox = (taskId: string): string => join(workDir, 'sandboxes', taskId);
  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'aurora-ts-kit-'));
    local = await startTestScheduler({
      executors: [kitExecutor('kit', media, 'default', 'kit-'), kitExecutor('kit-stubborn', media, 'stubborn', 'kitstub-')],
      mesosExecutors: { mode: 'mesos', killRetryMs: 300 },
      workDir,
    });
  });
  afterAll(async () => {
    if (!closed) await local?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('runs a batch task to FINISHED, having decoded the AssignedTask and its JSON executor data, then exits 0', async () => {
    const data = JSON.stringify({ cmd: 'echo "batch output $MESOS_EXECUTOR_ID"' });
    await local.client.createJob(testJob({ name: `kitbatch${media}`, executor: 'kit', data }));
    const task = await taskIn(local, `kitbatch${media}`, ScheduleStatus.FINISHED);
    expect(statusNames(task)).toEqual(['PENDING', 'ASSIGNED', 'STARTING', 'RUNNING', 'FINISHED']);
    expect(messageOf(task, ScheduleStatus.FINISHED)).toBe('Command exited with status 0');
    const taskId = task.assignedTask!.taskId!;
    const launched = JSON.parse(read(join(sandbox(taskId), 'launched.json')));
    expect(launched).toEqual({
      taskId,
      name: `www-data/devel/kitbatch${media}`,
      executorId: `kit-${taskId}`,
      assignedTaskId: taskId,
      data,
      config: { cmd: 'echo "batch output $MESOS_EXECUTOR_ID"' },
    });
    expect(read(join(sandbox(taskId), 'stdout'))).toContain(`batch output kit-${taskId}`);
    const log = await waitFor('the executor to exit', () => {
      const text = read(join(sandbox(taskId), 'stdout'));
      return text.includes('exit 0:') ? text : undefined;
    });
    expect(log).toContain('exit 0: every task has ended');
    expect(read(join(sandbox(taskId), 'stderr'))).toContain(`executor: subscribed to the agent at 127.0.0.1:`);
  });

  it('reports FAILED with the exit status of a command that fails', async () => {
    await local.client.createJob(testJob({ name: `kitfail${media}`, executor: 'kit', data: JSON.stringify({ cmd: 'exit 3' }), task: { maxTaskFailures: 1 } }));
    const task = await taskIn(local, `kitfail${media}`, ScheduleStatus.FAILED);
    expect(statusNames(task)).toEqual(['PENDING', 'ASSIGNED', 'STARTING', 'RUNNING', 'FAILED']);
    expect(messageOf(task, ScheduleStatus.FAILED)).toBe('Command exited with status 3');
  });

  it('FAILED naming the field when the executor data is not JSON', async () => {
    await local.client.createJob(testJob({ name: `kitbad${media}`, executor: 'kit', data: 'not json', task: { maxTaskFailures: 1 } }));
    const task = await taskIn(local, `kitbad${media}`, ScheduleStatus.FAILED);
    expect(messageOf(task, ScheduleStatus.FAILED)).toMatch(/^The executor failed to launch the task: AssignedTask\.task\.executorConfig\.data of task .* is not JSON: /);
  });

  it('runs a service RUNNING, then KILLED through KILL, its process tree gone', async () => {
    const name = `kitservice${media}`;
    await local.client.createJob(testJob({ name, executor: 'kit', service: true, data: JSON.stringify({ cmd: 'sleep 600 & sleep 600; wait' }) }));
    const running = await taskIn(local, name, ScheduleStatus.RUNNING);
    const taskId = running.assignedTask!.taskId!;
    const pid = Number(await waitFor('command.pid', () => read(join(sandbox(taskId), 'command.pid')) || undefined));
    expect(pidAlive(pid)).toBe(true);
    await local.client.killTasks({ role: 'www-data', environment: 'devel', name }, [0], 'enough');
    const killed = await taskIn(local, name, ScheduleStatus.KILLED);
    expect(messageOf(killed, ScheduleStatus.KILLED)).toBe('Killed by the executor');
    // The whole process group (the shell and both sleeps), not only its leader.
    expect(spawnSync('pgrep', ['-g', String(pid)]).stdout.toString().trim()).toBe('');
    await waitFor('the executor to exit', () => (read(join(sandbox(taskId), 'stdout')).includes('exit 0: every task has ended') ? true : undefined));
  });

  it('a task whose executor ignores KILL stays KILLING; stopping the scheduler sends SHUTDOWN and the kit kills it and exits', async () => {
    const name = `kitstubborn${media}`;
    await local.client.createJob(testJob({ name, executor: 'kit-stubborn', service: true, data: JSON.stringify({ cmd: 'exec sleep 600' }) }));
    const running = await taskIn(local, name, ScheduleStatus.RUNNING);
    const taskId = running.assignedTask!.taskId!;
    const pid = Number(await waitFor('command.pid', () => read(join(sandbox(taskId), 'command.pid')) || undefined));
    await local.client.killTasks({ role: 'www-data', environment: 'devel', name }, [0], 'stop');
    await waitFor('KILL sent again', () => (read(join(sandbox(taskId), 'stdout')).split('ignoring KILL').length - 1 >= 2 ? true : undefined));
    expect(ScheduleStatus[(await tasksOf(local.client, { role: 'www-data', environment: 'devel', name }))[0]!.status!]).toBe('KILLING');
    await local.close();
    closed = true;
    const stdout = read(join(sandbox(taskId), 'stdout'));
    expect(stdout).toContain('shutdown handler called');
    expect(stdout).toContain('exit 0: shut down by the agent');
    expect(read(join(sandbox(taskId), 'stderr'))).toContain('executor: SHUTDOWN from the agent');
    await waitFor('the command to be gone', () => !pidAlive(pid));
  });
});
