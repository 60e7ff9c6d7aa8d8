/** `aurora-ts cron start KEY`: startCronJob, a run of a cron job now. */
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import { formatJobKey, parseJobKey, thriftJobKey } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { START } from './index.js';
import { cronSummary } from './shared.js';

export async function run(ctx: CliContext, options: VerbInput<typeof START>): Promise<number> {
  const key = parseJobKey(options.key);
  const client = await ctx.client(key.cluster);
  await cronSummary(client, key);
  const reply = await client.startCronJob(thriftJobKey(key));
  for (const detail of reply.$response.details) ctx.io.warn(detail);
  ctx.io.out(`Started a run of cron job ${formatJobKey(key)}.`);
  if (ctx.io.json) ctx.io.data({ job: formatJobKey(key), started: true });
  return ExitCode.OK;
}
