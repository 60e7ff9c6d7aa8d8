import { accessSync, constants as fsConstants } from 'node:fs';
import type { SupervisedCommand } from './supervisor.js';

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
// With a parent to follow, the owner asks for SIGUSR2 (12 on every architecture above) when its parent dies
// (PR_SET_PDEATHSIG), checking afterwards that it has not died already, and then kills its executor.
// Switching user drops every supplementary group (setgroups(0), as libuv does), then sets real, effective and saved ids.
// argv: prctl and setgroups syscall numbers, pid of the parent to follow or '', uid and gid ('' keeps the owner's), file, argv0, arguments...
const OWNER_SCRIPT = String.raw`my ($nr, $setgroups, $parent, $uid, $gid, $file, @argv) = @ARGV;
syscall($nr, 36, 1, 0, 0, 0) == 0 or print STDERR "aurora-ts: cannot become the task's subreaper: $!\n";
my ($child, $orphaned);
if ($parent ne '') {
  $SIG{USR2} = sub { $orphaned = 1; kill 'KILL', $child if $child };
  syscall($nr, 1, 12, 0, 0, 0);
  $orphaned = 1 if getppid() != $parent;
}
%ENV = map { /^${ENV_PREFIX}(.*)$/s ? ($1, $ENV{$_}) : () } keys %ENV;
$SIG{$_} = sub {} for qw(TERM INT HUP);
exit 1 if $orphaned;
$child = fork;
defined $child or die "aurora-ts: fork: $!\n";
if (!$child) {
  $SIG{USR2} = 'DEFAULT';
  setpgrp(0, 0);
  if ($uid ne '') {
    my $dropped = syscall($setgroups, 0, 0) == 0;
    ($(, $)) = ($gid, $gid);
    ($<, $>) = ($uid, $uid);
    if (!$dropped || $< != $uid || $> != $uid || $( != $gid || $) != $gid) { print STDERR "aurora-ts: cannot switch to uid $uid: $!\n"; exit 127 }
  }
  exec { $file } @argv;
  print STDERR "aurora-ts: cannot run $file: $!\n";
  exit 127;
}
kill 'KILL', $child if $orphaned;
my $status;
for (;;) { my $p = waitpid(-1, 0); if ($p == $child) { $status = $?; last } if ($p < 0) { $status = 127 << 8; last } }
sub children {
  if (open(my $f, '<', "/proc/$$/task/$$/children")) { my $line = <$f> // ''; return split ' ', $line }
  my @c;
  for my $d (glob '/proc/[0-9]*') { open(my $f, '<', "$d/stat") or next; my $s = <$f> // ''; push @c, substr($d, 6) if $s =~ /.*\) \S+ (\d+) /s && $1 == $$ }
  @c;
}
for (my $deadline = time + 3; ;) { my @c = children(); last if !@c || time > $deadline; kill 'KILL', @c; 1 while waitpid(-1, 1) > 0; select(undef, undef, undef, 0.005) }
my $signal = $status & 127;
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
}

/**
 * The command that starts `command` under a subreaper owner: same logs, working directory and exit
 * status; the environment and the user switch move inside the owner. Unchanged when no owner can run here.
 */
export function ownedCommand(command: SupervisedCommand, taskId: string, options: OwnerOptions = {}): SupervisedCommand {
  availability ??= check();
  if (!availability.ok) return command;
  const env: Record<string, string> = { [OWNER_MARKER_VAR]: taskId };
  for (const [name, value] of Object.entries(command.env)) env[`${ENV_PREFIX}${name}`] = value;
  const user = command.uid !== undefined ? [String(command.uid), String(command.gid ?? command.uid)] : ['', ''];
  return {
    file: PERL,
    args: ['-e', OWNER_SCRIPT, String(availability.syscalls.prctl), String(availability.syscalls.setgroups), options.endWithParent === undefined ? '' : String(options.endWithParent), ...user, command.file, command.argv0, ...command.args],
    argv0: 'aurora-ts-owner',
    cwd: command.cwd,
    env,
    stdout: command.stdout,
    stderr: command.stderr,
  };
}
