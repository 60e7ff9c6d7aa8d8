/**
 * One task an executor was given: what the handler sees of it (LaunchedTask), the context it
 * reports through (TaskContext), and the kit's side of KILL and SHUTDOWN.
 */
import type { AssignedTask } from '../gen/types.js';
import { describeExit, startCommand, type StartedCommand } from './command.js';
import { nanosToMs, TERMINAL_STATES, type Executor } from './executor.js';
import type { Command, ExecutorHandler, LaunchedTask, RunningCommand, RunOptions, TaskContext, TaskInfo, TaskState, UpdateOptions } from './types.js';

export class ExecutorTask implements LaunchedTask, TaskContext {
  readonly taskId: string;
  readonly name: string;
  readonly executorId: string;
  readonly sandbox: string;
  /** A terminal state has been sent. */
  ended = false;
  /** The terminal update, acknowledged or not. */
  private terminal: Promise<void> | undefined;
  /** The kit reports TASK_KILLED itself (default KILL, SHUTDOWN), not the end of a command. */
  private reportsKill = false;
  /** The agent has acknowledged an update of this task. */
  acknowledgedOnce = false;
  private readonly controller = new AbortController();
  private readonly commands = new Set<StartedCommand>();
  private killing: Promise<void> | undefined;
  private decoded: AssignedTask | undefined;

  constructor(
    private readonly executor: Executor,
    readonly info: TaskInfo,
  ) {
    this.taskId = info.task_id.value;
    this.name = info.name;
    this.executorId = executor.env.executorId;
    this.sandbox = executor.env.sandbox;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  // --- LaunchedTask

  assignedTask(): AssignedTask {
    if (this.decoded) return this.decoded;
    if (!this.info.data) throw new Error(`TaskInfo.data of task ${this.taskId} is empty: expected the Thrift-binary AssignedTask Aurora sends`);
    try {
      this.decoded = this.executor.decodeAssignedTask(Buffer.from(this.info.data, 'base64'));
    } catch (error) {
      throw new Error(`TaskInfo.data of task ${this.taskId} is not a Thrift-binary AssignedTask: ${(error as Error).message}`);
    }
    return this.decoded;
  }

  executorData(): string {
    const config = this.assignedTask().task?.executorConfig;
    if (!config) throw new Error(`AssignedTask.task.executorConfig of task ${this.taskId} is not set`);
    return config.data ?? '';
  }

  executorJson<T = unknown>(): T {
    const text = this.executorData();
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new Error(`AssignedTask.task.executorConfig.data of task ${this.taskId} is not JSON: ${(error as Error).message}`);
    }
  }

  // --- TaskContext

  update(state: TaskState, options: UpdateOptions = {}): Promise<void> {
    if (this.terminal) {
      this.executor.log(`task ${this.taskId} has ended: ${state} not sent`);
      return this.terminal;
    }
    const status: Record<string, unknown> = { state };
    if (options.message !== undefined) status.message = options.message;
    if (options.data !== undefined) status.data = Buffer.from(options.data).toString('base64');
    if (options.healthy !== undefined) status.healthy = options.healthy;
    const sent = this.executor.sendUpdate(this.taskId, status);
    if (TERMINAL_STATES.has(state)) {
      this.ended = true;
      this.terminal = sent;
    }
    return sent;
  }

  running(message?: string): Promise<void> {
    return this.update('TASK_RUNNING', { message });
  }

  finished(message?: string): Promise<void> {
    return this.update('TASK_FINISHED', { message });
  }

  failed(message?: string): Promise<void> {
    return this.update('TASK_FAILED', { message });
  }

  killed(message?: string): Promise<void> {
    return this.update('TASK_KILLED', { message });
  }

  run(command: Command, options?: RunOptions): RunningCommand {
    const started = startCommand(command, this.sandbox, this.executor.processEnv, options);
    this.commands.add(started);
    void started.spawned.then((error) => {
      if (error) return this.failed(`Failed to run the command: ${error.message}`);
      if (!this.signal.aborted) return this.running();
    });
    void started.exited.then(async (exit) => {
      this.commands.delete(started);
      if (await started.spawned) return;
      if (this.signal.aborted) return this.reportsKill ? undefined : this.killed(describeExit(exit));
      return exit.code === 0 ? this.finished(describeExit(exit)) : this.failed(describeExit(exit));
    });
    return { pid: started.pid, exited: started.exited };
  }

  killRunning(graceMs = this.graceMs()): Promise<void> {
    return Promise.all([...this.commands].map((c) => c.kill(graceMs))).then(() => undefined);
  }

  // --- the kit's side

  markAcknowledged(): void {
    this.acknowledgedOnce = true;
  }

  async launch(handler: ExecutorHandler): Promise<void> {
    await this.executor.thriftCodec();
    // Killed (or shut down) before it could start.
    if (this.signal.aborted) {
      if (!this.reportsKill) await this.killed('Killed before it was launched');
      return;
    }
    const error = await this.executor.guard('launch', () => handler.launch(this, this));
    if (error !== undefined && !this.ended) await this.failed(`The executor failed to launch the task: ${error}`);
  }

  /** KILL: the handler's kill, or by default kill what ctx.run started, then TASK_KILLED. */
  kill(handler: ExecutorHandler, graceMs?: number): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.killing ??= (async () => {
      this.controller.abort();
      const custom = handler.kill;
      if (custom) {
        await this.executor.guard('kill', () => custom.call(handler, this, this));
        return;
      }
      this.reportsKill = true;
      await this.killRunning(graceMs ?? this.graceMs());
      await this.killed('Killed by the executor');
    })().finally(() => (this.killing = undefined));
    return this.killing;
  }

  /** SHUTDOWN: kill what runs, report TASK_KILLED, resolve once acknowledged. */
  async shutdown(graceMs: number): Promise<void> {
    this.reportsKill = true;
    this.controller.abort();
    await this.killRunning(Math.min(graceMs, this.graceMs()));
    await this.killed('Executor shut down');
  }

  /** The kill policy's grace (TaskInfo), else the executor's shutdown grace period. */
  private graceMs(): number {
    return nanosToMs(this.info.kill_policy?.grace_period) ?? this.executor.env.shutdownGraceMs;
  }
}
