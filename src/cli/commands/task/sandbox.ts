/**
 * What `task run` and `task ssh` share: where a task's sandbox is and how a command gets there.
 *
 * - A cluster whose clusters.json entry sets `slave_root` and `slave_run_directory` is a real Mesos
 *   cluster, reached as Aurora's client reaches it (client/api/command_runner.py): over `ssh` to the
 *   task's agent host (`assignedTask.slaveHost`) as `--ssh-user` or the job's role, into
 *   `<slave_root>/slaves/* /frameworks/* /executors/<executor id>/runs/<slave_run_directory>/sandbox`.
 * - Any other scheduler is asked for the sandbox (`GET <scheduler>/sandbox/<taskId>`, which the aurora-ts
 *   local scheduler answers with the directory and the task's environment): the command runs here, as a
 *   child process in that directory with that environment.
 *
 * Either way the command's `{{thermos.ports[NAME]}}`, `{{thermos.task_id}}`, `{{thermos.user}}`,
 * `{{mesos.instance}}` and `{{mesos.hostname}}` are bound to the task's values first, as Aurora's are.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { AuroraClient } from '../../../client/client.js';
import { AuroraValidationError } from '../../../errors.js';
import type { ScheduledTask } from '../../../gen/types.js';
import type { CliContext } from '../../context.js';
import { CliFailure, UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import type { JobKeySpec } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { RUN } from './index.js';

/** Aurora's Thermos executor: its tasks' own sandbox is the `sandbox` directory of the executor's. */
const THERMOS = 'AuroraExecutor';

/** Where the tasks of a job's cluster are reached. */
export type TaskHost =
  | { kind: 'local'; client: AuroraClient; base: string }
  | { kind: 'ssh'; client: AuroraClient; slaveRoot: string; runDirectory: string; user: string | undefined; options: string[] };

/** The flags of `task run`, `ssh` and `scp` that say how to reach an agent over ssh. */
export type SshFlags = Pick<VerbInput<typeof RUN>, 'sshUser' | 'sshOptions'>;

/** The environment variable `--ssh-options` defaults to, so a test or a wrapper needs no ~/.ssh edits. */
export const SSH_OPTIONS_ENV = 'AURORA_TS_SSH_OPTIONS';

/** Aurora's `--ssh-options`: system ssh options separated by spaces (as its client splits them). */
export function sshOptionList(text: string | undefined): string[] {
  return (text ?? '').split(/\s+/).filter((word) => word !== '');
}

export async function taskHost(ctx: CliContext, key: JobKeySpec, flags: SshFlags): Promise<TaskHost> {
  const target = await ctx.target(key.cluster);
  const client = await ctx.client(key.cluster);
  const cluster = target.cluster;
  if (cluster && (cluster.slaveRoot !== undefined || cluster.slaveRunDirectory !== undefined)) {
    const missing = cluster.slaveRoot === undefined ? 'slave_root' : cluster.slaveRunDirectory === undefined ? 'slave_run_directory' : undefined;
    if (missing) throw new UsageError(`cluster ${cluster.name} (${cluster.source}) sets one of slave_root and slave_run_directory but not ${missing}`, 'reaching sandboxes over ssh takes both, as in Aurora\'s client');
    return {
      kind: 'ssh',
      client,
      slaveRoot: cluster.slaveRoot!,
      runDirectory: cluster.slaveRunDirectory!,
      user: flags.sshUser,
      options: sshOptionList(flags.sshOptions ?? ctx.env[SSH_OPTIONS_ENV]),
    };
  }
  // ssh settings from the environment are for ssh clusters; on the command line here they would be ignored.
  for (const [flag, value] of [['--ssh-user', flags.sshUser], ['--ssh-options', flags.sshOptions]] as const) {
    if (value !== undefined) {
      throw new UsageError(`${flag}: the tasks of ${cluster ? `cluster ${cluster.name}` : 'this scheduler'} are reached without ssh (its clusters.json entry sets no slave_root)`);
    }
  }
  return { kind: 'local', client, base: ctx.baseUrl(client) };
}

/** What the local scheduler says about a task's sandbox: how to start a process there as the task's was. */
export interface LocalSandbox {
  cwd: string;
  env: Record<string, string>;
  /** The task's user when it is not the one running this (the scheduler's --task-user). */
  uid?: number;
  gid?: number;
}

interface Described {
  sandbox: string;
  env: Record<string, string>;
  user?: { name: string; uid: number; gid: number } | null;
}

export async function localSandbox(ctx: CliContext, base: string, taskId: string): Promise<LocalSandbox> {
  const url = `${base}/sandbox/${encodeURIComponent(taskId)}`;
  const timeoutMs = (ctx.globals.timeout ?? 30) * 1000;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]) });
  } catch (err) {
    const why = (err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message;
    throw new CliFailure(`cannot ask ${base} for the sandbox of ${taskId}: ${why}`, ExitCode.UNREACHABLE);
  }
  const text = await response.text();
  if (response.ok && (response.headers.get('content-type') ?? '').startsWith('application/json')) {
    const body = JSON.parse(text) as Partial<Described>;
    if (typeof body.sandbox === 'string' && typeof body.env === 'object' && body.env !== null) return asTheTask(taskId, { sandbox: body.sandbox, env: body.env, user: body.user });
  }
  if (response.status === 404 && (text.startsWith('no sandbox') || text.startsWith('unknown task'))) throw new CliFailure(`task ${taskId}: ${text.trim()}`);
  throw new CliFailure(
    `the scheduler at ${base} does not say where its sandboxes are (HTTP ${response.status}); for a Mesos cluster, set slave_root and slave_run_directory in its clusters.json entry to reach them over ssh`,
  );
}

/** Runs as the task's user when the scheduler runs its tasks as another one; only root can switch. */
function asTheTask(taskId: string, described: Described): LocalSandbox {
  const base = { cwd: described.sandbox, env: described.env };
  const user = described.user;
  if (!user || user.uid === process.getuid?.()) return base;
  if (process.getuid?.() !== 0) throw new CliFailure(`task ${taskId} runs as user ${user.name} (the scheduler's --task-user): run this as ${user.name} or as root`);
  return { ...base, uid: user.uid, gid: user.gid };
}

/** A word for a POSIX shell, quoted unless it is plainly safe. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The task's sandbox on its agent, as Aurora's client computes it (DistributedCommandRunner.thermos_sandbox),
 * for the remote shell to expand: Thermos tasks in `executors/thermos-<taskId>/runs/<run>/sandbox` (the
 * executor's own directory with `executorSandbox`); a custom executor's task in its executor's directory,
 * whose id is the executor's task_prefix (unknown here, hence the `*`) and the task id.
 */
export function mesosSandbox(
  task: { assignedTask: { taskId: string; task?: { executorConfig?: { name?: string } } } },
  host: { slaveRoot: string; runDirectory: string },
  executorSandbox: boolean,
): string {
  const taskId = task.assignedTask.taskId;
  const executor = task.assignedTask.task?.executorConfig?.name;
  // A task without an executor name (a scheduler that strips it) is taken to be Thermos, as Aurora's client does.
  const thermos = executor === undefined || executor === THERMOS;
  const executorDir = thermos ? shellQuote(`thermos-${taskId}`) : `*${shellQuote(taskId)}`;
  const runs = `${shellQuote(host.slaveRoot)}/slaves/*/frameworks/*/executors/${executorDir}/runs/${shellQuote(host.runDirectory)}`;
  return thermos && !executorSandbox ? `${runs}/sandbox` : runs;
}

/**
 * Binds the run-time references Thermos owns in `command` to the task's values; any other `{{...}}` stays as
 * written. An unbound port is bad input: the task has no such port.
 */
export async function bindCommand(command: string, task: ScheduledTask): Promise<string> {
  const { bindCmdline } = await import('../../../scheduler/thermos/payload.js');
  const assigned = task.assignedTask!;
  try {
    return bindCmdline('command', command, {
      ports: { ...(assigned.assignedPorts ?? {}) },
      taskId: assigned.taskId,
      instance: assigned.instanceId,
      hostname: assigned.slaveHost,
      user: assigned.task?.job?.role,
    });
  } catch (err) {
    if (!(err instanceof AuroraValidationError)) throw err;
    const ports = Object.keys(assigned.assignedPorts ?? {});
    const why = err.message.slice(err.field.length + 2);
    throw new UsageError(`command: ${why} (task ${assigned.taskId} has ${ports.length > 0 ? `ports ${ports.join(', ')}` : 'no ports'})`);
  }
}

/** `cd <sandbox> && <command>` for the remote shell; `&&` so that a missing sandbox never runs the command elsewhere. */
export function remoteCommand(sandbox: string, command: string): string {
  return `cd ${sandbox} && ${command}`;
}

/** The ssh destination: `--ssh-user`, else the job's role (Aurora's default). */
export function sshDestination(task: ScheduledTask, user: string | undefined): string {
  const assigned = task.assignedTask!;
  return `${user ?? assigned.task?.job?.role ?? ''}@${assigned.slaveHost ?? ''}`;
}

/** A child's exit as a shell reports it: its code, or 128 + N after signal N. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? 128 + (signal ? constants.signals[signal] : 0);
}

/** Runs `file` to its end and gives its exit status and its stdout and stderr together, in the order written. */
export function collect(ctx: CliContext, file: string, args: string[], options: Partial<LocalSandbox>): Promise<{ exitCode: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], signal: ctx.signal });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => chunks.push(d));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.name === 'AbortError') return;
      reject(new CliFailure(`cannot run ${file}: ${err.code === 'ENOENT' ? `${options.cwd !== undefined && file === '/bin/sh' ? `sandbox ${options.cwd} or /bin/sh` : file} not found` : err.message}`));
    });
    child.on('close', (code, signal) => {
      resolve({ exitCode: exitStatus(code, signal), output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}
