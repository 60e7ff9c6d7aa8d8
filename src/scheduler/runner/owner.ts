import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import type { Socket } from 'node:net';
import { readRecord, signalName, type SupervisorReport } from './exit-record.js';
import type { SupervisedCommand } from './supervisor.js';
import type { TaskOwner } from './process-tree.js';

/**
 * A task's owner: a tiny process that starts the executor, stays its parent, and is a child subreaper
 * (prctl PR_SET_CHILD_SUBREAPER), so every process the task orphans (a double fork, `setsid`, a
 * daemon with a scrubbed environment) re-parents to the owner instead of init. The task's processes
 * are then exactly the owner's descendants, which no task can shed: the kill walks them from the
 * owner (process-tree.ts). When the executor ends, the owner SIGKILLs whatever is left, reaps it and
 * exits with the executor's status (Mesos destroys the container when the executor ends).
 *
 * Node cannot call prctl, so the owner is a Perl script: perl-base is an Essential package on Debian
 * and Ubuntu (present in every slim image; python3 is not) and starts in a few milliseconds. Perl has
 * no prctl either, but `syscall` takes the number, which differs by architecture. Without Perl or on
 * an unknown architecture tasks start as before (found by marker and process group only) and the
 * scheduler logs why once at start.
 *
 * With a state directory the owner is also the task's supervisor: started in its own session, without
 * following the scheduler's death, it outlives a scheduler crash and records the executor's exit
 * (exit-record.ts) for the next scheduler, which adopts it by pid and start time. It reports to the
 * scheduler over a pipe (fd 3): `reaper` once it is the subreaper, the executor's pid once forked,
 * then `exec` once the executor has really exec'd (a close-on-exec pipe between the owner and its
 * child: EOF means the exec succeeded, bytes are why it failed), or `error <why>`; and at its end
 * `reaped` when no descendant was left, which spares the scheduler a scan of every process on the
 * machine to learn that nothing of the task is left (process-tree.ts). A Perl process costs about 1 MB of PSS; the Node
 * supervisor it replaces cost about 40 MB (docs/performance.md).
 *
 * The owner runs as the scheduler's user and switches to the task's user only in the executor's child,
 * so that a task running as `--task-user` cannot kill its owner to escape. For the same reason the
 * task's environment reaches the owner only under a prefix: nothing a job sets (LD_PRELOAD, PERL5OPT)
 * touches the interpreter that runs as the scheduler's user.
 */

/** Carried by the owner only (not by the executor it starts); names the task it owns. */
export const OWNER_MARKER_VAR = 'AURORA_TS_OWNER';
const ENV_PREFIX = 'AURORA_TS_ENV_';
const PERL = '/usr/bin/perl';

/** The syscall numbers the owner needs, by Node architecture (the kernel's unistd tables). */
const SYSCALLS: Partial<Record<string, { prctl: number; setgroups: number }>> = {
  x64: { prctl: 157, setgroups: 116 },
  // The generic table.
  arm64: { prctl: 167, setgroups: 159 },
  riscv64: { prctl: 167, setgroups: 159 },
  loong64: { prctl: 167, setgroups: 159 },
};

// The executor gets its own process group, as a spawned executor had, so that 'kill 0' in a task cannot reach the owner.
// Its children: the kernel's list where it keeps one (CONFIG_PROC_CHILDREN; the owner has one thread), else a scan of /proc.
// No module is loaded (not even strict): nothing is read from @INC by a process running as the scheduler's user in the task's sandbox.
// Numbers stand for the constants a module would name: F_SETFD 2, FD_CLOEXEC 1, EINTR 4 (the same on every Linux architecture);
// the open flags differ by architecture and come from Node's fs.constants.
// With a parent to follow, the owner asks for SIGUSR2 (12 on every architecture above) when its parent dies
// (PR_SET_PDEATHSIG), checking afterwards that it has not died already, and then kills its executor.
// Switching user drops every supplementary group (setgroups(0), as libuv does), then sets real, effective and saved ids.
// Handlers (not IGNORE) for PIPE, TERM, INT, HUP: an ignored signal would stay ignored in the executor across exec.
// Perl makes every descriptor it opens above 2 close-on-exec, the exec pipe included; fd 3 it only adopts, so it marks it.
// argv: prctl and setgroups syscall numbers, pid of the parent to follow or '', uid and gid ('' keeps the owner's),
// control directory ('' records nothing) with its open flags and the exit file's, file, argv0, arguments...
const OWNER_SCRIPT = String.raw`my ($nr, $setgroups, $parent, $uid, $gid, $control, $dirflags, $fileflags, $file, @argv) = @ARGV;
$SIG{PIPE} = sub {};
my $report;
open($report, '>&=', 3) and fcntl($report, 2, 1);
sub say_ { syswrite($report, "$_[0]\n") if $report }
sub quote { my $s = shift; $s =~ s/(["\\])/\\$1/g; $s =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord $1)/ge; "\"$s\"" }
my $dir;
sub record {
  return unless $dir;
  my $at = '/proc/self/fd/' . fileno($dir);
  sysopen(my $f, "$at/exit.json.tmp", $fileflags, 0600) or return;
  print $f $_[0];
  close $f and rename "$at/exit.json.tmp", "$at/exit.json";
}
sub fail { my $why = shift; print STDERR "aurora-ts: $why\n"; say_("error $why"); record('{"error":' . quote($why) . '}'); exit 127 }
if ($control ne '') { sysopen($dir, $control, $dirflags) or fail("cannot open the task's control directory: $!") }
my $reaper = syscall($nr, 36, 1, 0, 0, 0) == 0;
if ($reaper) { say_('reaper') } else { print STDERR "aurora-ts: cannot become the task's subreaper: $!\n" }
my ($child, $orphaned);
if ($parent ne '') {
  $SIG{USR2} = sub { $orphaned = 1; kill 'KILL', $child if $child };
  syscall($nr, 1, 12, 0, 0, 0);
  $orphaned = 1 if getppid() != $parent;
}
%ENV = map { /^${ENV_PREFIX}(.*)$/s ? ($1, $ENV{$_}) : () } keys %ENV;
$SIG{$_} = sub {} for qw(TERM INT HUP);
exit 1 if $orphaned;
pipe(my $execr, my $execw) or fail("pipe: $!");
$child = fork;
defined $child or fail("fork: $!");
if (!$child) {
  close $execr;
  $SIG{USR2} = 'DEFAULT';
  setpgrp(0, 0);
  my $why;
  if ($uid ne '') {
    my $dropped = syscall($setgroups, 0, 0) == 0;
    ($(, $)) = ($gid, $gid);
    ($<, $>) = ($uid, $uid);
    $why = "cannot switch to uid $uid: $!" if !$dropped || $< != $uid || $> != $uid || $( != $gid || $) != $gid;
  }
  if (!defined $why) { exec { $file } @argv; $why = "cannot run $file: $!" }
  print STDERR "aurora-ts: $why\n";
  syswrite($execw, $why);
  exit 127;
}
close $execw;
kill 'KILL', $child if $orphaned;
say_("pid $child");
my $failed = '';
for (;;) { my $n = sysread($execr, $failed, 4096, length $failed); last if defined $n ? $n == 0 : $! != 4 }
close $execr;
say_($failed eq '' ? 'exec' : "error $failed");
my $status;
for (;;) { my $p = waitpid(-1, 0); if ($p == $child) { $status = $?; last } if ($p < 0) { $status = 127 << 8; last } }
sub children {
  if (open(my $f, '<', "/proc/$$/task/$$/children")) { my $line = <$f> // ''; return split ' ', $line }
  my @c;
  for my $d (glob '/proc/[0-9]*') { open(my $f, '<', "$d/stat") or next; my $s = <$f> // ''; push @c, substr($d, 6) if $s =~ /.*\) \S+ (\d+) /s && $1 == $$ }
  @c;
}
my $left;
for (my $deadline = time + 3; ;) { my @c = children(); $left = @c; last if !@c || time > $deadline; kill 'KILL', @c; 1 while waitpid(-1, 1) > 0; select(undef, undef, undef, 0.005) }
say_('reaped') if $reaper && !$left;
close $report if $report;
my $signal = $status & 127;
record($failed ne '' ? "{\"pid\":$child,\"error\":" . quote($failed) . '}' : "{\"pid\":$child,\"code\":" . ($signal ? 'null' : $status >> 8) . ',"signal":' . ($signal || 'null') . '}');
if ($signal) { $SIG{$_} = 'DEFAULT' for qw(TERM INT HUP); kill $signal, $$ }
exit($signal ? 128 + $signal : $status >> 8);
`;

let availability: { ok: true; syscalls: { prctl: number; setgroups: number } } | { ok: false; reason: string } | undefined;

function check(): NonNullable<typeof availability> {
  const syscalls = SYSCALLS[process.arch];
  if (process.platform !== 'linux' || syscalls === undefined) return { ok: false, reason: `no syscall numbers known for ${process.platform}/${process.arch}` };
  try {
    accessSync(PERL, fsConstants.X_OK);
  } catch {
    return { ok: false, reason: `${PERL} is not installed` };
  }
  return { ok: true, syscalls };
}

/** Why tasks cannot be started under a subreaper owner on this machine, or undefined when they can. */
export function ownerUnavailable(): string | undefined {
  availability ??= check();
  return availability.ok ? undefined : availability.reason;
}

export interface OwnerOptions {
  /**
   * End the task when this process (the owner's parent) dies. For a scheduler without a state
   * directory: no later scheduler could adopt the task, so it must not outlive this one.
   */
  endWithParent?: number;
  /**
   * The task's control directory (exit-record.ts), made by the caller: the owner records the
   * executor's exit there, for a scheduler that was not watching. Given for supervised tasks.
   */
  controlDir?: string;
  /** Called once the owner runs (before its executor does), with its pid: the task's identity can be stored now. */
  onSpawned?(ownerPid: number): void | Promise<void>;
}

export interface StartedOwner {
  /** The owner, a child of this process (unreferenced). */
  owner: ChildProcess;
  /** The executor's pid: it has exec'd. */
  pid: number;
  /** Settles when the executor has ended, with its exit (the owner's record when it keeps one). */
  exit: Promise<SupervisorReport | undefined>;
  /**
   * The owner as a kill scope (process-tree.ts), when it is the task's subreaper: the task is then its
   * descendants while it runs, and nothing once it has reported them all reaped.
   */
  subreaper?: TaskOwner;
}

const LOG_FLAGS = fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW;
const CONTROL_DIR_FLAGS = fsConstants.O_RDONLY | fsConstants.O_DIRECTORY | fsConstants.O_NOFOLLOW;
const EXIT_FILE_FLAGS = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC | fsConstants.O_NOFOLLOW;

/**
 * Starts `command` under a subreaper owner in its own session: same logs, working directory and exit
 * status; the environment (under a prefix, never in argv) and the user switch move inside the owner.
 * Resolves once the executor has exec'd, or with the reason it did not. Call only where
 * ownerUnavailable() is undefined.
 */
export async function startOwner(command: SupervisedCommand, taskId: string, options: OwnerOptions = {}): Promise<StartedOwner | { error: string }> {
  availability ??= check();
  if (!availability.ok) return { error: availability.reason };
  const env: Record<string, string> = { [OWNER_MARKER_VAR]: taskId };
  for (const [name, value] of Object.entries(command.env)) env[`${ENV_PREFIX}${name}`] = value;
  const user = command.uid !== undefined ? [String(command.uid), String(command.gid ?? command.uid)] : ['', ''];
  const parent = options.endWithParent === undefined ? '' : String(options.endWithParent);
  const args = ['-e', OWNER_SCRIPT, String(availability.syscalls.prctl), String(availability.syscalls.setgroups), parent, ...user];
  args.push(options.controlDir ?? '', String(CONTROL_DIR_FLAGS), String(EXIT_FILE_FLAGS), command.file, command.argv0, ...command.args);
  const out = await fs.open(command.stdout, LOG_FLAGS, 0o644);
  const err = await fs.open(command.stderr, LOG_FLAGS, 0o644).catch(async (error: unknown) => {
    await out.close().catch(() => undefined);
    throw error;
  });
  let owner: ChildProcess;
  let spawned: Promise<Error | undefined>;
  let reports: OwnerReports;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  try {
    owner = spawn(PERL, args, {
      argv0: 'aurora-ts-owner',
      cwd: command.cwd,
      env,
      stdio: ['ignore', out.fd, err.fd, 'pipe'],
      // Own session and process group: the task is not killed with the scheduler's terminal, and outlives it when supervised.
      detached: true,
    });
    // Listened for before anything is awaited: the events come on the next tick, an owner whose task
    // ends at once may have exited by the next await, and Node then drains (and drops) an unread pipe.
    spawned = new Promise<Error | undefined>((resolve) => {
      owner.once('spawn', () => resolve(undefined));
      owner.once('error', (error) => resolve(error));
    });
    reports = readReports(owner.stdio[3] as Socket);
    exited = new Promise((resolve) => owner.once('exit', (code, signal) => resolve({ code, signal })));
  } finally {
    // The owner holds its own copies of the log descriptors now.
    await out.close().catch(() => undefined);
    await err.close().catch(() => undefined);
  }
  const spawnError = await spawned;
  if (spawnError !== undefined) return { error: `cannot start the task's owner: ${spawnError.message}` };
  // A running task must not keep the scheduler's event loop alive on its own.
  // (The report pipe stays referenced until the executor has exec'd.)
  owner.unref();
  await options.onSpawned?.(owner.pid!);
  const lines = await reports.started;
  reports.pipe.unref();
  const pid = Number(lines.find((line) => /^pid \d+$/.test(line))?.slice(4));
  const error = lines.find((line) => line.startsWith('error '))?.slice(6);
  if (error !== undefined || !lines.includes('exec') || !(pid > 0)) {
    return { error: error ?? "the task's owner exited before starting the task" };
  }
  const exit = exited.then(({ code, signal }): SupervisorReport | undefined => {
    // The record the owner kept is what a restarted scheduler reads too.
    if (options.controlDir !== undefined) return readRecord(options.controlDir);
    return code === null && signal === null ? undefined : { pid, code, signal: signalName(signal) };
  });
  const child = owner;
  const subreaper: TaskOwner | undefined = lines.includes('reaper')
    ? {
        pid: child.pid!,
        // Until this process has reaped it (the 'exit' event), the pid can name no other process.
        running: () => child.exitCode === null && child.signalCode === null,
        reapedAll: reports.ended.then((all) => all.includes('reaped')),
      }
    : undefined;
  return { owner, pid, exit, ...(subreaper ? { subreaper } : {}) };
}

interface OwnerReports {
  pipe: Socket;
  /** The lines up to `exec` or `error <why>` (or all of them, if the pipe closed first). */
  started: Promise<string[]>;
  /** Every line, once the owner has closed the pipe (it has exited, or is about to). */
  ended: Promise<string[]>;
}

/** The owner's reports, one line each: `reaper`, `pid N`, then `exec` or `error <why>`; at its end `reaped`; then it closes the pipe. */
function readReports(pipe: Socket): OwnerReports {
  let text = '';
  let closed = false;
  // A line counts once its newline has come (or the pipe has closed).
  const lines = (): string[] => (closed ? text.split('\n') : text.split('\n').slice(0, -1)).filter((line) => line !== '');
  let resolveStarted!: (lines: string[]) => void;
  const started = new Promise<string[]>((resolve) => (resolveStarted = resolve));
  const check = (): void => {
    const sofar = lines();
    if (closed || sofar.some((line) => line === 'exec' || line.startsWith('error '))) resolveStarted(sofar);
  };
  const ended = new Promise<string[]>((resolve) => {
    const end = (): void => {
      closed = true;
      check();
      resolve(lines());
    };
    pipe.once('close', end);
    pipe.once('error', end);
  });
  pipe.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
    check();
  });
  return { pipe, started, ended };
}
