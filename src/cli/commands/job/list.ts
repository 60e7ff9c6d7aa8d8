/** `aurora-ts job list CLUSTER[/ROLE]`: the jobs getJobSummary reports, with task counts. */
import type { JobSummary } from '../../../gen/types.js';
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import { parseClusterRole } from '../../jobkey.js';

export interface ListOptions {
  clusterRole: string;
}

interface JobRow {
  job: string;
  active: number;
  pending: number;
  finished: number;
  failed: number;
  instances: number;
  cron: string | null;
  nextCronRunMs: number | null;
}

export async function run(ctx: CliContext, options: ListOptions): Promise<number> {
  const { io } = ctx;
  const { cluster, role } = parseClusterRole(options.clusterRole);
  const client = await ctx.client(cluster);
  const result = await client.getJobSummary(role ?? '');
  const rows = [...(result.summaries ?? [])].map((s) => row(cluster, s)).sort((a, b) => a.job.localeCompare(b.job));
  if (io.json) {
    io.data({ cluster, role: role ?? null, jobs: rows });
    return ExitCode.OK;
  }
  if (rows.length === 0) {
    io.out(`No jobs in ${role === undefined ? `cluster ${cluster}` : `${cluster}/${role}`}.`);
    return ExitCode.OK;
  }
  io.table<JobRow>(rows, [
    { header: 'JOB', value: (r) => r.job, shrink: 'start' },
    { header: 'INST', value: (r) => String(r.instances), right: true },
    { header: 'ACTIVE', value: (r) => String(r.active), right: true },
    { header: 'PENDING', value: (r) => String(r.pending), right: true },
    { header: 'FINISHED', value: (r) => String(r.finished), right: true },
    { header: 'FAILED', value: (r) => String(r.failed), right: true },
    { header: 'CRON', value: (r) => r.cron ?? '-', shrink: true },
  ]);
  return ExitCode.OK;
}

function row(cluster: string, summary: JobSummary): JobRow {
  const key = summary.job?.key;
  return {
    job: `${cluster}/${key?.role ?? '?'}/${key?.environment ?? '?'}/${key?.name ?? '?'}`,
    instances: summary.job?.instanceCount ?? 0,
    active: summary.stats?.activeTaskCount ?? 0,
    pending: summary.stats?.pendingTaskCount ?? 0,
    finished: summary.stats?.finishedTaskCount ?? 0,
    failed: summary.stats?.failedTaskCount ?? 0,
    cron: summary.job?.cronSchedule ?? null,
    nextCronRunMs: summary.nextCronRunMs ?? null,
  };
}
