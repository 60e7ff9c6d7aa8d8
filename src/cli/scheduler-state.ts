/**
 * The local scheduler's state file (`<state dir>/scheduler.json`): which process serves which URL,
 * so `scheduler status`/`stop` and `executors list` find the scheduler `scheduler start` left running.
 */
import { mkdirSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { readUserFileSync } from '../util/user-file.js';
import { stateDir } from './context.js';

export interface SchedulerState {
  pid: number;
  url: string;
  clusterName: string;
  /** Absolute path of the custom executor file, when one was given. */
  executors?: string;
  workDir: string;
  startedAt: string;
  /** The log file of a detached scheduler. */
  logFile?: string;
  /** `hosts/path` of the ZooKeeper election it takes part in. */
  zk?: string;
  basicAuthFile?: string;
  stateDir?: string;
}

export function stateFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'scheduler.json');
}

export function logFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'scheduler.log');
}

export function readState(env: NodeJS.ProcessEnv = process.env): SchedulerState | undefined {
  try {
    // The directory comes from the environment: a planted FIFO or device there must not hang or fill memory.
    const state = JSON.parse(readUserFileSync(stateFile(env), { what: 'scheduler state file', maxBytes: 64 * 1024, pipeIdleMs: 0 })) as SchedulerState;
    return Number.isInteger(state.pid) && typeof state.url === 'string' ? state : undefined;
  } catch {
    return undefined;
  }
}

export function writeState(state: SchedulerState, env: NodeJS.ProcessEnv = process.env): void {
  const file = stateFile(env);
  mkdirSync(stateDir(env), { recursive: true, mode: 0o700 });
  // Write-then-rename: a reader never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Removes the state file if it still describes `pid` (a newer scheduler's file is left alone). */
export function removeState(pid: number, env: NodeJS.ProcessEnv = process.env): void {
  const state = readState(env);
  if (state === undefined || state.pid === pid) rmSync(stateFile(env), { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The state of a scheduler that is still running, if there is one. */
export function runningScheduler(env: NodeJS.ProcessEnv = process.env): SchedulerState | undefined {
  const state = readState(env);
  return state !== undefined && isAlive(state.pid) ? state : undefined;
}
