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
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_FRAMEWORK_ID } from '../runner/environment.js';
import type { AdoptSpec, LaunchHooks, LaunchSpec, ProcessIdentity, RunningTask, TaskOutcome } from '../runner/index.js';
import type { AgentDriver } from './driver.js';
import { ExecutorApi, type MesosJson } from './executor-api/index.js';

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
  readonly settings: Required<Omit<MesosAgentOptions, 'mode' | 'host' | 'hostname' | 'authenticateHttpExecutors' | 'persist'>>;

  constructor(
    private readonly inner: AgentDriver,
    private readonly options: MesosAgentOptions = {},
  ) {
    this.mode = options.mode ?? 'auto';
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
        // The key lives only in this process: tokens die with the agent, as with a fresh --jwt_secret_key.
        executorSecret: options.authenticateHttpExecutors ? randomBytes(32) : undefined,
      },
      {
        update: async (executorId, status) => this.tasks.get(executorId)?.update(status),
        subscribed: (executorId) => this.tasks.get(executorId)?.subscribed(),
      },
    );
  }

  /** Starts serving the executor API; launches need it listening. */
  async start(): Promise<void> {
    const server = createServer((req, res) => {
      if (!this.api.handle(req, res)) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Not found');
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    this.endpoint = `${address.address}:${address.port}`;
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
    const task = new MesosExecutorTask(this, this.inner, spec, spec.mesos.taskInfo, hooks, () => this.tasks.delete(spec.executorId));
    this.tasks.set(spec.executorId, task);
    return task;
  }

  adopt(spec: AdoptSpec): Promise<RunningTask | undefined> {
    return this.inner.adopt(spec);
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

/** One task on one Mesos executor process. */
class MesosExecutorTask implements RunningTask {
  readonly taskId: string;
  readonly started: Promise<void>;
  readonly done: Promise<TaskOutcome>;
  private readonly process: RunningTask;
  private readonly executorId: string;
  private readonly shutdownGraceMs: number;
  private settle!: (outcome: TaskOutcome) => void;
  private outcome: TaskOutcome | undefined;
  private exited = false;
  private killing: string | undefined;
  private shuttingDown = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly driver: MesosAgentDriver,
    inner: AgentDriver,
    spec: LaunchSpec,
    taskInfo: MesosJson,
    private readonly hooks: LaunchHooks,
    forget: () => void,
  ) {
    this.taskId = spec.taskId;
    this.executorId = spec.executorId;
    const executorInfo = taskInfo.executor as MesosJson;
    const grace = (executorInfo.shutdown_grace_period as MesosJson | undefined)?.nanoseconds;
    this.shutdownGraceMs = typeof grace === 'number' ? grace / 1_000_000 : driver.settings.shutdownGraceMs;
    this.done = new Promise((resolve) => (this.settle = resolve));
    const api = driver.api;
    api.register(executorInfo);
    api.launch(this.executorId, taskInfo);
    const agentId = String((taskInfo.agent_id as MesosJson).value);
    this.process = inner.launch(
      { ...spec, env: { ...spec.env, ...driver.environment(spec, agentId, this.shutdownGraceMs) } },
      {
        onStarting: () => hooks.onStarting?.(),
        onSpawned: () => hooks.onSpawned?.(),
        onRunning: (pid) => {
          // Spawned: a plain process is RUNNING now; a Mesos executor only once it says so.
          if (driver.mode === 'auto' && !api.hasSubscribed(this.executorId)) hooks.onRunning?.(pid);
          else hooks.onStarting?.();
        },
      },
    );
    this.started = this.process.started;
    if (driver.mode === 'mesos') {
      this.after(driver.settings.registrationTimeoutMs, () => {
        if (api.hasSubscribed(this.executorId) || this.outcome) return;
        this.finish({ state: 'FAILED', message: `Executor did not register within ${mesosDuration(driver.settings.registrationTimeoutMs)} (REASON_EXECUTOR_REGISTRATION_TIMEOUT)` });
        void this.process.kill('Executor registration timed out');
      });
    }
    void this.process.done.then((processOutcome) => {
      this.exited = true;
      for (const timer of this.timers) clearTimeout(timer);
      api.unregister(this.executorId);
      forget();
      if (!this.subscribedOnce) {
        // Never subscribed: the process was the task (auto), or Mesos' rules failed it (mesos).
        this.finish(driver.mode === 'auto' ? processOutcome : { ...processOutcome, state: this.killing !== undefined ? 'KILLED' : 'FAILED' });
      } else {
        // Mesos' sendExecutorTerminatedStatusUpdate: TASK_FAILED, REASON_EXECUTOR_TERMINATED.
        this.finish({ state: this.killing !== undefined ? 'KILLED' : 'FAILED', message: `Executor terminated (REASON_EXECUTOR_TERMINATED): ${processOutcome.message}` });
      }
    });
  }

  private subscribedOnce = false;

  get pid(): number | undefined {
    return this.process.pid;
  }

  get identity(): ProcessIdentity | undefined {
    return this.process.identity;
  }

  subscribed(): void {
    this.subscribedOnce = true;
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
    if (!this.driver.api.isSubscribed(this.executorId)) {
      // Not (or no longer) listening: the process is the task.
      this.killing ??= reason;
      void this.process.kill(reason);
      return this.done;
    }
    if (this.killing !== undefined) return this.done;
    this.killing = reason;
    // Aurora's KillRetry: KILL again, with backoff, while the task has not ended.
    const send = (delay: number): void => {
      if (this.outcome || this.exited) return;
      this.driver.api.kill(this.executorId, this.taskId);
      this.after(delay, () => send(Math.min(delay * 2, this.driver.settings.maxKillRetryMs)));
    };
    send(this.driver.settings.killRetryMs);
    return this.done;
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
