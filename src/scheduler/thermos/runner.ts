import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { bindCmdline, dependencies, type ThermosBindings, type ThermosProcess, type ThermosTask } from './payload.js';

/**
 * A small Thermos: runs a task's processes the way Aurora's Thermos runner does.
 *
 * - ACTIVE: ordinary processes run concurrently, held back only by `order` constraints and
 *   `max_concurrency`; failed runs are retried up to `max_failures` (0 = forever) no sooner than
 *   `min_duration` after the previous start; daemons re-run after success. The stage ends when
 *   every non-ephemeral process is done, when `task.max_failures` processes have failed for good,
 *   or when the task is killed (the signal).
 * - CLEANING: running processes get SIGTERM, then SIGKILL.
 * - FINALIZING: `final` processes run with the same rules.
 * CLEANING and FINALIZING together get `finalization_wait` seconds; then everything is SIGKILLed.
 *
 * Each run logs to `.logs/<process>/<run>/stdout|stderr` in the sandbox, as Thermos does.
 */

export type ThermosProcessState = 'WAITING' | 'RUNNING' | 'SUCCESS' | 'FAILED' | 'KILLED' | 'SKIPPED';
export type ThermosTaskState = 'SUCCESS' | 'FAILED' | 'KILLED';

export type ThermosEvent =
  | { type: 'stage'; stage: 'ACTIVE' | 'CLEANING' | 'FINALIZING' }
  | { type: 'started'; process: string; run: number; pid: number }
  | { type: 'exited'; process: string; run: number; exitCode: number | null; signal: string | null; state: ThermosProcessState }
  | { type: 'skipped'; process: string; reason: string };

export interface ThermosRunOptions {
  /** Working directory of every process; `.logs` goes here. */
  sandboxDir: string;
  bindings?: ThermosBindings;
  /** Environment of the processes (default: this process's environment). */
  env?: NodeJS.ProcessEnv;
  /** Aborting is Thermos' kill: clean up, run the finalizers, end KILLED. */
  signal?: AbortSignal;
  onEvent?(event: ThermosEvent): void;
  /** SIGTERM → SIGKILL per process in CLEANING (default 5000), never past the finalization deadline. */
  killGraceMs?: number;
  /** Shell for cmdlines (default /bin/bash, else /bin/sh). */
  shell?: string;
}

export interface ThermosProcessReport {
  name: string;
  state: ThermosProcessState;
  runs: number;
  failures: number;
  lastExitCode?: number | null;
}

export interface ThermosResult {
  state: ThermosTaskState;
  message: string;
  processes: ThermosProcessReport[];
}

const DEFAULT_KILL_GRACE_MS = 5000;
const SIGKILL_WAIT_MS = 2000;

interface Proc {
  spec: ThermosProcess;
  cmdline: string;
  deps: Set<string>;
  state: ThermosProcessState;
  runs: number;
  failures: number;
  nextStartAt: number;
  lastExitCode?: number | null;
  child?: ChildProcess;
  exited?: Promise<void>;
  killing: boolean;
}

/**
 * Wakes the scheduling loop on a process exit, an abort or a timer. A notify that arrives while
 * the loop is busy (not waiting) is remembered, so an exit can never be missed.
 */
class Wakeup {
  private pending: (() => void) | undefined;
  private missed = false;
  notify(): void {
    if (this.pending) this.pending();
    else this.missed = true;
  }
  wait(ms: number): Promise<void> {
    if (this.missed) {
      this.missed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.pending = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
      this.pending = done;
    });
  }
}

/** True when `promise` settles within `ms`; the timer never outlives the race (it would keep node up). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function defaultShell(): string {
  return existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';
}

/** Runs the task to completion. Never rejects for process failures; rejects only for bad bindings. */
export async function runThermosTask(task: ThermosTask, options: ThermosRunOptions): Promise<ThermosResult> {
  const deps = dependencies(task);
  const procs = new Map<string, Proc>(
    task.processes.map((spec) => [
      spec.name,
      {
        spec,
        // Bind every cmdline first: an unbound port fails the task before anything runs.
        cmdline: bindCmdline(spec.name, spec.cmdline, options.bindings ?? {}),
        deps: deps.get(spec.name) ?? new Set(),
        state: 'WAITING',
        runs: 0,
        failures: 0,
        nextStartAt: 0,
        killing: false,
      },
    ]),
  );
  const emit = (event: ThermosEvent): void => options.onEvent?.(event);
  const wakeup = new Wakeup();
  const onAbort = (): void => wakeup.notify();
  options.signal?.addEventListener('abort', onAbort);
  const shell = options.shell ?? defaultShell();
  const killGrace = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const all = [...procs.values()];
  const failedForGood = (): number => all.filter((p) => p.state === 'FAILED').length;
  const taskFailed = (): boolean => task.max_failures > 0 && failedForGood() >= task.max_failures;

  const start = async (proc: Proc): Promise<void> => {
    const run = proc.runs;
    proc.runs += 1;
    proc.state = 'RUNNING';
    proc.nextStartAt = Date.now() + proc.spec.min_duration * 1000;
    const logDir = path.join(options.sandboxDir, '.logs', proc.spec.name, String(run));
    await fs.mkdir(logDir, { recursive: true });
    const out = await fs.open(path.join(logDir, 'stdout'), 'w');
    const err = await fs.open(path.join(logDir, 'stderr'), 'w');
    const child = spawn(shell, ['-c', proc.cmdline], {
      cwd: options.sandboxDir,
      env: options.env ?? process.env,
      stdio: ['ignore', out.fd, err.fd],
      detached: true, // own process group, so a kill reaches the process's children too
    });
    proc.child = child;
    // Listen before any await: a short run may exit before the next tick.
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: 127, signal: null })); // the shell could not start
    });
    const spawned = await new Promise<boolean>((resolve) => {
      child.once('spawn', () => resolve(true));
      child.once('error', () => resolve(false));
    });
    await out.close().catch(() => undefined);
    await err.close().catch(() => undefined);
    if (spawned && child.pid !== undefined) emit({ type: 'started', process: proc.spec.name, run, pid: child.pid });
    proc.exited = ended.then(({ code, signal }) => {
      proc.child = undefined;
      proc.lastExitCode = code;
      if (proc.killing) {
        proc.state = 'KILLED';
      } else if (code === 0 && !proc.spec.daemon) {
        proc.state = 'SUCCESS';
      } else if (code === 0) {
        proc.state = 'WAITING'; // daemon: run again after min_duration
      } else {
        proc.failures += 1;
        const exhausted = proc.spec.max_failures > 0 && proc.failures >= proc.spec.max_failures;
        proc.state = exhausted ? 'FAILED' : 'WAITING';
      }
      emit({ type: 'exited', process: proc.spec.name, run, exitCode: code, signal, state: proc.state });
      wakeup.notify();
    });
  };

  const killRunning = async (deadline: number): Promise<void> => {
    const running = all.filter((p) => p.child !== undefined);
    if (running.length === 0) return;
    const send = (sig: NodeJS.Signals): void => {
      for (const proc of running) {
        const pid = proc.child?.pid;
        if (pid === undefined) continue;
        proc.killing = true;
        try {
          process.kill(-pid, sig);
        } catch {
          // group already gone
        }
      }
    };
    const allExited = Promise.all(running.map((p) => p.exited));
    send('SIGTERM');
    const grace = Math.max(0, Math.min(killGrace, deadline - Date.now()));
    if (await within(allExited, grace)) return;
    send('SIGKILL');
    await within(allExited, SIGKILL_WAIT_MS);
  };

  /** One stage's schedule. Returns why it ended. */
  const runStage = async (members: Proc[], opts: { deadline?: number; abortable: boolean }): Promise<'done' | 'failed' | 'aborted' | 'timeout'> => {
    for (;;) {
      if (opts.abortable && options.signal?.aborted) return 'aborted';
      if (opts.abortable && taskFailed()) return 'failed';
      if (opts.deadline !== undefined && Date.now() >= opts.deadline) return 'timeout';
      // A process whose predecessor can no longer succeed will never run.
      let changed = true;
      while (changed) {
        changed = false;
        for (const proc of members) {
          if (proc.state !== 'WAITING') continue;
          const blocker = [...proc.deps].find((d) => ['FAILED', 'SKIPPED', 'KILLED'].includes(procs.get(d)?.state ?? ''));
          if (blocker !== undefined) {
            proc.state = 'SKIPPED';
            emit({ type: 'skipped', process: proc.spec.name, reason: `'${blocker}' did not succeed` });
            changed = true;
          }
        }
      }
      const required = members.filter((p) => !p.spec.ephemeral);
      if (required.every((p) => p.state === 'SUCCESS' || p.state === 'FAILED' || p.state === 'SKIPPED')) return 'done';
      const now = Date.now();
      let running = members.filter((p) => p.state === 'RUNNING').length;
      const limit = task.max_concurrency > 0 ? task.max_concurrency : Infinity;
      let nextTimer = Infinity;
      let startedAny = false;
      for (const proc of members) {
        if (proc.state !== 'WAITING' || running >= limit) continue;
        if (![...proc.deps].every((d) => procs.get(d)?.state === 'SUCCESS')) continue;
        if (proc.nextStartAt > now) {
          nextTimer = Math.min(nextTimer, proc.nextStartAt - now);
          continue;
        }
        running += 1;
        startedAny = true;
        await start(proc);
      }
      if (startedAny) continue; // re-evaluate: a run may already have ended
      const anyRunning = members.some((p) => p.state === 'RUNNING');
      // Nothing running and nothing due later: no event can move this stage on.
      if (!anyRunning && nextTimer === Infinity) return 'done';
      if (opts.deadline !== undefined) nextTimer = Math.min(nextTimer, opts.deadline - Date.now());
      await wakeup.wait(nextTimer === Infinity ? 2 ** 31 - 1 : nextTimer);
    }
  };

  try {
    const ordinary = all.filter((p) => !p.spec.final);
    const finals = all.filter((p) => p.spec.final);
    emit({ type: 'stage', stage: 'ACTIVE' });
    const active = await runStage(ordinary, { abortable: true });
    const deadline = Date.now() + task.finalization_wait * 1000;
    emit({ type: 'stage', stage: 'CLEANING' });
    await killRunning(deadline);
    for (const proc of ordinary) if (proc.state === 'WAITING') proc.state = 'SKIPPED';
    if (finals.length > 0) {
      emit({ type: 'stage', stage: 'FINALIZING' });
      const ended = await runStage(finals, { deadline, abortable: false });
      if (ended === 'timeout') await killRunning(Date.now());
      for (const proc of finals) if (proc.state === 'WAITING') proc.state = 'SKIPPED';
    }
    const reports = all.map(
      (p): ThermosProcessReport => ({
        name: p.spec.name,
        state: p.state,
        runs: p.runs,
        failures: p.failures,
        ...(p.lastExitCode !== undefined ? { lastExitCode: p.lastExitCode } : {}),
      }),
    );
    if (active === 'aborted') return { state: 'KILLED', message: `Task '${task.name}' was killed`, processes: reports };
    if (taskFailed()) {
      // Name each failed process and how its last run ended: what an operator reads first.
      const failed = all
        .filter((p) => p.state === 'FAILED')
        .map((p) => `process '${p.spec.name}' ${p.lastExitCode === null || p.lastExitCode === undefined ? 'was ended by a signal' : `exited with status ${p.lastExitCode}`} (${p.failures} of max_failures ${p.spec.max_failures})`);
      return { state: 'FAILED', message: `Task '${task.name}' failed: ${failed.join('; ')}`, processes: reports };
    }
    return { state: 'SUCCESS', message: `Task '${task.name}' finished`, processes: reports };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
