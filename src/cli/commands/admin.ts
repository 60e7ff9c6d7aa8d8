/** `aurora-ts admin ...`: the AuroraAdmin RPCs a scheduler operator uses, as thin calls. */
import { ScheduleStatus, TERMINAL_STATES } from '../../gen/types.js';
import type { CliContext } from '../context.js';
import { CliFailure, UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { parseClusterRole } from '../jobkey.js';

function clusterOnly(text: string): string {
  const parsed = parseClusterRole(text);
  if (parsed.role !== undefined) throw new UsageError(`${JSON.stringify(text)}: expected a cluster name`);
  return parsed.cluster;
}

async function done(ctx: CliContext, what: string, data: Record<string, unknown> = {}): Promise<number> {
  if (ctx.io.json) ctx.io.data({ ok: true, ...data });
  else ctx.io.out(what);
  return ExitCode.OK;
}

export async function snapshot(ctx: CliContext, options: { cluster: string }): Promise<number> {
  const client = await ctx.client(clusterOnly(options.cluster));
  await client.snapshot();
  return done(ctx, 'Snapshot taken.');
}

export async function backup(ctx: CliContext, options: { cluster: string }): Promise<number> {
  const client = await ctx.client(clusterOnly(options.cluster));
  await client.performBackup();
  return done(ctx, 'Backup written.');
}

export async function listBackups(ctx: CliContext, options: { cluster: string }): Promise<number> {
  const client = await ctx.client(clusterOnly(options.cluster));
  const result = await client.listBackups();
  const backups = [...(result.backups ?? [])].sort();
  if (ctx.io.json) ctx.io.data({ backups });
  else if (backups.length === 0) ctx.io.out('No backups.');
  else for (const b of backups) ctx.io.out(b);
  return ExitCode.OK;
}

export async function reconcile(ctx: CliContext, options: { cluster: string; explicit?: boolean; batchSize?: number }): Promise<number> {
  const client = await ctx.client(clusterOnly(options.cluster));
  if (options.explicit) {
    await client.triggerExplicitTaskReconciliation(options.batchSize === undefined ? {} : { batchSize: options.batchSize });
    return done(ctx, 'Explicit task reconciliation triggered.', { reconciliation: 'explicit' });
  }
  if (options.batchSize !== undefined) throw new UsageError('--batch-size applies only with --explicit');
  await client.triggerImplicitTaskReconciliation();
  return done(ctx, 'Implicit task reconciliation triggered.', { reconciliation: 'implicit' });
}

export async function prune(ctx: CliContext, options: { target: string; limit?: number }): Promise<number> {
  const { cluster, role } = parseClusterRole(options.target);
  const client = await ctx.client(cluster);
  const query = { statuses: [...TERMINAL_STATES], ...(role === undefined ? {} : { role }) };
  // pruneTasks answers nothing about what it removed: count the terminated tasks before and after.
  const count = async () => (await client.getTasksWithoutConfigs(query)).tasks?.length ?? 0;
  const before = await count();
  await client.pruneTasks(options.limit === undefined ? query : { ...query, limit: options.limit });
  const pruned = Math.max(0, before - (await count()));
  return done(ctx, `Pruned ${pruned} terminated task${pruned === 1 ? '' : 's'}${role === undefined ? '' : ` of role ${role}`}.`, { pruned, ...(role === undefined ? {} : { role }) });
}

const STATES = Object.keys(ScheduleStatus).filter((k) => Number.isNaN(Number(k)));

export async function forceState(ctx: CliContext, options: { cluster: string; taskId: string; state: string }): Promise<number> {
  const state = options.state.toUpperCase();
  const status = (ScheduleStatus as unknown as Record<string, number | undefined>)[state];
  if (status === undefined || !STATES.includes(state)) throw new UsageError(`STATE: ${JSON.stringify(options.state)} is not a task state (one of ${STATES.join(', ')})`);
  const client = await ctx.client(clusterOnly(options.cluster));
  // The scheduler answers OK for a task it does not know, so look first: a typo must not look like success.
  const found = await client.getTasksWithoutConfigs({ taskIds: [options.taskId] });
  const task = (found.tasks ?? [])[0];
  if (!task) throw new CliFailure(`no task ${JSON.stringify(options.taskId)} on this scheduler`);
  const from = ScheduleStatus[task.status ?? ScheduleStatus.INIT] ?? '?';
  await client.forceTaskState(options.taskId, status);
  return done(ctx, `Forced task ${options.taskId} from ${from} to ${state}.`, { taskId: options.taskId, from, state });
}
