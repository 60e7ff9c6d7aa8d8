/** `aurora-ts sla up-count KEY`: how many instances have been up for at least a given time (Aurora's get-task-up-count). */
import { taskUpCount } from '../../../sla/index.js';
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { formatJobKey, parseJobKey, thriftJobKey } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { UP_COUNT } from './index.js';

/** Seconds in Aurora's `XdYhZmWs` (each part optional, in that order), or plain seconds. */
function parseDurationText(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(t);
  if (t === '' || !m) throw new UsageError(`--durations: ${JSON.stringify(text)} is not a duration`, 'expected XdYhZmWs, e.g. 1m, 1h30m, 7d, or seconds');
  const [d = '0', h = '0', min = '0', s = '0'] = m.slice(1).map((v) => v ?? '0');
  return Number(d) * 86400 + Number(h) * 3600 + Number(min) * 60 + Number(s);
}

export async function run(ctx: CliContext, options: VerbInput<typeof UP_COUNT>): Promise<number> {
  const key = parseJobKey(options.key);
  if (options.duration !== undefined && options.durations !== undefined) throw new UsageError('--duration and --durations together', 'give one');
  // Aurora's get-task-up-count sorts its --durations.
  const several = options.durations?.split(',').map((text) => ({ text: text.trim(), seconds: parseDurationText(text) })).sort((a, b) => a.seconds - b.seconds);
  const client = await ctx.client(key.cluster);
  const duration = options.duration ?? 0;
  const counts = await taskUpCount(client, thriftJobKey(key), several?.map((d) => d.seconds) ?? [duration], { signal: ctx.signal });
  const total = counts[0]?.instances ?? 0;
  const label = formatJobKey(key);
  if (several !== undefined) {
    const rows = several.map((d, i) => ({ duration: d.text, durationSecs: d.seconds, up: counts[i]!.up, percentage: counts[i]!.percentage }));
    if (ctx.io.json) ctx.io.data({ job: label, instances: total, durations: rows });
    else {
      ctx.io.out(`${label}: ${total} instance${total === 1 ? '' : 's'}`);
      const width = Math.max(...rows.map((r) => r.duration.length));
      for (const r of rows) ctx.io.out(`  ${r.duration.padStart(width)}  ${r.up} up (${r.percentage.toFixed(2)}%)`);
    }
    return ExitCode.OK;
  }
  const { up: upLongEnough, percentage } = counts[0]!;
  if (ctx.io.json) ctx.io.data({ job: label, durationSecs: duration, up: upLongEnough, instances: total, percentage });
  else ctx.io.out(`${label}: ${upLongEnough} of ${total} instances (${percentage}%) up for at least ${duration} s`);
  return ExitCode.OK;
}
