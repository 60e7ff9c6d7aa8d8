/**
 * `aurora-ts update start|pause|resume|abort|rollback|pulse|list|info|wait`: thin calls to Aurora's
 * job update RPCs. Commands on a running update find it by job key (the job's active update) unless
 * `--id` names one.
 */
import {
  ACTIVE_JOB_UPDATE_STATES,
  JobUpdateAction,
  JobUpdatePulseStatus,
  JobUpdateStatus,
  type JobUpdateDetails,
  type JobUpdateKey,
  type JobUpdateQuery,
  type JobUpdateSettings,
  type JobUpdateSummary,
} from '../../gen/types.js';
import type { AuroraClient } from '../../client/client.js';
import { AuroraResponseError } from '../../client/errors.js';
import { AuroraError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { CliFailure, UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { toRanges } from '../../update/ranges.js';
import { loadJob } from '../jobfile.js';
import { startJobUpdate } from '../writes.js';
import { formatAge, shortUpdateId } from '../tasks.js';
import { formatInstances, formatJobKey, parseClusterRole, parseInstances, parseJobKey, thriftJobKey, type JobKeySpec } from '../jobkey.js';

// An update ends in one of these; ROLLED_FORWARD is the only success.
const TERMINAL = new Set([JobUpdateStatus.ROLLED_FORWARD, JobUpdateStatus.ROLLED_BACK, JobUpdateStatus.ABORTED, JobUpdateStatus.ERROR, JobUpdateStatus.FAILED]);

const statusName = (s: JobUpdateStatus | undefined) => (s === undefined ? '?' : (JobUpdateStatus[s] ?? String(s)));

export interface StartOptions {
  file: string;
  /** Aurora's `KEY[/INSTANCES] FILE` form: the file's job key; instances as --instances. */
  key?: string;
  cluster?: string;
  message?: string;
  /** Only these instances, e.g. `0-2`. */
  instances?: string;
  wait?: boolean;
  waitTimeout?: number;
}

export async function start(ctx: CliContext, options: StartOptions): Promise<number> {
  const { io } = ctx;
  const job = await loadJob(ctx, options.file, options.cluster, 'update', { key: options.key, instances: 'optional' });
  if (job.config.cronSchedule) throw new UsageError(`${options.file}: cron jobs are not updated; use "aurora-ts cron schedule ${options.file}"`);
  const { jobFileToUpdateSettings } = await import('../../job/index.js');
  const settings = job.update ?? jobFileToUpdateSettings(job.file);
  if (options.instances !== undefined && job.instances !== undefined) {
    throw new UsageError(`instances twice: in the job key ${options.key} and in --instances ${options.instances}`, 'give them once');
  }
  const only = options.instances !== undefined ? parseInstances(options.instances, '--instances') : job.instances;
  if (only !== undefined) settings.updateOnlyTheseInstances = toRanges(only);
  const client = await ctx.client(job.cluster);
  const result = await startJobUpdate(ctx, client, { taskConfig: job.config.taskConfig, instanceCount: job.config.instanceCount, settings }, options.message ?? '');
  const label = formatJobKey(job.key);
  const updateKey = result.key;
  if (!updateKey?.id) {
    // "Job is unchanged by proposed update." comes back OK without a key.
    if (io.json) io.data({ job: label, started: false });
    else io.out(`No update started for ${label}: nothing changed.`);
    return ExitCode.OK;
  }
  io.out(`Started update ${io.style('bold', updateKey.id)} of ${label}.`);
  const view = options.wait ? await waitForUpdate(ctx, client, job.key, updateKey, options.waitTimeout) : undefined;
  if (io.json) io.data({ job: label, started: true, id: updateKey.id, ...(view ? endOf(view) : {}) });
  return view === undefined ? ExitCode.OK : updateEnd(ctx, `update ${updateKey.id} of ${label}`, view);
}


export interface KeyOptions {
  key: string;
  id?: string;
  /** The update id as Aurora's client takes it, after the key (`update info KEY ID`). */
  updateId?: string;
  message?: string;
}

/** `--id`, or the id after the key; both only when they agree. */
function updateIdOf(options: KeyOptions): string | undefined {
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
async function findUpdate(client: AuroraClient, key: JobKeySpec, id: string | undefined): Promise<JobUpdateKey> {
  if (id !== undefined) return namedUpdate(client, key, id);
  const result = await client.getJobUpdateSummaries({ jobKey: thriftJobKey(key), updateStatuses: [...ACTIVE_JOB_UPDATE_STATES] });
  const summary = (result.updateSummaries ?? [])[0];
  if (!summary?.key) throw new CliFailure(`job ${formatJobKey(key)} has no active update (name one with --id)`);
  return summary.key;
}

type Control = 'pauseJobUpdate' | 'resumeJobUpdate' | 'abortJobUpdate' | 'rollbackJobUpdate';

function control(method: Control, past: string) {
  return async (ctx: CliContext, options: KeyOptions): Promise<number> => {
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

export const pause = control('pauseJobUpdate', 'Paused');
export const resume = control('resumeJobUpdate', 'Resumed');
export const abort = control('abortJobUpdate', 'Aborted');
export const rollback = control('rollbackJobUpdate', 'Rolling back');

export async function pulse(ctx: CliContext, options: KeyOptions): Promise<number> {
  const key = parseJobKey(options.key);
  const client = await ctx.client(key.cluster);
  const updateKey = await findUpdate(client, key, options.id);
  const result = await client.pulseJobUpdate(updateKey);
  const status = result.status === undefined ? '?' : (JobUpdatePulseStatus[result.status] ?? String(result.status));
  if (ctx.io.json) ctx.io.data({ job: formatJobKey(key), id: updateKey.id, pulse: status });
  else ctx.io.out(`Pulsed update ${updateKey.id} of ${formatJobKey(key)}: ${status}.`);
  return ExitCode.OK;
}

export interface ListOptions {
  /** CLUSTER, CLUSTER/ROLE or a job key. */
  target: string;
  active?: boolean;
  /** Aurora's `--status`: statuses or groups (active, blocked, failed, inactive, paused, succeeded, all); any matches. */
  status?: string[];
  /** Only updates this user started. */
  user?: string;
}

const ALL_UPDATE_STATUSES = Object.values(JobUpdateStatus).filter((v): v is JobUpdateStatus => typeof v === 'number');

// Aurora's `update list --status` groups (client/cli/update.py), besides every status by name.
const STATUS_GROUPS: Record<string, readonly JobUpdateStatus[]> = {
  active: [...ACTIVE_JOB_UPDATE_STATES],
  all: ALL_UPDATE_STATUSES,
  blocked: [JobUpdateStatus.ROLL_FORWARD_AWAITING_PULSE, JobUpdateStatus.ROLL_BACK_AWAITING_PULSE],
  failed: [JobUpdateStatus.ERROR, JobUpdateStatus.FAILED, JobUpdateStatus.ROLLED_BACK],
  inactive: ALL_UPDATE_STATUSES.filter((s) => !ACTIVE_JOB_UPDATE_STATES.has(s)),
  paused: [JobUpdateStatus.ROLL_FORWARD_PAUSED, JobUpdateStatus.ROLL_BACK_PAUSED],
  succeeded: [JobUpdateStatus.ROLLED_FORWARD],
};

/** The statuses `--status` values (and `--active`) name; undefined for no filter. */
function statusFilter(options: ListOptions): JobUpdateStatus[] | undefined {
  const names = [...(options.status ?? []), ...(options.active ? ['active'] : [])];
  if (names.length === 0) return undefined;
  const out = new Set<JobUpdateStatus>();
  for (const name of names) {
    const group = STATUS_GROUPS[name.toLowerCase()];
    const single = JobUpdateStatus[name.toUpperCase() as keyof typeof JobUpdateStatus] as JobUpdateStatus | undefined;
    if (group) group.forEach((s) => out.add(s));
    else if (typeof single === 'number') out.add(single);
    else {
      throw new UsageError(
        `--status ${JSON.stringify(name)}: expected one of ${Object.keys(STATUS_GROUPS).join(', ')} or a status (${ALL_UPDATE_STATUSES.map((s) => JobUpdateStatus[s]).join(', ')})`,
      );
    }
  }
  return [...out];
}

export async function list(ctx: CliContext, options: ListOptions): Promise<number> {
  const { io } = ctx;
  const parts = options.target.split('/');
  let cluster: string;
  const query: JobUpdateQuery = {};
  if (parts.length >= 4) {
    const key = parseJobKey(options.target);
    cluster = key.cluster;
    query.jobKey = thriftJobKey(key);
  } else {
    const parsed = parseClusterRole(options.target);
    cluster = parsed.cluster;
    if (parsed.role !== undefined) query.role = parsed.role;
  }
  const statuses = statusFilter(options);
  if (statuses !== undefined) query.updateStatuses = statuses;
  if (options.user !== undefined) query.user = options.user;
  const client = await ctx.client(cluster);
  const result = await client.getJobUpdateSummaries(query);
  const rows = (result.updateSummaries ?? []).map((s) => summaryRow(cluster, s));
  if (io.json) {
    io.data({ updates: rows });
    return ExitCode.OK;
  }
  if (rows.length === 0) {
    io.out('No updates.');
    return ExitCode.OK;
  }
  const now = Date.now();
  io.table(rows, [
    { header: 'JOB', value: (r) => r.job, shrink: 'start' },
    { header: 'ID', value: (r) => shortUpdateId(r.id), wide: (r) => r.id },
    { header: 'STATUS', value: (r) => r.status },
    { header: 'USER', value: (r) => r.user, shrink: true },
    { header: 'CREATED', value: (r) => (r.createdMs ? `${formatAge(r.createdMs, now)} ago` : '-'), wide: (r) => (r.createdMs ? new Date(r.createdMs).toISOString() : '-') },
  ]);
  return ExitCode.OK;
}

function summaryRow(cluster: string, s: JobUpdateSummary) {
  const job = s.key?.job;
  return {
    job: `${cluster}/${job?.role}/${job?.environment}/${job?.name}`,
    id: s.key?.id ?? '',
    status: statusName(s.state?.status),
    user: s.user ?? '',
    createdMs: s.state?.createdTimestampMs ?? null,
    lastModifiedMs: s.state?.lastModifiedTimestampMs ?? null,
  };
}

export async function info(ctx: CliContext, options: KeyOptions): Promise<number> {
  const { io } = ctx;
  const key = parseJobKey(options.key);
  const client = await ctx.client(key.cluster);
  const updateKey = await findUpdateAny(client, key, updateIdOf(options));
  const result = await client.getJobUpdateDetails(updateKey, { key: updateKey });
  const details = result.details ?? result.detailsList?.[0];
  if (!details) throw new CliFailure(`update ${updateKey.id} of ${formatJobKey(key)} not found`);
  const d = describeDetails(details);
  const view = viewOf(details);
  if (io.json) {
    io.data({ job: formatJobKey(key), id: updateKey.id, status: d.status, user: d.user, instances: view.total, done: view.done, events: d.events, instanceEvents: d.instanceEvents });
    return ExitCode.OK;
  }
  io.out(`Update ${io.style('bold', updateKey.id ?? '?')} of ${formatJobKey(key)}${d.user ? ` by ${d.user}` : ''}`);
  io.out(`  ${describeView(view)}`);
  io.out('Events:');
  for (const e of d.events) io.out(`  ${when(e.timestampMs)}  ${e.status}${e.message ? `  ${e.message}` : ''}`);
  if (d.instanceEvents.length > 0) {
    io.out('Instance events:');
    for (const e of d.instanceEvents) io.out(`  ${when(e.timestampMs)}  instance ${e.instanceId}  ${e.action}`);
  }
  return ExitCode.OK;
}

const when = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());

/** `--id`, else the active update, else the most recent one. */
async function findUpdateAny(client: AuroraClient, key: JobKeySpec, id: string | undefined): Promise<JobUpdateKey> {
  if (id !== undefined) return namedUpdate(client, key, id);
  const result = await client.getJobUpdateSummaries({ jobKey: thriftJobKey(key) });
  const summaries = [...(result.updateSummaries ?? [])].sort((a, b) => (b.state?.createdTimestampMs ?? 0) - (a.state?.createdTimestampMs ?? 0));
  const active = summaries.find((s) => s.state?.status !== undefined && ACTIVE_JOB_UPDATE_STATES.has(s.state.status));
  const chosen = active ?? summaries[0];
  if (!chosen?.key) throw new CliFailure(`job ${formatJobKey(key)} has no updates`);
  return chosen.key;
}

function describeDetails(details: JobUpdateDetails) {
  const events = (details.updateEvents ?? []).map((e) => ({ status: statusName(e.status), timestampMs: e.timestampMs, user: e.user ?? null, message: e.message || null }));
  const instanceEvents = (details.instanceEvents ?? []).map((e) => ({
    instanceId: e.instanceId,
    action: e.action === undefined ? '?' : (JobUpdateAction[e.action] ?? String(e.action)),
    timestampMs: e.timestampMs,
  }));
  return { status: statusName(details.update?.summary?.state?.status), user: details.update?.summary?.user ?? null, events, instanceEvents };
}

export async function wait(ctx: CliContext, options: KeyOptions & { waitTimeout?: number }): Promise<number> {
  const key = parseJobKey(options.key);
  const client = await ctx.client(key.cluster);
  const updateKey = await findUpdateAny(client, key, updateIdOf(options));
  const view = await waitForUpdate(ctx, client, key, updateKey, options.waitTimeout);
  if (ctx.io.json) ctx.io.data({ job: formatJobKey(key), id: updateKey.id, ...endOf(view) });
  return updateEnd(ctx, `update ${updateKey.id} of ${formatJobKey(key)}`, view);
}

/** The exit status of a waited-for update; one that did not roll forward ends with an `aurora-ts:` line saying how it ended. */
function updateEnd(ctx: CliContext, label: string, view: UpdateView): number {
  if (view.status === JobUpdateStatus.ROLLED_FORWARD) return ExitCode.OK;
  ctx.io.error(`${label} ended ${view.statusName}${view.message ? `: ${view.message}` : ''}`);
  return ExitCode.FAILURE;
}

/** How a waited-for update ended, for --json. */
function endOf(view: UpdateView): Record<string, unknown> {
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
async function waitForUpdate(ctx: CliContext, client: AuroraClient, key: JobKeySpec, updateKey: JobUpdateKey, timeoutSecs?: number): Promise<UpdateView> {
  const waiters = await import('../../waiters/index.js');
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
