/** `aurora-ts job add KEY/INSTANCE COUNT`: addInstances, copying the configuration of INSTANCE. */
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { formatJobKey, parseJobKey, thriftJobKey } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { ADD } from './index.js';

export async function run(ctx: CliContext, options: VerbInput<typeof ADD>): Promise<number> {
  const { io } = ctx;
  const key = parseJobKey(options.key, 'required');
  if (key.instances!.length !== 1 || /[,-]/.test(options.key.split('/')[4] ?? '')) {
    throw new UsageError(`job key ${JSON.stringify(options.key)}: name exactly one instance to copy, e.g. ${formatJobKey({ ...key, instances: undefined })}/0`);
  }
  const countText = String(options.count);
  const count = Number(countText);
  if (!/^\d+$/.test(countText) || count <= 0 || !Number.isSafeInteger(count)) {
    throw new UsageError(`COUNT: expected a positive integer, got ${JSON.stringify(countText)}`);
  }
  const instanceId = key.instances![0]!;
  const client = await ctx.client(key.cluster);
  const reply = await client.addInstances({ jobKey: thriftJobKey(key), instanceId }, count);
  for (const detail of reply.$response.details) io.warn(detail);
  const label = formatJobKey({ ...key, instances: undefined });
  io.out(`Added ${count} instance${count === 1 ? '' : 's'} to ${io.style('bold', label)}, copied from instance ${instanceId}.`);
  if (io.json) io.data({ job: label, copiedFrom: instanceId, added: count });
  return ExitCode.OK;
}
