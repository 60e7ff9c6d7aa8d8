/**
 * The agent interface the task lifecycle applies its plans through (Mesos' part: launch, kill, adopt
 * after a restart, and the task's status as it goes), and its only implementation today: the task
 * runner on this machine, unchanged, with the launch limit held by the instance instead of the module.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  adoptTask,
  killProcessTree,
  killTreesNowSync,
  launchTask,
  markedProcesses,
  recordedOutcome,
  SUPERVISOR_MARKER_VAR,
  type AdoptSpec,
  type LaunchHooks,
  type LaunchSpec,
  type ProcessIdentity,
  type RunningTask,
  type TaskOutcome,
} from '../runner/index.js';

export interface AgentDriver {
  /** Starts a task; its hooks and `done` are the task's status stream (STARTING, RUNNING, the end). */
  launch(spec: LaunchSpec, hooks: LaunchHooks): RunningTask;
  /** Takes over a task an earlier scheduler launched; undefined when its processes are gone. */
  adopt(spec: AdoptSpec): Promise<RunningTask | undefined>;
  /** The exit a task's owner recorded while no scheduler watched it, if any. */
  recordedOutcome(sandboxDir: string): Promise<TaskOutcome | undefined>;
  /** Kills every task process under `sandboxRoot` whose task `keep` does not name (after a restart). */
  killOrphans(sandboxRoot: string, keep: (taskId: string) => boolean): Promise<void>;
  /** Free ports of this machine, for agents that offer any port rather than ranges. */
  freePorts(count: number): Promise<number[]>;
  /**
   * The host process is exiting: SIGKILL, synchronously, these processes (a task's executor or owner,
   * its supervisor) and everything under them.
   */
  killNowSync(pids: readonly number[]): void;
}

export interface LocalAgentOptions {
  /**
   * How many tasks prepare their sandbox and start at once (default 16). Unbounded, a thousand tasks
   * launched together interleave their file operations in libuv's thread pool, so all of them reach
   * spawn only at the very end; bounded, tasks start in a steady stream.
   */
  launchSlots?: number;
}

/** Runs every agent's tasks as processes of this machine, through the task runner. */
export class LocalAgentDriver implements AgentDriver {
  private readonly slots: number;
  private inFlight = 0;
  private readonly queue: Array<() => void> = [];

  constructor(options: LocalAgentOptions = {}) {
    this.slots = options.launchSlots ?? 16;
  }

  launch(spec: LaunchSpec, hooks: LaunchHooks): RunningTask {
    return new QueuedLaunch(spec, hooks, () => this.acquire());
  }

  adopt(spec: AdoptSpec): Promise<RunningTask | undefined> {
    return adoptTask(spec);
  }

  recordedOutcome(sandboxDir: string): Promise<TaskOutcome | undefined> {
    return recordedOutcome(sandboxDir);
  }

  async killOrphans(sandboxRoot: string, keep: (taskId: string) => boolean): Promise<void> {
    const ours = (await markedProcesses(SUPERVISOR_MARKER_VAR)).filter((p) => !keep(p.taskId) && !p.taskId.includes('/') && existsSync(join(sandboxRoot, p.taskId)));
    // Supervisors first, so that none starts a task after the sweep.
    for (const p of ours.filter((p) => p.supervisor)) signalQuietly(p.pid, 'SIGKILL');
    for (const taskId of new Set(ours.map((p) => p.taskId))) await killProcessTree(taskId, 0);
  }

  killNowSync(pids: readonly number[]): void {
    killTreesNowSync(pids);
  }

  freePorts(count: number): Promise<number[]> {
    return freePorts(count);
  }

  /** Waits for a launch slot; the returned release may be called more than once. */
  private async acquire(): Promise<() => void> {
    if (this.inFlight < this.slots) this.inFlight++;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      // The slot passes straight to the next launch, or is freed.
      if (next) next();
      else this.inFlight--;
    };
  }
}

/** A launch that waits for a slot before the runner starts it; the slot is given back once the task runs or ends. */
class QueuedLaunch implements RunningTask {
  readonly taskId: string;
  readonly started: Promise<void>;
  readonly done: Promise<TaskOutcome>;
  private inner: RunningTask | undefined;
  private killReason: string | undefined;
  private detached = false;
  private settle!: (outcome: TaskOutcome) => void;

  constructor(spec: LaunchSpec, hooks: LaunchHooks, acquire: () => Promise<() => void>) {
    this.taskId = spec.taskId;
    this.done = new Promise<TaskOutcome>((resolve) => (this.settle = resolve));
    let startedResolve!: () => void;
    let startedReject!: (error: Error) => void;
    this.started = new Promise<void>((resolve, reject) => {
      startedResolve = resolve;
      startedReject = reject;
    });
    this.started.catch(() => undefined);
    void acquire().then((release) => {
      if (this.killReason !== undefined || this.detached) {
        release();
        if (this.killReason !== undefined) this.settle({ state: 'KILLED', message: this.killReason });
        return;
      }
      let inner: RunningTask;
      try {
        inner = launchTask(spec, {
          onStarting: () => hooks.onStarting?.(),
          // The owner runs: the slot's work (sandbox, fetch, spawn) is done; the exec it waits for needs none.
          onSpawned: () => {
            release();
            hooks.onSpawned?.();
          },
          onRunning: (pid) => {
            release();
            hooks.onRunning?.(pid);
          },
        });
      } catch (error) {
        release();
        this.settle({ state: 'FAILED', message: `Failed to launch: ${(error as Error).message}` });
        return;
      }
      this.inner = inner;
      inner.started.then(startedResolve, startedReject);
      void inner.done.then((outcome) => {
        release();
        this.settle(outcome);
      });
    });
    void this.done.then((outcome) => startedReject(new Error(outcome.message)));
  }

  get pid(): number | undefined {
    return this.inner?.pid;
  }

  get identity(): ProcessIdentity | undefined {
    return this.inner?.identity;
  }

  kill(reason = 'Killed by request'): Promise<TaskOutcome> {
    if (this.inner) return this.inner.kill(reason);
    this.killReason ??= reason;
    return this.done;
  }

  detach(): void {
    this.detached = true;
    this.inner?.detach?.();
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Real free ports: bound on port 0 together, so that one call never returns the same port twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '0.0.0.0', () => resolve(server));
      }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
