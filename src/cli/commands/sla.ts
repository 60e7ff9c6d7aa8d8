/**
 * `aurora-ts sla uptime|up-count KEY`: the SLA numbers Aurora's client computes from a job's tasks:
 * how long instances have been RUNNING, and how many have been up for at least a given time.
 */
import { ScheduleStatus, type ScheduledTask } from '../../gen/types.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { formatJobKey, parseJobKey } from '../jobkey.js';
import { jobTasks } from '../tasks.js';

/** Seconds each active RUNNING instance has been running, by instance. */
function uptimes(tasks: readonly ScheduledTask[], now: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const t of tasks) {
    if (t.status !== ScheduleStatus.RUNNING) continue;
    const since = [...(t.taskEvents ?? [])].reverse().find((e) => e.status === ScheduleStatus.RUNNING)?.timestamp;
    if (since !== undefined) out.set(t.assignedTask?.instanceId ?? 0, Math.max(0, (now - since) / 1000));
  }
  return out;
}

export async function uptime(ctx: CliContext, options: { key: string; percentiles?: string }): Promise<number> {
  const key = parseJobKey(options.key);
  const percentiles = (options.percentiles ?? '50,75,90,95,99').split(',').map((p) => {
    const n = Number(p);
    if (p.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 100) throw new UsageError(`--percentiles: ${JSON.stringify(p)} is not a percentage in (0, 100]`);
    return n;
  });
  const client = await ctx.client(key.cluster);
  const tasks = await jobTasks(client, key, { activeOnly: true });
  const total = new Set(tasks.map((t) => t.assignedTask?.instanceId)).size;
  const up = [...uptimes(tasks, Date.now()).values()].sort((a, b) => b - a);
  // p% of the instances have been up at least this long (instances not running count as 0).
  const all = [...up, ...Array<number>(Math.max(0, total - up.length)).fill(0)];
  const rows = percentiles.map((p) => ({ percentile: p, seconds: all.length === 0 ? 0 : Math.floor(all[Math.max(0, Math.ceil((p / 100) * all.length) - 1)]!) }));
  if (ctx.io.json) ctx.io.data({ job: formatJobKey(key), instances: total, running: up.length, percentiles: rows });
  else {
    ctx.io.out(`${formatJobKey(key)}: ${up.length}/${total} instances running`);
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
  const tasks = await jobTasks(client, key, { activeOnly: true });
  const total = new Set(tasks.map((t) => t.assignedTask?.instanceId)).size;
  const up = [...uptimes(tasks, Date.now()).values()];
  const count = (seconds: number) => {
    const n = up.filter((s) => s >= seconds).length;
    return { up: n, percentage: total === 0 ? 0 : Math.round((n / total) * 10000) / 100 };
  };
  const label = formatJobKey(key);
  if (several !== undefined) {
    const rows = several.map((d) => ({ duration: d.text, durationSecs: d.seconds, ...count(d.seconds) }));
    if (ctx.io.json) ctx.io.data({ job: label, instances: total, durations: rows });
    else {
      ctx.io.out(`${label}: ${total} instance${total === 1 ? '' : 's'}`);
      const width = Math.max(...rows.map((r) => r.duration.length));
      for (const r of rows) ctx.io.out(`  ${r.duration.padStart(width)}  ${r.up} up (${r.percentage.toFixed(2)}%)`);
    }
    return ExitCode.OK;
  }
  const duration = options.duration ?? 0;
  const { up: upLongEnough, percentage } = count(duration);
  if (ctx.io.json) ctx.io.data({ job: label, durationSecs: duration, up: upLongEnough, instances: total, percentage });
  else ctx.io.out(`${label}: ${upLongEnough} of ${total} instances (${percentage}%) up for at least ${duration} s`);
  return ExitCode.OK;
}
