/**
 * The executor kit's public types (the contract the `executors new` scaffold builds on). Mesos
 * messages are plain objects in Mesos' JSON form: snake_case names, enums by name, 64-bit integers
 * as numbers, bytes as base64 text.
 */
import type { AssignedTask } from '../gen/types.js';
import type { MesosJson } from '../mesos/proto.js';

export type { AssignedTask, MesosJson };

/** A Mesos TaskInfo as the agent sent it in LAUNCH (the fields an Aurora executor reads are typed). */
export interface TaskInfo {
  name: string;
  task_id: { value: string };
  agent_id: { value: string };
  resources?: MesosJson[];
  executor?: MesosJson;
  command?: MesosJson;
  kill_policy?: { grace_period?: { nanoseconds: number } };
  /** Base64; on Aurora the Thrift-binary AssignedTask (see LaunchedTask.assignedTask). */
  data?: string;
  labels?: { labels?: { key: string; value?: string }[] };
  discovery?: MesosJson;
  [field: string]: unknown;
}

export interface LaunchedTask {
  /** TaskInfo.task_id.value */
  taskId: string;
  /** TaskInfo.name (role/env/name on Aurora) */
  name: string;
  executorId: string;
  /** MESOS_SANDBOX (or MESOS_DIRECTORY) */
  sandbox: string;
  /** The decoded protobuf TaskInfo (plain object). */
  info: TaskInfo;
  /** TaskInfo.data decoded as the Thrift-binary AssignedTask Aurora sends; throws a clear error if it is not one. */
  assignedTask(): AssignedTask;
  /** AssignedTask.task.executorConfig.data as text. */
  executorData(): string;
  /** The same, parsed as JSON (a clear error naming the field if it is not JSON). */
  executorJson<T = unknown>(): T;
}

export type TaskState =
  | 'TASK_STARTING'
  | 'TASK_RUNNING'
  | 'TASK_FINISHED'
  | 'TASK_FAILED'
  | 'TASK_KILLED'
  | 'TASK_KILLING'
  | 'TASK_LOST'
  | 'TASK_ERROR';

export interface UpdateOptions {
  message?: string;
  data?: Uint8Array;
  healthy?: boolean;
}

export type Command = string | { file: string; args?: string[] };

export interface RunOptions {
  /** Added to the executor's own environment. */
  env?: Record<string, string>;
  /** Default: the sandbox. */
  cwd?: string;
}

export interface RunningCommand {
  pid: number;
  exited: Promise<{ code: number | null; signal: string | null }>;
}

export interface TaskContext {
  /** Sends an UPDATE (fresh uuid) and resolves once ACKNOWLEDGED; resent on re-subscribe until then. */
  update(state: TaskState, options?: UpdateOptions): Promise<void>;
  running(message?: string): Promise<void>;
  finished(message?: string): Promise<void>;
  failed(message?: string): Promise<void>;
  killed(message?: string): Promise<void>;
  /**
   * Runs a command in the sandbox (shell string via /bin/sh -c, or { file, args }), output appended to the
   * sandbox's stdout/stderr files; reports RUNNING once spawned and FINISHED (exit 0) / FAILED (otherwise,
   * message naming the exit code or signal) when it ends, unless the task was killed (then KILLED).
   */
  run(command: Command, options?: RunOptions): RunningCommand;
  /** Kill what ctx.run started: SIGTERM to its process tree, SIGKILL after the grace period (kill policy or 5 s). */
  killRunning(): Promise<void>;
  /** Aborted when the task is killed or the executor shuts down. */
  readonly signal: AbortSignal;
}

export interface ExecutorHandler {
  /** A LAUNCH: start the task. Report its states through ctx (ctx.running(), ctx.finished(), ...). */
  launch(task: LaunchedTask, ctx: TaskContext): void | Promise<void>;
  /** A KILL for this task. Default: ctx.killRunning() (kills what ctx.run started, per the kill policy) then ctx.killed(). */
  kill?(task: LaunchedTask, ctx: TaskContext): void | Promise<void>;
  /** A framework MESSAGE. */
  message?(data: Uint8Array): void | Promise<void>;
  /** SHUTDOWN: called before the kit kills every live task (TASK_KILLED each) and exits. */
  shutdown?(): void | Promise<void>;
}

export type ContentType = 'application/x-protobuf' | 'application/json';

export interface RunExecutorOptions {
  /** Default protobuf. */
  contentType?: ContentType;
  /** Default process.env (a seam for tests). Also the environment commands run with. */
  env?: NodeJS.ProcessEnv;
  /** Default: lines to stderr prefixed "executor: ". */
  log?: (line: string) => void;
}

export interface ExecutorExit {
  code: number;
  reason: string;
}
