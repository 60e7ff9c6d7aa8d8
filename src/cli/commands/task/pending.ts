/** `aurora-ts task pending KEY`: getPendingReason for the job's pending tasks. */
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import { formatJobKey, parseJobKey } from '../../jobkey.js';
import { shortTaskId } from '../../tasks.js';
import type { VerbInput } from '../../spec.js';
import type { PENDING } from './index.js';

export async function run(ctx: CliContext, options: VerbInput<typeof PENDING>): Promise<number> {
  const { io } = ctx;
  const key = parseJobKey(options.key, 'forbidden');
  const client = await ctx.client(key.cluster);
  // Aurora's getPendingReason takes role/environment/jobName (it rejects statuses and hosts).
  const result = await client.getPendingReason({ role: key.role, environment: key.environment, jobName: key.name });
  const reasons = [...(result.reasons ?? [])]
    .map((r) => ({ taskId: r.taskId ?? '', reason: r.reason ?? '' }))
    .sort((a, b) => a.taskId.localeCompare(b.taskId));
  const label = formatJobKey(key);
  if (io.json) {
    io.data({ job: label, pending: reasons });
    return ExitCode.OK;
  }
  if (reasons.length === 0) {
    io.out(`No pending tasks in ${label}.`);
    return ExitCode.OK;
  }
  io.table(reasons, [
    { header: 'TASK', value: (r) => shortTaskId(r.taskId), wide: (r) => r.taskId },
    { header: 'REASON', value: (r) => r.reason, shrink: true },
  ]);
  return ExitCode.OK;
}
