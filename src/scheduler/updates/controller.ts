/**
 * Runs job updates (Aurora's JobUpdateControllerImpl): starts, pauses, resumes, aborts and rolls back
 * updates, reacts to task transitions of the jobs being updated, kills old tasks and inserts new ones,
 * records update and instance events, and blocks coordinated updates that stop receiving pulses.
 */
import {
  ACTIVE_STATES,
  JobUpdateAction,
  SLAVE_ASSIGNED_STATES,
  ScheduleStatus as T,
  JobUpdatePulseStatus,
  JobUpdateStatus as S,
  TERMINAL_STATES,
  type JobKey,
  type JobUpdateDetails,
  type JobUpdateEvent,
  type JobUpdateInstructions,
  type JobUpdateKey,
  type JobUpdateSummary,
  type ScheduledTask,
  type ScheduleStatus,
  type SlaPolicy,
} from '../../gen/types.js';
import type { TaskLifecycle } from '../lifecycle.js';
import { hasSlaPolicy, type SlaManager } from '../sla.js';
import { jobKeyString, taskJobKey } from '../tasks.js';
import { rangesToIds } from '../../update/ranges.js';
import { initialConfig } from './diff.js';
import { blockedState, isActiveUpdateStatus, isAwaitingPulse, isRolling, pausedState, resumedState, transitionProblem, unblockedState } from './states.js';
import { describeUpdateKey, updateKeyString, type JobUpdateStore, type NewUpdate } from './store.js';
import { autopauseEnabled, strategyFor, updateOrder } from './strategy.js';
import { InstanceEvaluator, OneWayUpdater, type EvaluationResult, type InstanceAction, type InstanceStatus, type SideEffect } from './updater.js';

export const PULSE_TIMEOUT_MESSAGE = 'Pulses from external service have timed out.';
/** SlaKillController.SLA_CHECKING_MESSAGE: an SLA-aware kill waits for its SLA check. */
export const SLA_CHECKING_MESSAGE = 'Checking SLA before continuing.';
/** SlaKillController.SLA_PASSED_MESSAGE: the check passed and the old task is being killed. */
export const SLA_PASSED_MESSAGE = 'SLA check passed, continuing.';
const AUTO_PAUSED_MESSAGE = 'Update auto paused';
const ACTIVE_STATES_TEXT =
  '[ROLLING_FORWARD, ROLLING_BACK, ROLL_FORWARD_PAUSED, ROLL_BACK_PAUSED, ROLL_FORWARD_AWAITING_PULSE, ROLL_BACK_AWAITING_PULSE]';
export const UPDATE_IN_PROGRESS_MESSAGE =
  `An active update already exists for this job, please terminate it before starting another. Active updates are those in states ${ACTIVE_STATES_TEXT}`;

/** Who asked for a status change and why; stored on the update event. */
export interface Audit {
  user: string;
  message?: string;
}

export interface UpdateControllerOptions {
  lifecycle: TaskLifecycle;
  store: JobUpdateStore;
  now?: () => number;
  /** Called after every change worth persisting. */
  persist?: () => void;
  onError?: (message: string) => void;
  /** The scheduler's SLA checks, for updates with settings.slaAware (asked for when first needed). */
  sla?: () => SlaManager;
  /** First retry delay of a failed SLA check (Aurora's -sla_aware_kill_retry_min_delay; default 60 000 ms), doubling up to… */
  slaKillRetryMinMs?: number;
  /** …this (Aurora's -sla_aware_kill_retry_max_delay; default 300 000 ms). */
  slaKillRetryMaxMs?: number;
}

/** The instance event recorded for an instance status change, by the direction of the update. */
const INSTANCE_ACTIONS: Record<'forward' | 'back', Record<Exclude<InstanceStatus, 'IDLE'>, JobUpdateAction>> = {
  forward: { WORKING: JobUpdateAction.INSTANCE_UPDATING, SUCCEEDED: JobUpdateAction.INSTANCE_UPDATED, FAILED: JobUpdateAction.INSTANCE_UPDATE_FAILED },
  back: { WORKING: JobUpdateAction.INSTANCE_ROLLING_BACK, SUCCEEDED: JobUpdateAction.INSTANCE_ROLLED_BACK, FAILED: JobUpdateAction.INSTANCE_ROLLBACK_FAILED },
};

interface RunningUpdate {
  key: JobUpdateKey;
  updater: OneWayUpdater;
  successStatus: S;
  failureStatus: S;
}

interface PulseState {
  status: S;
  timeoutMs: number;
  lastPulseMs: number;
  timer?: NodeJS.Timeout;
}

interface QueuedTransition {
  task: ScheduledTask;
  status: ScheduleStatus | undefined;
  deleted: boolean;
}

export type StartOutcome = { problem: string; active?: JobUpdateSummary } | undefined;


/** An update event before `record` stamps its time. */
type NewEvent = Omit<JobUpdateEvent, 'timestampMs'> & { status: S };
export class UpdateController {
  /** Updaters of updates that are rolling forward or back, by job. Paused and finished updates have none. */
  private readonly running = new Map<string, RunningUpdate>();
  private readonly pulses = new Map<string, PulseState>();
  /** Instances each auto-pausing update has already started, to notice the start of a new batch. */
  private readonly seen = new Map<string, Set<number>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** SLA-aware kills being retried, by update, task and the update status they were issued in. */
  private readonly slaKills = new Set<string>();
  private queue: QueuedTransition[] = [];
  private drainScheduled = false;
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly lifecycle: TaskLifecycle;
  private readonly store: JobUpdateStore;
  private readonly now: () => number;

  constructor(private readonly options: UpdateControllerOptions) {
    this.lifecycle = options.lifecycle;
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.unsubscribe = this.lifecycle.subscribe((task, previous) => this.onTransition(task, previous));
  }

  isUpdating(job: JobKey): boolean {
    return this.store.active(job).length > 0;
  }

  /** Starts an update; answers the problem (and the update in the way) when it cannot start. */
  start(update: NewUpdate, audit: Audit): StartOutcome {
    const summary = update.summary!;
    const active = this.store.active(summary.key!.job!);
    if (active.length > 0) return { problem: UPDATE_IN_PROGRESS_MESSAGE, active: active[0]!.update!.summary };
    const details = this.store.save(update);
    let status = S.ROLLING_FORWARD;
    const timeoutMs = update.instructions!.settings!.blockIfNoPulsesAfterMs ?? 0;
    if (timeoutMs > 0) {
      status = S.ROLL_FORWARD_AWAITING_PULSE;
      this.pulses.set(updateKeyString(summary.key), { status, timeoutMs, lastPulseMs: 0 });
    }
    this.record(details, { status, user: audit.user, message: audit.message });
    return undefined;
  }

  pause(key: JobUpdateKey, audit: Audit): string | undefined {
    const details = this.store.get(key);
    if (!details) return `Update does not exist ${describeUpdateKey(key)}`;
    return this.changeStatus(details, { status: pausedState(statusOf(details)), user: audit.user, message: audit.message });
  }

  resume(key: JobUpdateKey, audit: Audit): string | undefined {
    const details = this.store.get(key);
    if (!details) return `Update does not exist: ${describeUpdateKey(key)}`;
    const expired = this.pulseExpired(details);
    return this.changeStatus(details, { status: resumedState(statusOf(details), expired), user: audit.user, message: audit.message });
  }

  abort(key: JobUpdateKey, audit: Audit): string | undefined {
    const details = this.store.get(key);
    if (!details) return `Update does not exist ${describeUpdateKey(key)}`;
    return this.changeStatus(details, { status: S.ABORTED, user: audit.user, message: audit.message });
  }

  rollback(key: JobUpdateKey, audit: Audit): string | undefined {
    const details = this.store.get(key);
    if (!details) return `Update does not exist ${describeUpdateKey(key)}`;
    return this.changeStatus(details, { status: S.ROLLING_BACK, user: audit.user, message: audit.message });
  }

  /** Records a pulse; a blocked update continues. FINISHED when the update takes no pulses (any more). */
  pulse(key: JobUpdateKey): JobUpdatePulseStatus {
    const state = this.pulses.get(updateKeyString(key));
    if (!state) return JobUpdatePulseStatus.FINISHED;
    const previous = state.status;
    state.lastPulseMs = this.now();
    this.armPulseWatchdog(key, state);
    if (isAwaitingPulse(previous)) {
      const details = this.store.get(key);
      if (details) this.changeStatus(details, { status: unblockedState(statusOf(details)) });
    }
    return JobUpdatePulseStatus.OK;
  }

  /**
   * After a restart: updates that were rolling forward or back carry on from their stored events
   * (instances already done are recognised, watch times restart); coordinated updates wait for a pulse,
   * since pulses are not stored (as in Aurora).
   */
  resumeStored(): void {
    for (const details of this.store.all()) {
      const status = statusOf(details);
      if (!isActiveUpdateStatus(status)) continue;
      const key = details.update!.summary!.key!;
      const timeoutMs = details.update!.instructions!.settings!.blockIfNoPulsesAfterMs ?? 0;
      if (timeoutMs > 0) this.pulses.set(updateKeyString(key), { status, timeoutMs, lastPulseMs: 0 });
      if (!isRolling(status)) continue;
      const running = this.newUpdater(key, details.update!.instructions!, status === S.ROLLING_FORWARD);
      this.running.set(jobKeyString(key.job), running);
      this.guard(() => this.evaluate(running, new Map()));
    }
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const state of this.pulses.values()) clearTimeout(state.timer);
    this.running.clear();
  }

  /** Changes an update's status if the state machine allows it; answers Aurora's message if not. */
  private changeStatus(details: JobUpdateDetails, event: Omit<NewEvent, 'status'> & { status: S | undefined }): string | undefined {
    const current = statusOf(details);
    if (current === event.status) return undefined;
    const problem = transitionProblem(current, event.status);
    if (problem) return problem;
    this.record(details, { ...event, status: event.status! });
    return undefined;
  }

  private record(details: JobUpdateDetails, event: NewEvent): void {
    const key = details.update!.summary!.key!;
    const keyString = updateKeyString(key);
    this.store.addEvent(details, { ...event, timestampMs: this.now() });
    const status = event.status;
    const pulse = this.pulses.get(keyString);
    if (!isActiveUpdateStatus(status)) {
      clearTimeout(pulse?.timer);
      this.pulses.delete(keyString);
      this.seen.delete(keyString);
    } else if (pulse) {
      pulse.status = status;
    }
    const job = jobKeyString(key.job);
    this.running.delete(job);
    this.options.persist?.();
    if (isRolling(status)) {
      const running = this.newUpdater(key, details.update!.instructions!, status === S.ROLLING_FORWARD);
      this.running.set(job, running);
      this.evaluate(running, new Map());
    }
  }

  private newUpdater(key: JobUpdateKey, instructions: JobUpdateInstructions, forward: boolean): RunningUpdate {
    const settings = instructions.settings!;
    const initial = instructions.initialState ?? [];
    const current = rangesToIds(initial.flatMap((g) => [...(g.instances ?? [])]));
    const desired = instructions.desiredState ? rangesToIds(instructions.desiredState.instances) : new Set<number>();
    const evaluators = new Map<number, InstanceEvaluator>();
    for (const id of new Set([...current, ...desired])) {
      const target = forward ? (desired.has(id) ? instructions.desiredState!.task : undefined) : initialConfig(initial, id);
      evaluators.set(id, new InstanceEvaluator(target, settings.maxPerInstanceFailures ?? 0, settings.minWaitInInstanceRunningMs ?? 0, this.now));
    }
    const strategy = strategyFor(settings.updateStrategy, updateOrder(current, desired, forward), forward);
    return {
      key,
      updater: new OneWayUpdater(strategy, settings.maxFailedInstances ?? 0, evaluators),
      successStatus: forward ? S.ROLLED_FORWARD : S.ROLLED_BACK,
      failureStatus: forward && settings.rollbackOnFailure ? S.ROLLING_BACK : S.FAILED,
    };
  }

  private pulseExpired(details: JobUpdateDetails): boolean {
    const timeoutMs = details.update!.instructions!.settings!.blockIfNoPulsesAfterMs ?? 0;
    if (timeoutMs <= 0) return false;
    const state = this.pulses.get(updateKeyString(details.update!.summary!.key));
    return state === undefined || this.now() - state.lastPulseMs >= state.timeoutMs;
  }

  /** Without another pulse in time, the next evaluation blocks the update; make sure one happens. */
  private armPulseWatchdog(key: JobUpdateKey, state: PulseState): void {
    clearTimeout(state.timer);
    if (this.closed) return;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      const details = this.store.get(key);
      const running = this.running.get(jobKeyString(key.job));
      if (details && running && isRolling(statusOf(details)) && updateKeyString(running.key) === updateKeyString(key)) {
        this.guard(() => this.evaluate(running, new Map()));
      }
    }, state.timeoutMs + 5);
    state.timer.unref();
  }

  private activeTask(job: JobKey, instanceId: number): ScheduledTask | undefined {
    return this.lifecycle.store.query({ jobKeys: [job], instanceIds: [instanceId], statuses: [...ACTIVE_STATES] }).at(-1);
  }

  private onTransition(task: ScheduledTask, _previous: ScheduleStatus | undefined): void {
    if (this.closed) return;
    const deleted = this.lifecycle.store.get(task.assignedTask!.taskId!) !== task;
    // Deleting finished tasks (pruning) means nothing to an update.
    if (deleted && TERMINAL_STATES.has(task.status!)) return;
    if (!this.running.has(jobKeyString(taskJobKey(task)))) return;
    this.queue.push({ task, status: task.status, deleted });
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      // Evaluate after the lifecycle finished its own reaction (a reschedule), as Aurora does after its transaction.
      setImmediate(() => {
        this.drainScheduled = false;
        this.guard(() => this.drain());
      });
    }
  }

  private drain(): void {
    const batch = this.queue;
    this.queue = [];
    for (const { task, status, deleted } of batch) {
      if (this.closed) return;
      const running = this.running.get(jobKeyString(taskJobKey(task)));
      const instanceId = task.assignedTask!.instanceId!;
      if (!running || !running.updater.contains(instanceId)) continue;
      // An outdated report (the task moved on since) is skipped: its latest state is queued too.
      if (!deleted && (this.lifecycle.store.get(task.assignedTask!.taskId!) !== task || task.status !== status)) continue;
      this.evaluate(running, new Map([[instanceId, deleted ? undefined : task]]));
    }
  }

  private evaluate(running: RunningUpdate, changed: Map<number, ScheduledTask | undefined>): void {
    const details = this.store.get(running.key)!;
    const status = statusOf(details);
    const instructions = details.update!.instructions!;
    const job = running.key.job!;
    if (this.pulseExpired(details)) {
      this.changeStatus(details, { status: blockedState(status), message: PULSE_TIMEOUT_MESSAGE });
      return;
    }
    const result = running.updater.evaluate(changed, (id) => this.activeTask(job, id));
    const autoPause = autopauseEnabled(instructions.settings?.updateStrategy) && this.crossesBatch(running.key, status, result);
    if (autoPause) this.changeStatus(details, { status: pausedState(status), message: AUTO_PAUSED_MESSAGE });
    // When pausing, only finishing instances are recorded; the next batch starts on resume.
    const skipped = (effect: SideEffect) => autoPause && !effect.statusChanges.some((s) => s === 'SUCCEEDED' || s === 'FAILED');
    const direction = status === S.ROLLING_FORWARD ? 'forward' : 'back';
    for (const [id, effect] of result.sideEffects) {
      if (skipped(effect)) continue;
      const saved = details.instanceEvents!.filter((e) => e.instanceId === id);
      const savedActions = new Set(saved.map((e) => e.action));
      // An instance found already up to date leaves no events.
      const upToDate = saved.length === 0 && effect.statusChanges.length === 2 && effect.statusChanges[1] === 'SUCCEEDED';
      if (upToDate) continue;
      for (const change of effect.statusChanges) {
        if (change === 'IDLE') continue;
        const action = INSTANCE_ACTIONS[direction][change];
        // Each action is recorded once per instance, however often the update is paused and resumed.
        if (savedActions.has(action)) continue;
        savedActions.add(action);
        this.store.addInstanceEvent(details, { instanceId: id, timestampMs: this.now(), action });
      }
    }
    if (result.status === 'SUCCEEDED' || result.status === 'FAILED') {
      const event: NewEvent = { status: result.status === 'SUCCEEDED' ? running.successStatus : running.failureStatus };
      if (result.status === 'FAILED') {
        const failed = [...result.sideEffects].find(([, e]) => e.failure !== undefined);
        if (failed) event.message = `Latest failure: instance ${failed[0]} ${failed[1].failure}`;
      }
      this.changeStatus(details, event);
      return;
    }
    for (const [id, effect] of result.sideEffects) {
      if (effect.action && !skipped(effect)) this.perform(running, instructions, status, id, effect.action);
    }
    this.options.persist?.();
  }

  private perform(running: RunningUpdate, instructions: JobUpdateInstructions, status: S, instanceId: number, action: InstanceAction): void {
    const job = running.key.job!;
    switch (action) {
      case 'ADD_TASK': {
        // The task may already be back (a reschedule raced with this evaluation): nothing to add.
        if (this.activeTask(job, instanceId)) return;
        const config = status === S.ROLLING_FORWARD ? instructions.desiredState?.task : initialConfig(instructions.initialState, instanceId);
        if (config) this.lifecycle.insertPending(config, [instanceId]);
        return;
      }
      case 'KILL_TASK': {
        const task = this.activeTask(job, instanceId);
        if (!task) return;
        const policy = slaPolicyFor(instructions, status, instanceId);
        if (instructions.settings?.slaAware && policy && this.options.sla) this.slaKill(running.key, instanceId, task, policy, status);
        else this.kill(running.key, task);
        return;
      }
      case 'WATCH_TASK': {
        const delay = instructions.settings?.minWaitInInstanceRunningMs ?? 0;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (this.closed) return;
          const details = this.store.get(running.key);
          const current = this.running.get(jobKeyString(job));
          if (!details || !current || !isRolling(statusOf(details)) || updateKeyString(current.key) !== updateKeyString(running.key)) return;
          this.guard(() => this.evaluate(current, new Map([[instanceId, this.activeTask(job, instanceId)]])));
        }, delay);
        timer.unref();
        this.timers.add(timer);
        return;
      }
      case 'AWAIT_STATE_CHANGE':
        return;
    }
  }

  private kill(key: JobUpdateKey, task: ScheduledTask): void {
    this.lifecycle.kill([task.assignedTask!.taskId!], `Killed for job update ${key.id}`);
  }

  /**
   * SlaKillController.slaKill: records that the instance waits for its SLA check (once per instance and
   * action), then checks until the check passes, the task is gone or being killed, or the update leaves
   * `status` (a pause or a missing pulse stops the retries; the evaluation after resuming starts them again).
   */
  private slaKill(key: JobUpdateKey, instanceId: number, task: ScheduledTask, policy: SlaPolicy, status: S): void {
    const details = this.store.get(key)!;
    const action = status === S.ROLLING_BACK ? JobUpdateAction.INSTANCE_ROLLING_BACK : JobUpdateAction.INSTANCE_UPDATING;
    const checking = details.instanceEvents!.some((e) => e.instanceId === instanceId && e.action === action && e.message === SLA_CHECKING_MESSAGE);
    if (!checking) this.store.addInstanceEvent(details, { instanceId, timestampMs: this.now(), action, message: SLA_CHECKING_MESSAGE });
    const taskId = task.assignedTask!.taskId!;
    const loop = `${updateKeyString(key)}/${taskId}/${status}`;
    // Evaluations repeat while the kill waits: one retry loop per task and update status is enough.
    if (this.slaKills.has(loop)) return;
    this.slaKills.add(loop);
    const attempt = (lastDelayMs: number): void => {
      const current = this.store.get(key);
      const target = this.lifecycle.store.get(taskId);
      if (this.closed || !current || statusOf(current) !== status || !target || !ACTIVE_STATES.has(target.status!) || target.status === T.KILLING) {
        this.slaKills.delete(loop);
        return;
      }
      const act = () => {
        // The check may answer late: act only if nothing changed meanwhile.
        const now = this.store.get(key);
        const victim = this.lifecycle.store.get(taskId);
        if (this.closed || !now || statusOf(now) !== status || !victim || !ACTIVE_STATES.has(victim.status!) || victim.status === T.KILLING) return;
        this.store.addInstanceEvent(now, { instanceId, timestampMs: this.now(), action, message: SLA_PASSED_MESSAGE });
        this.kill(key, victim);
        this.options.persist?.();
      };
      // A task not on an agent yet (PENDING, THROTTLED) does not count for the SLA: it goes at once.
      const force = !SLAVE_ASSIGNED_STATES.has(target.status!);
      this.options
        .sla!()
        .checkSlaThenAct(target, policy, act, { force })
        .catch((error: unknown) => this.options.onError?.(`SLA-aware kill of ${taskId} failed: ${(error as Error).message}`));
      // Retried whatever the outcome: once the task is being killed the next attempt ends the loop.
      const min = this.options.slaKillRetryMinMs ?? 60_000;
      const delay = lastDelayMs === 0 ? min : Math.min(lastDelayMs * 2, this.options.slaKillRetryMaxMs ?? 300_000);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.guard(() => attempt(delay));
      }, delay);
      timer.unref();
      this.timers.add(timer);
    };
    attempt(0);
  }

  /** Whether this evaluation starts instances of a new batch (auto-pausing updates pause there). */
  private crossesBatch(key: JobUpdateKey, status: S, result: EvaluationResult): boolean {
    if (status !== S.ROLLING_FORWARD) return false;
    const keyString = updateKeyString(key);
    const ids = [...result.sideEffects.keys()];
    const cached = this.seen.get(keyString);
    if (!cached) {
      this.seen.set(keyString, new Set(ids));
      return false;
    }
    if (result.status === 'SUCCEEDED') {
      this.seen.delete(keyString);
      return false;
    }
    if (ids.every((id) => cached.has(id))) return false;
    for (const id of ids) cached.add(id);
    return true;
  }

  /** Timer and event callbacks have no caller to report to: failures go to the log hook. */
  private guard(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.options.onError?.(`job update evaluation failed: ${(error as Error).message}`);
    }
  }
}

/**
 * InstanceActionHandler.getSlaPolicy: rolling forward, the policy of the config being updated to;
 * rolling back, that of the instance's original config. None when that config has none.
 */
function slaPolicyFor(instructions: JobUpdateInstructions, status: S, instanceId: number): SlaPolicy | undefined {
  const config = status === S.ROLLING_FORWARD ? instructions.desiredState?.task : initialConfig(instructions.initialState, instanceId);
  return hasSlaPolicy(config?.slaPolicy) ? config.slaPolicy : undefined;
}

function statusOf(details: JobUpdateDetails): S {
  return details.update!.summary!.state!.status!;
}
