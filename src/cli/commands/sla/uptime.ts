/** `aurora-ts sla uptime KEY`: how long a job's instances have been RUNNING, by percentile (Aurora's get-job-uptime). */
import { jobUptime } from '../../../sla/index.js';
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { formatJobKey, parseJobKey, thriftJobKey } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { UPTIME } from './index.js';

export async function run(ctx: CliContext, options: VerbInput<typeof UPTIME>): Promise<number> {
  const key = parseJobKey(options.key);
  const percentiles = (options.percentiles ?? '50,75,90,95,99').split(',').map((p) => {
    const n = Number(p);
    if (p.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 100) throw new UsageError(`--percentiles: ${JSON.stringify(p)} is not a percentage in (0, 100]`);
    return n;
  });
  const client = await ctx.client(key.cluster);
  const { instances: total, running, percentiles: rows } = await jobUptime(client, thriftJobKey(key), { percentiles, signal: ctx.signal });
  if (ctx.io.json) ctx.io.data({ job: formatJobKey(key), instances: total, running, percentiles: rows });
  else {
    ctx.io.out(`${formatJobKey(key)}: ${running}/${total} instances running`);
    for (const r of rows) ctx.io.out(`  ${String(r.percentile).padStart(3)}% of instances up at least ${r.seconds} s`);
  }
  return ExitCode.OK;
}
