/** `aurora-ts update info KEY [ID]`: an update's events (default: the active, else the latest). */
import {
  JobUpdateAction,
  type JobUpdateDetails,
} from '../../../gen/types.js';
import type { CliContext } from '../../context.js';
import { CliFailure } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { formatJobKey, parseJobKey } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { INFO } from './index.js';
import { describeView, findUpdateAny, statusName, updateIdOf, viewOf } from './shared.js';

export async function run(ctx: CliContext, options: VerbInput<typeof INFO>): Promise<number> {
  const { io } = ctx;
  const key = parseJobKey(options.key);
  const client = await ctx.client(key.cluster);
  const updateKey = await findUpdateAny(client, key, updateIdOf(options));
  const result = await client.getJobUpdateDetails(updateKey, { key: updateKey });
  const details = result.details ?? result.detailsList?.[0];
  if (!details) throw new CliFailure(`update ${updateKey.id} of ${formatJobKey(key)} not found`);
  const d = describeDetails(details);
  const view = viewOf(details);
  if (io.json) {
    io.data({ job: formatJobKey(key), id: updateKey.id, status: d.status, user: d.user, instances: view.total, done: view.done, events: d.events, instanceEvents: d.instanceEvents });
    return ExitCode.OK;
  }
  io.out(`Update ${io.style('bold', updateKey.id ?? '?')} of ${formatJobKey(key)}${d.user ? ` by ${d.user}` : ''}`);
  io.out(`  ${describeView(view)}`);
  io.out('Events:');
  for (const e of d.events) io.out(`  ${when(e.timestampMs)}  ${e.status}${e.message ? `  ${e.message}` : ''}`);
  if (d.instanceEvents.length > 0) {
    io.out('Instance events:');
    for (const e of d.instanceEvents) io.out(`  ${when(e.timestampMs)}  instance ${e.instanceId}  ${e.action}`);
  }
  return ExitCode.OK;
}

const when = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());

function describeDetails(details: JobUpdateDetails) {
  const events = (details.updateEvents ?? []).map((e) => ({ status: statusName(e.status), timestampMs: e.timestampMs, user: e.user ?? null, message: e.message || null }));
  const instanceEvents = (details.instanceEvents ?? []).map((e) => ({
    instanceId: e.instanceId,
    action: e.action === undefined ? '?' : (JobUpdateAction[e.action] ?? String(e.action)),
    timestampMs: e.timestampMs,
  }));
  return { status: statusName(details.update?.summary?.state?.status), user: details.update?.summary?.user ?? null, events, instanceEvents };
}
