/** `aurora-ts update list CLUSTER[/ROLE] | KEY`: update summaries, filtered as Aurora's `--status` groups and `--user`. */
import {
  ACTIVE_JOB_UPDATE_STATES,
  JobUpdateStatus,
  type JobUpdateQuery,
  type JobUpdateSummary,
} from '../../../gen/types.js';
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { formatAge, shortUpdateId } from '../../tasks.js';
import { parseClusterRole, parseJobKey, thriftJobKey } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { LIST } from './index.js';
import { statusName } from './shared.js';

const ALL_UPDATE_STATUSES = Object.values(JobUpdateStatus).filter((v): v is JobUpdateStatus => typeof v === 'number');

// Aurora's `update list --status` groups (client/cli/update.py), besides every status by name.
const STATUS_GROUPS: Record<string, readonly JobUpdateStatus[]> = {
  active: [...ACTIVE_JOB_UPDATE_STATES],
  all: ALL_UPDATE_STATUSES,
  blocked: [JobUpdateStatus.ROLL_FORWARD_AWAITING_PULSE, JobUpdateStatus.ROLL_BACK_AWAITING_PULSE],
  failed: [JobUpdateStatus.ERROR, JobUpdateStatus.FAILED, JobUpdateStatus.ROLLED_BACK],
  inactive: ALL_UPDATE_STATUSES.filter((s) => !ACTIVE_JOB_UPDATE_STATES.has(s)),
  paused: [JobUpdateStatus.ROLL_FORWARD_PAUSED, JobUpdateStatus.ROLL_BACK_PAUSED],
  succeeded: [JobUpdateStatus.ROLLED_FORWARD],
};

/** The statuses `--status` values (and `--active`) name; undefined for no filter. */
function statusFilter(options: VerbInput<typeof LIST>): JobUpdateStatus[] | undefined {
  const names = [...(options.status ?? []), ...(options.active ? ['active'] : [])];
  if (names.length === 0) return undefined;
  const out = new Set<JobUpdateStatus>();
  for (const name of names) {
    const group = STATUS_GROUPS[name.toLowerCase()];
    const single = JobUpdateStatus[name.toUpperCase() as keyof typeof JobUpdateStatus] as JobUpdateStatus | undefined;
    if (group) group.forEach((s) => out.add(s));
    else if (typeof single === 'number') out.add(single);
    else {
      throw new UsageError(
        `--status ${JSON.stringify(name)}: expected one of ${Object.keys(STATUS_GROUPS).join(', ')} or a status (${ALL_UPDATE_STATUSES.map((s) => JobUpdateStatus[s]).join(', ')})`,
      );
    }
  }
  return [...out];
}

export async function run(ctx: CliContext, options: VerbInput<typeof LIST>): Promise<number> {
  const { io } = ctx;
  const parts = options.target.split('/');
  let cluster: string;
  const query: JobUpdateQuery = {};
  if (parts.length >= 4) {
    const key = parseJobKey(options.target);
    cluster = key.cluster;
    query.jobKey = thriftJobKey(key);
  } else {
    const parsed = parseClusterRole(options.target);
    cluster = parsed.cluster;
    if (parsed.role !== undefined) query.role = parsed.role;
  }
  const statuses = statusFilter(options);
  if (statuses !== undefined) query.updateStatuses = statuses;
  if (options.user !== undefined) query.user = options.user;
  const client = await ctx.client(cluster);
  const result = await client.getJobUpdateSummaries(query);
  const rows = (result.updateSummaries ?? []).map((s) => summaryRow(cluster, s));
  if (io.json) {
    io.data({ updates: rows });
    return ExitCode.OK;
  }
  if (rows.length === 0) {
    io.out('No updates.');
    return ExitCode.OK;
  }
  const now = Date.now();
  io.table(rows, [
    { header: 'JOB', value: (r) => r.job, shrink: 'start' },
    { header: 'ID', value: (r) => shortUpdateId(r.id), wide: (r) => r.id },
    { header: 'STATUS', value: (r) => r.status },
    { header: 'USER', value: (r) => r.user, shrink: true },
    { header: 'CREATED', value: (r) => (r.createdMs ? `${formatAge(r.createdMs, now)} ago` : '-'), wide: (r) => (r.createdMs ? new Date(r.createdMs).toISOString() : '-') },
  ]);
  return ExitCode.OK;
}

function summaryRow(cluster: string, s: JobUpdateSummary) {
  const job = s.key?.job;
  return {
    job: `${cluster}/${job?.role}/${job?.environment}/${job?.name}`,
    id: s.key?.id ?? '',
    status: statusName(s.state?.status),
    user: s.user ?? '',
    createdMs: s.state?.createdTimestampMs ?? null,
    lastModifiedMs: s.state?.lastModifiedTimestampMs ?? null,
  };
}
