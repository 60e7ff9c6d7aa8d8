/**
 * `aurora-ts sla uptime|up-count KEY`: the SLA numbers Aurora's client computes from a job's tasks:
 * how long instances have been RUNNING, and how many have been up for at least a given time.
 */
import { jobUptime, taskUpCount } from '../../sla/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { formatJobKey, parseJobKey, thriftJobKey } from '../jobkey.js';

export async function uptime(ctx: CliContext, options: { key: string; percentiles?: string }): Promise<number> {
  const key = parseJobKey(options.key);
  const percentiles = (options.percentiles ?? '50,75,90,95,99').split(',').map((p) => {
    const n = Number(p);
    if (p.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 100) throw new UsageError(`--percentiles: ${JSON.stringify(p)} is not a percentage in (0, 100]`);
    return n;
  });
  const client = await ctx.client(key.cluster);
  const { instances: total, running, percentiles: rows } = await jobUptime(client, thriftJobKey(key), { percentiles, signal: ctx.signal });
  if (ctx.io.json) ctx.io.data({ job: formatJobKey(key), instances: total, running, percentiles: rows });
  else {
    ctx.io.out(`${formatJobKey(key)}: ${running}/${total} instances running`);
    for (const r of rows) ctx.io.out(`  ${String(r.percentile).padStart(3)}% of instances up at least ${r.seconds} s`);
  }
  return ExitCode.OK;
}

/** Seconds in Aurora's `XdYhZmWs` (each part optional, in that order), or plain seconds. */
export function parseDurationText(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(t);
  if (t === '' || !m) throw new UsageError(`--durations: ${JSON.stringify(text)} is not a duration`, 'expected XdYhZmWs, e.g. 1m, 1h30m, 7d, or seconds');
  const [d = '0', h = '0', min = '0', s = '0'] = m.slice(1).map((v) => v ?? '0');
  return Number(d) * 86400 + Number(h) * 3600 + Number(min) * 60 + Number(s);
}

export async function upCount(ctx: CliContext, options: { key: string; duration?: number; durations?: string }): Promise<number> {
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
