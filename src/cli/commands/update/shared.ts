/**
 * What the `aurora-ts update ...` verbs share: finding the update a command acts on (the job's
 * active update unless `--id` names one), and waiting for one to end.
 */
import {
  ACTIVE_JOB_UPDATE_STATES,
  JobUpdateAction,
  JobUpdateStatus,
  type JobUpdateDetails,
  type JobUpdateKey,
  type JobUpdateSettings,
} from '../../../gen/types.js';
import type { AuroraClient } from '../../../client/client.js';
import { AuroraResponseError } from '../../../client/errors.js';
import { AuroraError } from '../../../errors.js';
import type { CliContext } from '../../context.js';
import { CliFailure, UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { formatInstances, formatJobKey, parseJobKey, thriftJobKey, type JobKeySpec } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { INFO, PAUSE } from './index.js';

// An update ends in one of these; ROLLED_FORWARD is the only success.
export const TERMINAL = new Set([JobUpdateStatus.ROLLED_FORWARD, JobUpdateStatus.ROLLED_BACK, JobUpdateStatus.ABORTED, JobUpdateStatus.ERROR, JobUpdateStatus.FAILED]);

export const statusName = (s: JobUpdateStatus | undefined) => (s === undefined ? '?' : (JobUpdateStatus[s] ?? String(s)));

/** `--id`, or the id after the key; both only when they agree. */
export function updateIdOf(options: Pick<VerbInput<typeof INFO>, 'id' | 'updateId'>): string | undefined {
  if (options.id !== undefined && options.updateId !== undefined && options.id !== options.updateId) {
    throw new UsageError(`two update ids: ${options.updateId} after the key and --id ${options.id}`, 'give one');
  }
  return options.updateId ?? options.id;
}

/**
 * The update `id` names: the id itself, or the one update of the job whose id starts with it (tables
 * show the first 8 characters of an id, as git shows commits).
 */
async function namedUpdate(client: AuroraClient, key: JobKeySpec, id: string): Promise<JobUpdateKey> {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return { job: thriftJobKey(key), id };
  const result = await client.getJobUpdateSummaries({ jobKey: thriftJobKey(key) });
  const ids = (result.updateSummaries ?? []).map((s) => s.key?.id ?? '');
  if (ids.includes(id)) return { job: thriftJobKey(key), id };
  const matches = ids.filter((candidate) => candidate.startsWith(id));
  if (matches.length > 1) throw new UsageError(`update id ${id} is ambiguous for ${formatJobKey(key)}: ${matches.join(', ')}`, 'give more characters');
  if (matches.length === 0) throw new CliFailure(`job ${formatJobKey(key)} has no update ${id}`);
  return { job: thriftJobKey(key), id: matches[0]! };
}

/** The update `--id` names, else the job's active one. */
export async function findUpdate(client: AuroraClient, key: JobKeySpec, id: string | undefined): Promise<JobUpdateKey> {
  if (id !== undefined) return namedUpdate(client, key, id);
  const result = await client.getJobUpdateSummaries({ jobKey: thriftJobKey(key), updateStatuses: [...ACTIVE_JOB_UPDATE_STATES] });
  const summary = (result.updateSummaries ?? [])[0];
  if (!summary?.key) throw new CliFailure(`job ${formatJobKey(key)} has no active update (name one with --id)`);
  return summary.key;
}

type Control = 'pauseJobUpdate' | 'resumeJobUpdate' | 'abortJobUpdate' | 'rollbackJobUpdate';

export function control(method: Control, past: string) {
  return async (ctx: CliContext, options: VerbInput<typeof PAUSE>): Promise<number> => {
    const key = parseJobKey(options.key);
    const client = await ctx.client(key.cluster);
    const updateKey = await findUpdate(client, key, options.id);
    const reply = await client[method](updateKey, options.message ?? '');
    for (const detail of reply.$response.details) ctx.io.warn(detail);
    ctx.io.out(`${past} update ${updateKey.id} of ${formatJobKey(key)}.`);
    if (ctx.io.json) ctx.io.data({ job: formatJobKey(key), id: updateKey.id, action: method.replace('JobUpdate', '') });
    return ExitCode.OK;
  };
}

/** `--id`, else the active update, else the most recent one. */
export async function findUpdateAny(client: AuroraClient, key: JobKeySpec, id: string | undefined): Promise<JobUpdateKey> {
  if (id !== undefined) return namedUpdate(client, key, id);
  const result = await client.getJobUpdateSummaries({ jobKey: thriftJobKey(key) });
  const summaries = [...(result.updateSummaries ?? [])].sort((a, b) => (b.state?.createdTimestampMs ?? 0) - (a.state?.createdTimestampMs ?? 0));
  const active = summaries.find((s) => s.state?.status !== undefined && ACTIVE_JOB_UPDATE_STATES.has(s.state.status));
  const chosen = active ?? summaries[0];
  if (!chosen?.key) throw new CliFailure(`job ${formatJobKey(key)} has no updates`);
  return chosen.key;
}

/** The exit status of a waited-for update; one that did not roll forward ends with an `aurora-ts:` line saying how it ended. */
export function updateEnd(ctx: CliContext, label: string, view: UpdateView): number {
  if (view.status === JobUpdateStatus.ROLLED_FORWARD) return ExitCode.OK;
  ctx.io.error(`${label} ended ${view.statusName}${view.message ? `: ${view.message}` : ''}`);
  return ExitCode.FAILURE;
}

/** How a waited-for update ended, for --json. */
export function endOf(view: UpdateView): Record<string, unknown> {
  return { status: view.statusName, instances: view.total, done: view.done, ...(view.message ? { message: view.message } : {}) };
}

/** What one look at an update shows: its status, and how far it got. */
export interface UpdateView {
  status: JobUpdateStatus | undefined;
  statusName: string;
  /** Instances the update touches (added, changed or removed). */
  total: number;
  /** Instances whose latest event is INSTANCE_UPDATED (forward) or INSTANCE_ROLLED_BACK (rolling back). */
  done: number[];
  rollingBack: boolean;
  /** For batch and variable-batch strategies: the batch in progress and how many there are. */
  batch?: { current: number; count: number };
  /** The latest message among the update's events, e.g. "Latest failure: instance 1 exited." */
  message?: string;
}

const ROLLING_BACK = new Set([JobUpdateStatus.ROLLING_BACK, JobUpdateStatus.ROLL_BACK_PAUSED, JobUpdateStatus.ROLL_BACK_AWAITING_PULSE, JobUpdateStatus.ROLLED_BACK]);

export function viewOf(details: JobUpdateDetails | undefined): UpdateView {
  const status = details?.update?.summary?.state?.status;
  const instructions = details?.update?.instructions;
  const ids = new Set<number>();
  const add = (ranges: readonly { first?: number; last?: number }[] | undefined) => {
    for (const r of ranges ?? []) for (let i = r.first ?? 0; i <= (r.last ?? -1); i++) ids.add(i);
  };
  add(instructions?.desiredState?.instances);
  for (const group of instructions?.initialState ?? []) add(group.instances);
  const latest = new Map<number, JobUpdateAction>();
  for (const e of [...(details?.instanceEvents ?? [])].sort((a, b) => (a.timestampMs ?? 0) - (b.timestampMs ?? 0))) {
    if (e.instanceId !== undefined && e.action !== undefined) latest.set(e.instanceId, e.action);
  }
  const rollingBack = status !== undefined && ROLLING_BACK.has(status);
  const doneAction = rollingBack ? JobUpdateAction.INSTANCE_ROLLED_BACK : JobUpdateAction.INSTANCE_UPDATED;
  const done = [...latest].filter(([, action]) => action === doneAction).map(([id]) => id).sort((a, b) => a - b);
  // Rolling back touches only the instances the update had reached.
  const total = rollingBack ? [...latest.keys()].length : ids.size;
  const view: UpdateView = { status, statusName: statusName(status), total, done, rollingBack };
  const sizes = batchSizes(instructions?.settings);
  if (sizes && !rollingBack && total > 0) view.batch = batchPosition(sizes, total, done.length);
  const message = [...(details?.updateEvents ?? [])].reverse().find((e) => e.message)?.message;
  if (message) view.message = message;
  return view;
}

/** Group sizes of a batch-wise strategy (the last one repeats); undefined for the queue strategy. */
function batchSizes(settings: JobUpdateSettings | undefined): number[] | undefined {
  const strategy = settings?.updateStrategy;
  if (strategy?.batchStrategy) return [strategy.batchStrategy.groupSize ?? 1];
  if (strategy?.varBatchStrategy?.groupSizes?.length) return [...strategy.varBatchStrategy.groupSizes];
  if (!strategy && settings?.waitForBatchCompletion) return [settings.updateGroupSize ?? 1];
  return undefined;
}

function batchPosition(sizes: number[], total: number, done: number): { current: number; count: number } {
  const ends: number[] = [];
  for (let end = 0, i = 0; end < total; i++) {
    end += Math.max(1, sizes[Math.min(i, sizes.length - 1)]!);
    ends.push(Math.min(end, total));
  }
  const current = Math.min(ends.length, ends.findIndex((end) => done < end) + 1 || ends.length);
  return { current, count: ends.length };
}

/** `ROLLING_FORWARD: batch 2/2, 2/4 instances updated (0-1)` */
export function describeView(view: UpdateView): string {
  const parts: string[] = [];
  if (view.batch) parts.push(`batch ${view.batch.current}/${view.batch.count}`);
  const verb = view.rollingBack ? 'rolled back' : 'updated';
  parts.push(`${view.done.length}/${view.total} instance${view.total === 1 ? '' : 's'} ${verb}${view.done.length > 0 ? ` (${formatInstances(view.done)})` : ''}`);
  return `${view.statusName}: ${parts.join(', ')}`;
}

/** Waits (the SDK's waitForUpdate) until the update ends, showing its status, batch and instances done; a timeout is exit 1. */
export async function waitForUpdate(ctx: CliContext, client: AuroraClient, key: JobKeySpec, updateKey: JobUpdateKey, timeoutSecs?: number): Promise<UpdateView> {
  const waiters = await import('../../../waiters/index.js');
  const label = `update ${updateKey.id} of ${formatJobKey(key)}`;
  const progress = await ctx.io.progress(`waiting for ${label}...`);
  let last: UpdateView | undefined;
  try {
    await waiters.waitForUpdate(client, updateKey, {
      timeoutMs: timeoutSecs === undefined ? 365 * 24 * 3600_000 : timeoutSecs * 1000,
      intervalMs: 500,
      maxIntervalMs: 2000,
      signal: ctx.signal,
      onProgress: (p) => {
        last = viewOf(p.details);
        // The final state is shown once, by succeed/fail below.
        if (last.status === undefined || !TERMINAL.has(last.status)) progress.update(`${label}: ${describeView(last)}`);
      },
    });
    const view = last!;
    const text = `${label}: ${describeView(view)}${view.status !== JobUpdateStatus.ROLLED_FORWARD && view.message ? ` (${view.message})` : ''}`;
    if (view.status === JobUpdateStatus.ROLLED_FORWARD) progress.succeed(text);
    else progress.fail(text);
    return view;
  } catch (err) {
    progress.stop();
    if (err instanceof waiters.AuroraWaitTimeoutError) throw new CliFailure(`gave up waiting for ${label} after ${timeoutSecs} s: ${last ? describeView(last) : 'no answer yet'}`);
    // A scheduler that does not know the update (e.g. a new leader with its own state) never will.
    if (last === undefined && err instanceof AuroraError && err.kind === 'response' && !(err instanceof AuroraResponseError)) {
      throw new CliFailure(`${label} is not known to the scheduler at ${client.url.replace(/\/api$/, '')}`);
    }
    throw err;
  } finally {
    progress.stop();
  }
}
