/**
 * `aurora-ts task logs KEY/INSTANCE [--process NAME] [--file stdout|stderr|PATH] [--follow]`: a file of
 * the instance's current (or latest) task, read through the SDK's TaskFiles: from the local
 * scheduler's sandbox endpoint, or on Aurora on Mesos from the task's Mesos agent (`/files/read`, port
 * `agent_port` of clusters.json or 5051, credentials from ~/.netrc for the agent's host). Without
 * `--process` that is the sandbox's stdout/stderr (for a Thermos task, the Thermos runner's own log)
 * or any sandbox file; with it, a Thermos process's own log, of its latest run. `--follow` keeps
 * printing until the task ends, moving on to a process's next run when Thermos starts one.
 */
import { TaskFileNotFoundError, TaskFiles } from '../../../client/task-files.js';
import { AuroraAbortError } from '../../../errors.js';
import type { CliContext } from '../../context.js';
import { CliFailure, UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { formatJobKey, parseJobKey } from '../../jobkey.js';
import { latestTasks } from '../../../client/latest-tasks.js';
import { jobTasks } from '../../tasks.js';
import type { VerbInput } from '../../spec.js';
import type { LOGS } from './index.js';

export async function run(ctx: CliContext, options: VerbInput<typeof LOGS>): Promise<number> {
  const key = parseJobKey(options.key, 'required');
  if (key.instances!.length !== 1) {
    throw new UsageError(`job key ${JSON.stringify(options.key)}: name exactly one instance, e.g. ${formatJobKey({ ...key, instances: undefined })}/0`);
  }
  if (options.stderr && options.file !== undefined && options.file !== 'stderr') throw new UsageError(`--stderr and --file ${options.file} name different files`, 'give one');
  const file = options.file ?? (options.stderr ? 'stderr' : 'stdout');
  if (options.process !== undefined && file !== 'stdout' && file !== 'stderr') {
    throw new UsageError(`--file ${file}: with --process, --file is stdout or stderr (a process's own logs)`);
  }
  const instance = key.instances![0]!;
  const target = await ctx.target(key.cluster);
  const client = await ctx.client(key.cluster);
  const task = latestTasks(await jobTasks(client, key, { instances: [instance] })).get(instance);
  if (!task) throw new CliFailure(`no task found for ${formatJobKey(key)}`);
  const files = new TaskFiles(client, {
    source: options.source,
    cluster: target.cluster,
    home: ctx.env['HOME'] || undefined,
    timeoutMs: ctx.globals.timeout === undefined ? undefined : Math.round(ctx.globals.timeout * 1000),
  });
  const request = { file, process: options.process, signal: ctx.signal };
  try {
    if (!options.follow) {
      const chunk = await files.read(task, request);
      if (chunk.data.length > 0) ctx.io.raw(chunk.data);
      return ExitCode.OK;
    }
    let run: number | undefined;
    for await (const chunk of files.follow(task, request)) {
      if (run !== undefined && chunk.run !== run) ctx.io.note(`--- ${options.process} run ${chunk.run} ---`);
      run = chunk.run;
      ctx.io.raw(chunk.data);
    }
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof AuroraAbortError && ctx.signal.aborted) return ExitCode.INTERRUPTED;
    if (error instanceof TaskFileNotFoundError) throw new CliFailure(error.message);
    throw error;
  }
}
