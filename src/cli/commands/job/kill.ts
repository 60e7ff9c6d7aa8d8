/** `aurora-ts job kill KEY/INSTANCES`: killTasks for some instances, optionally waiting until they are gone. */
import type { CliContext } from '../../context.js';
import { CliFailure, UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { formatInstances, formatJobKey, parseJobKey, thriftJobKey, type JobKeySpec } from '../../jobkey.js';
import { jobTasks, waitForInstances } from '../../tasks.js';
import type { VerbInput } from '../../spec.js';
import type { KILL } from './index.js';

/** How {@link kill} kills: the flags `job kill` and `job killall` share. */
export interface KillOptions {
  message?: string;
  wait?: boolean;
  /** Seconds (with --batch-size: for each batch). */
  waitTimeout?: number;
  /** Aurora's batched kill: this many instances at a time, each batch waited for. */
  batchSize?: number;
  /** With batchSize: batches not killed in time to tolerate before giving up (Aurora's default 0). */
  maxTotalFailures?: number;
}

// Aurora's JobMonitor caps a batch's wait at its maximum poll interval, 150 s.
const DEFAULT_BATCH_WAIT_MS = 150_000;

export async function run(ctx: CliContext, options: VerbInput<typeof KILL>): Promise<number> {
  const key = parseJobKey(options.key, 'optional');
  if (key.instances === undefined) {
    throw new UsageError(`job key ${JSON.stringify(options.key)}: name the instances to kill, e.g. ${options.key}/0-2`, `use "aurora-ts job killall ${options.key}" to kill every instance`);
  }
  return kill(ctx, key, options);
}

/** Kills `key.instances`, or the whole job when the key has none. */
export async function kill(ctx: CliContext, key: JobKeySpec, options: KillOptions): Promise<number> {
  if (options.maxTotalFailures !== undefined && options.batchSize === undefined) {
    throw new UsageError('--max-total-failures counts failed batches', 'add --batch-size N');
  }
  if (options.batchSize !== undefined) return killInBatches(ctx, key, options, options.batchSize);
  const { io } = ctx;
  const client = await ctx.client(key.cluster);
  const reply = await client.killTasks(thriftJobKey(key), key.instances ?? [], options.message ?? '');
  const label = formatJobKey(key);
  const nothing = reply.$response.details.some((d) => /no tasks to kill/i.test(d));
  for (const detail of reply.$response.details) io.warn(detail);
  io.out(nothing ? `Nothing to kill in ${label}.` : `Kill requested for ${io.style('bold', label)}.`);
  let ok = true;
  let states: Record<string, number> | undefined;
  if (options.wait && !nothing) {
    const result = await waitForInstances(ctx, client, key, {
      target: 'KILLED',
      timeoutMs: options.waitTimeout === undefined ? undefined : options.waitTimeout * 1000,
    });
    ok = result.ok;
    states = result.counts;
  }
  if (io.json) io.data({ job: label, instances: key.instances ?? null, killed: !nothing, ...(states ? { states } : {}) });
  return ok ? ExitCode.OK : ExitCode.FAILURE;
}

/**
 * Aurora's `kill_in_batches`: the active instances (of those named) in batches of `size`, lowest
 * first; each batch is killed and waited for until its tasks end. A batch still active after the wait
 * is a failure; more than `maxTotalFailures` of them stops the kill (exit 1), and any at all make it
 * exit 1 at the end.
 */
async function killInBatches(ctx: CliContext, key: JobKeySpec, options: KillOptions, size: number): Promise<number> {
  const { io } = ctx;
  const client = await ctx.client(key.cluster);
  const label = formatJobKey(key);
  const named = key.instances === undefined ? undefined : new Set(key.instances);
  const active = [...new Set((await jobTasks(client, key, { activeOnly: true })).map((t) => t.assignedTask?.instanceId ?? 0))]
    .filter((id) => named === undefined || named.has(id))
    .sort((a, b) => a - b);
  if (active.length === 0) {
    io.out(`Nothing to kill in ${label}.`);
    if (io.json) io.data({ job: label, instances: key.instances ?? null, killed: false, batches: [], failedBatches: [] });
    return ExitCode.OK;
  }
  const batches: number[][] = [];
  for (let i = 0; i < active.length; i += size) batches.push(active.slice(i, i + size));
  const allowed = options.maxTotalFailures ?? 0;
  const failed: number[][] = [];
  const timeoutMs = options.waitTimeout === undefined ? DEFAULT_BATCH_WAIT_MS : options.waitTimeout * 1000;
  for (const batch of batches) {
    const reply = await client.killTasks(thriftJobKey(key), batch, options.message ?? '');
    for (const detail of reply.$response.details) if (!/no tasks to kill/i.test(detail)) io.warn(detail);
    const batchKey = { ...key, instances: batch };
    try {
      await waitForInstances(ctx, client, batchKey, { target: 'KILLED', timeoutMs });
      io.out(`Killed instances ${formatInstances(batch)} of ${io.style('bold', label)}.`);
    } catch (err) {
      if (!(err instanceof CliFailure)) throw err;
      failed.push(batch);
      io.warn(`instances ${formatInstances(batch)} of ${label} were not killed within ${timeoutMs / 1000} s`);
      if (failed.length > allowed) {
        if (io.json) io.data({ job: label, instances: key.instances ?? null, killed: false, batches, failedBatches: failed });
        throw new CliFailure(`gave up killing ${label}: ${failed.length} batch${failed.length === 1 ? '' : 'es'} not killed in time, more than --max-total-failures ${allowed}`);
      }
    }
  }
  if (io.json) io.data({ job: label, instances: key.instances ?? null, killed: true, batches, failedBatches: failed });
  if (failed.length === 0) return ExitCode.OK;
  io.error(`killing ${label}: ${failed.length} batch${failed.length === 1 ? '' : 'es'} not killed in time (${failed.map((b) => formatInstances(b)).join('; ')})`);
  return ExitCode.FAILURE;
}
