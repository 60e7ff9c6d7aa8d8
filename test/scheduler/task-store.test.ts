/**
 * TaskStore, the local scheduler's task index: queries by role, job, task id, status and instance in
 * Aurora's order (job key, then instance, then age) with offset and limit, and the tasks it hands to
 * replies (encoded once until the task changes).
 */
import { describe, expect, it } from 'vitest';
import { ScheduleStatus, type ScheduledTask } from '../../src/gen/types.js';
import { decodeStruct, encodeStruct } from '../../src/protocol/index.js';
import { TaskStore } from '../../src/scheduler/tasks.js';
import { taskConfig } from '../support/task-config.js';

let serial = 0;
function task(role: string, name: string, instanceId: number, status = ScheduleStatus.RUNNING, at = 1000): ScheduledTask {
  const job = { role, environment: 'prod', name };
  return {
    assignedTask: { taskId: `${role}-${name}-${instanceId}-${serial++}`, instanceId, assignedPorts: {}, task: taskConfig({ job, owner: { user: 'u' }, executorConfig: { name: 'e', data: 'secret-ish data' } }) },
    status,
    failureCount: 0,
    timesPartitioned: 0,
    taskEvents: [{ timestamp: at, status }],
  };
}

const ids = (tasks: ScheduledTask[]) => tasks.map((t) => `${t.assignedTask!.task!.job!.name}/${t.assignedTask!.instanceId}@${t.taskEvents![0]!.timestamp}`);

describe('TaskStore', () => {
  const store = new TaskStore();
  // Put in no particular order; names whose locale order differs from code point order (B < a < c in code points).
  for (const t of [task('r', 'c', 1), task('r', 'B', 0), task('r', 'a', 2), task('r', 'a', 0, ScheduleStatus.KILLED, 2000), task('r', 'a', 0, ScheduleStatus.RUNNING, 1500), task('other', 'a', 0)]) store.put(t);

  it('answers a role in job key order (as localeCompare), then instance, then age', () => {
    expect(ids(store.query({ role: 'r' }))).toEqual(['a/0@1500', 'a/0@2000', 'a/2@1000', 'B/0@1000', 'c/1@1000']);
    expect(ids(store.query({ role: 'r', statuses: [ScheduleStatus.RUNNING] }))).toEqual(['a/0@1500', 'a/2@1000', 'B/0@1000', 'c/1@1000']);
    expect(ids(store.query({ role: 'r', offset: 1, limit: 2 }))).toEqual(['a/0@2000', 'a/2@1000']);
    expect(ids(store.query({}))).toHaveLength(6);
    expect(ids(store.query({ role: 'nobody' }))).toEqual([]);
  });

  it('answers named jobs, tasks and instances', () => {
    expect(ids(store.query({ jobKeys: [{ role: 'r', environment: 'prod', name: 'c' }, { role: 'other', environment: 'prod', name: 'a' }] }))).toEqual(['a/0@1000', 'c/1@1000']);
    expect(ids(store.query({ role: 'r', environment: 'prod', jobName: 'a', instanceIds: [2] }))).toEqual(['a/2@1000']);
    const some = store.query({ role: 'r' }).slice(2, 4);
    expect(store.query({ taskIds: some.map((t) => t.assignedTask!.taskId!) })).toEqual(some);
    expect(store.activeJobKeys('r').map((k) => k.name)).toEqual(['a', 'B', 'c']);
  });

  it('forgets a role whose last task is deleted', () => {
    const lone = task('lonely', 'x', 0);
    store.put(lone);
    expect(store.activeJobKeys('lonely')).toHaveLength(1);
    store.delete(lone.assignedTask!.taskId!);
    expect(store.query({ role: 'lonely' })).toEqual([]);
    expect(store.activeJobKeys('lonely')).toEqual([]);
  });

  it('hands replies the task as it is now, without executor data when asked, until it changes', () => {
    const t = store.query({ role: 'r', jobName: 'c', environment: 'prod' })[0]!;
    const whole = store.forReply(t);
    expect(store.forReply(t)).toBe(whole);
    const bytes = encodeStruct('binary', 'ScheduledTask', whole);
    expect(bytes.equals(encodeStruct('binary', 'ScheduledTask', t))).toBe(true);
    const stripped = decodeStruct<ScheduledTask>('json', 'ScheduledTask', encodeStruct('json', 'ScheduledTask', store.forReply(t, true)));
    expect(stripped.assignedTask!.task!.executorConfig).toEqual({ name: 'e' });
    expect(t.assignedTask!.task!.executorConfig!.data).toBe('secret-ish data');

    // A transition changes the task in place and says so: the next reply carries the new state.
    t.status = ScheduleStatus.KILLED;
    t.taskEvents!.push({ timestamp: 3000, status: ScheduleStatus.KILLED });
    store.changed(t.assignedTask!.taskId!);
    const after = decodeStruct<ScheduledTask>('binary', 'ScheduledTask', encodeStruct('binary', 'ScheduledTask', store.forReply(t)));
    expect(after.status).toBe(ScheduleStatus.KILLED);
    expect(after.taskEvents).toHaveLength(2);
    // The reply made before the change still holds the state it was made with.
    expect(encodeStruct('binary', 'ScheduledTask', whole).equals(bytes)).toBe(true);
  });

  it('answers the same query with the same result until any task changes', () => {
    const query = { role: 'r', statuses: [ScheduleStatus.RUNNING] };
    const first = store.resultForReply(query, true);
    expect(store.resultForReply({ statuses: [ScheduleStatus.RUNNING], role: 'r' }, true)).toBe(first);
    expect(store.resultForReply(query, false)).not.toBe(first);
    const decoded = (r: unknown) => decodeStruct<{ tasks: ScheduledTask[] }>('binary', 'ScheduleStatusResult', encodeStruct('binary', 'ScheduleStatusResult', r));
    expect(ids(decoded(first).tasks)).toEqual(ids(store.query(query)));

    store.put(task('r', 'd', 0));
    const second = store.resultForReply(query, true);
    expect(second).not.toBe(first);
    expect(ids(decoded(second).tasks)).toContain('d/0@1000');
  });
});
