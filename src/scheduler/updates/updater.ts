/**
 * One direction of an update (Aurora's OneWayJobUpdater and InstanceUpdater): per instance, decide
 * what to do next from the instance's current task, and roll the instances' outcomes up into the
 * outcome of the whole update. Pure bookkeeping: the controller performs the actions.
 */
import { ACTIVE_STATES, ScheduleStatus, TERMINAL_STATES, type ScheduledTask, type TaskConfig } from '../../gen/types.js';
import { canonicalJson } from '../tasks.js';
import type { UpdateStrategy } from './strategy.js';

/** What the controller must do for an instance: kill its task, add its new task, or re-check it later. */
export type InstanceAction = 'KILL_TASK' | 'ADD_TASK' | 'WATCH_TASK' | 'AWAIT_STATE_CHANGE';
export type InstanceStatus = 'IDLE' | 'WORKING' | 'SUCCEEDED' | 'FAILED';
export type UpdaterStatus = 'IDLE' | 'WORKING' | 'SUCCEEDED' | 'FAILED';

type Evaluation = { action?: InstanceAction; done?: 'SUCCEEDED' | 'FAILED' };

export interface SideEffect {
  action: InstanceAction | undefined;
  /** The instance's status changes during this evaluation (WORKING, then maybe SUCCEEDED or FAILED). */
  statusChanges: InstanceStatus[];
  /** Set when the instance failed: why. */
  failure: string | undefined;
}

export interface EvaluationResult {
  status: UpdaterStatus;
  sideEffects: Map<number, SideEffect>;
}

function isKillable(status: ScheduleStatus): boolean {
  return ACTIVE_STATES.has(status) && status !== ScheduleStatus.KILLING;
}

/** A task that went through KILLING and came out of it: gone for good, never rescheduled. */
function permanentlyKilled(task: ScheduledTask): boolean {
  return task.status !== ScheduleStatus.KILLING && (task.taskEvents ?? []).some((e) => e.status === ScheduleStatus.KILLING);
}

/** Drives one instance from its current task to the desired config (or to no task at all). */
export class InstanceEvaluator {
  private observedFailures = 0;
  private readonly desiredJson: string | undefined;

  constructor(
    readonly desired: TaskConfig | undefined,
    private readonly toleratedFailures: number,
    private readonly minRunningMs: number,
    private readonly now: () => number,
  ) {
    this.desiredJson = desired === undefined ? undefined : canonicalJson('TaskConfig', desired);
  }

  evaluate(actual: ScheduledTask | undefined): Evaluation {
    const present = actual !== undefined && !permanentlyKilled(actual);
    if (this.desired && present) return this.changing(actual);
    if (this.desired) return { action: 'ADD_TASK' };
    if (present) return { action: isKillable(actual.status!) ? 'KILL_TASK' : 'AWAIT_STATE_CHANGE' };
    return { done: 'SUCCEEDED' };
  }

  private changing(task: ScheduledTask): Evaluation {
    const status = task.status!;
    if (canonicalJson('TaskConfig', task.assignedTask!.task) === this.desiredJson) {
      if (status === ScheduleStatus.RUNNING) {
        const since = task.taskEvents?.at(-1)?.timestamp ?? 0;
        return this.now() - since >= this.minRunningMs ? { done: 'SUCCEEDED' } : { action: 'WATCH_TASK' };
      }
      if (TERMINAL_STATES.has(status)) {
        this.observedFailures++;
        return this.observedFailures > this.toleratedFailures ? { done: 'FAILED' } : { action: 'AWAIT_STATE_CHANGE' };
      }
      return { action: 'AWAIT_STATE_CHANGE' };
    }
    if (isKillable(status)) return { action: 'KILL_TASK' };
    if (TERMINAL_STATES.has(status) && permanentlyKilled(task)) return { action: 'ADD_TASK' };
    return { action: 'AWAIT_STATE_CHANGE' };
  }
}

/** The instances of one update direction, started group by group as the strategy allows. */
export class OneWayUpdater {
  private state: UpdaterStatus = 'IDLE';
  private readonly instances = new Map<number, { status: InstanceStatus; evaluator: InstanceEvaluator }>();

  constructor(
    private readonly strategy: UpdateStrategy,
    private readonly maxFailedInstances: number,
    evaluators: Map<number, InstanceEvaluator>,
  ) {
    for (const [id, evaluator] of evaluators) this.instances.set(id, { status: 'IDLE', evaluator });
  }

  get status(): UpdaterStatus {
    return this.state;
  }

  contains(instanceId: number): boolean {
    return this.instances.has(instanceId);
  }

  /**
   * Re-evaluates the changed instances that are in flight, then starts more instances if the
   * update is still working. `current` gives an instance's active task.
   */
  evaluate(changed: ReadonlyMap<number, ScheduledTask | undefined>, current: (instanceId: number) => ScheduledTask | undefined): EvaluationResult {
    if (this.state === 'IDLE') this.state = 'WORKING';
    const sideEffects = new Map<number, SideEffect>();
    if (this.state !== 'WORKING') return { status: this.state, sideEffects };
    for (const [id, task] of changed) {
      const instance = this.instances.get(id);
      // State changes of instances not in flight (not started, or already done) are ignored.
      if (instance?.status === 'WORKING') sideEffects.set(id, this.evaluateInstance(id, task));
    }
    if (this.computeStatus() === 'WORKING') this.startNextGroup(current, sideEffects);
    return { status: this.computeStatus(), sideEffects };
  }

  private withStatus(status: InstanceStatus): Set<number> {
    return new Set([...this.instances].filter(([, i]) => i.status === status).map(([id]) => id));
  }

  private startNextGroup(current: (instanceId: number) => ScheduledTask | undefined, out: Map<number, SideEffect>): void {
    for (;;) {
      const idle = this.withStatus('IDLE');
      if (idle.size === 0) return;
      const working = this.withStatus('WORKING');
      const group = this.strategy.nextGroup(idle, working);
      let acted = false;
      for (const id of group) {
        const effect = this.evaluateInstance(id, current(id));
        out.set(id, effect);
        if (effect.action !== undefined) acted = true;
      }
      // Nothing in flight and nothing to do for this group (it was already up to date): take the next one.
      if (working.size > 0 || acted || group.size === 0) return;
    }
  }

  private evaluateInstance(id: number, task: ScheduledTask | undefined): SideEffect {
    const instance = this.instances.get(id)!;
    const statusChanges: InstanceStatus[] = [];
    if (instance.status === 'IDLE') {
      instance.status = 'WORKING';
      statusChanges.push('WORKING');
    }
    const result = instance.evaluator.evaluate(task);
    if (result.done) {
      instance.status = result.done;
      statusChanges.push(result.done);
    }
    return { action: result.action, statusChanges, failure: result.done === 'FAILED' ? 'exited.' : undefined };
  }

  private computeStatus(): UpdaterStatus {
    if (this.state !== 'WORKING') return this.state;
    if (this.withStatus('FAILED').size > this.maxFailedInstances) this.state = 'FAILED';
    else if (this.withStatus('WORKING').size === 0 && this.withStatus('IDLE').size === 0) this.state = 'SUCCEEDED';
    return this.state;
  }
}
