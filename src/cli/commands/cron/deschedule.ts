/** `aurora-ts cron deschedule KEY`: descheduleCronJob (a job that is not a cron job is already done). */
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import { formatJobKey, parseJobKey, thriftJobKey } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { DESCHEDULE } from './index.js';

export async function run(ctx: CliContext, options: VerbInput<typeof DESCHEDULE>): Promise<number> {
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
