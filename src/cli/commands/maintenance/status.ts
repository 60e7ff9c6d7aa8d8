/** `aurora-ts maintenance status CLUSTER [HOST...]`: the maintenance mode of hosts. */
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import type { VerbInput } from '../../spec.js';
import type { STATUS } from './index.js';
import { cluster, print } from './shared.js';

/**
 * maintenanceStatus answers only for the hosts it is asked about, and the API has no list of hosts:
 * without HOSTS, ask about every host that tasks have run on.
 */
export async function run(ctx: CliContext, options: VerbInput<typeof STATUS>): Promise<number> {
  const client = await ctx.client(cluster(options.cluster));
  let hosts = options.hosts ?? [];
  if (hosts.length === 0) {
    const tasks = await client.getTasksWithoutConfigs({});
    hosts = [...new Set((tasks.tasks ?? []).map((t) => t.assignedTask?.slaveHost).filter((h): h is string => typeof h === 'string' && h !== ''))];
    if (hosts.length === 0) {
      if (ctx.io.json) ctx.io.data({ hosts: [] });
      else ctx.io.out('No hosts known: no task has run yet. Name hosts to ask about them.');
      return ExitCode.OK;
    }
  }
  const result = await client.maintenanceStatus({ hostNames: hosts });
  print(ctx, result.statuses, 'known');
  return ExitCode.OK;
}
