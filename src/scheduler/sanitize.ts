/**
 * createJob / populateJobConfig input checks of the local scheduler: Aurora's ConfigurationManager
 * rules plus what this machine cannot run (Docker). Returns the sanitized job or the reason.
 */
import type { ExecutorCatalog } from '../executors/index.js';
import type { JobConfiguration } from '../gen/types.js';
import { jobKeyProblem } from './rpc/jobs.js';
import { THERMOS } from './launch-spec.js';

export interface SchedulerPolicy {
  allowDocker: boolean;
  allowDockerParameters: boolean;
  allowFetcherUris: boolean;
  allowGpus: boolean;
  allowContainerVolumes: boolean;
  /** Aurora's -allowed_job_environments. */
  allowedEnvironments: string;
}

export interface SanitizeContext {
  policy: SchedulerPolicy;
  executors: ExecutorCatalog | undefined;
}

export function sanitizeJob(job: JobConfiguration, context: SanitizeContext): JobConfiguration | string {
  const keyProblem = jobKeyProblem(job.key);
  if (keyProblem) return keyProblem;
  const key = job.key!;
  if (!new RegExp(context.policy.allowedEnvironments).test(key.environment!)) {
    return `Job environment ${key.environment} doesn't match: ${context.policy.allowedEnvironments}`;
  }
  const task = job.taskConfig;
  if (!task) return 'Task config may not be null.';
  const count = job.instanceCount ?? 0;
  if (!Number.isInteger(count) || count <= 0 || count > 4000) return 'Instance count must be between 1 and 4000 inclusive.';
  if (task.container?.docker) return 'Docker containers are not supported by the aurora-ts local scheduler: this machine has no container engine.';
  const executor = task.executorConfig;
  if (!executor) return 'Configuration may not be null.';
  if (!executor.name) return 'Executor name may not be left unset.';
  if (executor.name !== THERMOS && !context.executors?.get(executor.name)) {
    return `Configuration for executor '${executor.name}' doesn't exist.`;
  }
  const owner = job.owner ?? task.owner;
  const sanitized: JobConfiguration = {
    ...job,
    owner,
    instanceCount: count,
    taskConfig: { ...task, job: key, owner, isService: task.isService ?? false, maxTaskFailures: task.maxTaskFailures ?? 1, tier: task.tier ?? 'preemptible' },
  };
  return sanitized;
}
