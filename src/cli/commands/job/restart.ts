/**
 * `aurora-ts job restart KEY[/INSTANCES] [--batch-size N] [--watch-secs S] [--max-per-instance-failures K]
 * [--max-total-failures K]`: Aurora's rolling restart, driven from the client through the SDK's
 * rollingRestart: restartShards one batch at a time, each batch watched until its new tasks have been
 * RUNNING for --watch-secs; failed instances are tried again and counted, and the restart stops at the
 * limits. Progress on stderr, `--json` for the result. Interrupting it halts the restart.
 */
import { AuroraRestartFailedError, rollingRestart, type RestartProgress, type RollingRestartResult } from '../../../waiters/restart.js';
import { AuroraValidationError } from '../../../errors.js';
import type { CliContext } from '../../context.js';
import type { Progress } from '../../io.js';
import { CliFailure } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { formatInstances, formatJobKey, parseJobKey, thriftJobKey } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { RESTART } from './index.js';

export async function run(ctx: CliContext, options: VerbInput<typeof RESTART>): Promise<number> {
  const { io } = ctx;
  const key = parseJobKey(options.key, 'optional');
  const client = await ctx.client(key.cluster);
  const label = formatJobKey({ ...key, instances: undefined });
  const watchSecs = options.watchSecs ?? 30;
  // Shown from the first batch the scheduler accepted: a refused restart prints only its error line.
  let progress: Progress | undefined;
  let shown: Promise<void> = Promise.resolve();
  const show = (event: RestartProgress) => {
    shown = shown.then(async () => {
      if (event.type === 'batch-done') {
        const failed = event.failed.length ? `, failed ${formatInstances(event.failed)}` : '';
        const text = `batch ${event.batch}: restarted ${event.healthy.length ? formatInstances(event.healthy) : 'none'}${failed}`;
        // One spinner a batch, ending on its outcome.
        if (!progress) io.note(text);
        else if (event.failed.length) progress.fail(text);
        else progress.succeed(text);
        progress = undefined;
        return;
      }
      let text: string;
      if (event.type === 'batch') {
        text = `batch ${event.batch}: restarting instances ${formatInstances(event.instances)} (${event.remaining} queued after it)`;
      } else {
        const waiting = Object.entries(event.waiting).map(([id, what]) => `${id} ${what}`);
        text = `batch ${event.batch}: ${event.healthy.length} up for ${watchSecs} s${event.failed.length ? `, failed ${formatInstances(event.failed)}` : ''}${waiting.length ? `; waiting: ${waiting.join(', ')}` : ''}`;
      }
      if (progress) progress.update(text);
      else progress = await io.progress(text);
    });
  };
  let result: RollingRestartResult;
  try {
    result = await rollingRestart(client, thriftJobKey(key), {
      instances: key.instances,
      batchSize: options.batchSize,
      watchSecs,
      maxPerInstanceFailures: options.maxPerInstanceFailures,
      maxTotalFailures: options.maxTotalFailures,
      healthCheckIntervalSecs: options.healthcheckIntervalSeconds,
      batchTimeoutMs: options.batchTimeout === undefined ? undefined : options.batchTimeout * 1000,
      signal: ctx.signal,
      onProgress: show,
    });
  } catch (error) {
    await shown;
    progress?.stop();
    // Something needed is not there: exit 1, as for a job without tasks elsewhere.
    if (error instanceof AuroraValidationError && error.field === 'job') throw new CliFailure(`job ${label} has no active instances to restart`);
    if (error instanceof AuroraRestartFailedError) {
      if (io.json) io.data(summary(label, error.result, false));
      throw new CliFailure(error.message);
    }
    throw error;
  }
  await shown;
  io.out(`Job ${io.style('bold', label)} restarted successfully.`);
  if (io.json) io.data(summary(label, result, true));
  return ExitCode.OK;
}

function summary(label: string, result: RollingRestartResult, restarted: boolean) {
  return { job: label, restarted, instances: result.instances, batches: result.batches, failures: result.failures };
}
