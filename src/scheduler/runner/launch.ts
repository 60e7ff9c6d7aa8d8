import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AuroraValidationError } from '../../errors.js';
import { launchEnvironment } from './environment.js';
import { fetchUris } from './fetcher.js';
import { openBeneath } from './beneath.js';
import { resolveInside } from './paths.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { prepareControlDir, readExit, type SupervisorReport } from './exit-record.js';
import { ownerUnavailable, startOwner } from './owner.js';
import { isSameProcess, killProcessTree, processStartTime, type ProcessScope, type TaskOwner } from './process-tree.js';
import { startSupervisor, type SupervisedCommand } from './supervisor.js';
import type { AdoptSpec, LaunchHooks, LaunchSpec, ProcessIdentity, RunningTask, TaskOutcome } from './types.js';

/**
 * Runs one task's executor as a local process the way a Mesos agent would: sandbox, fetcher,
 * CommandInfo semantics, a clean environment, and the whole process tree destroyed at the end.
 */

const DEFAULT_KILL_GRACE_MS = 3000;

const ADOPTED_POLL_MS = 100;

/**
 * Takes over a task whose owner (or supervisor) an earlier scheduler started (after a restart): the
 * returned task is RUNNING, can be killed, and settles when the owner records the exit. Undefined when
 * the owner (that pid with that start time) is gone.
 */
export async function adoptTask(spec: AdoptSpec): Promise<RunningTask | undefined> {
  if (!(await isSameProcess(spec.identity.supervisorPid, spec.identity.supervisorStartTime))) return undefined;
  return new TaskProcess({ ...spec, executorId: spec.taskId, command: { value: spec.command ?? '', shell: false } }, {}, spec.identity);
}

/** Starts the task in the background. Throws AuroraValidationError only for a malformed spec. */
export function launchTask(spec: LaunchSpec, hooks: LaunchHooks = {}): RunningTask {
  validateSpec(spec);
  return new TaskProcess(spec, hooks);
}

function validateSpec(spec: LaunchSpec): void {
  const nonEmpty = (value: unknown, field: string): void => {
    if (typeof value !== 'string' || value === '' || value.includes('\0')) {
      throw new AuroraValidationError(field, 'must be a non-empty string without NUL characters');
    }
  };
  nonEmpty(spec.taskId, 'taskId');
  nonEmpty(spec.executorId, 'executorId');
  nonEmpty(spec.sandboxDir, 'sandboxDir');
  if (!path.isAbsolute(spec.sandboxDir)) throw new AuroraValidationError('sandboxDir', 'must be an absolute path');
  nonEmpty(spec.command?.value, 'command.value');
  if (typeof spec.command.shell !== 'boolean') throw new AuroraValidationError('command.shell', 'must be true or false');
  const args = spec.command.arguments ?? [];
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string' || a.includes('\0'))) {
    throw new AuroraValidationError('command.arguments', 'must be a list of strings without NUL characters');
  }
  for (const name of Object.keys(spec.files ?? {})) {
    if (resolveInside(spec.sandboxDir, name) === undefined) {
      throw new AuroraValidationError(`files.${name}`, 'must be a relative path inside the sandbox');
    }
  }
  if (spec.user !== undefined && !(Number.isInteger(spec.user.uid) && spec.user.uid >= 0 && Number.isInteger(spec.user.gid) && spec.user.gid >= 0)) {
    throw new AuroraValidationError('user', 'must have a numeric uid and gid >= 0');
  }
  if (spec.killGraceMs !== undefined && !(Number.isFinite(spec.killGraceMs) && spec.killGraceMs >= 0)) {
    throw new AuroraValidationError('killGraceMs', 'must be a number of milliseconds >= 0');
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: Error): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

class TaskProcess implements RunningTask {
  readonly taskId: string;
  readonly started: Promise<void>;
  readonly done: Promise<TaskOutcome>;
  private readonly startedDeferred = deferred<void>();
  private readonly fetchAbort = new AbortController();
  protected processPid: number | undefined;
  protected identityValue: ProcessIdentity | undefined;
  protected killReason: string | undefined;
  protected terminating: Promise<void> | undefined;
  /** The task's subreaper owner, once its executor has exec'd: kills look at its descendants only. */
  private owner: TaskOwner | undefined;
  private detached = false;

  constructor(
    private readonly spec: LaunchSpec,
    private readonly hooks: LaunchHooks,
    /** A process started by an earlier scheduler, to watch instead of launching one. */
    private readonly adopted?: ProcessIdentity,
  ) {
    this.taskId = spec.taskId;
    this.started = this.startedDeferred.promise;
    // Callers may only watch `done`; an unobserved `started` rejection must not crash the process.
    this.started.catch(() => undefined);
    this.done = this.run().then(
      (outcome) => outcome,
      (err: unknown) => ({ state: 'FAILED' as const, message: `Task runner error: ${(err as Error)?.message ?? String(err)}` }),
    );
    void this.done.then((outcome) => this.startedDeferred.reject(new Error(outcome.message)));
  }

  get pid(): number | undefined {
    return this.processPid;
  }

  get identity(): ProcessIdentity | undefined {
    return this.identityValue;
  }

  kill(reason = 'Killed by request'): Promise<TaskOutcome> {
    if (this.killReason === undefined) {
      this.killReason = reason;
      this.fetchAbort.abort();
      if (this.processPid !== undefined || this.identityValue !== undefined) this.terminate();
    }
    return this.done;
  }

  /** Stops watching without touching the processes (the scheduler closes; the next one adopts them). */
  detach(): void {
    this.detached = true;
  }

  protected terminate(): void {
    const pid = this.processPid;
    // Before its executor has exec'd, the task is its owner's: the kill waits for what the owner starts.
    if (this.terminating || (pid === undefined && this.identityValue === undefined)) return;
    this.terminating = killProcessTree(this.spec.taskId, this.spec.killGraceMs ?? DEFAULT_KILL_GRACE_MS, this.scope()).catch(() => undefined);
  }

  private scope(): ProcessScope {
    const pid = this.processPid;
    return { processGroups: pid === undefined ? [] : [pid], ...(this.owner ? { owner: this.owner } : {}) };
  }

  protected killed(): TaskOutcome {
    return { state: 'KILLED', message: this.killReason ?? 'Killed by request' };
  }

  private async run(): Promise<TaskOutcome> {
    if (this.adopted) return this.watch(this.adopted);
    // How many launch at once is the caller's to limit (agents/driver.ts holds the slots).
    return this.launchAndWait(() => undefined);
  }

  /** Prepares the sandbox, starts the command (then frees the launch slot) and waits for its end. */
  private async launchAndWait(launched: () => void): Promise<TaskOutcome> {
    const { spec } = this;
    const sandbox = spec.sandboxDir;
    const stdoutPath = path.join(sandbox, 'stdout');
    const stderrPath = path.join(sandbox, 'stderr');
    try {
      // Only its owner may enter a sandbox (the task user once handed over): it holds the task's
      // configuration and logs, and other local users can learn its path from the API.
      // Each file operation is a round trip through libuv's thread pool, and a launch made a few dozen
      // (docs/performance.md, latency under load): the parent is made only when it is missing.
      await fs.mkdir(sandbox, { mode: 0o700 }).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') return;
        if (err.code !== 'ENOENT') throw err;
        await fs.mkdir(path.dirname(sandbox), { recursive: true });
        await fs.mkdir(sandbox, { recursive: true, mode: 0o700 });
      });
      await fs.chmod(sandbox, 0o700);
      // One after another: a launch's operations all at once (times 16 launches) filled the thread pool
      // and made every RPC slower under the load test (docs/performance.md).
      await createLog(stdoutPath);
      await createLog(stderrPath);
      for (const [name, content] of Object.entries(spec.files ?? {})) {
        const target = resolveInside(sandbox, name) as string;
        if (path.dirname(target) !== sandbox) await fs.mkdir(path.dirname(target), { recursive: true });
        await fs.writeFile(target, content);
      }
    } catch (err) {
      return { state: 'FAILED', message: `Failed to create sandbox '${sandbox}': ${(err as Error).message}` };
    }
    if (this.killReason !== undefined) return this.killed();

    this.hooks.onStarting?.();
    try {
      await fetchUris(spec.uris ?? [], {
        sandboxDir: sandbox,
        cacheDir: spec.cacheDir,
        signal: this.fetchAbort.signal,
        ...(spec.user ? { readAs: { uid: spec.user.uid, gid: spec.user.gid } } : {}),
      });
    } catch (err) {
      if (this.killReason !== undefined) return this.killed();
      const message = `Failed to fetch all URIs for container '${spec.executorId}': ${(err as Error).message}`;
      await appendLog(stderrPath, `${message}\n`).catch(() => undefined);
      return { state: 'FAILED', message };
    }
    if (this.killReason !== undefined) return this.killed();

    const env = launchEnvironment(spec);
    if (spec.user) {
      // The task owns its sandbox and nothing else of the scheduler's.
      try {
        await chownTree(sandbox, spec.user.uid, spec.user.gid);
      } catch (err) {
        return { state: 'FAILED', message: `Failed to hand sandbox '${sandbox}' to user ${spec.user.name}: ${(err as Error).message}` };
      }
    }
    let invocation: Invocation;
    try {
      invocation = await resolveInvocation(spec, env.PATH ?? '');
    } catch (err) {
      const message = `Failed to launch command '${spec.command.value}': ${(err as Error).message}`;
      await appendLog(stderrPath, `${message}\n`).catch(() => undefined);
      return { state: 'FAILED', message };
    }

    // Said before the owner starts, in the words a spawn would use (the owner reports a failed exec too, with errno's text).
    const notRunnable = await fs.access(invocation.file, fsConstants.X_OK).then(
      () => undefined,
      (err: NodeJS.ErrnoException) => err,
    );
    if (notRunnable) {
      const message = `Failed to launch command '${spec.command.value}': ${notRunnable.message}`;
      await appendLog(stderrPath, `${message}\n`).catch(() => undefined);
      return { state: 'FAILED', message };
    }
    const command: SupervisedCommand = {
      file: invocation.file,
      args: invocation.args,
      argv0: invocation.argv0,
      cwd: sandbox,
      env,
      stdout: stdoutPath,
      stderr: stderrPath,
      // libuv also drops the scheduler's supplementary groups when switching user.
      ...(spec.user ? { uid: spec.user.uid, gid: spec.user.gid } : {}),
    };
    const started = await this.start(command);
    launched();
    if ('error' in started) {
      const message = `Failed to launch command '${spec.command.value}': ${started.error}`;
      await appendLog(stderrPath, `${message}\n`).catch(() => undefined);
      return { state: 'FAILED', message };
    }
    const { pid } = started;
    this.processPid = pid;
    if ('subreaper' in started) this.owner = started.subreaper;
    const recorder = 'owner' in started ? started.owner.pid : 'supervisor' in started ? started.supervisor.pid : undefined;
    if (recorder !== undefined && spec.supervised) {
      // Start times only where a later scheduler adopts the task by them: two reads of /proc per launch saved elsewhere.
      const [startTime, recorderStartTime] = await Promise.all([processStartTime(pid), processStartTime(recorder)]);
      this.identityValue = { pid, startTime: startTime ?? '', supervisorPid: recorder, supervisorStartTime: recorderStartTime ?? '' };
    } else if (recorder !== undefined) {
      this.identityValue = { pid, supervisorPid: recorder, supervisorStartTime: '' };
    }
    this.hooks.onRunning?.(pid);
    this.startedDeferred.resolve();
    if (this.killReason !== undefined) this.terminate();

    return this.finish(await started.exit);
  }

  /**
   * Starts the executor: under a subreaper owner where one can run (owner.ts), which with a state
   * directory also supervises it (outlives this process, records the exit); else under the Node
   * supervisor (supervised) or as this process's own child. Resolves once the executor has exec'd.
   */
  private async start(command: SupervisedCommand): Promise<Awaited<ReturnType<typeof startOwner | typeof startSupervisor | typeof spawnDirectly>>> {
    const { spec } = this;
    if (spec.subreaper === false || ownerUnavailable() !== undefined) {
      return spec.supervised ? startSupervisor(spec.sandboxDir, spec.taskId, command) : spawnDirectly(command);
    }
    return startOwner(command, spec.taskId, {
      ...(spec.supervised ? { controlDir: await prepareControlDir(spec.sandboxDir) } : {}),
      // Unsupervised, the task is this process's alone: it ends if this process dies (nothing could adopt it).
      ...(spec.supervised || spec.endWithScheduler === false ? {} : { endWithParent: process.pid }),
      // Stored at once, so that a scheduler that dies before the exec is done adopts the task (and does not count it LOST).
      onSpawned: async (ownerPid) => {
        this.identityValue = { supervisorPid: ownerPid, supervisorStartTime: spec.supervised ? ((await processStartTime(ownerPid)) ?? '') : '' };
        this.hooks.onSpawned?.();
      },
    });
  }

  /**
   * An owner (or supervisor) this process did not spawn is not its child: poll /proc until the supervisor (pid and
   * start time, so a recycled pid is never mistaken for it) is gone, then read the exit it recorded.
   */
  private async watch(identity: ProcessIdentity): Promise<TaskOutcome> {
    this.processPid = identity.pid;
    this.identityValue = identity;
    this.startedDeferred.resolve();
    if (this.killReason !== undefined) this.terminate();
    while (await isSameProcess(identity.supervisorPid, identity.supervisorStartTime)) {
      if (this.detached) return this.killed();
      // Unreferenced: watching a task must not keep the scheduler's event loop alive.
      await sleep(ADOPTED_POLL_MS, undefined, { ref: false });
    }
    return this.finish(await readExit(this.spec.sandboxDir));
  }

  /** The executor is gone: nothing of the task may outlive it (Mesos destroys the container). */
  protected async finish(exit: SupervisorReport | undefined): Promise<TaskOutcome> {
    // A detached task may belong to another scheduler by now: leave its processes alone.
    if (this.detached) return this.killed();
    await this.terminating;
    await killProcessTree(this.spec.taskId, 0, this.scope());
    if (exit === undefined) {
      if (this.killReason !== undefined) return this.killed();
      return { state: 'FAILED', message: "The task's owner disappeared without recording an exit status" };
    }
    if (exit.error !== undefined && exit.code === undefined) return { state: 'FAILED', message: `Failed to launch command '${this.spec.command.value}': ${exit.error}` };
    return withExecutorMessage(this.outcome(exit.code ?? null, (exit.signal ?? null) as NodeJS.Signals | null), this.spec);
  }

  protected outcome(code: number | null, signal: NodeJS.Signals | null): TaskOutcome {
    if (this.killReason !== undefined) {
      return { ...this.killed(), ...(code !== null ? { exitCode: code } : {}), ...(signal ? { signal } : {}) };
    }
    return exitOutcome(code, signal);
  }
}

/** Without a supervisor the executor (or its owner) is this process's own child. */
async function spawnDirectly(command: SupervisedCommand): Promise<{ pid: number; exit: Promise<SupervisorReport> } | { error: string }> {
  const out = await fs.open(command.stdout, LOG_FLAGS, 0o644);
  const err = await fs.open(command.stderr, LOG_FLAGS, 0o644);
  try {
    const child = spawn(command.file, command.args, {
      argv0: command.argv0,
      cwd: command.cwd,
      env: command.env,
      stdio: ['ignore', out.fd, err.fd],
      // Own session and process group: the task is not killed with the scheduler's terminal.
      detached: true,
      ...(command.uid !== undefined ? { uid: command.uid, gid: command.gid } : {}),
    });
    const exit = new Promise<SupervisorReport>((resolve) => child.once('exit', (code, signal) => resolve({ pid: child.pid, code, signal })));
    const spawnError = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (error) => resolve(error));
    });
    if (spawnError !== undefined) return { error: spawnError.message };
    child.unref(); // a running task must not keep the scheduler's event loop alive on its own
    return { pid: child.pid!, exit };
  } finally {
    // The child holds its own copies of the log descriptors now.
    await out.close().catch(() => undefined);
    await err.close().catch(() => undefined);
  }
}

/** At most this much of an executor's status message file is read. */
const STATUS_MESSAGE_BYTES = 1024;

/**
 * A failed exit's outcome with the executor's own message (spec.statusMessageFile), when it left one.
 * The file is the task's: it is opened without following links and only its first line is used.
 */
async function withExecutorMessage(outcome: TaskOutcome, spec: Pick<LaunchSpec, 'sandboxDir' | 'statusMessageFile'>): Promise<TaskOutcome> {
  if (outcome.state !== 'FAILED' || outcome.exitCode === undefined || spec.statusMessageFile === undefined) return outcome;
  let handle: Awaited<ReturnType<typeof openBeneath>> | undefined;
  try {
    handle = await openBeneath(spec.sandboxDir, spec.statusMessageFile);
    if (!(await handle.stat()).isFile()) return outcome;
    const buffer = Buffer.alloc(STATUS_MESSAGE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, STATUS_MESSAGE_BYTES, 0);
    const line = buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0]!.trim();
    return line === '' ? outcome : { ...outcome, message: line };
  } catch {
    return outcome;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function exitOutcome(code: number | null, signal: NodeJS.Signals | null): TaskOutcome {
  if (signal) return { state: 'FAILED', message: `Command terminated with signal ${signal}`, signal };
  if (code === 0) return { state: 'FINISHED', message: 'Command exited with status 0', exitCode: 0 };
  return { state: 'FAILED', message: `Command exited with status ${code}`, exitCode: code ?? undefined };
}

/** The outcome a task's owner (or supervisor) recorded beside its sandbox, if it recorded one (a task that ended while no scheduler watched). */
export async function recordedOutcome(sandboxDir: string): Promise<TaskOutcome | undefined> {
  const exit = await readExit(sandboxDir);
  if (exit === undefined) return undefined;
  if (exit.code === undefined && exit.signal === undefined) return { state: 'FAILED', message: `Failed to launch the task: ${exit.error ?? 'unknown failure'}` };
  return exitOutcome(exit.code ?? null, (exit.signal ?? null) as NodeJS.Signals | null);
}

/**
 * Deepest first, each directory after its contents: while a directory is still the scheduler's, no
 * task of the user (another one may know this sandbox's path) can swap an entry in it for a link that
 * the walk would then follow, and once it is the user's the walk is done with it.
 */
async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(full, uid, gid);
    else await fs.lchown(full, uid, gid);
  }
  await fs.lchown(dir, uid, gid);
}

/**
 * The task's log files are opened with the scheduler's rights in a sandbox the task's user may have
 * changed: never through a link planted there.
 */
const LOG_FLAGS = fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW;

/** Creates the log file if it is missing (an append of nothing, without the write). */
async function createLog(file: string): Promise<void> {
  await (await fs.open(file, LOG_FLAGS, 0o644)).close();
}

async function appendLog(file: string, text: string): Promise<void> {
  const handle = await fs.open(file, LOG_FLAGS, 0o644);
  try {
    await handle.appendFile(text);
  } finally {
    await handle.close();
  }
}

interface Invocation {
  file: string;
  args: string[];
  argv0: string;
}

/**
 * Mesos CommandInfo: `shell` runs `/bin/sh -c value` and ignores `arguments`; otherwise `value` is
 * exec'd with argv exactly `arguments` (so arguments[0] is argv[0]), and a relative `value` is
 * looked up in the sandbox first, then on the task's PATH.
 */
export async function resolveInvocation(spec: Pick<LaunchSpec, 'command' | 'sandboxDir'>, searchPath: string): Promise<Invocation> {
  const { value, shell } = spec.command;
  if (shell) return { file: '/bin/sh', args: ['-c', value], argv0: 'sh' };
  const argv = spec.command.arguments ?? [];
  const argv0 = argv.length > 0 ? (argv[0] as string) : value;
  return { file: await locateExecutable(value, spec.sandboxDir, searchPath), args: argv.slice(1), argv0 };
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function locateExecutable(value: string, sandbox: string, searchPath: string): Promise<string> {
  if (path.isAbsolute(value)) return value;
  const inSandbox = path.resolve(sandbox, value);
  if (value.includes('/')) return inSandbox;
  if (await isExecutableFile(inSandbox)) return inSandbox;
  for (const dir of searchPath.split(':')) {
    if (dir === '') continue;
    const candidate = path.join(dir, value);
    if (await isExecutableFile(candidate)) return candidate;
  }
  // A non-executable file of that name in the sandbox gets exec's own EACCES, which says more.
  if (await fs.stat(inSandbox).then((s) => s.isFile(), () => false)) return inSandbox;
  throw new Error(`'${value}' was not found in the sandbox or on PATH`);
}
