import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Finding and killing everything a task started. Mesos uses cgroups for this; a local runner has
 * neither cgroups nor a pid namespace, so every process of a task carries an environment marker
 * (`AURORA_TS_TASK=<taskId>`) that survives fork, double-fork and setsid. Process groups are
 * scanned too, for children that scrub their environment but stay in the group.
 */

export const TASK_MARKER_VAR = 'AURORA_TS_TASK';

const POLL_MS = 25;
/** After SIGKILL, how long to wait for the kernel to reap before giving up on a stuck process. */
const SIGKILL_WAIT_MS = 3000;

export interface ProcessScope {
  /** Process group ids whose members also belong to the task (e.g. the executor's own pid). */
  processGroups?: readonly number[];
}

interface ProcStat {
  state: string;
  pgrp: number;
}

async function readStat(pid: number): Promise<ProcStat | undefined> {
  try {
    const text = await fs.readFile(`/proc/${pid}/stat`, 'latin1');
    // comm may contain spaces and parentheses: the fields after it start past the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '', pgrp: Number(rest[2]) };
  } catch {
    return undefined;
  }
}

async function hasMarker(pid: number, needle: string): Promise<boolean> {
  try {
    const environ = await fs.readFile(`/proc/${pid}/environ`, 'latin1');
    return `\0${environ}`.includes(needle);
  } catch {
    return false; // gone, or not ours to read
  }
}

/** Pids of live (non-zombie) processes carrying the task's marker or in one of its process groups. */
export async function findTaskProcesses(taskId: string, scope: ProcessScope = {}): Promise<number[]> {
  if (taskId === '') throw new Error('findTaskProcesses: taskId must not be empty');
  // Compare in latin1 so that a UTF-8 task id matches byte for byte.
  const needle = `\0${Buffer.from(`${TASK_MARKER_VAR}=${taskId}`, 'utf8').toString('latin1')}\0`;
  const groups = new Set(scope.processGroups ?? []);
  const pids = (await fs.readdir('/proc'))
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid);
  const found = await Promise.all(
    pids.map(async (pid) => {
      const stat = await readStat(pid);
      if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return undefined;
      if (groups.has(stat.pgrp)) return pid;
      // The environ file ends with a NUL after the last entry, so the needle's closing NUL matches.
      return (await hasMarker(pid, needle)) ? pid : undefined;
    }),
  );
  return found.filter((pid): pid is number => pid !== undefined);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * SIGTERM to every process of the task, up to `graceMs` for them to leave, then SIGKILL to
 * everything still carrying the marker (rescanning until none is left, since a dying process may
 * still fork). Processes that appear during the grace are not sent SIGTERM: they are what an
 * executor starts while shutting down (Thermos' finalizers), and they get the grace period too.
 * `graceMs` 0 sends SIGKILL straight away. Resolves when nothing is left, or when SIGKILL has not
 * taken within a few seconds (a process stuck in the kernel).
 */
export async function killProcessTree(marker: string, graceMs: number, scope: ProcessScope = {}): Promise<void> {
  if (graceMs > 0) {
    const initial = new Set(await findTaskProcesses(marker, scope));
    if (initial.size === 0) return;
    for (const pid of initial) signal(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
      const now = await findTaskProcesses(marker, scope);
      if (now.length === 0) return;
      if (!now.some((pid) => initial.has(pid))) break;
    }
  }
  const deadline = Date.now() + SIGKILL_WAIT_MS;
  for (;;) {
    const pids = await findTaskProcesses(marker, scope);
    if (pids.length === 0 || Date.now() >= deadline) return;
    for (const pid of pids) signal(pid, 'SIGKILL');
    await sleep(POLL_MS);
  }
}
