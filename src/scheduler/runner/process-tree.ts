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

/** Live processes by task marker value (latin1, so UTF-8 bytes compare one to one) and by process group. */
interface ProcessTable {
  byMarker: Map<string, number[]>;
  byGroup: Map<number, number[]>;
}

const MARKER_PREFIX = `\0${TASK_MARKER_VAR}=`;

function add<K>(map: Map<K, number[]>, key: K, pid: number): void {
  const list = map.get(key);
  if (list) list.push(pid);
  else map.set(key, [pid]);
}

async function scanProcesses(): Promise<ProcessTable> {
  const table: ProcessTable = { byMarker: new Map(), byGroup: new Map() };
  const pids = (await fs.readdir('/proc'))
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid);
  await Promise.all(
    pids.map(async (pid) => {
      const stat = await readStat(pid);
      if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return;
      add(table.byGroup, stat.pgrp, pid);
      let environ: string;
      try {
        environ = `\0${await fs.readFile(`/proc/${pid}/environ`, 'latin1')}`;
      } catch {
        return; // gone, or not ours to read
      }
      // Every entry is NUL-terminated, the last one included.
      for (let at = environ.indexOf(MARKER_PREFIX); at >= 0; at = environ.indexOf(MARKER_PREFIX, at + 1)) {
        const from = at + MARKER_PREFIX.length;
        const to = environ.indexOf('\0', from);
        add(table.byMarker, environ.slice(from, to < 0 ? undefined : to), pid);
      }
    }),
  );
  return table;
}

/**
 * One scan of /proc shared by every caller waiting at the same time. Killing many tasks at once
 * (a scheduler shutdown, a job kill, an update batch) polls every 25 ms per task; separate scans
 * would cost tasks × processes reads per round. A caller never gets a scan that began before its
 * call: arriving during a scan, it waits for the next one, which all such callers share.
 */
let running: Promise<ProcessTable> | undefined;
let queued: Promise<ProcessTable> | undefined;
function freshScan(): Promise<ProcessTable> {
  if (running === undefined) {
    running = scanProcesses().finally(() => {
      running = undefined;
    });
    return running;
  }
  queued ??= running
    .catch(() => undefined)
    .then(() => {
      queued = undefined;
      return freshScan();
    });
  return queued;
}

/** Pids of live (non-zombie) processes carrying the task's marker or in one of its process groups. */
export async function findTaskProcesses(taskId: string, scope: ProcessScope = {}): Promise<number[]> {
  if (taskId === '') throw new Error('findTaskProcesses: taskId must not be empty');
  const table = await freshScan();
  const found = new Set(table.byMarker.get(Buffer.from(taskId, 'utf8').toString('latin1')) ?? []);
  for (const group of scope.processGroups ?? []) for (const pid of table.byGroup.get(group) ?? []) found.add(pid);
  return [...found];
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

/**
 * Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. A pid together
 * with its start time names one process for good, so a recycled pid is never mistaken for it.
 * Undefined when the process is gone (or a zombie).
 */
export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const text = await fs.readFile(`/proc/${pid}/stat`, 'latin1');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
    // Fields after comm start at field 3 (state), so field 22 is rest[19].
    return rest[19];
  } catch {
    return undefined;
  }
}

/** Whether the process `pid` that started at `startTime` is still alive. */
export async function isSameProcess(pid: number, startTime: string): Promise<boolean> {
  return (await processStartTime(pid)) === startTime;
}

export interface MarkedProcess {
  pid: number;
  taskId: string;
  /** True for a task's supervisor, false for the task's own processes. */
  supervisor: boolean;
}

/** Every live process carrying a task marker or a supervisor marker (`supervisorVar`), with its task id. */
export async function markedProcesses(supervisorVar: string): Promise<MarkedProcess[]> {
  const pids = (await fs.readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => pid !== process.pid);
  const found = await Promise.all(
    pids.map(async (pid): Promise<MarkedProcess | undefined> => {
      const stat = await readStat(pid);
      if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return undefined;
      let environ: string;
      try {
        environ = await fs.readFile(`/proc/${pid}/environ`, 'utf8');
      } catch {
        return undefined;
      }
      for (const entry of environ.split('\0')) {
        if (entry.startsWith(`${TASK_MARKER_VAR}=`)) return { pid, taskId: entry.slice(TASK_MARKER_VAR.length + 1), supervisor: false };
        if (entry.startsWith(`${supervisorVar}=`)) return { pid, taskId: entry.slice(supervisorVar.length + 1), supervisor: true };
      }
      return undefined;
    }),
  );
  return found.filter((p): p is MarkedProcess => p !== undefined);
}
