/**
 * Task lifecycle with Aurora's semantics (TaskStateMachine): PENDING → ASSIGNED → STARTING → RUNNING
 * → FINISHED | FAILED | KILLED, rescheduling of services and of batch tasks below maxTaskFailures,
 * THROTTLED backoff for tasks that flap, KILLING / RESTARTING transitions and pending reasons. Where a
 * task goes is decided by placement.ts; launches, kills and adoptions go through the agent driver.
 */
import { randomUUID } from 'node:crypto';
import { SLAVE_ASSIGNED_STATES, ScheduleStatus, TERMINAL_STATES, type ScheduledTask, type TaskConfig } from '../gen/types.js';
import type { AgentDriver } from './agents/driver.js';
import type { AgentPool } from './agents/pool.js';
import { pendingReason, place, type AgentView, type PendingTask, type Resources } from './placement.js';
import type { LaunchSpec, ProcessIdentity, RunningTask, TaskOutcome } from './runner/index.js';
import { jobKeyString, lastEventTime, TaskStore } from './tasks.js';

export interface ThrottleSettings {
  /** A task that ran less than this is flapping and its replacement waits THROTTLED (Aurora: 5 min). */
  minRunningMs: number;
  /** First penalty (Aurora: 30 s), doubled for each consecutive flap up to `maxBackoffMs` (Aurora: 5 min). */
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export interface LifecycleOptions {
  throttle: ThrottleSettings;
  /** The scheduler's own host name, shown in task events' `scheduler` field. */
  schedulerHost: string;
  /** The agents tasks are placed on, with their maintenance modes. */
  agents: AgentPool;
  /** Carries out launches, kills and adoptions on the agents. */
  driver: AgentDriver;
  /** Resources a task takes on an agent, its executor's overhead included. */
  demand(task: TaskConfig): Resources;
  /** Builds the process launch for a task that has its ports. */
  launchSpec(task: ScheduledTask): LaunchSpec;
  /** Reports failures that have no RPC to answer them (a launch that threw). */
  onError?(message: string): void;
  now?: () => number;
  /** Called right before a process is launched, so that the task's ASSIGNED state is stored before the process exists. */
  beforeLaunch?(): void;
  /**
   * Aurora's -transient_task_state_timeout (default 5 min): a task still KILLING, RESTARTING or
   * DRAINING after this long goes LOST ("Task timed out"), as Aurora's TaskTimeout does, and its
   * executor is shut down. Only a Mesos executor that ignores KILL stays that long.
   */
  transientTaskStateTimeoutMs?: number;
}

/** What a restarted scheduler needs to take over a task's processes (see recover()). */
export interface StoredProcess extends ProcessIdentity {
  sandboxDir: string;
  killGraceMs?: number;
}

/** The message of tasks whose processes ended while no scheduler was running, with no exit recorded. */
export const LOST_WHILE_DOWN_MESSAGE = 'Task was lost while the scheduler was down';
/** Aurora's PartitionManager: a PARTITIONED task past its policy's delay. */
export const PARTITIONED_TOO_LONG_MESSAGE = 'Task partitioned for too long.';

/** Aurora's TaskTimeout.TIMEOUT_MESSAGE. */
export const TASK_TIMEOUT_MESSAGE = 'Task timed out';

export type TransitionListener = (task: ScheduledTask, previous: ScheduleStatus | undefined) => void;

const RUNNING_LIKE = new Set<ScheduleStatus>([ScheduleStatus.ASSIGNED, ScheduleStatus.STARTING, ScheduleStatus.RUNNING]);
const STOPPING = new Set<ScheduleStatus>([ScheduleStatus.KILLING, ScheduleStatus.RESTARTING, ScheduleStatus.DRAINING]);

export class TaskLifecycle {
  readonly store = new TaskStore();
  private readonly processes = new Map<string, RunningTask>();
  /** Where each launched task's sandbox is and its kill grace, for the process record. */
  private readonly launched = new Map<string, { sandboxDir: string; killGraceMs?: number }>();
  private detached = false;
  private readonly pendingReasons = new Map<string, string>();
  /** Throttle penalty given to each task's replacement, keyed by the task that flapped. */
  private readonly penalties = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private scheduling: Promise<void> | undefined;
  private rescheduleRequested = false;
  /** While recover() runs, scheduling passes wait: a task launched meanwhile would look like one the old scheduler left. */
  private recovering = false;
  private closed = false;
  private readonly now: () => number;
  private readonly listeners = new Set<TransitionListener>();
  private readonly processListeners = new Set<(taskId: string) => void>();

  constructor(private readonly options: LifecycleOptions) {
    this.now = options.now ?? Date.now;
    // A host leaving or entering a drain changes where tasks may go.
    this.stopWatchingModes = options.agents.onModeChange(() => this.schedule());
  }

  private readonly stopWatchingModes: () => void;

  /**
   * Calls `listener` after every state change, and with `previous` set and the task gone from the
   * store when a task is deleted (update engine, cron, persistence). Returns the unsubscribe.
   */
  subscribe(listener: TransitionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` with a task's id when its process record (processRecord) changes without a transition. */
  onProcessChange(listener: (taskId: string) => void): () => void {
    this.processListeners.add(listener);
    return () => this.processListeners.delete(listener);
  }

  private emit(task: ScheduledTask, previous: ScheduleStatus | undefined): void {
    this.store.changed(task.assignedTask!.taskId!);
    for (const listener of this.listeners) {
      try {
        listener(task, previous);
      } catch (error) {
        this.options.onError?.(`transition listener failed: ${(error as Error).message}`);
      }
    }
  }

  /** Inserts PENDING tasks for the given instances (createJob, addInstances, updates). */
  insertPending(template: TaskConfig, instanceIds: Iterable<number>): ScheduledTask[] {
    const created: ScheduledTask[] = [];
    for (const instanceId of instanceIds) {
      const task = this.newTask(template, instanceId, undefined, 0);
      this.transition(task, ScheduleStatus.PENDING);
      created.push(task);
    }
    this.schedule();
    return created;
  }

  /** Why each PENDING task is still pending (Aurora's veto reasons). */
  pendingReason(taskId: string): string {
    return this.pendingReasons.get(taskId) ?? '';
  }

  /**
   * Kills tasks as Aurora's killTasks does: PENDING and THROTTLED tasks are deleted, live ones go
   * KILLING and then KILLED once their processes are gone. Returns how many tasks it acted on.
   */
  kill(taskIds: Iterable<string>, message: string): number {
    return this.stop(taskIds, ScheduleStatus.KILLING, message);
  }

  /** restartShards: RESTARTING, then a fresh task with the same config once the old one is gone. */
  restart(taskIds: Iterable<string>, message: string): number {
    return this.stop(taskIds, ScheduleStatus.RESTARTING, message);
  }

  /** Maintenance drains: DRAINING, then rescheduled (held PENDING while the host is drained). */
  drain(taskIds: Iterable<string>, message: string): number {
    return this.stop(taskIds, ScheduleStatus.DRAINING, message);
  }

  /** Resolves once the given tasks have no live process (used by waits and by close()). */
  async settled(taskIds: Iterable<string>): Promise<void> {
    await Promise.all([...taskIds].map((id) => this.processes.get(id)?.done));
  }

  /** Asks for a scheduling pass; passes never overlap and a request during one triggers another. */
  schedule(): void {
    if (this.closed) return;
    if (this.scheduling || this.recovering) {
      this.rescheduleRequested = true;
      return;
    }
    this.scheduling = this.schedulePass()
      .catch((error: unknown) => this.options.onError?.(`scheduling pass failed: ${(error as Error).message}`))
      .finally(() => {
        this.scheduling = undefined;
        if (this.rescheduleRequested) {
          this.rescheduleRequested = false;
          this.schedule();
        }
      });
  }

  /** Waits for the current scheduling pass, if any (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.scheduling) await this.scheduling;
  }

  /**
   * forceTaskState: an operator-forced transition, allowed where Aurora's TaskStateMachine allows it
   * (KILLING, RESTARTING and DRAINING as above; THROTTLED → PENDING; a live or stopping task → FINISHED,
   * FAILED, KILLED or LOST with the machine's reschedule rules). The process of a task forced terminal
   * is stopped and its exit ignored. Returns false for a transition the machine would refuse.
   */
  forceState(taskId: string, to: ScheduleStatus, message: string): boolean {
    const task = this.store.get(taskId);
    if (!task || task.status === to) return false;
    if (to === ScheduleStatus.KILLING || to === ScheduleStatus.RESTARTING || to === ScheduleStatus.DRAINING) {
      return this.stop([taskId], to, message) > 0;
    }
    const from = task.status!;
    if (from === ScheduleStatus.THROTTLED && to === ScheduleStatus.PENDING) {
      this.transition(task, to, message);
      this.schedule();
      return true;
    }
    const stopping = from === ScheduleStatus.KILLING || from === ScheduleStatus.RESTARTING || from === ScheduleStatus.DRAINING;
    if (!TERMINAL_STATES.has(to) || !(RUNNING_LIKE.has(from) || from === ScheduleStatus.PARTITIONED || stopping)) return false;
    const config = task.assignedTask!.task!;
    if (to === ScheduleStatus.FAILED) task.failureCount = (task.failureCount ?? 0) + 1;
    this.transition(task, to, message);
    void this.processes.get(taskId)?.kill(message);
    const max = config.maxTaskFailures ?? 1;
    const again =
      from === ScheduleStatus.RESTARTING || from === ScheduleStatus.DRAINING
        ? true
        : from === ScheduleStatus.KILLING // a kill ends the task for good
          ? false
          : to === ScheduleStatus.FINISHED
            ? config.isService === true
            : to === ScheduleStatus.FAILED
              ? config.isService === true || max === -1 || task.failureCount! - 1 < max - 1
              : true; // KILLED or LOST without a kill: rescheduled
    if (again) this.reschedule(task, !stopping);
    this.schedule();
    return true;
  }

  /**
   * Aurora's `-partition_aware`: the agent of a task that was ASSIGNED, STARTING or RUNNING is
   * unreachable, and the task goes PARTITIONED (with the agent's message) instead of LOST. Under its
   * job's PartitionPolicy (absent: reschedule after 0 s, as Aurora's PartitionManager reads it), a task
   * still PARTITIONED after `delaySecs` goes LOST ("Task partitioned for too long.") and is rescheduled;
   * `reschedule: false` keeps it PARTITIONED until its agent answers or it is killed. False for a task
   * in another state (it becomes LOST as without the flag).
   */
  partitioned(taskId: string, message: string): boolean {
    const task = this.store.get(taskId);
    if (!task || !RUNNING_LIKE.has(task.status!)) return false;
    task.timesPartitioned = (task.timesPartitioned ?? 0) + 1;
    this.transition(task, ScheduleStatus.PARTITIONED, message);
    const policy = task.assignedTask!.task!.partitionPolicy;
    if (policy?.reschedule === false) return true;
    // Any later transition (RUNNING again, KILLING...) ends the wait: the task has no more events then.
    const events = task.taskEvents!.length;
    const due = latestEvent(task)!.timestamp! + Math.max(0, Number(policy?.delaySecs ?? 0)) * 1000;
    // Node's timers may fire a millisecond before the clock reads `due`: waits again for what is left.
    const wait = (): void => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (this.store.get(taskId) !== task || task.taskEvents!.length !== events) return;
        if (this.now() < due) return wait();
        this.transition(task, ScheduleStatus.LOST, PARTITIONED_TOO_LONG_MESSAGE);
        void this.processes.get(taskId)?.kill(PARTITIONED_TOO_LONG_MESSAGE);
        this.reschedule(task, true);
        this.schedule();
      }, Math.max(0, due - this.now()));
      timer.unref();
      this.timers.add(timer);
    };
    wait();
    return true;
  }

  /**
   * The agent of a PARTITIONED task answers again and still runs it: the task is RUNNING again. False
   * for a task the scheduler has given up on (terminal: LOST and rescheduled, or killed), whose process
   * must be killed.
   */
  reconnected(taskId: string): boolean {
    const task = this.store.get(taskId);
    if (!task || TERMINAL_STATES.has(task.status!)) return false;
    if (task.status === ScheduleStatus.PARTITIONED) this.transition(task, ScheduleStatus.RUNNING, 'Agent reachable again');
    return true;
  }

  /**
   * Kills every live task and waits for their processes (scheduler shutdown). With `detach`, the tasks
   * keep running for the next scheduler on the same state directory to adopt, as Aurora's tasks keep
   * running on their agents while the scheduler restarts.
   */
  async close(message = 'Scheduler shutting down', options: { detach?: boolean } = {}): Promise<void> {
    this.closed = true;
    this.stopWatchingModes();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.idle();
    if (options.detach) {
      this.detached = true;
      for (const process of this.processes.values()) process.detach?.();
      return;
    }
    const live = [...this.processes.keys()];
    // Mesos executors get SHUTDOWN, as an agent shuts its executors down; plain processes the kill.
    await Promise.all(
      live.map((id) => {
        const process = this.processes.get(id);
        return process?.shutdown ? process.shutdown(message) : process?.kill(message);
      }),
    );
  }

  /**
   * The host process is exiting and nothing asynchronous runs any more: SIGKILL, synchronously, every
   * live task's executor (or its owner) and supervisor, with everything under them.
   */
  killNow(): void {
    this.closed = true;
    const roots: number[] = [];
    for (const task of this.processes.values()) {
      for (const pid of [task.pid, task.identity?.supervisorPid]) if (pid !== undefined) roots.push(pid);
    }
    this.options.driver.killNowSync(roots);
  }

  /** The process record of a task with a live process (stored so that a restarted scheduler can adopt it). */
  processRecord(taskId: string): StoredProcess | undefined {
    const identity = this.processes.get(taskId)?.identity;
    const launched = this.launched.get(taskId);
    if (!identity || !launched) return undefined;
    return { ...identity, ...launched };
  }

  /** Puts tasks read from the state directory back, without transitions (before recover()). */
  restore(tasks: Iterable<ScheduledTask>): void {
    for (const task of tasks) this.store.put(task);
  }

  /**
   * After a restart: takes over the processes of tasks that survived (the stored pid and start time
   * still name a live supervisor), settles tasks whose processes ended meanwhile with the exit their
   * supervisor recorded, marks those that left no record LOST (and reschedules them as Aurora does),
   * kills every process under `sandboxRoot` that belongs to no adopted task, and starts scheduling.
   */
  async recover(records: ReadonlyMap<string, StoredProcess>, sandboxRoot: string): Promise<void> {
    this.recovering = true;
    try {
      await this.idle();
      await this.takeOver(records, sandboxRoot);
    } finally {
      this.recovering = false;
      this.rescheduleRequested = false;
    }
    this.schedule();
  }

  private async takeOver(records: ReadonlyMap<string, StoredProcess>, sandboxRoot: string): Promise<void> {
    const gone: Array<{ task: ScheduledTask; outcome: TaskOutcome | undefined }> = [];
    for (const task of this.store.all()) {
      const id = task.assignedTask!.taskId!;
      const status = task.status!;
      if (status === ScheduleStatus.INIT) {
        this.store.delete(id);
        continue;
      }
      if (status === ScheduleStatus.THROTTLED) {
        this.releaseLater(task, this.options.throttle.initialBackoffMs);
        continue;
      }
      if (!RUNNING_LIKE.has(status) && !STOPPING.has(status) && status !== ScheduleStatus.PARTITIONED) continue;
      // Launched by this scheduler (a pass that began before recovery): its process is watched already.
      if (this.processes.has(id)) continue;
      const record = records.get(id);
      const driver = this.options.driver;
      const adopted = record ? await driver.adopt({ taskId: id, host: task.assignedTask!.slaveHost, sandboxDir: record.sandboxDir, killGraceMs: record.killGraceMs, identity: record }) : undefined;
      if (!adopted) {
        gone.push({ task, outcome: record ? await driver.recordedOutcome(record.sandboxDir) : undefined });
        continue;
      }
      this.processes.set(id, adopted);
      this.launched.set(id, { sandboxDir: record!.sandboxDir, killGraceMs: record!.killGraceMs });
      // Its executor was spawned: the RUNNING report may have been lost with the old scheduler.
      if (status === ScheduleStatus.ASSIGNED) this.transition(task, ScheduleStatus.STARTING);
      if (task.status === ScheduleStatus.STARTING || task.status === ScheduleStatus.PARTITIONED) this.transition(task, ScheduleStatus.RUNNING);
      // A kill that was acknowledged but not finished is finished now.
      if (STOPPING.has(status)) void adopted.kill(latestMessage(task) ?? 'Killed');
      void adopted.done.then((outcome) => {
        this.processes.delete(id);
        this.launched.delete(id);
        if (!this.detached) this.exited(task, outcome);
      });
    }
    // Nothing may run that the scheduler does not watch.
    await this.options.driver.killOrphans(sandboxRoot, (taskId) => this.processes.has(taskId));
    for (const { task, outcome } of gone) {
      if (outcome) this.exited(task, outcome);
      else this.lost(task);
    }
  }

  /** A task whose processes vanished without a trace while no scheduler ran. */
  private lost(task: ScheduledTask): void {
    const status = task.status!;
    if (status === ScheduleStatus.KILLING) {
      this.transition(task, ScheduleStatus.KILLED, LOST_WHILE_DOWN_MESSAGE);
    } else if (status === ScheduleStatus.RESTARTING || status === ScheduleStatus.DRAINING) {
      this.transition(task, ScheduleStatus.KILLED, LOST_WHILE_DOWN_MESSAGE);
      this.reschedule(task, false);
    } else {
      // Aurora reschedules every LOST task, service or not.
      this.transition(task, ScheduleStatus.LOST, LOST_WHILE_DOWN_MESSAGE);
      this.reschedule(task, false);
    }
  }

  private stop(taskIds: Iterable<string>, to: ScheduleStatus, message: string): number {
    let count = 0;
    for (const id of taskIds) {
      const task = this.store.get(id);
      if (!task) continue;
      const status = task.status!;
      if (status === ScheduleStatus.PENDING || status === ScheduleStatus.THROTTLED) {
        if (to === ScheduleStatus.KILLING) {
          // Aurora deletes tasks that never got a host.
          this.store.delete(id);
          this.pendingReasons.delete(id);
          this.emit(task, status);
          count++;
        }
        continue;
      }
      // Aurora: a PARTITIONED task may be killed; the kill reaches its agent when it answers again.
      if (!RUNNING_LIKE.has(status) && status !== ScheduleStatus.PARTITIONED) continue;
      this.transition(task, to, message);
      this.timeOutLater(task, to);
      count++;
      const process = this.processes.get(id);
      // Without a process yet, the launch step sees the new state and finishes the job itself.
      if (process) void process.kill(message);
    }
    return count;
  }

  private async schedulePass(): Promise<void> {
    const pending = this.store
      .all()
      .filter((t) => t.status === ScheduleStatus.PENDING)
      .sort((a, b) => (b.assignedTask!.task!.priority ?? 0) - (a.assignedTask!.task!.priority ?? 0) || lastEventTime(a) - lastEventTime(b));
    if (pending.length === 0) return;
    const plan = place({
      pending: pending.map((task) => this.pendingTask(task)),
      ...this.agentsState(),
    });
    for (const [taskId, vetoes] of plan.vetoes) this.pendingReasons.set(taskId, pendingReason(vetoes));
    for (const assignment of plan.assignments) {
      if (this.closed) return;
      const task = this.store.get(assignment.taskId)!;
      this.pendingReasons.delete(assignment.taskId);
      const agent = this.options.agents.get(assignment.host)!;
      const names = portNames(task.assignedTask!.task!);
      let ports = assignment.ports;
      if (ports === undefined) {
        const free = await this.options.driver.freePorts(names.length);
        ports = Object.fromEntries(names.map((n, i) => [n, free[i]!]));
      }
      // The task may have been killed while ports were found.
      if (this.store.get(assignment.taskId) !== task || task.status !== ScheduleStatus.PENDING) continue;
      task.assignedTask!.assignedPorts = ports;
      task.assignedTask!.slaveHost = agent.host;
      task.assignedTask!.slaveId = agent.slaveId;
      this.transition(task, ScheduleStatus.ASSIGNED);
      this.launch(task);
    }
  }

  private pendingTask(task: ScheduledTask): PendingTask {
    const config = task.assignedTask!.task!;
    return {
      taskId: task.assignedTask!.taskId!,
      job: jobKeyString(config.job),
      role: config.job?.role ?? '',
      config,
      demand: this.options.demand(config),
      portNames: portNames(config),
    };
  }

  /**
   * The agents as placement reads them (the reachable ones; every one with `includeUnreachable`):
   * totals, what their tasks use, their modes; and where each job's tasks are.
   */
  agentsState(includeUnreachable = false): { agents: AgentView[]; jobHosts: Map<string, string[]> } {
    const used = new Map<string, { resources: Resources; ports: Set<number> }>();
    const jobHosts = new Map<string, string[]>();
    for (const t of this.store.all()) {
      if (!SLAVE_ASSIGNED_STATES.has(t.status!)) continue;
      const a = t.assignedTask!;
      const host = a.slaveHost ?? '';
      const job = jobKeyString(a.task!.job);
      const hosts = jobHosts.get(job);
      if (hosts) hosts.push(host);
      else jobHosts.set(job, [host]);
      const entry = used.get(host) ?? used.set(host, { resources: { cpus: 0, ramMb: 0, diskMb: 0 }, ports: new Set() }).get(host)!;
      const d = this.options.demand(a.task!);
      entry.resources.cpus += d.cpus;
      entry.resources.ramMb += d.ramMb;
      entry.resources.diskMb += d.diskMb;
      for (const port of Object.values(a.assignedPorts ?? {})) entry.ports.add(port);
    }
    // An unreachable agent sends no offers: placement does not see it.
    const agents = this.options.agents.all().filter((agent) => includeUnreachable || this.options.agents.reachable(agent.host)).map((agent) => ({
      host: agent.host,
      attributes: agent.attributes,
      total: agent.total,
      used: used.get(agent.host)?.resources ?? { cpus: 0, ramMb: 0, diskMb: 0 },
      ports: agent.ports,
      usedPorts: used.get(agent.host)?.ports ?? new Set<number>(),
      mode: this.options.agents.mode(agent.host),
    }));
    return { agents, jobHosts };
  }

  private launch(task: ScheduledTask): void {
    const id = task.assignedTask!.taskId!;
    let spec: LaunchSpec;
    try {
      spec = this.options.launchSpec(task);
    } catch (error) {
      this.exited(task, { state: 'FAILED', message: `Failed to launch: ${(error as Error).message}` });
      return;
    }
    this.launched.set(id, { sandboxDir: spec.sandboxDir, killGraceMs: spec.killGraceMs });
    try {
      this.options.beforeLaunch?.();
    } catch (error) {
      this.launched.delete(id);
      this.exited(task, { state: 'FAILED', message: `Failed to launch: cannot store the task: ${(error as Error).message}` });
      return;
    }
    const process = this.options.driver.launch(spec, {
      onStarting: () => {
        if (task.status === ScheduleStatus.ASSIGNED) this.transition(task, ScheduleStatus.STARTING);
      },
      // The owner runs: stored before the executor does, so that a scheduler that dies now leaves the task adoptable.
      onSpawned: () => {
        for (const listener of this.processListeners) listener(id);
      },
      onRunning: (_pid, message) => {
        if (task.status === ScheduleStatus.ASSIGNED) this.transition(task, ScheduleStatus.STARTING);
        if (task.status === ScheduleStatus.STARTING) this.transition(task, ScheduleStatus.RUNNING, message);
      },
    });
    this.processes.set(id, process);
    // Killed between ASSIGNED and now: finish the kill on the process we just started.
    if (task.status !== ScheduleStatus.ASSIGNED && task.status !== ScheduleStatus.STARTING && task.status !== ScheduleStatus.RUNNING) {
      void process.kill(latestMessage(task) ?? 'Killed');
    }
    void process.done.then((outcome) => {
      this.processes.delete(id);
      this.launched.delete(id);
      if (!this.detached) this.exited(task, outcome);
    });
  }

  /** The executor's process is gone: the task reaches its terminal state, and maybe a successor. */
  private exited(task: ScheduledTask, outcome: TaskOutcome): void {
    const status = task.status!;
    // Already terminal: forced there by forceState, which did the follow-ups.
    if (TERMINAL_STATES.has(status)) {
      this.schedule();
      return;
    }
    const config = task.assignedTask!.task!;
    switch (status) {
      case ScheduleStatus.KILLING:
        this.transition(task, ScheduleStatus.KILLED, outcome.state === 'KILLED' && !outcome.reported ? latestMessage(task) ?? outcome.message : outcome.message);
        break;
      case ScheduleStatus.RESTARTING:
      case ScheduleStatus.DRAINING:
        this.transition(task, ScheduleStatus.KILLED, outcome.message);
        this.reschedule(task, false);
        break;
      default:
        if (outcome.state === 'LOST') {
          // Reported by a Mesos executor, or its executor exited under it: rescheduled, as Aurora does.
          this.transition(task, ScheduleStatus.LOST, outcome.message);
          this.reschedule(task, true);
        } else if (outcome.state === 'FINISHED') {
          this.transition(task, ScheduleStatus.FINISHED, outcome.message);
          if (config.isService) this.reschedule(task, true);
        } else {
          task.failureCount = (task.failureCount ?? 0) + 1;
          this.transition(task, ScheduleStatus.FAILED, outcome.message);
          const max = config.maxTaskFailures ?? 1;
          // Aurora compares the count before this failure with maxTaskFailures - 1.
          const belowMax = max === -1 || task.failureCount - 1 < max - 1;
          if (config.isService || belowMax) this.reschedule(task, true);
        }
    }
    this.schedule();
  }

  private reschedule(previous: ScheduledTask, mayThrottle: boolean): void {
    if (this.closed) return;
    const a = previous.assignedTask!;
    const successor = this.newTask(a.task!, a.instanceId!, a.taskId, previous.failureCount ?? 0);
    const runningSince = lastEventTime(previous, ScheduleStatus.RUNNING);
    const ranFor = runningSince > 0 ? this.now() - runningSince : 0;
    const { minRunningMs, initialBackoffMs, maxBackoffMs } = this.options.throttle;
    if (mayThrottle && ranFor < minRunningMs && initialBackoffMs > 0) {
      const previousPenalty = this.penalties.get(a.taskId!);
      const penalty = previousPenalty === undefined ? initialBackoffMs : Math.min(previousPenalty * 2, maxBackoffMs);
      this.penalties.set(successor.assignedTask!.taskId!, penalty);
      this.transition(successor, ScheduleStatus.THROTTLED, `Rescheduled, penalized for ${penalty} ms for flapping`);
      this.releaseLater(successor, penalty);
    } else {
      this.transition(successor, ScheduleStatus.PENDING);
    }
    this.penalties.delete(a.taskId!);
  }

  /**
   * Aurora's TaskTimeout: a task still in the transient state `status` after the timeout goes LOST
   * (KILLING: for good; RESTARTING, DRAINING: rescheduled, as forceState does it), and its executor
   * gets SHUTDOWN and, after the grace, SIGKILL: the local agent does not leave behind a process
   * whose task has ended.
   */
  private timeOutLater(task: ScheduledTask, status: ScheduleStatus): void {
    const id = task.assignedTask!.taskId!;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.store.get(id) !== task || task.status !== status) return;
      this.forceState(id, ScheduleStatus.LOST, TASK_TIMEOUT_MESSAGE);
      void this.processes.get(id)?.shutdown?.(TASK_TIMEOUT_MESSAGE);
    }, this.options.transientTaskStateTimeoutMs ?? 5 * 60_000);
    timer.unref();
    this.timers.add(timer);
  }

  /** THROTTLED → PENDING once the penalty has passed. */
  private releaseLater(task: ScheduledTask, penalty: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.store.get(task.assignedTask!.taskId!) === task && task.status === ScheduleStatus.THROTTLED) {
        this.transition(task, ScheduleStatus.PENDING);
        this.schedule();
      }
    }, penalty);
    timer.unref();
    this.timers.add(timer);
  }

  private newTask(template: TaskConfig, instanceId: number, ancestorId: string | undefined, failureCount: number): ScheduledTask {
    const job = template.job!;
    const taskId = `${job.role}-${job.environment}-${job.name}-${instanceId}-${randomUUID()}`.replace(/[^\w-]/g, '-');
    const task: ScheduledTask = {
      assignedTask: { taskId, task: structuredClone(template), instanceId, assignedPorts: {} },
      status: ScheduleStatus.INIT,
      failureCount,
      timesPartitioned: 0,
      taskEvents: [],
      ancestorId,
    };
    this.store.put(task);
    return task;
  }

  private transition(task: ScheduledTask, status: ScheduleStatus, message?: string): void {
    const previous = task.status;
    task.status = status;
    task.taskEvents!.push({ timestamp: this.now(), status, message, scheduler: this.options.schedulerHost });
    this.emit(task, previous);
  }
}

function latestEvent(task: ScheduledTask) {
  return task.taskEvents?.[task.taskEvents.length - 1];
}

function latestMessage(task: ScheduledTask): string | undefined {
  return latestEvent(task)?.message;
}

/** A task's named ports, in the order they get ports. */
function portNames(config: TaskConfig): string[] {
  return [...(config.resources ?? [])].flatMap((r) => (r.namedPort ? [r.namedPort] : []));
}
