/**
 * `aurora-ts task logs KEY/INSTANCE`: the instance's current (or latest) task's stdout or stderr, read
 * from the local scheduler's sandbox endpoint `GET <scheduler>/sandbox/<taskId>/<file>?offset=N`;
 * `--follow` keeps reading from the last offset until the task ends.
 */
import { ACTIVE_STATES } from '../../../gen/types.js';
import type { CliContext } from '../../context.js';
import { CliFailure, UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { formatJobKey, parseJobKey } from '../../jobkey.js';
import { currentTasks, jobTasks } from '../../tasks.js';

export interface LogsOptions {
  key: string;
  stderr?: boolean;
  follow?: boolean;
  /** Poll interval for --follow (default 500 ms). */
  pollMs?: number;
}

export async function run(ctx: CliContext, options: LogsOptions): Promise<number> {
  const key = parseJobKey(options.key, 'required');
  if (key.instances!.length !== 1) {
    throw new UsageError(`job key ${JSON.stringify(options.key)}: name exactly one instance, e.g. ${formatJobKey({ ...key, instances: undefined })}/0`);
  }
  const instance = key.instances![0]!;
  const client = await ctx.client(key.cluster);
  const findTask = async () => currentTasks(await jobTasks(client, key, { instances: [instance] })).get(instance);
  let task = await findTask();
  if (!task) throw new CliFailure(`no task found for ${formatJobKey(key)}`);
  const taskId = task.assignedTask!.taskId!;
  const file = options.stderr ? 'stderr' : 'stdout';
  const base = ctx.baseUrl(client);
  const timeoutMs = (ctx.globals.timeout ?? 30) * 1000;
  let offset = 0;

  const read = async (): Promise<number> => {
    const url = `${base}/sandbox/${encodeURIComponent(taskId)}/${file}?offset=${offset}`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]) });
    } catch (err) {
      const name = (err as Error).name;
      throw new CliFailure(`cannot read ${file} of ${taskId}: ${name === 'TimeoutError' ? 'timed out' : (err as Error).message}`, ExitCode.UNREACHABLE);
    }
    if (response.status === 404) {
      const body = (await response.text()).trim();
      throw new CliFailure(
        body.startsWith('no ') || body.startsWith('unknown task')
          ? `${file} of task ${taskId} is not available (${body})`
          : `the scheduler at ${base} serves no sandbox files; task logs work with the aurora-ts local scheduler`,
      );
    }
    if (!response.ok) throw new CliFailure(`cannot read ${file} of ${taskId}: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > 0) ctx.io.raw(bytes);
    offset += bytes.length;
    return bytes.length;
  };

  await read();
  if (!options.follow) return ExitCode.OK;
  let lastCheck = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
    if (ctx.signal.aborted) return ExitCode.INTERRUPTED;
    const got = await read();
    if (got === 0 && Date.now() - lastCheck > 1000) {
      lastCheck = Date.now();
      task = (await jobTasks(client, key, { instances: [instance] })).find((t) => t.assignedTask?.taskId === taskId);
      if (!task || !ACTIVE_STATES.has(task.status!)) {
        await read();
        return ExitCode.OK;
      }
    }
  }
}
