/**
 * The local schedulers' state files, one per port (`<state dir>/schedulers/<port>.json`, a detached
 * one's log beside it as `<port>.log`): which process serves which URL, so `scheduler status`/`stop`,
 * `executors list` and the `local` cluster's checks find the schedulers `scheduler start` left running.
 * A scheduler started by a version that kept a single `<state dir>/scheduler.json` is found there too.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readUserFileSync } from '../util/user-file.js';
import { stateDir } from './context.js';
import { UsageError } from './errors.js';

/** The port of the built-in `local` cluster (http://127.0.0.1:8081): the scheduler commands default to it. */
export const DEFAULT_PORT = 8081;

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

/** A state file as found: the state, the port it serves on, and where the file is. */
export interface FoundScheduler extends SchedulerState {
  port: number;
  file: string;
}

export function schedulersDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'schedulers');
}

export function stateFile(port: number, env: NodeJS.ProcessEnv = process.env): string {
  return join(schedulersDir(env), `${port}.json`);
}

export function logFile(port: number, env: NodeJS.ProcessEnv = process.env): string {
  return join(schedulersDir(env), `${port}.log`);
}

/** Where the previous, one-scheduler layout kept its state. */
function legacyStateFile(env: NodeJS.ProcessEnv): string {
  return join(stateDir(env), 'scheduler.json');
}

export function portOf(url: string): number | undefined {
  try {
    const parsed = new URL(url);
    const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
    return Number.isInteger(port) ? port : undefined;
  } catch {
    return undefined;
  }
}

function readStateFile(file: string): FoundScheduler | undefined {
  try {
    // The directory comes from the environment: a planted FIFO or device there must not hang or fill memory.
    const state = JSON.parse(readUserFileSync(file, { what: 'scheduler state file', maxBytes: 64 * 1024, pipeIdleMs: 0 })) as SchedulerState;
    if (!Number.isInteger(state.pid) || typeof state.url !== 'string') return undefined;
    const port = portOf(state.url);
    return port === undefined ? undefined : { ...state, port, file };
  } catch {
    return undefined;
  }
}

/** Every state file, running or stale, by port (a per-port file wins over the legacy one for its port). */
export function listSchedulers(env: NodeJS.ProcessEnv = process.env): FoundScheduler[] {
  const byPort = new Map<number, FoundScheduler>();
  const legacy = readStateFile(legacyStateFile(env));
  if (legacy) byPort.set(legacy.port, legacy);
  let names: string[] = [];
  try {
    names = readdirSync(schedulersDir(env));
  } catch {
    // No scheduler has been started with this layout yet.
  }
  for (const name of names) {
    if (!/^\d+\.json$/.test(name)) continue;
    const found = readStateFile(join(schedulersDir(env), name));
    if (found) byPort.set(found.port, found);
  }
  return [...byPort.values()].sort((a, b) => a.port - b.port);
}

/** The schedulers whose process still runs. */
export function runningSchedulers(env: NodeJS.ProcessEnv = process.env): FoundScheduler[] {
  return listSchedulers(env).filter((s) => isAlive(s.pid));
}

/** The running scheduler on `port`, if there is one. */
export function schedulerOnPort(port: number, env: NodeJS.ProcessEnv = process.env): FoundScheduler | undefined {
  return runningSchedulers(env).find((s) => s.port === port);
}

/** The scheduler commands act on without --port: the one on 8081, else the only one running. */
export function defaultScheduler(running: readonly FoundScheduler[]): FoundScheduler | undefined {
  return running.find((s) => s.port === DEFAULT_PORT) ?? (running.length === 1 ? running[0] : undefined);
}

/**
 * The running scheduler a command acts on: the one on `port` when given, else the default one. Several
 * running and none of them the default is bad usage (exit 2): the user must say which.
 */
export function chooseScheduler(running: readonly FoundScheduler[], port: number | undefined, which = 'name one with --port N'): FoundScheduler | undefined {
  if (port !== undefined) return running.find((s) => s.port === port);
  const chosen = defaultScheduler(running);
  if (chosen === undefined && running.length > 1) {
    throw new UsageError(`${running.length} local schedulers are running (ports ${running.map((s) => s.port).join(', ')})`, which);
  }
  return chosen;
}

/** The running scheduler of the built-in `local` cluster (the one on 8081). */
export function localClusterScheduler(env: NodeJS.ProcessEnv = process.env): FoundScheduler | undefined {
  return schedulerOnPort(DEFAULT_PORT, env);
}

export function writeState(state: SchedulerState, env: NodeJS.ProcessEnv = process.env): void {
  const port = portOf(state.url);
  if (port === undefined) throw new Error(`scheduler URL without a port: ${state.url}`);
  const file = stateFile(port, env);
  mkdirSync(schedulersDir(env), { recursive: true, mode: 0o700 });
  // Write-then-rename: a reader never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Removes a state file if it still describes `pid` (a newer scheduler's file is left alone). */
export function removeState(found: Pick<FoundScheduler, 'file'>, pid: number): void {
  const current = readStateFile(found.file);
  if (current === undefined || current.pid === pid) rmSync(found.file, { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
