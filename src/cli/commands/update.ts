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
  type JobUpdateSummary,
} from '../../gen/types.js';
import type { AuroraClient } from '../../client/client.js';
import type { CliContext } from '../context.js';
import { CliFailure, UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { loadJob } from '../jobfile.js';
import { formatInstances, formatJobKey, parseClusterRole, parseInstances, parseJobKey, thriftJobKey, type JobKeySpec } from '../jobkey.js';

// An update ends in one of these; ROLLED_FORWARD is the only success.
const TERMINAL = new Set([JobUpdateStatus.ROLLED_FORWARD, JobUpdateStatus.ROLLED_BACK, JobUpdateStatus.ABORTED, JobUpdateStatus.ERROR, JobUpdateStatus.FAILED]);

const statusName = (s: JobUpdateStatus | undefined) => (s === undefined ? '?' : (JobUpdateStatus[s] ?? String(s)));

export interface StartOptions {
  file: string;
  cluster?: string;
  message?: string;
  /** Only these instances, e.g. `0-2`. */
  instances?: string;
  wait?: boolean;
  waitTimeout?: number;
}

export async function start(ctx: CliContext, options: StartOptions): Promise<number> {
  const { io } = ctx;
  const job = await loadJob(ctx, options.file, options.cluster);
  if (job.config.cronSchedule) throw new UsageError(`${options.file}: cron jobs are not updated; use "aurora-ts cron schedule ${options.file}"`);
  const { jobFileToUpdateSettings } = await import('../../job/index.js');
  const settings = job.update ?? jobFileToUpdateSettings(job.file);
  if (options.instances !== undefined) {
    const ids = parseInstances(options.instances, '--instances');
    settings.updateOnlyTheseInstances = toRanges(ids);
  }
  const client = await ctx.client(job.cluster);
  const result = await client.startJobUpdate({ taskConfig: job.config.taskConfig, instanceCount: job.config.instanceCount, settings }, options.message ?? '');
  for (const detail of result.$response.details) io.warn(detail);
  const label = formatJobKey(job.key);
  if (!result.key) {
    // "Job is unchanged by proposed update." comes back OK without a key.
    if (io.json) io.data({ job: label, started: false });
    else io.out(`No update started for ${label}: nothing changed.`);
    return ExitCode.OK;
  }
  io.out(`Started update ${io.style('bold', result.key.id ?? '?')} of ${label}.`);
  let status: JobUpdateStatus | undefined;
  if (options.wait) status = await waitForUpdate(ctx, client, job.key, result.key, options.waitTimeout);
  if (io.json) io.data({ job: label, started: true, id: result.key.id, ...(status === undefined ? {} : { status: statusName(status) }) });
  return status === undefined || status === JobUpdateStatus.ROLLED_FORWARD ? ExitCode.OK : ExitCode.FAILURE;
}

function toRanges(ids: readonly number[]): { first: number; last: number }[] {
  return formatInstances(ids)
    .split(',')
    .map((part) => {
      const [a, b] = part.split('-').map(Number) as [number, number | undefined];
      return { first: a, last: b ?? a };
    });
}

export interface KeyOptions {
  key: string;
  id?: string;
  message?: string;
}

/** The update `--id` names, else the job's active one. */
async function findUpdate(client: AuroraClient, key: JobKeySpec, id: string | undefined): Promise<JobUpdateKey> {
  if (id !== undefined) return { job: thriftJobKey(key), id };
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
  if (options.active) query.updateStatuses = [...ACTIVE_JOB_UPDATE_STATES];
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
  io.table(rows, [
    { header: 'JOB', value: (r) => r.job },
    { header: 'ID', value: (r) => r.id },
    { header: 'STATUS', value: (r) => r.status },
    { header: 'USER', value: (r) => r.user },
    { header: 'CREATED', value: (r) => (r.createdMs ? new Date(r.createdMs).toISOString() : '-') },
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
  const updateKey = await findUpdateAny(client, key, options.id);
  const result = await client.getJobUpdateDetails(updateKey, { key: updateKey });
  const details = result.details ?? result.detailsList?.[0];
  if (!details) throw new CliFailure(`update ${updateKey.id} of ${formatJobKey(key)} not found`);
  if (io.json) {
    io.data({ job: formatJobKey(key), id: updateKey.id, ...describeDetails(details) });
    return ExitCode.OK;
  }
  const d = describeDetails(details);
  io.out(`Update ${io.style('bold', updateKey.id ?? '?')} of ${formatJobKey(key)}: ${d.status}`);
  for (const e of d.events) io.out(`  ${new Date(e.timestampMs ?? 0).toISOString()}  ${e.status}${e.message ? `  ${e.message}` : ''}`);
  if (d.instanceEvents.length > 0) {
    io.out('Instance events:');
    for (const e of d.instanceEvents) io.out(`  ${new Date(e.timestampMs ?? 0).toISOString()}  instance ${e.instanceId}  ${e.action}`);
  }
  return ExitCode.OK;
}

/** `--id`, else the active update, else the most recent one. */
async function findUpdateAny(client: AuroraClient, key: JobKeySpec, id: string | undefined): Promise<JobUpdateKey> {
  if (id !== undefined) return { job: thriftJobKey(key), id };
  const result = await client.getJobUpdateSummaries({ jobKey: thriftJobKey(key) });
  const summaries = [...(result.updateSummaries ?? [])].sort((a, b) => (b.state?.createdTimestampMs ?? 0) - (a.state?.createdTimestampMs ?? 0));
  const active = summaries.find((s) => s.state?.status !== undefined && ACTIVE_JOB_UPDATE_STATES.has(s.state.status));
  const chosen = active ?? summaries[0];
  if (!chosen?.key) throw new CliFailure(`job ${formatJobKey(key)} has no updates`);
  return chosen.key;
}

function describeDetails(details: JobUpdateDetails) {
  const events = (details.updateEvents ?? []).map((e) => ({ status: statusName(e.status), timestampMs: e.timestampMs, user: e.user, message: e.message }));
  const instanceEvents = (details.instanceEvents ?? []).map((e) => ({
    instanceId: e.instanceId,
    action: e.action === undefined ? '?' : (JobUpdateAction[e.action] ?? String(e.action)),
    timestampMs: e.timestampMs,
  }));
  return { status: statusName(details.update?.summary?.state?.status), events, instanceEvents };
}

export async function wait(ctx: CliContext, options: KeyOptions & { waitTimeout?: number }): Promise<number> {
  const key = parseJobKey(options.key);
  const client = await ctx.client(key.cluster);
  const updateKey = await findUpdateAny(client, key, options.id);
  const status = await waitForUpdate(ctx, client, key, updateKey, options.waitTimeout);
  if (ctx.io.json) ctx.io.data({ job: formatJobKey(key), id: updateKey.id, status: statusName(status) });
  return status === JobUpdateStatus.ROLLED_FORWARD ? ExitCode.OK : ExitCode.FAILURE;
}

/** Polls the update until it ends, showing its status and how many instances are done. */
async function waitForUpdate(ctx: CliContext, client: AuroraClient, key: JobKeySpec, updateKey: JobUpdateKey, timeoutSecs?: number): Promise<JobUpdateStatus> {
  const label = `update ${updateKey.id} of ${formatJobKey(key)}`;
  const progress = await ctx.io.progress(`waiting for ${label}...`);
  const deadline = timeoutSecs === undefined ? Infinity : Date.now() + timeoutSecs * 1000;
  try {
    for (;;) {
      const result = await client.getJobUpdateDetails(updateKey, { key: updateKey });
      const details = result.details ?? result.detailsList?.[0];
      const status = details?.update?.summary?.state?.status;
      const done = new Set((details?.instanceEvents ?? []).filter((e) => e.action === JobUpdateAction.INSTANCE_UPDATED || e.action === JobUpdateAction.INSTANCE_ROLLED_BACK).map((e) => e.instanceId));
      const text = `${label}: ${statusName(status)} (${done.size} instance${done.size === 1 ? '' : 's'} done)`;
      if (status !== undefined && TERMINAL.has(status)) {
        if (status === JobUpdateStatus.ROLLED_FORWARD) progress.succeed(text);
        else progress.fail(text);
        return status;
      }
      progress.update(text);
      if (Date.now() > deadline) {
        progress.fail(text);
        throw new CliFailure(`gave up waiting for ${label}: ${statusName(status)}`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    progress.stop();
  }
}
