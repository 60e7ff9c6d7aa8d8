/** `aurora-ts cron schedule [KEY] FILE`: scheduleCronJob for a job file with cron.schedule. */
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { loadJob } from '../../jobfile.js';
import { formatJobKey } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { SCHEDULE } from './index.js';

export async function run(ctx: CliContext, options: VerbInput<typeof SCHEDULE>): Promise<number> {
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
