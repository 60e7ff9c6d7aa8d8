/**
 * The checks Aurora's scheduler makes on a job before accepting it (ConfigurationManager.java,
 * SchedulerThriftInterface.java createJob/scheduleCronJob, SanitizedCronJob.java,
 * CronJobManagerImpl.java), in the scheduler's order and with its message text, plus a few
 * client-side checks the scheduler would only trip over later (union shapes, cron grammar).
 *
 * Pure functions of (config, policy): the local scheduler runs the same checks on incoming calls.
 * `checkJob` lists every issue; `validateJob` throws the first as AuroraValidationError, whose
 * `field` is the JobConfiguration path; `issue.message` is what the scheduler answers.
 */

import { AURORA_EXECUTOR_NAME, CronCollisionPolicy } from '../gen/types.js';
import type { ConstraintInput, JobConfigurationInput, JobKeyInput, Resource, TaskConfigInput } from '../gen/types.js';
import type { ClusterPolicyOverrides } from '../discovery/clusters.js';
import type { ExecutorCatalog } from '../executors/types.js';
import { AuroraValidationError } from '../errors.js';
import { parseCron } from './cron.js';
import { DEDICATED_ATTRIBUTE } from './constraints.js';
import { DEFAULT_ALLOWED_JOB_ENVIRONMENTS, isGoodIdentifier, javaJobKeyString, jobKeyPath } from './identifiers.js';
import { toArray } from './plain.js';

export interface TierInfo {
  preemptible: boolean;
  revocable: boolean;
}

/** Aurora's shipped tiers.json; a tier is production when neither preemptible nor revocable. */
export const DEFAULT_TIERS: Readonly<Record<string, TierInfo>> = Object.freeze({
  preferred: { preemptible: false, revocable: false },
  preemptible: { preemptible: true, revocable: false },
  revocable: { preemptible: true, revocable: true },
});

/**
 * What a cluster allows: the switches a clusters.json entry may set (ClusterPolicyOverrides, where
 * each is documented with its Aurora flag) plus what validation learns elsewhere.
 */
export interface ClusterPolicy extends ClusterPolicyOverrides {
  /** Tiers [-tier_config]; default Aurora's tiers.json with default tier `preemptible`. */
  tiers?: Readonly<Record<string, TierInfo>>;
  /** The cluster's custom executors; when given, a task's executor must be one of them (or Thermos). */
  executors?: ExecutorCatalog | readonly string[];
}

export interface JobIssue {
  /** Path in the JobConfiguration, e.g. `taskConfig.resources`; empty for the whole job. */
  field: string;
  /** The scheduler's message. */
  message: string;
}

// Message texts from ConfigurationManager.java / SchedulerThriftInterface.java / CronJobManagerImpl.java.
export const MESSAGES = {
  NO_TASK_CONFIG: 'Job configuration must have taskConfig set.',
  INSTANCE_COUNT: 'Instance count must be positive.',
  NO_EXECUTOR_OR_CONTAINER: 'Configuration may not be null.',
  INVALID_EXECUTOR_CONFIG: 'Executor name may not be left unset.',
  NO_DOCKER_PARAMETERS: 'This scheduler is configured to disallow Docker parameters.',
  EXECUTOR_REQUIRED_WITH_DOCKER: 'This scheduler is configured to require an executor for Docker-based tasks.',
  MESOS_FETCHER_DISABLED: 'Mesos Fetcher for individual jobs is disabled in this cluster.',
  NO_CONTAINER_VOLUMES: 'This scheduler is configured to disallow container volumes.',
  GPUS_DISABLED: 'GPU resource support is disabled in this cluster.',
  NO_CRON: 'Cron jobs may only be created/updated by calling scheduleCronJob.',
  RUN_OVERLAP: 'The RUN_OVERLAP collision policy has been removed (AURORA-38).',
  DOCKER_IMAGE: 'A container must specify an image.',
  CONTAINER_TYPE: 'A job must have a container type.',
  DEDICATED_VALUE: 'A dedicated constraint must be of value type.',
  DEDICATED_ONE: 'A dedicated constraint must have exactly one value',
} as const;

export const executorMissing = (name: string) => `Configuration for executor '${name}' doesn't exist.`;
export const instanceLimit = (max: number) => `Instance count must be between 1 and ${max} inclusive.`;
export const noCronSchedule = (key: JobKeyInput | undefined) => `Job ${jobKeyPath(key)} has no cron schedule`;

const RESOURCE_FIELDS = ['numCpus', 'ramMb', 'diskMb', 'namedPort', 'numGpus'] as const;
// ResourceType.getAuroraName(), which the duplicate-resource message lists.
const AURORA_RESOURCE_NAMES: Record<(typeof RESOURCE_FIELDS)[number], string> = {
  numCpus: 'CPU',
  ramMb: 'RAM',
  diskMb: 'disk',
  namedPort: 'ports',
  numGpus: 'GPU',
};

const isSet = <T>(v: T | undefined | null): v is T => v !== undefined && v !== null;

/** Every issue the scheduler (and its cron parser) would raise for this job, first one first. */
export function checkJob(config: JobConfigurationInput, policy: ClusterPolicy = {}): JobIssue[] {
  const issues: JobIssue[] = [];
  const task = config.taskConfig;
  if (!isSet(task)) issues.push({ field: 'taskConfig', message: MESSAGES.NO_TASK_CONFIG });
  const count = config.instanceCount;
  if (!isSet(count) || count <= 0) {
    issues.push({ field: 'instanceCount', message: MESSAGES.INSTANCE_COUNT });
  } else if (!Number.isInteger(count)) {
    issues.push({ field: 'instanceCount', message: `Instance count must be an integer, got ${count}.` });
  }
  issues.push(...checkKey(config.key, 'key'));
  const env = config.key?.environment;
  if (typeof env === 'string') {
    const allowed = policy.allowedEnvironments ?? DEFAULT_ALLOWED_JOB_ENVIRONMENTS;
    if (!matchesWhole(allowed, env)) {
      issues.push({ field: 'key.environment', message: `Job environment ${env} doesn't match: ${allowed}` });
    }
  }
  const user = config.owner?.user;
  if (isSet(config.owner) && !isGoodIdentifier(user)) {
    issues.push({ field: 'owner.user', message: `Job user contains illegal characters: ${user ?? 'null'}` });
  }
  if (isSet(task)) issues.push(...checkTask(task, count ?? 0, policy, 'taskConfig'));

  const cron = config.cronSchedule;
  if (isSet(cron) && cron !== '' && task?.isService) {
    issues.push({
      field: 'cronSchedule',
      message: `A service task may not be run on a cron schedule: ${jobKeyPath(config.key)} (${cron})`,
    });
  }
  if (isSet(cron)) {
    const cronIssue = checkCronSchedule(cron);
    if (cronIssue) issues.push(cronIssue);
  }
  if (isSet(config.cronCollisionPolicy) && CronCollisionPolicy[config.cronCollisionPolicy] === undefined) {
    issues.push({ field: 'cronCollisionPolicy', message: `Unknown cron collision policy ${config.cronCollisionPolicy}.` });
  }
  const max = policy.maxTasksPerJob ?? 4000;
  if (isSet(count) && count > max) issues.push({ field: 'instanceCount', message: instanceLimit(max) });
  return issues;
}

/** Throws the first issue of `checkJob` as AuroraValidationError. */
export function validateJob(config: JobConfigurationInput, policy: ClusterPolicy = {}): void {
  throwFirst(checkJob(config, policy));
}

/** What createJob adds: a cron job must go through scheduleCronJob. */
export function checkCreateJob(config: JobConfigurationInput, policy: ClusterPolicy = {}): JobIssue[] {
  const issues = checkJob(config, policy);
  if (isSet(config.cronSchedule)) issues.push({ field: 'cronSchedule', message: MESSAGES.NO_CRON });
  return issues;
}

export function validateCreateJob(config: JobConfigurationInput, policy: ClusterPolicy = {}): void {
  throwFirst(checkCreateJob(config, policy));
}

/** What scheduleCronJob / replaceCronTemplate add: a schedule is required and RUN_OVERLAP is gone. */
export function checkCronJob(config: JobConfigurationInput, policy: ClusterPolicy = {}): JobIssue[] {
  const issues = checkJob(config, policy);
  if (!isSet(config.cronSchedule)) issues.push({ field: 'cronSchedule', message: noCronSchedule(config.key) });
  if (config.cronCollisionPolicy === CronCollisionPolicy.RUN_OVERLAP) {
    issues.push({ field: 'cronCollisionPolicy', message: MESSAGES.RUN_OVERLAP });
  }
  return issues;
}

export function validateCronJob(config: JobConfigurationInput, policy: ClusterPolicy = {}): void {
  throwFirst(checkCronJob(config, policy));
}

export function issueError(issue: JobIssue): AuroraValidationError {
  return new AuroraValidationError(issue.field, issue.message);
}

export function throwFirst(issues: readonly JobIssue[]): void {
  const first = issues[0];
  if (first) throw issueError(first);
}

/** `Invalid cron schedule: ...` (SanitizedCronJob's prefix, cron.ts' reason), or undefined. */
export function checkCronSchedule(schedule: string): JobIssue | undefined {
  try {
    parseCron(schedule);
    return undefined;
  } catch (err) {
    if (!(err instanceof AuroraValidationError)) throw err;
    const prefix = `${err.field}: `;
    const reason = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    return { field: 'cronSchedule', message: `Invalid cron schedule: ${reason}` };
  }
}

function checkKey(key: JobKeyInput | undefined, field: string): JobIssue[] {
  const bad = (['role', 'environment', 'name'] as const).find((part) => !isGoodIdentifier(key?.[part]));
  if (bad === undefined) return [];
  return [
    {
      field: isSet(key) ? `${field}.${bad}` : field,
      message: `Job key ${javaJobKeyString(key)} is invalid.`,
    },
  ];
}

/** ConfigurationManager.validateAndPopulate(ITaskConfig, instanceCount): what startJobUpdate also runs. */
export function checkTask(task: TaskConfigInput, instanceCount: number, policy: ClusterPolicy = {}, at = 'taskConfig'): JobIssue[] {
  const issues: JobIssue[] = [];
  const f = (sub: string) => (at ? `${at}.${sub}` : sub);
  const tiers = policy.tiers ?? DEFAULT_TIERS;
  const defaultTier = policy.defaultTier ?? 'preemptible';

  let tierName = defaultTier;
  if (isSet(task.tier)) {
    if (!isGoodIdentifier(task.tier)) {
      issues.push({ field: f('tier'), message: `Tier contains illegal characters: ${task.tier}` });
    } else if (!Object.hasOwn(tiers, task.tier)) {
      issues.push({ field: f('tier'), message: `Invalid tier '${task.tier}' in TaskConfig.` });
    }
    tierName = task.tier;
  }
  issues.push(...checkKey(task.job, f('job')));

  // A task needs an executor, or a Docker container to run instead.
  const executor = task.executorConfig;
  const docker = task.container?.docker;
  if (!isSet(executor) && !isSet(docker)) {
    issues.push({ field: f('executorConfig'), message: MESSAGES.NO_EXECUTOR_OR_CONTAINER });
  }
  if (isSet(executor)) {
    if (!isSet(executor.name)) {
      issues.push({ field: f('executorConfig.name'), message: MESSAGES.INVALID_EXECUTOR_CONFIG });
    } else if (!executorExists(executor.name, policy)) {
      issues.push({ field: f('executorConfig.name'), message: executorMissing(executor.name) });
    }
  }

  const constraints = toArray(task.constraints);
  issues.push(...checkConstraints(constraints, f('constraints')));
  const dedicated = constraints.find((c) => c.name === DEDICATED_ATTRIBUTE);
  if (dedicated) issues.push(...checkDedicated(dedicated, task.job?.role, f('constraints')));

  // Containers.
  const container = task.container;
  if (isSet(container)) {
    const kinds = (['mesos', 'docker'] as const).filter((k) => isSet(container[k]));
    if (kinds.length === 0) {
      issues.push({ field: f('container'), message: MESSAGES.CONTAINER_TYPE });
    } else if (kinds.length > 1) {
      issues.push({ field: f('container'), message: 'A container must set exactly one of mesos or docker.' });
    }
    if (isSet(docker)) {
      if (!isSet(docker.image) || docker.image === '') {
        issues.push({ field: f('container.docker.image'), message: MESSAGES.DOCKER_IMAGE });
      }
      if (toArray(docker.parameters).length > 0 && !policy.allowDockerParameters) {
        issues.push({ field: f('container.docker.parameters'), message: MESSAGES.NO_DOCKER_PARAMETERS });
      }
      if (policy.requireDockerUseExecutor && !isSet(executor)) {
        issues.push({ field: f('executorConfig'), message: MESSAGES.EXECUTOR_REQUIRED_WITH_DOCKER });
      }
      if (!policy.allowDocker) {
        issues.push({ field: f('container.docker'), message: 'This scheduler is not configured to allow the container type DOCKER' });
      }
    }
  }

  issues.push(...checkResources(toArray(task.resources), policy, f('resources')));

  if (toArray(task.mesosFetcherUris).length > 0) {
    if (!policy.allowFetcherUris) issues.push({ field: f('mesosFetcherUris'), message: MESSAGES.MESOS_FETCHER_DISABLED });
    toArray(task.mesosFetcherUris).forEach((u, i) => {
      if (!isSet(u.value) || u.value === '') {
        issues.push({ field: f(`mesosFetcherUris[${i}].value`), message: 'A fetcher URI needs a value.' });
      }
    });
  }
  const mesos = container?.mesos;
  if (isSet(mesos) && toArray(mesos.volumes).length > 0 && !policy.allowContainerVolumes) {
    issues.push({ field: f('container.mesos.volumes'), message: MESSAGES.NO_CONTAINER_VOLUMES });
  }

  if (isSet(task.slaPolicy)) {
    const tier = tiers[tierName];
    const production = tier !== undefined && !tier.preemptible && !tier.revocable;
    issues.push(...checkSlaPolicy(task, instanceCount, production, policy, f('slaPolicy'), tierName));
  }
  return issues;
}

function checkConstraints(constraints: ConstraintInput[], field: string): JobIssue[] {
  const issues: JobIssue[] = [];
  constraints.forEach((c, i) => {
    const kinds = (['value', 'limit'] as const).filter((k) => isSet(c.constraint?.[k]));
    if (!isSet(c.name) || c.name === '') {
      issues.push({ field: `${field}[${i}].name`, message: 'A constraint must name a host attribute.' });
    }
    if (kinds.length !== 1) {
      issues.push({ field: `${field}[${i}]`, message: `Constraint ${c.name ?? ''} must be exactly one of value or limit.` });
    }
  });
  return issues;
}

function checkDedicated(c: ConstraintInput, role: string | undefined, field: string): JobIssue[] {
  const value = c.constraint?.value;
  if (!isSet(value) || isSet(c.constraint?.limit)) return [{ field, message: MESSAGES.DEDICATED_VALUE }];
  const values = toArray(value.values);
  if (values.length !== 1) return [{ field, message: MESSAGES.DEDICATED_ONE }];
  const dedicatedRole = values[0]!.split('/')[0]!;
  if (dedicatedRole !== '*' && dedicatedRole !== role) {
    return [{ field, message: `Only ${dedicatedRole} may use hosts dedicated for that role.` }];
  }
  return [];
}

function checkResources(resources: Resource[], policy: ClusterPolicy, field: string): JobIssue[] {
  const issues: JobIssue[] = [];
  const counts = new Map<(typeof RESOURCE_FIELDS)[number], number>();
  const totals = { numCpus: 0, ramMb: 0, diskMb: 0 };
  resources.forEach((r, i) => {
    const set = RESOURCE_FIELDS.filter((k) => isSet(r[k]));
    if (set.length !== 1) {
      issues.push({ field: `${field}[${i}]`, message: `A Resource must set exactly one of ${RESOURCE_FIELDS.join(', ')}.` });
      return;
    }
    const kind = set[0]!;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    const v = r[kind];
    if (kind === 'namedPort') {
      if (v === '') issues.push({ field: `${field}[${i}].namedPort`, message: 'A named port needs a name.' });
      return;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      issues.push({ field: `${field}[${i}].${kind}`, message: `${kind} must be a number.` });
      return;
    }
    if (kind !== 'numCpus' && !Number.isInteger(v)) {
      issues.push({ field: `${field}[${i}].${kind}`, message: `${kind} must be a whole number, got ${v}.` });
    }
    if (kind === 'numCpus' || kind === 'ramMb' || kind === 'diskMb') totals[kind] += v;
  });
  const dupes = [...counts.entries()]
    .filter(([kind, n]) => kind !== 'namedPort' && n > 1)
    .map(([kind]) => AURORA_RESOURCE_NAMES[kind])
    .sort();
  if (dupes.length > 0) issues.push({ field, message: `Multiple resource values are not supported for ${dupes.join(', ')}` });
  if (totals.numCpus <= 0) issues.push({ field, message: 'num_cpus must be greater than 0.0' });
  if (totals.ramMb <= 0) issues.push({ field, message: 'ram_mb must be greater than 0.0' });
  if (totals.diskMb <= 0) issues.push({ field, message: 'disk_mb must be greater than 0.0' });
  if (!policy.allowGpus && counts.has('numGpus')) issues.push({ field, message: MESSAGES.GPUS_DISABLED });
  return issues;
}

function checkSlaPolicy(
  task: TaskConfigInput,
  instanceCount: number,
  production: boolean,
  policy: ClusterPolicy,
  field: string,
  tierName: string,
): JobIssue[] {
  const sla = task.slaPolicy!;
  const kinds = (['percentageSlaPolicy', 'countSlaPolicy', 'coordinatorSlaPolicy'] as const).filter((k) => isSet(sla[k]));
  if (kinds.length !== 1) {
    return [{ field, message: 'An SlaPolicy must set exactly one of percentageSlaPolicy, countSlaPolicy or coordinatorSlaPolicy.' }];
  }
  if (!(policy.slaAwareKillNonProd || production)) {
    return [{ field: field.replace(/slaPolicy$/, 'tier'), message: `Tier '${tierName}' does not support SlaPolicy.` }];
  }
  const minInstances = policy.minRequiredInstances ?? 20;
  const maxDuration = policy.maxSlaDurationSecs ?? 7200;
  if (!isSet(sla.coordinatorSlaPolicy) && instanceCount < minInstances) {
    return [{ field, message: `Job with fewer than ${minInstances} instances cannot have Percentage/Count SlaPolicy.` }];
  }
  const issues: JobIssue[] = [];
  const count = sla.countSlaPolicy;
  if (isSet(count)) {
    if (isSet(count.count) && instanceCount - count.count < 1) {
      issues.push({
        field: `${field}.countSlaPolicy.count`,
        message:
          `Current CountSlaPolicy: count=${count.count} will not allow any instances to be killed. ` +
          `Must be less than instanceCount=${instanceCount}.`,
      });
    }
    if (isSet(count.durationSecs) && count.durationSecs > maxDuration) {
      issues.push({
        field: `${field}.countSlaPolicy.durationSecs`,
        message: `CountSlaPolicy: durationSecs=${count.durationSecs} must be less than cluster-wide maximum of ${maxDuration} secs.`,
      });
    }
  }
  const pct = sla.percentageSlaPolicy;
  if (isSet(pct)) {
    if (isSet(pct.percentage) && instanceCount - (instanceCount * pct.percentage) / 100 < 1) {
      issues.push({
        field: `${field}.percentageSlaPolicy.percentage`,
        message:
          `Current PercentageSlaPolicy: percentage=${pct.percentage.toFixed(6)} will not allow any instances to be killed. ` +
          `Must be less than ${(((instanceCount - 1) / instanceCount) * 100).toFixed(6)}.`,
      });
    }
    if (isSet(pct.durationSecs) && pct.durationSecs > maxDuration) {
      issues.push({
        field: `${field}.percentageSlaPolicy.durationSecs`,
        message: `PercentageSlaPolicy: durationSecs=${pct.durationSecs} must be less than cluster-wide maximum of ${maxDuration} secs.`,
      });
    }
  }
  const coord = sla.coordinatorSlaPolicy;
  if (isSet(coord) && (!isSet(coord.coordinatorUrl) || coord.coordinatorUrl === '')) {
    issues.push({ field: `${field}.coordinatorSlaPolicy.coordinatorUrl`, message: 'A CoordinatorSlaPolicy needs a coordinatorUrl.' });
  }
  return issues;
}

function executorExists(name: string, policy: ClusterPolicy): boolean {
  if (name === AURORA_EXECUTOR_NAME && policy.thermos !== false) return true;
  const catalog = policy.executors;
  if (catalog === undefined) return name !== '' && (name !== AURORA_EXECUTOR_NAME || policy.thermos !== false);
  const names = Array.isArray(catalog) ? (catalog as readonly string[]) : (catalog as ExecutorCatalog).names();
  return names.includes(name);
}

/** Java's Matcher.matches(): the whole string must match. */
function matchesWhole(pattern: string, text: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(text);
  } catch {
    return false;
  }
}
