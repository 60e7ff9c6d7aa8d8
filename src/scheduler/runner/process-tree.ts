import fs from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { OWNER_MARKER_VAR } from './owner.js';

/**
 * Finding and killing everything a task started. Mesos uses cgroups for this; a local runner has
 * neither cgroups nor a pid namespace. A task's executor runs under an owner that is a child
 * subreaper (owner.ts), so everything the task starts stays a descendant of that owner, whatever it
 * does to its environment, session or process group: the owner's descendants are the task. Every
 * process of a task also carries an environment marker (`AURORA_TS_TASK=<taskId>`), and the
 * executor's process group is scanned too: the only means where no owner can run (no Perl).
 */

export const TASK_MARKER_VAR = 'AURORA_TS_TASK';

const POLL_MS = 25;
/** After SIGKILL, how long to wait for the kernel to reap before giving up on a stuck process. */
const SIGKILL_WAIT_MS = 3000;

export interface ProcessScope {
  /** Process group ids whose members also belong to the task (e.g. the executor's own pid). */
  processGroups?: readonly number[];
  /** The task's subreaper owner, when this process started one: the task is then its descendants. */
  owner?: TaskOwner;
}

/**
 * A task's owner (owner.ts) that is the task's child subreaper, as a kill sees it. While it runs,
 * everything of the task is its descendant (nothing can re-parent past a subreaper), found from its
 * own list of children (/proc/<pid>/task/<tid>/children) in a few reads instead of reading every
 * process on the machine: a full scan cost tens of milliseconds of the scheduler's CPU, and a kill
 * polls every 25 ms. Once it has exited having reaped every descendant, nothing of the task is left;
 * an owner killed before it could (by a task running as the scheduler's user) leaves orphans that only
 * the full scan (by marker and process group) can find.
 */
export interface TaskOwner {
  pid: number;
  /** True until this process has reaped the owner: the pid names it. */
  running(): boolean;
  /** Settles once the owner has exited: true when it reported every descendant reaped. */
  reapedAll: Promise<boolean>;
}

interface ProcStat {
  state: string;
  ppid: number;
  pgrp: number;
  /** Field 22, the start time in clock ticks since boot: with the pid, it names one process for good. */
  started: string;
}

async function readStat(pid: number): Promise<ProcStat | undefined> {
  try {
    const text = await fs.readFile(`/proc/${pid}/stat`, 'latin1');
    // comm may contain spaces and parentheses: the fields after it start past the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '', ppid: Number(rest[1]), pgrp: Number(rest[2]), started: rest[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** What a process's environment says: the task markers it carries, and the tasks it owns (as the scheduler's user). */
interface Markers {
  tasks: string[];
  owned: string[];
}

/**
 * Markers by pid and start time, read once per process rather than at every scan: a kill polls every
 * 25 ms, and reading every process's environment each time was most of a scan's cost, in the
 * scheduler's thread and in the thread pool that task launches share. An environment changes only
 * at an exec. A task process that execs keeps its task's marker here (a task may `exec env -i ...`
 * to shed it: it stays the task's to kill). Read again at every scan, since an exec may still give
 * them their markers: this scheduler's own children (owners and executors, in the moment between
 * their fork and their exec) and processes with an owner marker (owners, and an owner's child
 * before it execs its executor).
 */
const markersSeen = new Map<string, Markers>();

async function readMarkers(pid: number): Promise<Markers | undefined> {
  let environ: string;
  try {
    environ = `\0${await fs.readFile(`/proc/${pid}/environ`, 'latin1')}`;
  } catch {
    return undefined; // gone, or not ours to read
  }
  const tasks = markerValues(environ, MARKER_PREFIX);
  let owned = markerValues(environ, OWNER_PREFIX);
  // Owners run as the scheduler's user: a task (as --task-user) that sets the variable itself does not become one.
  if (owned.length > 0 && (await fs.stat(`/proc/${pid}`).then((st) => st.uid, () => undefined)) !== process.getuid?.()) owned = [];
  return { tasks, owned };
}

/** Live processes by task marker value (latin1, so UTF-8 bytes compare one to one), by owned task, by process group and by parent. */
interface ProcessTable {
  byMarker: Map<string, number[]>;
  byOwner: Map<string, number[]>;
  byGroup: Map<number, number[]>;
  byParent: Map<number, number[]>;
}

const MARKER_PREFIX = `\0${TASK_MARKER_VAR}=`;
const OWNER_PREFIX = `\0${OWNER_MARKER_VAR}=`;

/** Every value of `prefix` entries in a NUL-separated environment that starts with a NUL. */
function markerValues(environ: string, prefix: string): string[] {
  const values: string[] = [];
  // Every entry is NUL-terminated, the last one included.
  for (let at = environ.indexOf(prefix); at >= 0; at = environ.indexOf(prefix, at + 1)) {
    const from = at + prefix.length;
    const to = environ.indexOf('\0', from);
    values.push(environ.slice(from, to < 0 ? undefined : to));
  }
  return values;
}

function add<K>(map: Map<K, number[]>, key: K, pid: number): void {
  const list = map.get(key);
  if (list) list.push(pid);
  else map.set(key, [pid]);
}

async function scanProcesses(): Promise<ProcessTable> {
  const table: ProcessTable = { byMarker: new Map(), byOwner: new Map(), byGroup: new Map(), byParent: new Map() };
  const pids = (await fs.readdir('/proc'))
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid);
  const live = new Set<string>();
  await Promise.all(
    pids.map(async (pid) => {
      const stat = await readStat(pid);
      if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return;
      add(table.byGroup, stat.pgrp, pid);
      add(table.byParent, stat.ppid, pid);
      const id = `${pid}@${stat.started}`;
      let markers = markersSeen.get(id);
      if (markers === undefined) {
        markers = await readMarkers(pid);
        if (markers === undefined) return;
        if (markers.owned.length === 0 && stat.ppid !== process.pid) markersSeen.set(id, markers);
      }
      live.add(id);
      for (const taskId of markers.tasks) add(table.byMarker, taskId, pid);
      for (const taskId of markers.owned) add(table.byOwner, taskId, pid);
    }),
  );
  for (const id of markersSeen.keys()) if (!live.has(id)) markersSeen.delete(id);
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

/** Every live descendant of `owner` in one scan (children, their children, and so on). */
function descendantsIn(table: ProcessTable, owner: number): number[] {
  const found: number[] = [];
  const seen = new Set([owner]);
  for (let i = -1; i < found.length; i++) {
    for (const child of table.byParent.get(i < 0 ? owner : found[i]!) ?? []) {
      // A pid seen twice would be a cycle, which /proc read at different moments can show.
      if (!seen.has(child)) {
        seen.add(child);
        found.push(child);
      }
    }
  }
  return found;
}

/**
 * SIGKILLs `roots`, the process groups they lead and all their descendants at once, synchronously: for
 * a host process that is exiting, when nothing asynchronous runs any more. One scan of /proc by parent
 * (a process forked during the scan can escape; close() is the thorough path).
 */
export function killTreesNowSync(roots: readonly number[]): void {
  const byParent = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const ppid = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
      add(byParent, ppid, Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  const table: ProcessTable = { byMarker: new Map(), byOwner: new Map(), byGroup: new Map(), byParent };
  const victims = new Set<number>();
  for (const root of roots) {
    victims.add(root);
    for (const pid of descendantsIn(table, root)) victims.add(pid);
  }
  for (const root of roots) signal(-root, 'SIGKILL');
  for (const pid of victims) signal(pid, 'SIGKILL');
}

/** The live descendants of process `owner`: for a subreaper owner, everything it started and everything those orphaned. */
export async function descendantsOf(owner: number): Promise<number[]> {
  return descendantsIn(await freshScan(), owner);
}

interface TaskScan {
  /** The task's processes, owners excluded. */
  pids: number[];
  /** Its owners (one per run of the task): alive until they have reaped everything of it. */
  owners: number[];
}

/** Whether this kernel lists a thread's children in /proc (CONFIG_PROC_CHILDREN). */
let childrenListed: boolean | undefined;

/** Live descendants of `root`, from the kernel's children lists (each thread keeps its own). */
function descendantsListed(root: number): number[] {
  const found: number[] = [];
  const seen = new Set([root]);
  const children = (pid: number): number[] => {
    const listed: number[] = [];
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').split(' ')) if (child !== '' && child !== '\n') listed.push(Number(child));
      }
    } catch {
      // Gone meanwhile: its children are re-parented to the owner, and the next look finds them.
    }
    return listed;
  };
  for (let i = -1; i < found.length; i++) {
    for (const child of children(i < 0 ? root : found[i]!)) {
      if (!seen.has(child)) {
        seen.add(child);
        found.push(child);
      }
    }
  }
  return found.filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
    } catch {
      return false;
    }
  });
}

/** The task's processes as its subreaper owner knows them, or undefined where only a full scan can tell. */
async function scanOwned(owner: TaskOwner): Promise<TaskScan | undefined> {
  childrenListed ??= existsSync(`/proc/${process.pid}/task/${process.pid}/children`);
  if (!childrenListed) return undefined;
  if (owner.running()) return { pids: descendantsListed(owner.pid), owners: [owner.pid] };
  return (await owner.reapedAll) ? { pids: [], owners: [] } : undefined;
}

async function scanTask(taskId: string, scope: ProcessScope): Promise<TaskScan> {
  if (taskId === '') throw new Error('findTaskProcesses: taskId must not be empty');
  const owned = scope.owner && (await scanOwned(scope.owner));
  if (owned) return owned;
  const table = await freshScan();
  const key = Buffer.from(taskId, 'utf8').toString('latin1');
  const owners = table.byOwner.get(key) ?? [];
  const found = new Set(table.byMarker.get(key) ?? []);
  for (const group of scope.processGroups ?? []) for (const pid of table.byGroup.get(group) ?? []) found.add(pid);
  for (const owner of owners) for (const pid of descendantsIn(table, owner)) found.add(pid);
  for (const owner of owners) found.delete(owner);
  return { pids: [...found], owners };
}

/**
 * Pids of the task's live (non-zombie) processes: its owner's descendants, and whatever carries the
 * task's marker or is in one of its process groups. Never the owner itself: it stays to reap the
 * task and record its exit, and leaves on its own once its executor is gone.
 */
export async function findTaskProcesses(taskId: string, scope: ProcessScope = {}): Promise<number[]> {
  return (await scanTask(taskId, scope)).pids;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

const gone = (scan: TaskScan): boolean => scan.pids.length === 0 && scan.owners.length === 0;

/**
 * SIGTERM to every process of the task, up to `graceMs` for them to leave, then SIGKILL to
 * everything still there (rescanning until none is left, since a dying process may still fork: a
 * fork loop ends when every process of it has been found and killed). Processes that appear during
 * the grace are not sent SIGTERM: they are what an executor starts while shutting down (Thermos'
 * finalizers), and they get the grace period too. An owner that has not started its executor yet is
 * waited for, so the kill reaches what it starts. `graceMs` 0 sends SIGKILL straight away. Resolves
 * when nothing is left (owners included: they leave once they have reaped the rest), or when SIGKILL
 * has not taken within a few seconds (a process stuck in the kernel).
 */
export async function killProcessTree(marker: string, graceMs: number, scope: ProcessScope = {}): Promise<void> {
  if (graceMs > 0) {
    const deadline = Date.now() + graceMs;
    let first = await scanTask(marker, scope);
    while (first.pids.length === 0 && first.owners.length > 0 && Date.now() < deadline) {
      await sleep(POLL_MS);
      first = await scanTask(marker, scope);
    }
    if (gone(first)) return;
    const initial = new Set(first.pids);
    for (const pid of initial) signal(pid, 'SIGTERM');
    while (Date.now() < deadline) {
      await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
      const now = await scanTask(marker, scope);
      if (gone(now)) return;
      if (!now.pids.some((pid) => initial.has(pid))) break;
    }
  }
  const deadline = Date.now() + SIGKILL_WAIT_MS;
  for (;;) {
    const now = await scanTask(marker, scope);
    if (gone(now) || Date.now() >= deadline) return;
    for (const pid of now.pids) signal(pid, 'SIGKILL');
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
  /** True for the task's owner (owner.ts), false for everything else. */
  owner: boolean;
}

/** Every live process carrying a task marker, an owner marker or a supervisor marker (`supervisorVar`), with its task id. */
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
        if (entry.startsWith(`${TASK_MARKER_VAR}=`)) return { pid, taskId: entry.slice(TASK_MARKER_VAR.length + 1), supervisor: false, owner: false };
        if (entry.startsWith(`${OWNER_MARKER_VAR}=`)) return { pid, taskId: entry.slice(OWNER_MARKER_VAR.length + 1), supervisor: false, owner: true };
        if (entry.startsWith(`${supervisorVar}=`)) return { pid, taskId: entry.slice(supervisorVar.length + 1), supervisor: true, owner: false };
      }
      return undefined;
    }),
  );
  return found.filter((p): p is MarkedProcess => p !== undefined);
}
