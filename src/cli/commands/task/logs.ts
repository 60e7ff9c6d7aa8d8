/**
 * `aurora-ts task logs KEY/INSTANCE [--process NAME] [--file stdout|stderr|PATH] [--follow]`: a file of
 * the instance's current (or latest) task, read from the local scheduler's sandbox endpoint
 * `GET <scheduler>/sandbox/<taskId>/<file>?offset=N`. Without `--process` that is the sandbox's
 * stdout/stderr (for a Thermos task, the Thermos runner's own log) or any sandbox file; with it, a
 * Thermos process's own `.logs/<process>/<run>/stdout|stderr`, of its latest run. `--follow` keeps
 * reading from the last offset until the task ends, and moves on to a process's next run (Thermos
 * starts a new log directory each time it restarts a process) as soon as that appears.
 */
import { ACTIVE_STATES } from '../../../gen/types.js';
import type { CliContext } from '../../context.js';
import { CliFailure, UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { formatJobKey, parseJobKey } from '../../jobkey.js';
import { currentTasks, jobTasks } from '../../tasks.js';

export interface LogsOptions {
  key: string;
  /** A Thermos process of the task: read its own logs. */
  process?: string;
  /** stdout, stderr, or (without --process) a path in the sandbox. */
  file?: string;
  /** Same as `--file stderr` (kept from before --file). */
  stderr?: boolean;
  follow?: boolean;
  /** Poll interval for --follow (default 500 ms). */
  pollMs?: number;
}

type Fetched = { status: 'ok'; bytes: Uint8Array } | { status: 'missing'; why: string };

export async function run(ctx: CliContext, options: LogsOptions): Promise<number> {
  const key = parseJobKey(options.key, 'required');
  if (key.instances!.length !== 1) {
    throw new UsageError(`job key ${JSON.stringify(options.key)}: name exactly one instance, e.g. ${formatJobKey({ ...key, instances: undefined })}/0`);
  }
  if (options.stderr && options.file !== undefined && options.file !== 'stderr') throw new UsageError(`--stderr and --file ${options.file} name different files`, 'give one');
  const name = options.file ?? (options.stderr ? 'stderr' : 'stdout');
  const stream = name === 'stdout' || name === 'stderr';
  if (options.process !== undefined) {
    if (!stream) throw new UsageError(`--file ${name}: with --process, --file is stdout or stderr (a process's own logs)`);
    if (!/^[\w.-]+$/.test(options.process)) throw new UsageError(`--process ${JSON.stringify(options.process)}: a Thermos process name holds letters, digits, _ . -`);
  }
  const instance = key.instances![0]!;
  const client = await ctx.client(key.cluster);
  const task = currentTasks(await jobTasks(client, key, { instances: [instance] })).get(instance);
  if (!task) throw new CliFailure(`no task found for ${formatJobKey(key)}`);
  const taskId = task.assignedTask!.taskId!;
  const base = ctx.baseUrl(client);
  const timeoutMs = (ctx.globals.timeout ?? 30) * 1000;

  const get = async (file: string, offset: number): Promise<Fetched> => {
    const url = `${base}/sandbox/${encodeURIComponent(taskId)}/${file.split('/').map(encodeURIComponent).join('/')}?offset=${offset}`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]) });
    } catch (err) {
      const why = (err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message;
      throw new CliFailure(`cannot read ${file} of ${taskId}: ${why}`, ExitCode.UNREACHABLE);
    }
    if (response.status === 404) {
      const body = (await response.text()).trim();
      if (body.startsWith('no ') || body.startsWith('unknown task')) return { status: 'missing', why: body };
      throw new CliFailure(`the scheduler at ${base} serves no sandbox files; task logs work with the aurora-ts local scheduler`);
    }
    if (response.status === 400) throw new UsageError(`--file ${name}: ${(await response.text()).trim()}`);
    if (!response.ok) throw new CliFailure(`cannot read ${file} of ${taskId}: HTTP ${response.status}`);
    return { status: 'ok', bytes: new Uint8Array(await response.arrayBuffer()) };
  };

  // A process's runs are numbered from 0 without gaps: the latest is the last one that exists.
  const runFile = (n: number) => `.logs/${options.process}/${n}/${name}`;
  let run = 0;
  let file = name;
  if (options.process !== undefined) {
    if ((await get(runFile(0), 0)).status === 'missing') {
      throw new CliFailure(`task ${taskId} has no logs of a process ${JSON.stringify(options.process)} (yet): is it a Thermos task with that process?`);
    }
    while ((await get(runFile(run + 1), 0)).status === 'ok') run++;
    file = runFile(run);
  }
  let offset = 0;
  const read = async (): Promise<number> => {
    const got = await get(file, offset);
    if (got.status === 'missing') throw new CliFailure(`${file} of task ${taskId} is not available (${got.why})`);
    if (got.bytes.length > 0) ctx.io.raw(got.bytes);
    offset += got.bytes.length;
    return got.bytes.length;
  };

  await read();
  if (!options.follow) return ExitCode.OK;
  let lastCheck = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
    if (ctx.signal.aborted) return ExitCode.INTERRUPTED;
    if ((await read()) > 0) continue;
    // The process was restarted: finish nothing more from this run (it has ended) and go on with the next.
    if (options.process !== undefined && (await get(runFile(run + 1), 0)).status === 'ok') {
      await read();
      run++;
      file = runFile(run);
      offset = 0;
      ctx.io.note(`--- ${options.process} run ${run} ---`);
      continue;
    }
    if (Date.now() - lastCheck > 1000) {
      lastCheck = Date.now();
      const now = (await jobTasks(client, key, { instances: [instance] })).find((t) => t.assignedTask?.taskId === taskId);
      if (!now || !ACTIVE_STATES.has(now.status!)) {
        await read();
        return ExitCode.OK;
      }
    }
  }
}
