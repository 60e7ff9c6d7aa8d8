/** `aurora-ts cron show KEY`: a cron job's schedule, in words too, its collision policy and next run. */
import { CronCollisionPolicy } from '../../../gen/types.js';
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import { formatJobKey, parseJobKey } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { SHOW } from './index.js';
import { cronSummary } from './shared.js';

export async function run(ctx: CliContext, options: VerbInput<typeof SHOW>): Promise<number> {
  const { io } = ctx;
  const key = parseJobKey(options.key);
  const client = await ctx.client(key.cluster);
  const summary = await cronSummary(client, key);
  const label = formatJobKey(key);
  const cron = summary.job.cronSchedule;
  const policy = CronCollisionPolicy[summary.job.cronCollisionPolicy ?? CronCollisionPolicy.KILL_EXISTING] ?? '?';
  let description: string | undefined;
  try {
    const { describeCron } = await import('../../../job/cron.js');
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
