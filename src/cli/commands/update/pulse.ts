/** `aurora-ts update pulse KEY`: pulseJobUpdate, for an update that waits for pulses. */
import {
  JobUpdatePulseStatus,
} from '../../../gen/types.js';
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import { formatJobKey, parseJobKey } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { PULSE } from './index.js';
import { findUpdate } from './shared.js';

export async function run(ctx: CliContext, options: VerbInput<typeof PULSE>): Promise<number> {
  const key = parseJobKey(options.key);
  const client = await ctx.client(key.cluster);
  const updateKey = await findUpdate(client, key, options.id);
  const result = await client.pulseJobUpdate(updateKey);
  const status = result.status === undefined ? '?' : (JobUpdatePulseStatus[result.status] ?? String(result.status));
  if (ctx.io.json) ctx.io.data({ job: formatJobKey(key), id: updateKey.id, pulse: status });
  else ctx.io.out(`Pulsed update ${updateKey.id} of ${formatJobKey(key)}: ${status}.`);
  return ExitCode.OK;
}
