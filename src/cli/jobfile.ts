/**
 * Loading a job file for a command: the file's job, the cluster it goes to and its job key, checked
 * against that cluster's rules (its policy switches and its custom executors) before anything is sent.
 */
import type { ExecutorCatalog } from '../executors/types.js';
import type { LoadedJob } from '../job/file.js';
import type { ClusterPolicy, JobIssue } from '../job/validate.js';
import type { CliContext } from './context.js';
import { LOCAL_CLUSTER } from './discovery.js';
import { UsageError } from './errors.js';
import { formatJobKey, parseClusterRole, parseJobKey, type InstancesRule, type JobKeySpec } from './jobkey.js';

export interface JobFromFile extends LoadedJob {
  /** --cluster, else the file's `cluster`, else the key's, else `local`. */
  cluster: string;
  key: JobKeySpec;
  /** The instances the key named (`KEY/0-2 FILE`), when it named some. */
  instances?: number[];
}

/** What the job is loaded for: which of the scheduler's checks it must pass. */
export type JobUse = 'create' | 'cron' | 'update' | 'inspect';

export interface JobKeyArg {
  /** Aurora's client form `CLUSTER/ROLE/ENV/NAME[/INSTANCES] CONFIG`: the key typed before the file. */
  key?: string;
  /** Whether the key may name instances (update start, job diff). */
  instances?: InstancesRule;
}

export async function loadJob(ctx: CliContext, file: string, clusterFlag: string | undefined, use: JobUse = 'inspect', arg: JobKeyArg = {}): Promise<JobFromFile> {
  if (clusterFlag !== undefined && parseClusterRole(clusterFlag).role !== undefined) {
    throw new UsageError(`--cluster ${JSON.stringify(clusterFlag)}: expected a cluster name, without a role`);
  }
  const typed = arg.key === undefined ? undefined : parseJobKey(arg.key, arg.instances ?? 'forbidden');
  if (typed !== undefined && clusterFlag !== undefined && typed.cluster !== clusterFlag) {
    throw new UsageError(`job key ${arg.key} names cluster ${typed.cluster} but --cluster says ${clusterFlag}`, 'give one of them');
  }
  const { loadJobFile } = await import('../job/loader.js');
  const loaded = await loadJobFile(file, { cwd: ctx.cwd });
  const cluster = clusterFlag ?? loaded.cluster ?? typed?.cluster ?? LOCAL_CLUSTER;
  const jobKey = loaded.config.key ?? {};
  const job: JobFromFile = {
    ...loaded,
    cluster,
    key: { cluster, role: jobKey.role ?? '', environment: jobKey.environment ?? '', name: jobKey.name ?? '' },
  };
  if (typed !== undefined) {
    // As Aurora's client, the key selects the job; a file holds one, so anything else is a mistake, caught before a call.
    const { instances, ...named } = typed;
    if (formatJobKey(named) !== formatJobKey(job.key)) {
      throw new UsageError(`job key ${formatJobKey(named)} does not match the job in ${file} (${formatJobKey(job.key)})`, `give the file's key, or the file alone`);
    }
    if (instances !== undefined) job.instances = instances;
  }
  const issue = await firstClusterIssue(ctx, job, use);
  if (issue) throw new UsageError(`${file}: ${issue.field ? `${issue.field}: ` : ''}${issue.message}`);
  return job;
}

/**
 * The scheduler's own rules for this job on its cluster. With an explicit --scheduler-url the cluster's
 * switches are unknown, so only the rules every Aurora applies are checked; its executors are checked
 * whenever an executor file is known (AURORA_CUSTOM_EXECUTOR_CONFIG, the cluster's
 * `custom_executor_config`, or the running local scheduler's).
 */
async function firstClusterIssue(ctx: CliContext, job: JobFromFile, use: JobUse): Promise<JobIssue | undefined> {
  const validate = await import('../job/validate.js');
  const explicitUrl = ctx.explicitSchedulerUrl !== undefined;
  let policy: ClusterPolicy = explicitUrl
    ? { allowDocker: true, allowDockerParameters: true, allowFetcherUris: true, allowGpus: true, allowContainerVolumes: true }
    : {};
  let executorFile = ctx.env['AURORA_CUSTOM_EXECUTOR_CONFIG'] || undefined;
  if (!explicitUrl) {
    const target = await ctx.target(job.cluster);
    policy = { ...policy, ...(target.cluster?.policy ?? {}) };
    executorFile ??= target.cluster?.customExecutorConfig;
    if (executorFile === undefined && job.cluster === LOCAL_CLUSTER) {
      const { localClusterScheduler } = await import('./scheduler-state.js');
      executorFile = localClusterScheduler(ctx.env)?.executors;
    }
  }
  if (executorFile !== undefined) policy = { ...policy, executors: await loadCatalog(ctx.path(executorFile)) };
  const config = job.config;
  // A cron job file given to `job create`, or a file without a schedule given to `cron schedule`, gets
  // the command's own hint (use the other command); everything else is checked here.
  const asCron = use === 'cron' && config.cronSchedule !== undefined && config.cronSchedule !== null;
  return (asCron ? validate.checkCronJob(config, policy) : validate.checkJob(config, policy))[0];
}

async function loadCatalog(path: string): Promise<ExecutorCatalog> {
  const { loadExecutorConfig } = await import('../executors/index.js');
  try {
    return await loadExecutorConfig(path);
  } catch (error) {
    throw new UsageError(`the cluster's custom executor file: ${(error as Error).message}`);
  }
}
