/**
 * Commands a task runs: spawned in their own process group (so the group is the task's process
 * tree: the shell, what it starts, and their children), output appended to the sandbox's `stdout`
 * and `stderr` files as Mesos' sandbox has them, killed as a Mesos kill policy asks: SIGTERM to the
 * group, SIGKILL to what is left after the grace period.
 */
import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Command, RunningCommand, RunOptions } from './types.js';

export interface CommandExit {
  code: number | null;
  signal: string | null;
}

export interface StartedCommand extends RunningCommand {
  /** Set once the process has been spawned (or failed to be). */
  spawned: Promise<Error | undefined>;
  kill(graceMs: number): Promise<void>;
}

const POLL_MS = 50;

// Loaded on the first command, not when the kit is imported: an executor's start-up is measured.
const requireBuiltin = createRequire(import.meta.url);
let childProcess: typeof import('node:child_process') | undefined;

export function startCommand(command: Command, sandbox: string, env: NodeJS.ProcessEnv, options: RunOptions = {}): StartedCommand {
  const [file, args] = typeof command === 'string' ? ['/bin/sh', ['-c', command]] : [command.file, command.args ?? []];
  const out = openSync(join(sandbox, 'stdout'), 'a');
  const err = openSync(join(sandbox, 'stderr'), 'a');
  let child;
  try {
    childProcess ??= requireBuiltin('node:child_process') as typeof import('node:child_process');
    child = childProcess.spawn(file, args, { cwd: options.cwd ?? sandbox, env: { ...env, ...options.env }, stdio: ['ignore', out, err], detached: true });
  } finally {
    closeSync(out);
    closeSync(err);
  }
  const exited = new Promise<CommandExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A spawn failure (no such file) emits 'error' and never 'exit'.
    child.once('error', () => resolve({ code: 127, signal: null }));
  });
  const spawned = new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (error) => resolve(error));
  });
  const pid = child.pid ?? 0;
  return {
    pid,
    exited,
    spawned,
    async kill(graceMs: number): Promise<void> {
      if (pid === 0) return;
      if (!signalGroup(pid, 'SIGTERM')) return;
      // The whole group, not only the leader: what the shell started may outlive it.
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && groupAlive(pid)) await new Promise((r) => setTimeout(r, POLL_MS));
      signalGroup(pid, 'SIGKILL');
      await exited;
    },
  };
}

/** False when the group is gone. */
function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

function groupAlive(pgid: number): boolean {
  return signalGroup(pgid, 0 as unknown as NodeJS.Signals);
}

/** How Mesos' command executor words a command's end. */
export function describeExit({ code, signal }: CommandExit): string {
  return signal !== null ? `Command terminated with signal ${signal}` : `Command exited with status ${code}`;
}
