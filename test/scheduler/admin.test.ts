/**
 * Operator RPCs on the local scheduler through the real client: backups, snapshot, reconciliation
 * triggers, pruneTasks and forceTaskState on real tasks.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { AuroraResponseError } from '../../src/client/errors.js';
import { ResponseCode, ScheduleStatus, type JobConfiguration, type JobKey, type ScheduledTask } from '../../src/gen/types.js';
import { startScheduler, type RunningScheduler } from '../../src/scheduler/index.js';

const EXECUTORS = [
  { executor: { name: 'sleeper', command: { value: 'echo $$ > pid; exec sleep 60', shell: true } }, task_prefix: '' },
  { executor: { name: 'quick', command: { value: 'echo done', shell: true } }, task_prefix: '' },
];

let scheduler: RunningScheduler;
let client: AuroraClient;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aurora-ts-admin-'));
  const config = join(dir, 'executors.json');
  writeFileSync(config, JSON.stringify(EXECUTORS));
  scheduler = await startScheduler({
    port: 0,
    executors: config,
    cpus: 4,
    ramMb: 4096,
    killGraceMs: 300,
    throttle: { minRunningMs: 0, initialBackoffMs: 0, maxBackoffMs: 0 },
  });
  client = new AuroraClient({ url: scheduler.url });
});

afterAll(async () => {
  await scheduler?.close();
});

function job(name: string, executor: string, instances: number, isService: boolean): JobConfiguration {
  const key: JobKey = { role: 'admin-role', environment: 'devel', name };
  return {
    key,
    owner: { user: 'tester' },
    instanceCount: instances,
    taskConfig: {
      job: key,
      owner: { user: 'tester' },
      isService,
      resources: [{ numCpus: 0.1 }, { ramMb: 16 }, { diskMb: 16 }],
      executorConfig: { name: executor, data: '' },
    },
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

async function tasks(key: JobKey, statuses?: ScheduleStatus[]): Promise<ScheduledTask[]> {
  return (await client.getTasksStatus({ jobKeys: [key], statuses })).tasks ?? [];
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function rejection(call: Promise<unknown>): Promise<AuroraResponseError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuroraResponseError);
  return error as AuroraResponseError;
}

describe('admin RPCs', () => {
  it('takes backups named like Aurora, snapshots, and accepts reconciliation triggers', async () => {
    expect((await client.listBackups()).backups).toEqual([]);
    await client.performBackup();
    const { backups } = await client.listBackups();
    expect(backups).toHaveLength(1);
    expect(backups![0]).toMatch(/^scheduler-backup-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}$/);

    expect((await client.snapshot()).$response.code).toBe(ResponseCode.OK);
    expect((await client.triggerImplicitTaskReconciliation()).$response.code).toBe(ResponseCode.OK);
    expect((await client.triggerExplicitTaskReconciliation({ batchSize: 10 })).$response.code).toBe(ResponseCode.OK);
    const badBatch = await rejection(client.triggerExplicitTaskReconciliation({ batchSize: 0 }));
    expect(badBatch.details).toEqual(['Batch size must be greater than zero.']);
  });

  it('prunes terminal tasks only', async () => {
    const batch = job('once', 'quick', 2, false);
    await client.createJob(batch);
    await waitFor('2 FINISHED', async () => ((await tasks(batch.key!, [ScheduleStatus.FINISHED])).length === 2 ? true : undefined));

    const refused = await rejection(client.pruneTasks({ jobKeys: [batch.key!], statuses: [ScheduleStatus.RUNNING, ScheduleStatus.FINISHED] }));
    expect(refused.code).toBe(ResponseCode.ERROR);
    expect(refused.details).toEqual(['Tasks in non-terminal state cannot be pruned.']);
    expect(await tasks(batch.key!)).toHaveLength(2);

    const live = job('live', 'sleeper', 1, true);
    await client.createJob(live);
    await waitFor('RUNNING', async () => ((await tasks(live.key!, [ScheduleStatus.RUNNING])).length === 1 ? true : undefined));

    await client.pruneTasks({ role: 'admin-role', limit: 1 });
    expect(await tasks(batch.key!)).toHaveLength(1);
    // Without statuses only terminal tasks match: the running service is untouched.
    await client.pruneTasks({ role: 'admin-role' });
    expect(await tasks(batch.key!)).toHaveLength(0);
    expect(await tasks(live.key!, [ScheduleStatus.RUNNING])).toHaveLength(1);
    await client.killTasks(live.key!, undefined, 'done');
  });

  it('forceTaskState moves a running service task to LOST, stops its process and reschedules it', async () => {
    const svc = job('forced', 'sleeper', 1, true);
    await client.createJob(svc);
    const [task] = await waitFor('RUNNING', async () => {
      const t = await tasks(svc.key!, [ScheduleStatus.RUNNING]);
      return t.length === 1 ? t : undefined;
    });
    const id = task!.assignedTask!.taskId!;

    await client.forceTaskState(id, ScheduleStatus.LOST);
    const lost = (await client.getTasksStatus({ taskIds: [id] })).tasks![0]!;
    expect(lost.status).toBe(ScheduleStatus.LOST);
    expect(lost.taskEvents!.at(-1)!.message).toBe('Transition forced by UNSECURE');
    await scheduler.core.lifecycle.settled([id]);
    const pid = Number(readFileSync(join(scheduler.workDir, 'sandboxes', id, 'pid'), 'utf8'));
    expect(pidAlive(pid)).toBe(false);
    // The process exiting afterwards does not move the task again.
    expect((await client.getTasksStatus({ taskIds: [id] })).tasks![0]!.status).toBe(ScheduleStatus.LOST);

    const successor = await waitFor('a replacement RUNNING', async () => {
      const t = await tasks(svc.key!, [ScheduleStatus.RUNNING]);
      return t.length === 1 && t[0]!.assignedTask!.taskId !== id ? t[0] : undefined;
    });
    expect(successor.ancestorId).toBe(id);

    // A transition the state machine refuses (RUNNING → PENDING) is answered OK and changes nothing.
    const successorId = successor.assignedTask!.taskId!;
    expect((await client.forceTaskState(successorId, ScheduleStatus.PENDING)).$response.code).toBe(ResponseCode.OK);
    expect((await client.getTasksStatus({ taskIds: [successorId] })).tasks![0]!.status).toBe(ScheduleStatus.RUNNING);

    // Forcing KILLING kills for good.
    await client.forceTaskState(successorId, ScheduleStatus.KILLING);
    await waitFor('KILLED', async () => ((await client.getTasksStatus({ taskIds: [successorId] })).tasks![0]!.status === ScheduleStatus.KILLED ? true : undefined));
    expect(await tasks(svc.key!, [ScheduleStatus.PENDING, ScheduleStatus.RUNNING])).toHaveLength(0);

    const blank = await rejection(client.forceTaskState('', ScheduleStatus.LOST));
    expect(blank.code).toBe(ResponseCode.INVALID_REQUEST);
  });

  it('forceTaskState FINISHED on a batch task ends it without a replacement', async () => {
    const batch = job('batch-forced', 'sleeper', 1, false);
    await client.createJob(batch);
    const [task] = await waitFor('RUNNING', async () => {
      const t = await tasks(batch.key!, [ScheduleStatus.RUNNING]);
      return t.length === 1 ? t : undefined;
    });
    await client.forceTaskState(task!.assignedTask!.taskId!, ScheduleStatus.FINISHED);
    await scheduler.core.lifecycle.settled([task!.assignedTask!.taskId!]);
    await new Promise((r) => setTimeout(r, 100));
    const all = await tasks(batch.key!);
    expect(all.map((t) => ScheduleStatus[t.status!])).toEqual(['FINISHED']);
  });
});
