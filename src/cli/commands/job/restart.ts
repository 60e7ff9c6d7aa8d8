/** `aurora-ts job restart KEY[/INSTANCES]`: restartShards for the named instances, or every active one. */
import type { CliContext } from '../../context.js';
import { CliFailure } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { formatInstances, formatJobKey, parseJobKey, thriftJobKey } from '../../jobkey.js';
import { jobTasks } from '../../tasks.js';

export interface RestartOptions {
  key: string;
}

export async function run(ctx: CliContext, options: RestartOptions): Promise<number> {
  const { io } = ctx;
  const key = parseJobKey(options.key, 'optional');
  const client = await ctx.client(key.cluster);
  let instances = key.instances;
  if (instances === undefined) {
    const active = await jobTasks(client, key, { activeOnly: true });
    instances = [...new Set(active.map((t) => t.assignedTask?.instanceId ?? 0))].sort((a, b) => a - b);
    if (instances.length === 0) throw new CliFailure(`job ${formatJobKey(key)} has no active instances to restart`);
  }
  const reply = await client.restartShards(thriftJobKey(key), instances);
  for (const detail of reply.$response.details) io.warn(detail);
  const label = formatJobKey({ ...key, instances: undefined });
  io.out(`Restarting ${io.style('bold', label)} instances ${formatInstances(instances)}.`);
  if (io.json) io.data({ job: label, instances });
  return ExitCode.OK;
}
