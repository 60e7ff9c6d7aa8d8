/** `aurora-ts job create FILE`: createJob, then optionally wait until every instance is PENDING/RUNNING/FINISHED. */
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { loadJob } from '../../jobfile.js';
import { formatJobKey } from '../../jobkey.js';
import { waitForInstances, type WaitResult } from '../../tasks.js';
import { createJob } from '../../writes.js';
import type { VerbInput } from '../../spec.js';
import type { CREATE } from './index.js';

export async function run(ctx: CliContext, options: VerbInput<typeof CREATE>): Promise<number> {
  const { io } = ctx;
  const job = await loadJob(ctx, options.file, options.cluster, 'create', { key: options.key });
  if (job.config.cronSchedule !== undefined && job.config.cronSchedule !== null) {
    throw new UsageError(`${options.file}: this is a cron job (it has a cron schedule)`, `schedule it with "aurora-ts cron schedule ${options.file}"`);
  }
  if (options.waitUntil === 'FINISHED' && job.config.taskConfig?.isService) {
    // A service's tasks are restarted whenever they end: the wait could never succeed.
    throw new UsageError(`--wait-until FINISHED: ${options.file} is a service, whose tasks never finish`, 'use --wait-until RUNNING');
  }
  const client = await ctx.client(job.cluster);
  await createJob(ctx, client, job.config);
  const label = formatJobKey(job.key);
  const count = job.config.instanceCount ?? 1;
  io.out(`Created job ${io.style('bold', label)} (${count} instance${count === 1 ? '' : 's'}) on ${client.url.replace(/\/api$/, '')}`);

  let wait: WaitResult | undefined;
  if (options.waitUntil !== undefined) {
    wait = await waitForInstances(ctx, client, job.key, {
      target: options.waitUntil,
      instances: Array.from({ length: count }, (_, i) => i),
      timeoutMs: options.waitTimeout === undefined ? undefined : options.waitTimeout * 1000,
    });
  }
  if (io.json) {
    io.data({ job: label, instances: count, created: true, ...(wait ? { wait: { until: options.waitUntil, ok: wait.ok, states: wait.counts } } : {}) });
  }
  if (wait === undefined || wait.ok) return ExitCode.OK;
  io.error(wait.failure ?? wait.summary);
  return ExitCode.FAILURE;
}
