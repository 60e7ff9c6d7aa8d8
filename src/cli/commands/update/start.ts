/** `aurora-ts update start [KEY[/INSTANCES]] FILE`: startJobUpdate with the job file's update settings, optionally waiting until it ends. */
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { toRanges } from '../../../update/ranges.js';
import { loadJob } from '../../jobfile.js';
import { startJobUpdate } from '../../writes.js';
import { formatJobKey, parseInstances } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { START } from './index.js';
import { endOf, updateEnd, waitForUpdate } from './shared.js';

export async function run(ctx: CliContext, options: VerbInput<typeof START>): Promise<number> {
  const { io } = ctx;
  const job = await loadJob(ctx, options.file, options.cluster, 'update', { key: options.key, instances: 'optional' });
  if (job.config.cronSchedule) throw new UsageError(`${options.file}: cron jobs are not updated; use "aurora-ts cron schedule ${options.file}"`);
  const { jobFileToUpdateSettings } = await import('../../../job/index.js');
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
