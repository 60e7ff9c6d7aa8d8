/** What `aurora-ts cron start` and `cron show` share: the cron job a key names. */
import type { AuroraClient } from '../../../client/client.js';
import { CliFailure } from '../../errors.js';
import { formatJobKey, type JobKeySpec } from '../../jobkey.js';

/**
 * The job's summary when it is a cron job. A job that is not one is "nothing to act on" for `start`
 * and `show`: exit 1 and one line, as the README's exit-code rule says (`deschedule` is already done: 0).
 */
export async function cronSummary(client: AuroraClient, key: JobKeySpec) {
  const result = await client.getJobSummary(key.role);
  const summary = (result.summaries ?? []).find(
    (s) => s.job?.key?.environment === key.environment && s.job?.key?.name === key.name && s.job?.cronSchedule,
  );
  if (!summary?.job?.cronSchedule) throw new CliFailure(`${formatJobKey(key)} is not a cron job on this scheduler`);
  return { ...summary, job: { ...summary.job, cronSchedule: summary.job.cronSchedule } };
}
