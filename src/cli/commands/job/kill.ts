/** `aurora-ts job kill KEY/INSTANCES`: killTasks for some instances, optionally waiting until they are gone. */
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { formatJobKey, parseJobKey, thriftJobKey, type JobKeySpec } from '../../jobkey.js';
import { waitForInstances } from '../../tasks.js';

export interface KillOptions {
  key: string;
  message?: string;
  wait?: boolean;
  /** Seconds. */
  waitTimeout?: number;
}

export async function run(ctx: CliContext, options: KillOptions): Promise<number> {
  const key = parseJobKey(options.key, 'optional');
  if (key.instances === undefined) {
    throw new UsageError(`job key ${JSON.stringify(options.key)}: name the instances to kill, e.g. ${options.key}/0-2`, `use "aurora-ts job killall ${options.key}" to kill every instance`);
  }
  return kill(ctx, key, options);
}

/** Kills `key.instances`, or the whole job when the key has none. */
export async function kill(ctx: CliContext, key: JobKeySpec, options: Omit<KillOptions, 'key'>): Promise<number> {
  const { io } = ctx;
  const client = await ctx.client(key.cluster);
  const reply = await client.killTasks(thriftJobKey(key), key.instances ?? [], options.message ?? '');
  const label = formatJobKey(key);
  const nothing = reply.$response.details.some((d) => /no tasks to kill/i.test(d));
  for (const detail of reply.$response.details) io.warn(detail);
  io.out(nothing ? `Nothing to kill in ${label}.` : `Kill requested for ${io.style('bold', label)}.`);
  let ok = true;
  let states: Record<string, number> | undefined;
  if (options.wait && !nothing) {
    const result = await waitForInstances(ctx, client, key, {
      target: 'KILLED',
      timeoutMs: options.waitTimeout === undefined ? undefined : options.waitTimeout * 1000,
    });
    ok = result.ok;
    states = result.counts;
  }
  if (io.json) io.data({ job: label, instances: key.instances ?? null, killed: !nothing, ...(states ? { states } : {}) });
  return ok ? ExitCode.OK : ExitCode.FAILURE;
}
