/**
 * Operator RPCs on the local scheduler through the real client: backups, snapshot, reconciliation
 * triggers, pruneTasks and forceTaskState on real tasks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuroraClient } from '../../src/client/client.js';
import { ResponseCode, ScheduleStatus, type JobConfiguration } from '../../src/gen/types.js';
import { pidAlive, rejectionOf, shellExecutor, startTestScheduler, tasksOf, testJob, waitFor, waitForRunning, type TestScheduler } from '../support/scheduler.js';

let local: TestScheduler;
let client: AuroraClient;

beforeAll(async () => {
  local = await startTestScheduler({
    executors: [shellExecutor('sleeper', 'echo $$ > pid; exec sleep 60'), shellExecutor('quick', 'echo done')],
  });
  client = local.client;
});

afterAll(async () => {
  await local?.close();
});

const job = (name: string, executor: string, instances: number, service: boolean): JobConfiguration =>
  testJob({ name, role: 'admin-role', executor, instances, service });

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
    const badBatch = await rejectionOf(client.triggerExplicitTaskReconciliation({ batchSize: 0 }));
    expect(badBatch.details).toEqual(['Batch size must be greater than zero.']);
  });

  it('prunes terminal tasks only', async () => {
    const batch = job('once', 'quick', 2, false);
    await client.createJob(batch);
    await waitFor('2 FINISHED', async () => ((await tasksOf(client, batch.key!, [ScheduleStatus.FINISHED])).length === 2 ? true : undefined));

    const refused = await rejectionOf(client.pruneTasks({ jobKeys: [batch.key!], statuses: [ScheduleStatus.RUNNING, ScheduleStatus.FINISHED] }));
    expect(refused.code).toBe(ResponseCode.ERROR);
    expect(refused.details).toEqual(['Tasks in non-terminal state cannot be pruned.']);
    expect(await tasksOf(client, batch.key!)).toHaveLength(2);

    const live = job('live', 'sleeper', 1, true);
    await client.createJob(live);
    await waitForRunning(client, live.key!, 1);

    await client.pruneTasks({ role: 'admin-role', limit: 1 });
    expect(await tasksOf(client, batch.key!)).toHaveLength(1);
    // Without statuses only terminal tasks match: the running service is untouched.
    await client.pruneTasks({ role: 'admin-role' });
    expect(await tasksOf(client, batch.key!)).toHaveLength(0);
    expect(await tasksOf(client, live.key!, [ScheduleStatus.RUNNING])).toHaveLength(1);
    await client.killTasks(live.key!, [], 'done');
  });

  it('forceTaskState moves a running service task to LOST, stops its process and reschedules it', async () => {
    const svc = job('forced', 'sleeper', 1, true);
    await client.createJob(svc);
    const [task] = await waitForRunning(client, svc.key!, 1);
    const id = task!.assignedTask!.taskId!;

    await client.forceTaskState(id, ScheduleStatus.LOST);
    const lost = (await client.getTasksStatus({ taskIds: [id] })).tasks![0]!;
    expect(lost.status).toBe(ScheduleStatus.LOST);
    expect(lost.taskEvents!.at(-1)!.message).toBe('Transition forced by UNSECURE');
    await local.scheduler.core.lifecycle.settled([id]);
    const pid = Number(readFileSync(join(local.workDir, 'sandboxes', id, 'pid'), 'utf8'));
    expect(pidAlive(pid)).toBe(false);
    // The process exiting afterwards does not move the task again.
    expect((await client.getTasksStatus({ taskIds: [id] })).tasks![0]!.status).toBe(ScheduleStatus.LOST);

    const successor = await waitFor('a replacement RUNNING', async () => {
      const t = await tasksOf(client, svc.key!, [ScheduleStatus.RUNNING]);
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
    expect(await tasksOf(client, svc.key!, [ScheduleStatus.PENDING, ScheduleStatus.RUNNING])).toHaveLength(0);

    const blank = await rejectionOf(client.forceTaskState('', ScheduleStatus.LOST));
    expect(blank.code).toBe(ResponseCode.INVALID_REQUEST);
  });

  it('forceTaskState FINISHED on a batch task ends it without a replacement', async () => {
    const batch = job('batch-forced', 'sleeper', 1, false);
    await client.createJob(batch);
    const [task] = await waitForRunning(client, batch.key!, 1);
    await client.forceTaskState(task!.assignedTask!.taskId!, ScheduleStatus.FINISHED);
    await local.scheduler.core.lifecycle.settled([task!.assignedTask!.taskId!]);
    await new Promise((r) => setTimeout(r, 100));
    const all = await tasksOf(client, batch.key!);
    expect(all.map((t) => ScheduleStatus[t.status!])).toEqual(['FINISHED']);
  });
});
