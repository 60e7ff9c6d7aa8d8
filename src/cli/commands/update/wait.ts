/** `aurora-ts update wait KEY [ID]`: waits until an update ends (exit 1 unless ROLLED_FORWARD). */
import type { CliContext } from '../../context.js';
import { formatJobKey, parseJobKey } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { WAIT } from './index.js';
import { endOf, findUpdateAny, updateEnd, updateIdOf, waitForUpdate } from './shared.js';

export async function run(ctx: CliContext, options: VerbInput<typeof WAIT>): Promise<number> {
  const key = parseJobKey(options.key);
  const client = await ctx.client(key.cluster);
  const updateKey = await findUpdateAny(client, key, updateIdOf(options));
  const view = await waitForUpdate(ctx, client, key, updateKey, options.waitTimeout);
  if (ctx.io.json) ctx.io.data({ job: formatJobKey(key), id: updateKey.id, ...endOf(view) });
  return updateEnd(ctx, `update ${updateKey.id} of ${formatJobKey(key)}`, view);
}
