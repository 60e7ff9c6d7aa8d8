/**
 * The contract between the local scheduler and its task runner. Plain data only: the caller turns
 * Thrift structs into these before launching, so nothing here knows about the IDL.
 */

/** One Mesos fetcher URI (mesos.proto CommandInfo.URI). */
export interface FetchUri {
  /** Absolute local path, `file://` URL or `http(s)://` URL. */
  value: string;
  /** chmod 0755 after fetching; an executable is never extracted. */
  executable?: boolean;
  /** Unpack a recognised archive into the sandbox root (default true). */
  extract?: boolean;
  /** Copy from (or fill) the per-user fetcher cache, keyed by `value`. */
  cache?: boolean;
  /** Name of the fetched file, relative to the sandbox and inside it (default: the URI's basename). */
  outputFile?: string;
}

/** Mesos CommandInfo semantics: see launch.ts. */
export interface CommandSpec {
  value: string;
  shell: boolean;
  arguments?: string[];
}

export interface LaunchSpec {
  taskId: string;
  /** The agent the task runs on (its slaveHost): the agent-process driver sends the launch there; the runner ignores it. */
  host?: string;
  /** Mesos executor id: the executor's `task_prefix` + taskId. */
  executorId: string;
  /** Created by the runner; receives `stdout`, `stderr`, `files` and fetched URIs. */
  sandboxDir: string;
  command: CommandSpec;
  uris?: FetchUri[];
  /** Added on top of the clean base environment (see environment.ts). */
  env?: Record<string, string>;
  /** Written into the sandbox before the fetcher runs, e.g. the AssignedTask bytes. Relative paths only. */
  files?: Record<string, Uint8Array | string>;
  /** SIGTERM → SIGKILL grace when the task is killed (default 3000, Mesos' command executor). */
  killGraceMs?: number;
  /** Fetcher cache root (default: `<tmpdir>/aurora-ts-fetcher-cache-<user>`). */
  cacheDir?: string;
  /**
   * The executor's owner (owner.ts; where none can run, a Node supervisor, supervisor.ts) outlives the
   * scheduler and records the exit, so that a restarted scheduler can adopt the task. Default false:
   * the owner ends the task when the scheduler dies, and records nothing.
   */
  supervised?: boolean;
  /**
   * Unsupervised, the task's owner ends it when this process dies (nothing could adopt it). False keeps
   * it running: for a host that asked to keep its tasks (`keepOnExit`). Default true.
   */
  endWithScheduler?: boolean;
  /**
   * Run the executor under a subreaper owner (owner.ts), so nothing it starts can leave the task's
   * process tree. Default true where the owner can run (Linux with /usr/bin/perl); false finds the
   * task's processes by marker and process group only, as where it cannot.
   */
  subreaper?: boolean;
  /**
   * For a Mesos executor (custom executors): the TaskInfo it is handed in LAUNCH, in Mesos' JSON form
   * (agents/executor-api/task-info.ts). The process runner ignores it; the Mesos agent driver serves it.
   */
  mesos?: { taskInfo: { [key: string]: unknown } };
  /** Run the executor as this account (needs root); the sandbox is chowned to it. Default: the scheduler's own. */
  user?: { name: string; uid: number; gid: number; home: string };
  /**
   * A sandbox file in which the executor leaves its own status message when it fails (as a Mesos
   * executor sends one with TASK_FAILED): its first line becomes the task's message in place of
   * "Command exited with status N". The bundled Thermos executor names the failed process there.
   */
  statusMessageFile?: string;
}

/** LOST only for Mesos executors: one reported it, or exited with its task active. */
export type TaskState = 'FINISHED' | 'FAILED' | 'KILLED' | 'LOST';

export interface TaskOutcome {
  state: TaskState;
  message: string;
  exitCode?: number;
  signal?: string;
  /** The state and message are a Mesos executor's own status update (its message goes in the task's events). */
  reported?: boolean;
}

export interface LaunchHooks {
  /** The sandbox exists and the fetcher is about to run (Mesos TASK_STARTING). */
  onStarting?(): void;
  /** The task's owner runs (before its executor does): the task's `identity` names it now, for a restarted scheduler to adopt. */
  onSpawned?(): void;
  /** The executor process has exec'd (Mesos TASK_RUNNING), or a Mesos executor reported TASK_RUNNING (with its message). */
  onRunning?(pid: number, message?: string): void;
}

/** Names the processes of a running task for good: pids with their start times (/proc/<pid>/stat field 22). */
export interface ProcessIdentity {
  /** The executor: unknown until it has exec'd. */
  pid?: number;
  startTime?: string;
  /** The executor's parent that records its exit: its owner (owner.ts), or the Node supervisor where no owner can run (supervisor.ts). */
  supervisorPid: number;
  supervisorStartTime: string;
}

/** What a restarted scheduler knows of a task it takes over (see adoptTask). */
export interface AdoptSpec {
  taskId: string;
  /** The agent the task ran on, as in LaunchSpec. */
  host?: string;
  sandboxDir: string;
  identity: ProcessIdentity;
  killGraceMs?: number;
  /** The command's value, for messages. */
  command?: string;
}

export interface RunningTask {
  readonly taskId: string;
  /** The executor's pid once spawned. */
  readonly pid: number | undefined;
  /** The owner's pid and start time once it runs, the executor's too once exec'd (what a restarted scheduler adopts). */
  readonly identity: ProcessIdentity | undefined;
  /** Resolves when the process runs; rejects (with the outcome message) if it never starts. */
  readonly started: Promise<void>;
  /** Settles exactly once, after the process and everything it left behind are gone. Never rejects. */
  readonly done: Promise<TaskOutcome>;
  /** SIGTERM to the whole process tree, SIGKILL after the grace; resolves with the final outcome. */
  kill(reason?: string): Promise<TaskOutcome>;
  /** Mesos executors: SHUTDOWN, then the process tree killed after the grace (the scheduler stops). Else as kill. */
  shutdown?(reason?: string): Promise<TaskOutcome>;
  /** Stops watching and leaves the processes running, for a restarted scheduler to adopt. */
  detach?(): void;
}
