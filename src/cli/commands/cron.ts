/** `aurora-ts cron schedule|deschedule|start|show`: Aurora's cron job RPCs. */
import { CronCollisionPolicy } from '../../gen/types.js';
import type { CliContext } from '../context.js';
import { CliFailure, UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { loadJob } from '../jobfile.js';
import { formatJobKey, parseJobKey, thriftJobKey, type JobKeySpec } from '../jobkey.js';
import type { AuroraClient } from '../../client/client.js';

export interface ScheduleOptions {
  file: string;
  /** Aurora's `KEY FILE` form: the file's job key. */
  key?: string;
  cluster?: string;
}

export async function schedule(ctx: CliContext, options: ScheduleOptions): Promise<number> {
  const { io } = ctx;
  const job = await loadJob(ctx, options.file, options.cluster, 'cron', { key: options.key });
  if (!job.config.cronSchedule) throw new UsageError(`${options.file}: cron.schedule is not set`, `create a job without a schedule with "aurora-ts job create ${options.file}"`);
  const client = await ctx.client(job.cluster);
  const reply = await client.scheduleCronJob(job.config);
  for (const detail of reply.$response.details) io.warn(detail);
  const label = formatJobKey(job.key);
  io.out(`Scheduled cron job ${io.style('bold', label)}: ${job.config.cronSchedule}`);
  if (io.json) io.data({ job: label, cronSchedule: job.config.cronSchedule });
  return ExitCode.OK;
}

export interface KeyOptions {
  key: string;
}

export async function deschedule(ctx: CliContext, options: KeyOptions): Promise<number> {
  const key = parseJobKey(options.key);
  const client = await ctx.client(key.cluster);
  const reply = await client.descheduleCronJob(thriftJobKey(key));
  // Aurora answers OK with "Job ... is not scheduled with cron" when there was nothing to remove.
  const absent = reply.$response.details.some((d) => d.includes('not scheduled with cron'));
  for (const detail of reply.$response.details) if (!absent) ctx.io.warn(detail);
  if (ctx.io.json) ctx.io.data({ job: formatJobKey(key), descheduled: !absent });
  else ctx.io.out(absent ? `${formatJobKey(key)} is not a cron job: nothing to deschedule.` : `Descheduled cron job ${formatJobKey(key)}.`);
  return ExitCode.OK;
}

/**
 * The job's summary when it is a cron job. A job that is not one is "nothing to act on" for `start`
 * and `show`: exit 1 and one line, as the README's exit-code rule says (`deschedule` is already done: 0).
 */
async function cronSummary(client: AuroraClient, key: JobKeySpec) {
  const result = await client.getJobSummary(key.role);
  const summary = (result.summaries ?? []).find(
    (s) => s.job?.key?.environment === key.environment && s.job?.key?.name === key.name && s.job?.cronSchedule,
  );
  if (!summary?.job?.cronSchedule) throw new CliFailure(`${formatJobKey(key)} is not a cron job on this scheduler`);
  return { ...summary, job: { ...summary.job, cronSchedule: summary.job.cronSchedule } };
}

export async function start(ctx: CliContext, options: KeyOptions): Promise<number> {
  const key = parseJobKey(options.key);
  const client = await ctx.client(key.cluster);
  await cronSummary(client, key);
  const reply = await client.startCronJob(thriftJobKey(key));
  for (const detail of reply.$response.details) ctx.io.warn(detail);
  ctx.io.out(`Started a run of cron job ${formatJobKey(key)}.`);
  if (ctx.io.json) ctx.io.data({ job: formatJobKey(key), started: true });
  return ExitCode.OK;
}

export async function show(ctx: CliContext, options: KeyOptions): Promise<number> {
  const { io } = ctx;
  const key = parseJobKey(options.key);
  const client = await ctx.client(key.cluster);
  const summary = await cronSummary(client, key);
  const label = formatJobKey(key);
  const cron = summary.job.cronSchedule;
  const policy = CronCollisionPolicy[summary.job.cronCollisionPolicy ?? CronCollisionPolicy.KILL_EXISTING] ?? '?';
  let description: string | undefined;
  try {
    const { describeCron } = await import('../../job/cron.js');
    description = describeCron(cron);
  } catch {
    description = undefined;
  }
  const next = summary.nextCronRunMs ? new Date(summary.nextCronRunMs).toISOString() : null;
  if (io.json) {
    io.data({ job: label, cronSchedule: cron, description: description ?? null, collisionPolicy: policy, nextRun: next });
    return ExitCode.OK;
  }
  io.out(`${io.style('bold', label)}`);
  io.out(`  schedule:          ${cron}${description ? ` (${description})` : ''}`);
  io.out(`  collision policy:  ${policy}`);
  io.out(`  next run:          ${next ?? '-'}`);
  return ExitCode.OK;
}
