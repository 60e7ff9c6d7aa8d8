/** `aurora-ts admin prune CLUSTER[/ROLE] [--limit N]`: pruneTasks, saying how many it removed. */
import { TERMINAL_STATES } from '../../../gen/types.js';
import type { CliContext } from '../../context.js';
import { parseClusterRole } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { PRUNE } from './index.js';
import { done } from './shared.js';

export async function run(ctx: CliContext, input: VerbInput<typeof PRUNE>): Promise<number> {
  const { cluster, role } = parseClusterRole(input.target);
  const client = await ctx.client(cluster);
  const query = { statuses: [...TERMINAL_STATES], ...(role === undefined ? {} : { role }) };
  // pruneTasks answers nothing about what it removed: count the terminated tasks before and after.
  const count = async () => (await client.getTasksWithoutConfigs(query)).tasks?.length ?? 0;
  const before = await count();
  await client.pruneTasks(input.limit === undefined ? query : { ...query, limit: input.limit });
  const pruned = Math.max(0, before - (await count()));
  return done(ctx, `Pruned ${pruned} terminated task${pruned === 1 ? '' : 's'}${role === undefined ? '' : ` of role ${role}`}.`, { pruned, ...(role === undefined ? {} : { role }) });
}
