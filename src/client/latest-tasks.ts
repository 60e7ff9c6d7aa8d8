/**
 * Which of an instance's tasks speaks for it: shared by the waiters and the CLI's task tables (here, in
 * the CLI's client chunk, so that `job status` loads no waiter code).
 */
import { ACTIVE_STATES, type ScheduledTask } from '../gen/types.js';

/** When a task was created: the time of its first event (0 when it has none). */
export function firstTimestamp(task: ScheduledTask): number {
  return task.taskEvents?.[0]?.timestamp ?? 0;
}

/**
 * The task that speaks for each instance now, by instance id: its active task, else its most recent
 * one (by its first event). `getTasksWithoutConfigs` lists every task an instance has had.
 */
export function latestTasks(tasks: readonly ScheduledTask[]): Map<number, ScheduledTask> {
  const out = new Map<number, ScheduledTask>();
  for (const task of tasks) {
    const id = task.assignedTask.instanceId;
    const seen = out.get(id);
    if (seen === undefined) {
      out.set(id, task);
      continue;
    }
    const active = ACTIVE_STATES.has(task.status);
    const seenActive = ACTIVE_STATES.has(seen.status);
    if ((active && !seenActive) || (active === seenActive && firstTimestamp(task) >= firstTimestamp(seen))) out.set(id, task);
  }
  return out;
}
