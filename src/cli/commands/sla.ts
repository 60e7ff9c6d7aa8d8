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

export async function upCount(ctx: CliContext, options: { key: string; duration?: number }): Promise<number> {
  const key = parseJobKey(options.key);
  const duration = options.duration ?? 0;
  const client = await ctx.client(key.cluster);
  const tasks = await jobTasks(client, key, { activeOnly: true });
  const total = new Set(tasks.map((t) => t.assignedTask?.instanceId)).size;
  const upLongEnough = [...uptimes(tasks, Date.now()).values()].filter((s) => s >= duration).length;
  const percentage = total === 0 ? 0 : Math.round((upLongEnough / total) * 10000) / 100;
  if (ctx.io.json) ctx.io.data({ job: formatJobKey(key), durationSecs: duration, up: upLongEnough, instances: total, percentage });
  else ctx.io.out(`${formatJobKey(key)}: ${upLongEnough} of ${total} instances (${percentage}%) up for at least ${duration} s`);
  return ExitCode.OK;
}
