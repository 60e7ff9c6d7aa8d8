/**
 * `aurora-ts task run KEY[/INSTANCES] CMD`: runs a shell command in the sandbox of each live task of
 * the job (Aurora's `task run`), `--threads` at a time, and prints each instance's output (stdout and
 * stderr together) once it ends, every line prefixed `[INSTANCE] HOST:  `, as Aurora's client prefixes
 * the host. Local scheduler: a child process in the sandbox with the task's environment; a Mesos cluster
 * (clusters.json with slave_root): `ssh -n -q [--ssh-options] USER@HOST 'cd SANDBOX && CMD'`. Unlike
 * Aurora's, which exits 0 regardless, the exit status is 1 when the command failed on any instance.
 */
import { LIVE_STATES, type ScheduledTask } from '../../../gen/types.js';
import type { CliContext } from '../../context.js';
import { CliFailure } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { formatJobKey, parseJobKey, thriftJobKey } from '../../jobkey.js';
import { bindCommand, collect, localSandbox, mesosSandbox, remoteCommand, sshDestination, taskHost, type TaskHost } from './sandbox.js';
import type { VerbInput } from '../../spec.js';
import type { RUN } from './index.js';

export interface InstanceResult {
  instance: number;
  host: string;
  taskId: string;
  /** The command's exit status (ssh's 255 when ssh itself failed); 128+N after signal N. */
  exitCode: number;
  output: string;
}

export async function run(ctx: CliContext, options: VerbInput<typeof RUN>): Promise<number> {
  const key = parseJobKey(options.key, 'optional');
  const command = options.command.join(' ');
  const host = await taskHost(ctx, key, options);
  const query = { jobKeys: [thriftJobKey(key)], statuses: [...LIVE_STATES], ...(key.instances ? { instanceIds: [...key.instances] } : {}) };
  const tasks = [...((await host.client.getTasksWithoutConfigs(query)).tasks ?? [])].sort((a, b) => a.assignedTask!.instanceId! - b.assignedTask!.instanceId!);
  if (tasks.length === 0) throw new CliFailure(`no live task of ${formatJobKey(key)} to run a command in`);
  // Every binding is checked before anything runs anywhere.
  const bound = await Promise.all(tasks.map(async (task) => ({ task, command: await bindCommand(command, task) })));

  const results: InstanceResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < bound.length) {
      const { task, command: text } = bound[next++]!;
      const result = await runOne(ctx, host, task, text, options.executorSandbox === true);
      results.push(result);
      if (!ctx.io.json) printResult(ctx, result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.threads ?? 1, bound.length) }, worker));
  if (ctx.signal.aborted) return ExitCode.INTERRUPTED;
  results.sort((a, b) => a.instance - b.instance);
  if (ctx.io.json) ctx.io.data({ job: formatJobKey(key), instances: results });
  const failed = results.filter((r) => r.exitCode !== 0);
  if (failed.length === 0) return ExitCode.OK;
  ctx.io.error(`the command failed on ${failed.length} of ${results.length} instances: ${failed.map((r) => `${r.instance} (exit ${r.exitCode})`).join(', ')}`);
  return ExitCode.FAILURE;
}

function printResult(ctx: CliContext, result: InstanceResult): void {
  const lines = result.output.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) ctx.io.out(`[${result.instance}] ${result.host}:  ${line}`);
}

async function runOne(ctx: CliContext, host: TaskHost, task: ScheduledTask, command: string, executorSandbox: boolean): Promise<InstanceResult> {
  const assigned = task.assignedTask!;
  const base = { instance: assigned.instanceId!, host: assigned.slaveHost ?? '', taskId: assigned.taskId! };
  if (host.kind === 'local') {
    const where = await localSandbox(ctx, host.base, base.taskId);
    // One stream for both, in the order the command wrote them (ssh merges them too).
    return { ...base, ...(await collect(ctx, '/bin/sh', ['-c', `exec 2>&1\n${command}`], where)) };
  }
  const remote = remoteCommand(mesosSandbox(task, host, executorSandbox), command);
  return { ...base, ...(await collect(ctx, 'ssh', ['-n', '-q', ...host.options, sshDestination(task, host.user), remote], {})) };
}
