/** `aurora-ts job inspect FILE`: the JobConfiguration the file would send; --json gives it Thrift-shaped. */
import { CronCollisionPolicy, type JobConfigurationInput, type Resource } from '../../../gen/types.js';
import { plainCopy } from '../../../job/plain.js';
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import { loadJob } from '../../jobfile.js';
import { formatJobKey } from '../../jobkey.js';
import type { VerbInput } from '../../spec.js';
import type { INSPECT } from './index.js';

export async function run(ctx: CliContext, options: VerbInput<typeof INSPECT>): Promise<number> {
  const { io } = ctx;
  const job = await loadJob(ctx, options.file, options.cluster, 'inspect', { key: options.key });
  const config = plainCopy(job.config);
  if (io.json) {
    io.data(config);
    return ExitCode.OK;
  }
  const task = config.taskConfig ?? {};
  const rows: [string, string][] = [
    ['owner', config.owner?.user ?? '-'],
    ['instances', String(config.instanceCount ?? '-')],
    ['service', task.isService ? 'yes' : 'no'],
    ['tier', task.tier ?? '(cluster default)'],
    ['resources', describeResources(config)],
    ['executor', task.executorConfig?.name ?? (task.container?.docker ? `docker ${task.container.docker.image ?? ''}` : '-')],
    ['max failures', String(task.maxTaskFailures ?? '-')],
  ];
  if (config.cronSchedule) rows.push(['cron', `${config.cronSchedule} (collision policy ${CronCollisionPolicy[config.cronCollisionPolicy ?? CronCollisionPolicy.KILL_EXISTING]})`]);
  const constraints = [...(task.constraints ?? [])].map((c) => {
    const limit = c.constraint?.limit;
    const value = c.constraint?.value;
    if (limit) return `${c.name}=limit:${limit.limit}`;
    return `${c.name}=${value?.negated ? '!' : ''}${[...(value?.values ?? [])].join(',')}`;
  });
  if (constraints.length > 0) rows.push(['constraints', constraints.join(' ')]);
  const metadata = [...(task.metadata ?? [])].map((m) => `${m.key}=${m.value}`);
  if (metadata.length > 0) rows.push(['metadata', metadata.join(' ')]);
  const width = Math.max(...rows.map(([k]) => k.length));
  io.out(`Job ${io.style('bold', formatJobKey(job.key))} (from ${options.file})`);
  for (const [k, v] of rows) io.out(`  ${`${k}:`.padEnd(width + 1)}  ${v}`);
  const data = task.executorConfig?.data;
  if (data !== undefined && data !== '') {
    io.out('  executor data:');
    io.out(indent(prettyData(data), 4));
  }
  return ExitCode.OK;
}

function describeResources(config: JobConfigurationInput): string {
  const parts: string[] = [];
  const ports: string[] = [];
  for (const r of [...(config.taskConfig?.resources ?? [])] as Resource[]) {
    if (r.numCpus !== undefined) parts.push(`cpus ${r.numCpus}`);
    if (r.ramMb !== undefined) parts.push(`ram ${r.ramMb} MiB`);
    if (r.diskMb !== undefined) parts.push(`disk ${r.diskMb} MiB`);
    if (r.numGpus !== undefined) parts.push(`gpus ${r.numGpus}`);
    if (r.namedPort !== undefined) ports.push(r.namedPort);
  }
  if (ports.length > 0) parts.push(`ports ${ports.join(',')}`);
  return parts.join(', ') || '-';
}

function prettyData(data: string): string {
  try {
    return JSON.stringify(JSON.parse(data), null, 2);
  } catch {
    return data;
  }
}

function indent(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
}
