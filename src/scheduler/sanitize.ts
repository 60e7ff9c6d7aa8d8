/**
 * What the local scheduler accepts: Aurora's ConfigurationManager rules (shared with client-side
 * validation in src/job), its cluster switches, and what this machine cannot run (Docker).
 * Returns the sanitized job, with the defaults Aurora fills in, or the reason it is rejected.
 */
import type { ExecutorCatalog } from '../executors/index.js';
import type { JobConfiguration } from '../gen/types.js';
import { checkJob, type ClusterPolicy } from '../job/validate.js';

export type SchedulerPolicy = Required<
  Pick<
    ClusterPolicy,
    | 'allowDocker'
    | 'allowDockerParameters'
    | 'allowFetcherUris'
    | 'allowGpus'
    | 'allowContainerVolumes'
    | 'allowedEnvironments'
    | 'minRequiredInstances'
    | 'slaAwareKillNonProd'
  >
>;

export interface SanitizeContext {
  policy: SchedulerPolicy;
  executors: ExecutorCatalog | undefined;
}

export function sanitizeJob(job: JobConfiguration, context: SanitizeContext): JobConfiguration | string {
  if (job.taskConfig?.container?.docker) {
    return 'Docker containers are not supported by the aurora-ts local scheduler: this machine has no container engine.';
  }
  const issues = checkJob(job, { ...context.policy, executors: context.executors ?? [] });
  if (issues.length > 0) return issues[0]!.message;
  const task = job.taskConfig!;
  const owner = job.owner ?? task.owner;
  return {
    ...job,
    owner,
    taskConfig: {
      ...task,
      job: job.key,
      owner,
      isService: task.isService ?? false,
      priority: task.priority ?? 0,
      production: task.production ?? task.tier === 'preferred',
      maxTaskFailures: task.maxTaskFailures ?? 1,
      tier: task.tier ?? 'preemptible',
      // Aurora stores configs through its immutable wrappers, which turn an unset set into an empty
      // one: its replies always carry these (thrift/api-notes.mjs).
      resources: task.resources ?? [],
      constraints: task.constraints ?? [],
    },
  };
}
