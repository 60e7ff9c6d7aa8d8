/** `aurora-ts maintenance sla-drain CLUSTER HOST...`: slaDrainHosts, with the default SLA policy the flags give. */
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import type { VerbInput } from '../../spec.js';
import type { SLA_DRAIN } from './index.js';
import { cluster, print } from './shared.js';

export async function run(ctx: CliContext, options: VerbInput<typeof SLA_DRAIN>): Promise<number> {
  if ((options.percentage === undefined) === (options.count === undefined)) {
    throw new UsageError('sla-drain needs exactly one of --percentage and --count', 'the default SLA policy for tasks without their own');
  }
  if (options.percentage !== undefined && options.percentage > 100) throw new UsageError('--percentage: expected a percentage between 0 and 100');
  const durationSecs = options.duration ?? 0;
  const policy =
    options.percentage !== undefined
      ? { percentageSlaPolicy: { percentage: options.percentage, durationSecs } }
      : { countSlaPolicy: { count: options.count, durationSecs } };
  const client = await ctx.client(cluster(options.cluster));
  const result = await client.slaDrainHosts({ hostNames: options.hosts ?? [] }, policy, options.forceDrainTimeout ?? 3600);
  print(ctx, result.statuses, 'draining');
  return ExitCode.OK;
}
