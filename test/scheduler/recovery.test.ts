/**
 * TaskLifecycle.recover() on its own, with real processes: a scheduling pass that runs while a restarted
 * scheduler is still taking over must not launch a task that recovery then mistakes for one the old
 * scheduler left behind (marked LOST while its process runs on: an orphan). The crash test found this
 * under load (test/reliability/crash.test.ts); here it is forced.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScheduleStatus, type ScheduledTask } from '../../src/gen/types.js';
import { LocalAgentDriver } from '../../src/scheduler/agents/driver.js';
import { AgentPool } from '../../src/scheduler/agents/pool.js';
import { TaskLifecycle, type StoredProcess } from '../../src/scheduler/lifecycle.js';
import { findTaskProcesses } from '../../src/scheduler/runner/index.js';
import { SMALL_TASK, testJob, waitFor } from '../support/scheduler.js';

const work = mkdtempSync(join(tmpdir(), 'aurora-ts-recovery-'));
const sandboxRoot = join(work, 'sandboxes');
let lifecycle: TaskLifecycle | undefined;

afterAll(async () => {
  await lifecycle?.close('test done');
  rmSync(work, { recursive: true, force: true });
});

function storedTask(taskId: string, instanceId: number, status: ScheduleStatus): ScheduledTask {
  const config = testJob({ name: 'recovering', executor: 'sleeper', instances: 1, data: '', resources: [...SMALL_TASK] }).taskConfig!;
  return {
    assignedTask: { taskId, task: config, instanceId, assignedPorts: {}, slaveHost: 'localhost' },
    status,
    failureCount: 0,
    timesPartitioned: 0,
    taskEvents: [{ timestamp: Date.now(), status, scheduler: 'localhost' }],
  };
}

describe('recovery after a restart', () => {
  it('holds scheduling passes until the old tasks are settled, so no task it launches is taken for lost', async () => {
    lifecycle = new TaskLifecycle({
      throttle: { minRunningMs: 0, initialBackoffMs: 0, maxBackoffMs: 0 },
      schedulerHost: 'localhost',
      agents: new AgentPool([{ host: 'localhost', resources: { cpus: 100, ramMb: 100_000, diskMb: 100_000 } }], { cpus: 1, ramMb: 1, diskMb: 1 }),
      driver: new LocalAgentDriver(),
      demand: () => ({ cpus: 0.1, ramMb: 16, diskMb: 16 }),
      launchSpec: (task) => {
        const taskId = task.assignedTask!.taskId!;
        return { taskId, executorId: taskId, sandboxDir: join(sandboxRoot, taskId), command: { value: 'exec sleep 60', shell: true }, killGraceMs: 100 };
      },
    });
    // Twenty tasks the old scheduler ran, whose processes are gone (their records name no live process;
    // checking each takes real reads of /proc and of the sandbox), then one task that was still PENDING.
    const records = new Map<string, StoredProcess>();
    const old: ScheduledTask[] = [];
    for (let i = 0; i < 20; i++) {
      const id = `www-data-devel-recovering-${i}-old`;
      old.push(storedTask(id, i, ScheduleStatus.RUNNING));
      records.set(id, { pid: 999_999, startTime: '1', supervisorPid: 999_999, supervisorStartTime: '1', sandboxDir: join(sandboxRoot, id) });
    }
    const pending = storedTask('www-data-devel-recovering-20-pending', 20, ScheduleStatus.PENDING);
    lifecycle.restore([...old, pending]);

    // A scheduling pass asked for while recovery runs (a feature's timer, a THROTTLED task's release).
    const recovering = lifecycle.recover(records, sandboxRoot);
    lifecycle.schedule();
    await recovering;

    // The pending task was launched once, after recovery, and is RUNNING; the old ones are LOST and replaced.
    const byStatus = (status: ScheduleStatus) => lifecycle!.store.all().filter((t) => t.status === status);
    await waitFor('21 RUNNING', () => byStatus(ScheduleStatus.RUNNING).length === 21 || undefined);
    expect(pending.status).toBe(ScheduleStatus.RUNNING);
    expect(pending.taskEvents!.map((e) => ScheduleStatus[e.status!])).toEqual(['PENDING', 'ASSIGNED', 'STARTING', 'RUNNING']);
    expect(old.every((t) => t.status === ScheduleStatus.LOST)).toBe(true);
    // Every process belongs to an active task: nothing runs for a task the scheduler calls ended.
    for (const task of lifecycle.store.all()) {
      const live = await findTaskProcesses(task.assignedTask!.taskId!);
      if (task.status === ScheduleStatus.RUNNING) expect(live.length, task.assignedTask!.taskId!).toBeGreaterThan(0);
      else expect(live, `${task.assignedTask!.taskId!} is ${ScheduleStatus[task.status!]}`).toEqual([]);
    }
  });
});
