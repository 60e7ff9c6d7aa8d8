/**
 * Tasks in the state directory: every ScheduledTask (Thrift binary, with its events) and, while it has
 * a live process, the process record a restarted scheduler adopts it by (pid and start time of the
 * task's owner, and of its executor once it has exec'd).
 */
import type { ScheduledTask } from '../../gen/types.js';
import { decodeStruct, encodeStruct } from '../../protocol/index.js';
import type { StoredProcess, TaskLifecycle } from '../lifecycle.js';
import type { SchedulerState } from './state.js';

export interface StoredTasks {
  tasks: ScheduledTask[];
  processes: Map<string, StoredProcess>;
}

export interface TaskPersistence {
  /** What the state directory held at start-up. */
  readonly stored: StoredTasks;
  /** Notices tasks deleted without a transition (pruneTasks). */
  reconcile(): void;
}

/** Registers the task sections, reads them, and records every transition of `lifecycle` from now on. */
export function persistTasks(state: SchedulerState, lifecycle: TaskLifecycle): TaskPersistence {
  const tasks = state.section('task', (id) => {
    const task = lifecycle.store.get(id);
    return task ? encodeStruct('binary', 'ScheduledTask', task) : undefined;
  });
  const processes = state.section('process', (id) => {
    const record = lifecycle.processRecord(id);
    return record ? JSON.stringify(record) : undefined;
  });
  const stored: StoredTasks = {
    tasks: tasks.load().map(([, bytes]) => decodeStruct<ScheduledTask>('binary', 'ScheduledTask', bytes)),
    processes: new Map(processes.load().map(([id, json]) => [id, JSON.parse(json.toString('utf8')) as StoredProcess])),
  };
  const known = new Set(stored.tasks.map((t) => t.assignedTask!.taskId!));
  const changed = (id: string) => {
    tasks.changed(id);
    processes.changed(id);
    if (lifecycle.store.get(id)) known.add(id);
    else known.delete(id);
  };
  lifecycle.subscribe((task) => changed(task.assignedTask!.taskId!));
  lifecycle.onProcessChange((id) => processes.changed(id));
  return {
    stored,
    reconcile() {
      for (const id of known) if (!lifecycle.store.get(id)) changed(id);
    },
  };
}
