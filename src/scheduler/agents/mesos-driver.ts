/**
 * An agent driver that serves Mesos' v1 executor API to the executors it starts, over the process
 * driver underneath (LocalAgentDriver). A launch that carries a TaskInfo (custom executors) gets the
 * environment a Mesos agent gives an executor; an executor that SUBSCRIBEs receives LAUNCH with that
 * TaskInfo and its UPDATEs drive the task. Plain processes keep today's contract in the default mode.
 *
 * Mesos' rules kept here (src/slave/slave.cpp, constants.hpp): an executor that has not subscribed
 * within the registration timeout (1 min) is destroyed; KILL is forwarded and re-sent with Aurora's
 * KillRetry backoff while the task is being killed, never turned into SHUTDOWN by the agent;
 * SHUTDOWN (scheduler stop, as an agent shutting down its frameworks; a task that ended or timed
 * out, the local agent's own rule) is followed after the shutdown grace (5 s) by SIGKILL of the
 * executor's session, as Mesos destroys the container; an executor that exits with its task active
 * ends it FAILED (REASON_EXECUTOR_TERMINATED). Updates are acknowledged once `persist` resolves;
 * with `authenticateHttpExecutors` each executor gets its token (executor-api/auth.ts).
 *
 * With a checkpoint (a state directory) the agent recovers as Mesos' does after a restart: it listens
 * on the executor API's previous port, answers 503 until `recovered()`, and gives each adopted
 * executor that had subscribed `executor_reregistration_timeout` (2 s) to SUBSCRIBE again; one that
 * does keeps its task and is driven again, one that does not is killed and its task is LOST
 * (REASON_EXECUTOR_REREGISTRATION_TIMEOUT).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_FRAMEWORK_ID } from '../runner/environment.js';
import type { AdoptSpec, LaunchHooks, LaunchSpec, ProcessIdentity, RunningTask, TaskOutcome } from '../runner/index.js';
import type { AgentDriver } from './driver.js';
import { ExecutorApi, type AgentCheckpoint, type CheckpointedExecutor, type MesosJson } from './executor-api/index.js';

/**
 * `auto` (default): an executor that subscribes is driven by its updates; one that never does is a
 * plain process whose exit decides (RUNNING once spawned). `mesos`: every custom executor must
 * subscribe within the registration timeout, and only its TASK_RUNNING makes the task RUNNING.
 */
export type ExecutorMode = 'auto' | 'mesos';

export interface MesosAgentOptions {
  mode?: ExecutorMode;
  /** Mesos' --executor_registration_timeout (default 1 min). */
  registrationTimeoutMs?: number;
  /** Mesos' --executor_shutdown_grace_period (default 5 s), unless the ExecutorInfo sets its own. */
  shutdownGraceMs?: number;
  /** Aurora's -initial_task_kill_retry_interval (default 15 s); doubled while the task stays KILLING. */
  killRetryMs?: number;
  /** The longest kill retry interval: Aurora's -transient_task_state_timeout (default 5 min), as its KillRetry backoff. */
  maxKillRetryMs?: number;
  /**
   * Mesos' --authenticate_http_executors: each executor gets a token in
   * MESOS_EXECUTOR_AUTHENTICATION_TOKEN and every call must carry it (default false).
   */
  authenticateHttpExecutors?: boolean;
  /**
   * Resolves once every task state change made so far is stored (durably, with a state directory).
   * An executor's update is acknowledged only after it; a rejection leaves the update unacknowledged.
   */
  persist?: () => Promise<void>;
  /** Mesos' --recovery_timeout (default 15 min), exported as MESOS_RECOVERY_TIMEOUT. */
  recoveryTimeoutMs?: number;
  /** Mesos' --executor_reregistration_timeout (default 2 s), exported as MESOS_SUBSCRIPTION_BACKOFF_MAX. */
  reregistrationTimeoutMs?: number;
  /** The address the executor API listens on (default 127.0.0.1, port chosen by the system). */
  host?: string;
  hostname?: string;
  /**
   * Where the agent keeps its port and its executors across restarts (executor-api/checkpoint.ts):
   * with one, start() listens on the stored port and the agent answers 503 until recovered().
   */
  checkpoint?: AgentCheckpoint;
  /** One line for what no caller can be told (the stored port taken by another process). */
  onLog?: (line: string) => void;
}

/** What a launch needs to run a Mesos executor: the TaskInfo it is handed (see buildTaskInfo). */
export interface MesosLaunch {
  taskInfo: MesosJson;
}

export class MesosAgentDriver implements AgentDriver {
  readonly api: ExecutorApi;
  private server: Server | undefined;
  private endpoint = '';
  private readonly tasks = new Map<string, MesosExecutorTask>();
  readonly mode: ExecutorMode;
  readonly settings: Required<Omit<MesosAgentOptions, 'mode' | 'host' | 'hostname' | 'authenticateHttpExecutors' | 'persist' | 'checkpoint' | 'onLog'>>;
  /** Adopted executors waiting for recovered() to start their re-registration timeout. */
  private readonly reregistering: MesosExecutorTask[] = [];
  private readonly executorSecret: Buffer | undefined;

  constructor(
    private readonly inner: AgentDriver,
    private readonly options: MesosAgentOptions = {},
  ) {
    this.mode = options.mode ?? 'auto';
    if (options.authenticateHttpExecutors) {
      this.executorSecret = options.checkpoint?.executorSecret ?? randomBytes(32);
      options.checkpoint?.saveExecutorSecret(this.executorSecret);
    }
    this.settings = {
      registrationTimeoutMs: options.registrationTimeoutMs ?? 60_000,
      shutdownGraceMs: options.shutdownGraceMs ?? 5_000,
      killRetryMs: options.killRetryMs ?? 15_000,
      maxKillRetryMs: options.maxKillRetryMs ?? 5 * 60_000,
      recoveryTimeoutMs: options.recoveryTimeoutMs ?? 15 * 60_000,
      reregistrationTimeoutMs: options.reregistrationTimeoutMs ?? 2_000,
    };
    this.api = new ExecutorApi(
      {
        frameworkInfo: { user: process.env.USER ?? 'root', name: 'Aurora', id: { value: DEFAULT_FRAMEWORK_ID }, checkpoint: true, failover_timeout: 21 * 24 * 3600 },
        agentInfo: () => ({ hostname: options.hostname ?? 'localhost', port: this.port() }),
        // Kept in the checkpoint when there is one, so that executors re-subscribe with their tokens
        // after a restart (Mesos' --jwt_secret_key file); else it lives only in this process.
        executorSecret: this.executorSecret,
      },
      {
        update: async (executorId, status) => this.tasks.get(executorId)?.update(status),
        subscribed: (executorId) => this.tasks.get(executorId)?.subscribed(),
      },
    );
  }

  /**
   * Starts serving the executor API; launches need it listening. With a checkpoint: on the port of the
   * previous run, answering 503 until recovered(). If another process holds that port, on a new one
   * (said in one line): the executors of the previous run cannot find it, and miss their re-registration.
   */
  async start(): Promise<void> {
    const checkpoint = this.options.checkpoint;
    if (checkpoint) this.api.recovering = true;
    const host = this.options.host ?? '127.0.0.1';
    const stored = checkpoint?.port;
    let server: Server;
    try {
      server = await this.listen(host, stored ?? 0);
    } catch (error) {
      if (stored === undefined || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      server = await this.listen(host, 0);
      const port = (server.address() as AddressInfo).port;
      this.options.onLog?.(
        `The executor API's port ${stored} (${host}) is taken by another process; serving it on ${port}: executors started before the restart cannot re-subscribe and their tasks will be LOST.`,
      );
    }
    this.server = server;
    const address = server.address() as AddressInfo;
    this.endpoint = `${address.address}:${address.port}`;
    checkpoint?.savePort(address.port);
  }

  private async listen(host: string, port: number): Promise<Server> {
    const server = createServer((req, res) => {
      if (!this.api.handle(req, res)) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Not found');
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return server;
  }

  /**
   * The scheduler has restored and adopted its tasks: the agent answers executors again, and each
   * adopted executor that had subscribed must SUBSCRIBE within the re-registration timeout (Mesos'
   * `reregisterExecutorTimeout`). Checkpoints of tasks that were not adopted are dropped.
   */
  recovered(): void {
    this.api.recovering = false;
    const checkpoint = this.options.checkpoint;
    if (checkpoint) {
      const live = new Set([...this.tasks.values()].map((task) => task.taskId));
      for (const taskId of checkpoint.executors.keys()) if (!live.has(taskId)) checkpoint.saveExecutor(taskId, undefined);
    }
    for (const task of this.reregistering.splice(0)) task.awaitSubscription();
  }

  /** Stores (or forgets) what a restarted agent needs to recover a task's executor. */
  checkpointExecutor(taskId: string, executor: CheckpointedExecutor | undefined): void {
    this.options.checkpoint?.saveExecutor(taskId, executor);
  }

  /** Resolves once the task state changes made so far are stored (see MesosAgentOptions.persist). */
  async persist(): Promise<void> {
    await this.options.persist?.();
  }

  /** The executor API's `ip:port` (MESOS_AGENT_ENDPOINT). */
  get agentEndpoint(): string {
    return this.endpoint;
  }

  private port(): number {
    return Number(this.endpoint.split(':').pop() ?? 0);
  }

  async close(): Promise<void> {
    this.api.closeAll();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  launch(spec: LaunchSpec, hooks: LaunchHooks): RunningTask {
    if (!spec.mesos || !this.server) return this.inner.launch(spec, hooks);
    const taskInfo = spec.mesos.taskInfo;
    const executorInfo = taskInfo.executor as MesosJson;
    const executorId = spec.executorId;
    const grace = shutdownGraceOf(executorInfo, this.settings.shutdownGraceMs);
    const api = this.api;
    api.register(executorInfo);
    api.launch(executorId, taskInfo);
    const agentId = String((taskInfo.agent_id as MesosJson).value);
    const process = this.inner.launch(
      { ...spec, env: { ...spec.env, ...this.environment(spec, agentId, grace) } },
      {
        onStarting: () => hooks.onStarting?.(),
        onSpawned: () => hooks.onSpawned?.(),
        onRunning: (pid) => {
          // Spawned: a plain process is RUNNING now; a Mesos executor only once it says so.
          if (this.mode === 'auto' && !api.hasSubscribed(executorId)) hooks.onRunning?.(pid);
          else hooks.onStarting?.();
        },
      },
    );
    const task = this.track(process, { executorId, executorInfo, containerId: api.containerIdOf(executorId)!, subscribed: false }, hooks);
    task.awaitSubscription();
    return task;
  }

  /**
   * Takes over a task's process after a restart. A Mesos executor in the checkpoint is expected again:
   * its session is restored (same executor and container id), and if it had subscribed it must
   * re-subscribe within the re-registration timeout once recovered() is called.
   */
  async adopt(spec: AdoptSpec): Promise<RunningTask | undefined> {
    const process = await this.inner.adopt(spec);
    const saved = this.options.checkpoint?.executors.get(spec.taskId);
    if (!process || !saved) return process;
    this.api.register(saved.executorInfo, saved.containerId);
    const task = this.track(process, saved, {});
    this.reregistering.push(task);
    return task;
  }

  private track(process: RunningTask, executor: CheckpointedExecutor, hooks: LaunchHooks): MesosExecutorTask {
    const grace = shutdownGraceOf(executor.executorInfo, this.settings.shutdownGraceMs);
    const task = new MesosExecutorTask(this, process, executor, grace, hooks, () => this.tasks.delete(executor.executorId));
    this.tasks.set(executor.executorId, task);
    this.checkpointExecutor(task.taskId, executor);
    return task;
  }

  recordedOutcome(sandboxDir: string): Promise<TaskOutcome | undefined> {
    return this.inner.recordedOutcome(sandboxDir);
  }

  killOrphans(sandboxRoot: string, keep: (taskId: string) => boolean): Promise<void> {
    return this.inner.killOrphans(sandboxRoot, keep);
  }

  killNowSync(pids: readonly number[]): void {
    this.inner.killNowSync(pids);
  }

  freePorts(count: number): Promise<number[]> {
    return this.inner.freePorts(count);
  }

  /** The environment a Mesos agent gives an executor (executorEnvironment in src/slave/slave.cpp). */
  environment(spec: LaunchSpec, agentId: string, shutdownGraceMs: number): Record<string, string> {
    const token = this.api.tokenFor(spec.executorId);
    return {
      ...(token === undefined ? {} : { MESOS_EXECUTOR_AUTHENTICATION_TOKEN: token }),
      MESOS_FRAMEWORK_ID: DEFAULT_FRAMEWORK_ID,
      MESOS_EXECUTOR_ID: spec.executorId,
      MESOS_DIRECTORY: spec.sandboxDir,
      MESOS_SANDBOX: spec.sandboxDir,
      MESOS_SLAVE_ID: agentId,
      MESOS_SLAVE_PID: `slave(1)@${this.endpoint}`,
      MESOS_AGENT_ENDPOINT: this.endpoint,
      MESOS_CHECKPOINT: '1',
      MESOS_HTTP_COMMAND_EXECUTOR: '0',
      MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: mesosDuration(shutdownGraceMs),
      MESOS_RECOVERY_TIMEOUT: mesosDuration(this.settings.recoveryTimeoutMs),
      MESOS_SUBSCRIPTION_BACKOFF_MAX: mesosDuration(this.settings.reregistrationTimeoutMs),
    };
  }
}

/** The ExecutorInfo's own shutdown grace period, else the agent's. */
function shutdownGraceOf(executorInfo: MesosJson, fallbackMs: number): number {
  const grace = (executorInfo.shutdown_grace_period as MesosJson | undefined)?.nanoseconds;
  return typeof grace === 'number' ? grace / 1_000_000 : fallbackMs;
}

/** Mesos' Duration text (stout's operator<<): the largest unit the duration reaches, `5secs`, `1.5mins`, `250ms`. */
export function mesosDuration(ms: number): string {
  const units: [number, string][] = [
    [7 * 86_400_000, 'weeks'],
    [86_400_000, 'days'],
    [3_600_000, 'hrs'],
    [60_000, 'mins'],
    [1_000, 'secs'],
  ];
  for (const [size, name] of units) if (ms >= size) return `${ms / size}${name}`;
  return `${ms}ms`;
}

const TERMINAL: Record<string, TaskOutcome['state']> = {
  TASK_FINISHED: 'FINISHED',
  TASK_FAILED: 'FAILED',
  // Aurora's Conversions: TASK_KILLING counts as KILLED.
  TASK_KILLING: 'KILLED',
  TASK_KILLED: 'KILLED',
  TASK_LOST: 'LOST',
  TASK_ERROR: 'LOST',
  TASK_DROPPED: 'LOST',
  TASK_GONE: 'LOST',
  TASK_GONE_BY_OPERATOR: 'LOST',
};

/** One task on one Mesos executor process (launched by this agent, or adopted after a restart). */
class MesosExecutorTask implements RunningTask {
  readonly taskId: string;
  readonly started: Promise<void>;
  readonly done: Promise<TaskOutcome>;
  private readonly executorId: string;
  private settle!: (outcome: TaskOutcome) => void;
  private outcome: TaskOutcome | undefined;
  private exited = false;
  private detached = false;
  private killing: string | undefined;
  /** A KILL asked for while the executor had no stream (awaiting re-registration): sent once it subscribes. */
  private killPending = false;
  /** Adopted, waiting for the executor to SUBSCRIBE again. */
  private reregistering: boolean;
  private shuttingDown = false;
  private subscribedOnce: boolean;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly driver: MesosAgentDriver,
    private readonly process: RunningTask,
    private readonly executor: CheckpointedExecutor,
    private readonly shutdownGraceMs: number,
    private readonly hooks: LaunchHooks,
    forget: () => void,
  ) {
    this.taskId = process.taskId;
    this.executorId = executor.executorId;
    this.subscribedOnce = executor.subscribed;
    this.reregistering = executor.subscribed;
    this.done = new Promise((resolve) => (this.settle = resolve));
    this.started = process.started;
    const api = driver.api;
    void process.done.then((processOutcome) => {
      this.exited = true;
      for (const timer of this.timers) clearTimeout(timer);
      if (this.detached) return this.finish(processOutcome);
      api.unregister(this.executorId);
      forget();
      driver.checkpointExecutor(this.taskId, undefined);
      if (!this.subscribedOnce) {
        // Never subscribed: the process was the task (auto), or Mesos' rules failed it (mesos).
        this.finish(driver.mode === 'auto' ? processOutcome : { ...processOutcome, state: this.killing !== undefined ? 'KILLED' : 'FAILED' });
      } else {
        // Mesos' sendExecutorTerminatedStatusUpdate: TASK_FAILED, REASON_EXECUTOR_TERMINATED.
        this.finish({ state: this.killing !== undefined ? 'KILLED' : 'FAILED', message: `Executor terminated (REASON_EXECUTOR_TERMINATED): ${processOutcome.message}` });
      }
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get identity(): ProcessIdentity | undefined {
    return this.process.identity;
  }

  /**
   * If the executor has not subscribed within `timeoutMs`, the task ends with `outcome` and the
   * executor is killed (Mesos' registerExecutorTimeout and reregisterExecutorTimeout).
   */
  private expectSubscription(timeoutMs: number, outcome: TaskOutcome): void {
    this.after(timeoutMs, () => {
      if (this.driver.api.hasSubscribed(this.executorId) || this.outcome || this.exited) return;
      this.reregistering = false;
      this.finish(outcome);
      void this.process.kill(outcome.message);
    });
  }

  /**
   * Starts the timeout the executor must subscribe within: after a restart, one that had subscribed
   * must SUBSCRIBE again within the re-registration timeout (else LOST); in mesos mode one that never
   * did, within the registration timeout (else FAILED). In auto mode, one that never did is a plain process.
   */
  awaitSubscription(): void {
    const { registrationTimeoutMs, reregistrationTimeoutMs } = this.driver.settings;
    if (this.subscribedOnce) {
      this.expectSubscription(reregistrationTimeoutMs, {
        state: 'LOST',
        message: `Executor did not reregister within ${mesosDuration(reregistrationTimeoutMs)} (REASON_EXECUTOR_REREGISTRATION_TIMEOUT)`,
      });
    } else if (this.driver.mode === 'mesos') {
      this.expectSubscription(registrationTimeoutMs, {
        state: 'FAILED',
        message: `Executor did not register within ${mesosDuration(registrationTimeoutMs)} (REASON_EXECUTOR_REGISTRATION_TIMEOUT)`,
      });
    }
  }

  subscribed(): void {
    this.reregistering = false;
    if (!this.subscribedOnce) {
      this.subscribedOnce = true;
      this.driver.checkpointExecutor(this.taskId, { ...this.executor, subscribed: true });
    }
    if (this.killPending) {
      this.killPending = false;
      this.sendKills();
    }
  }

  /** An UPDATE from the executor (Mesos JSON TaskStatus); resolves once the task has taken it. */
  async update(status: MesosJson): Promise<void> {
    if ((status.task_id as MesosJson | undefined)?.value !== this.taskId || this.outcome) return;
    const state = String(status.state);
    const message = typeof status.message === 'string' ? status.message : undefined;
    if (state === 'TASK_STARTING') this.hooks.onStarting?.();
    else if (state === 'TASK_RUNNING') this.hooks.onRunning?.(this.process.pid ?? 0, message);
    else if (TERMINAL[state]) {
      this.finish({ state: TERMINAL[state]!, message: message ?? state, reported: true });
      // The executor has nothing left to run: it should exit; if it does not, SHUTDOWN, then the kill.
      this.after(this.shutdownGraceMs, () => this.shutdown('Executor has no task left'));
    }
    // Acknowledged only once the scheduler has stored what the update did.
    await this.driver.persist();
  }

  kill(reason = 'Killed by request'): Promise<TaskOutcome> {
    if (this.outcome || this.exited) return this.done;
    if (this.reregistering) {
      // Adopted, not re-subscribed yet: KILL goes out once it does (or the timeout kills it).
      this.killing ??= reason;
      this.killPending = true;
      return this.done;
    }
    if (!this.driver.api.isSubscribed(this.executorId)) {
      // Not (or no longer) listening: the process is the task.
      this.killing ??= reason;
      void this.process.kill(reason);
      return this.done;
    }
    if (this.killing !== undefined) return this.done;
    this.killing = reason;
    this.sendKills();
    return this.done;
  }

  /** Aurora's KillRetry: KILL, then again with backoff while the task has not ended. */
  private sendKills(): void {
    const send = (delay: number): void => {
      if (this.outcome || this.exited) return;
      this.driver.api.kill(this.executorId, this.taskId);
      this.after(delay, () => send(Math.min(delay * 2, this.driver.settings.maxKillRetryMs)));
    };
    send(this.driver.settings.killRetryMs);
  }

  /**
   * SHUTDOWN, then, after the shutdown grace, SIGKILL of the executor's whole session (Mesos'
   * shutdownExecutorTimeout destroys the container). Resolves once the executor's processes are
   * gone, whatever its task reported before. An executor not listening is killed at once.
   */
  async shutdown(reason = 'Executor shut down'): Promise<TaskOutcome> {
    if (!this.exited && !this.shuttingDown) {
      this.shuttingDown = true;
      this.killing ??= reason;
      if (this.driver.api.shutdown(this.executorId)) {
        this.after(this.shutdownGraceMs, () => {
          const pid = this.process.pid;
          if (pid !== undefined) this.driver.killNowSync([pid]);
          // The runner's own kill does the bookkeeping (and finds nothing left to signal).
          void this.process.kill(reason);
        });
      } else {
        void this.process.kill(reason);
      }
    }
    await this.process.done;
    return this.done;
  }

  detach(): void {
    this.detached = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.process.detach?.();
  }

  private finish(outcome: TaskOutcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    this.settle(outcome);
  }

  private after(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}
