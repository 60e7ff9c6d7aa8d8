/**
 * `aurora-ts job list CLUSTER[/ROLE[/ENV[/NAME]]]`: the jobs getJobSummary reports, with task counts;
 * ROLE, ENV and NAME may be Aurora's fnmatch patterns (e.g. `local/www-data/prod/web*`), matched here after one
 * getJobSummary for the role (or for every role when the role is a pattern).
 */
import type { JobSummary } from '../../../gen/types.js';
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import { compareText } from '../../io.js';
import { isPattern, matchesPattern, parseJobKeyPattern } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { LIST } from './index.js';

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

export async function run(ctx: CliContext, options: VerbInput<typeof LIST>): Promise<number> {
  const { io } = ctx;
  const pattern = parseJobKeyPattern(options.clusterRole);
  const { cluster } = pattern;
  const role = isPattern(pattern.role) ? undefined : pattern.role;
  const client = await ctx.client(cluster);
  const result = await client.getJobSummary(role ?? '');
  const rows = [...(result.summaries ?? [])]
    .filter((s) => {
      const key = s.job?.key;
      return matchesPattern(key?.role ?? '', pattern.role) && matchesPattern(key?.environment ?? '', pattern.environment) && matchesPattern(key?.name ?? '', pattern.name);
    })
    .map((s) => row(cluster, s))
    .sort((a, b) => compareText(a.job, b.job));
  if (io.json) {
    io.data({ cluster, role: role ?? null, ...(options.clusterRole.split('/').length > 2 || role === undefined ? { pattern: options.clusterRole } : {}), jobs: rows });
    return ExitCode.OK;
  }
  if (rows.length === 0) {
    io.out(`No jobs match ${options.clusterRole}.`);
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
