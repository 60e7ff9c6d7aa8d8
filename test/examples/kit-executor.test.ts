/**
 * examples/kit-executor.mjs (a Mesos executor written with aurora-ts/executor, run from this checkout
 * through the package's own `aurora-ts/executor` export, built to dist/) on a local scheduler that
 * runs custom executors under Mesos' rules only (`mode: 'mesos'`: a task moves only on the
 * executor's updates). The demo test shows it RUNNING and KILLED; here, a batch command's fate.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleStatus, type ScheduledTask } from '../../src/gen/types.js';
import { startTestScheduler, tasksOf, testJob, waitFor, type ExecutorEntry, type TestScheduler } from '../support/scheduler.js';

const root = join(import.meta.dirname, '../..');
const entry = {
  executor: {
    name: 'kit-executor',
    command: { value: process.execPath, shell: false, arguments: ['node', join(root, 'examples/kit-executor.mjs')] },
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.05 } }],
  },
  task_prefix: 'kit-',
} as ExecutorEntry;

let local: TestScheduler;
beforeAll(async () => {
  local = await startTestScheduler({ executors: [entry], mesosExecutors: { mode: 'mesos' } });
});
afterAll(async () => {
  await local?.close();
});

async function ended(name: string, command: unknown): Promise<ScheduledTask> {
  await local.client.createJob(testJob({ name, executor: 'kit-executor', data: JSON.stringify({ command }), task: { maxTaskFailures: 1 } }));
  const [task] = await waitFor(`${name} to end`, async () => {
    const tasks = await tasksOf(local.client, { role: 'www-data', environment: 'devel', name }, [ScheduleStatus.FINISHED, ScheduleStatus.FAILED]);
    return tasks.length > 0 ? tasks : undefined;
  });
  return task!;
}

const fate = (task: ScheduledTask) => [ScheduleStatus[task.status!], task.taskEvents!.at(-1)!.message];

describe('examples/kit-executor.mjs', () => {
  it('runs its executor data\'s command: FINISHED on exit 0, after RUNNING', async () => {
    const task = await ended('kitok', 'echo done');
    expect(task.taskEvents!.map((e) => ScheduleStatus[e.status!])).toEqual(['PENDING', 'ASSIGNED', 'STARTING', 'RUNNING', 'FINISHED']);
    expect(fate(task)).toEqual(['FINISHED', 'Command exited with status 0']);
  });

  it('FAILED with the exit status of a failing command', async () => {
    expect(fate(await ended('kitfail', 'exit 3'))).toEqual(['FAILED', 'Command exited with status 3']);
  });

  it('FAILED naming the field when the executor data has no command', async () => {
    expect(fate(await ended('kitnocmd', ''))).toEqual(['FAILED', 'executor data: "command" must be a non-empty string']);
  });
});
