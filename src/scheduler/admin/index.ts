/**
 * The operator RPCs of AuroraAdmin that the local scheduler can honour: snapshot, performBackup /
 * listBackups (copies of the state database under `<state-dir>/backups/` with a state directory, kept
 * in memory without one), pruneTasks, forceTaskState and the reconciliation triggers
 * (harmless here: the scheduler runs the tasks itself, so its state never drifts from an agent's).
 */
import {
  ACTIVE_STATES,
  ScheduleStatus,
  TERMINAL_STATES,
  type ExplicitReconciliationSettings,
  type ScheduledTask,
  type TaskQuery,
} from '../../gen/types.js';
import type { RpcHandlers } from '../api-server.js';
import type { SchedulerCore } from '../core.js';
import type { SchedulerFeature } from '../features.js';

export interface Backup {
  /** `scheduler-backup-yyyy-MM-dd-HH-mm`, as Aurora names its backup files (one per minute at most). */
  readonly name: string;
  readonly takenAtMs: number;
  readonly tasks: ScheduledTask[];
}

export interface AdminOptions {
  now?: () => number;
}

/** Aurora's StorageBackup file name for an instant (SimpleDateFormat "yyyy-MM-dd-HH-mm", local time). */
export function backupName(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `scheduler-backup-${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}-${two(d.getHours())}-${two(d.getMinutes())}`;
}

export class Admin {
  private readonly backups = new Map<string, Backup>();
  private readonly now: () => number;

  constructor(
    private readonly core: SchedulerCore,
    options: AdminOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Backs up the task store; a second backup in the same minute replaces the first, like Aurora's file. */
  backup(): Backup {
    const takenAtMs = this.now();
    const backup: Backup = { name: backupName(takenAtMs), takenAtMs, tasks: structuredClone(this.core.lifecycle.store.all()) };
    this.backups.set(backup.name, backup);
    return backup;
  }

  listBackups(): string[] {
    return this.core.state ? this.core.state.listBackups() : [...this.backups.keys()].sort();
  }

  /** performBackup: with a state directory, a consistent copy of the database (SQLite's online backup). */
  async performBackup(): Promise<string> {
    if (!this.core.state) return this.backup().name;
    const name = backupName(this.now());
    await this.core.state.backup(name);
    return name;
  }

  /** pruneTasks: deletes terminal tasks matching the query; undefined when done, else the refusal. */
  prune(query: TaskQuery): string | undefined {
    const statuses = [...(query.statuses ?? [])];
    if (statuses.some((s) => ACTIVE_STATES.has(s))) return 'Tasks in non-terminal state cannot be pruned.';
    // Aurora ignores the offset of this query and applies only its limit.
    const matching = this.core.lifecycle.store.query({
      ...query,
      statuses: statuses.length > 0 ? statuses : [...TERMINAL_STATES],
      offset: undefined,
      limit: undefined,
    });
    const limit = query.limit !== undefined && query.limit !== null && query.limit > 0 ? query.limit : matching.length;
    for (const task of matching.slice(0, limit)) {
      // Only terminal tasks can match here: no process, no pending reason, nothing else to clean up.
      if (TERMINAL_STATES.has(task.status!)) this.core.lifecycle.store.delete(task.assignedTask!.taskId!);
    }
    this.core.persist();
    return undefined;
  }

  handlers(): RpcHandlers {
    const r = this.core.responses;
    return {
      snapshot: () => {
        this.core.persist();
        return r.ok();
      },
      performBackup: async () => {
        try {
          await this.performBackup();
        } catch (error) {
          return r.error(`Backup failed: ${(error as Error).message}`);
        }
        return r.ok();
      },
      listBackups: () => r.ok({ listBackupsResult: { backups: this.listBackups() } }),
      pruneTasks: ({ query }) => {
        const refusal = this.prune((query ?? {}) as TaskQuery);
        return refusal ? r.error(refusal) : r.ok();
      },
      forceTaskState: ({ taskId, status }) => {
        if (typeof taskId !== 'string' || taskId.trim() === '') return r.invalid('taskId must be a non-empty task id.');
        if (typeof status !== 'number' || ScheduleStatus[status] === undefined) {
          return r.invalid(`status must be a ScheduleStatus (${Object.keys(ScheduleStatus).filter((k) => Number.isNaN(Number(k))).join(', ')}).`);
        }
        // Aurora answers OK whether or not the state machine accepted the transition.
        this.core.lifecycle.forceState(taskId, status, `Transition forced by ${this.core.callerName()}`);
        this.core.persist();
        return r.ok();
      },
      triggerExplicitTaskReconciliation: ({ settings }) => {
        if (!settings || typeof settings !== 'object') return r.invalid('settings must be an ExplicitReconciliationSettings.');
        const batchSize = (settings as ExplicitReconciliationSettings).batchSize;
        if (batchSize !== undefined && batchSize !== null && batchSize <= 0) return r.invalid('Batch size must be greater than zero.');
        return r.ok();
      },
      triggerImplicitTaskReconciliation: () => r.ok(),
    };
  }
}

export function adminFeature(core: SchedulerCore, options: AdminOptions = {}): SchedulerFeature {
  return { handlers: new Admin(core, options).handlers() };
}
