/**
 * What startJobUpdate checks before it looks at the running job (SchedulerThriftInterface.java),
 * in the scheduler's order and with its messages, then the TaskConfig checks it shares with
 * createJob (ConfigurationManager). Pure: the local scheduler runs the same function.
 */

import type { JobUpdateRequestInput, JobUpdateSettingsInput, TaskConfigInput } from '../gen/types.js';
import { checkTask, throwFirst } from '../job/validate.js';
import type { ClusterPolicy, JobIssue } from '../job/validate.js';
import { toArray } from '../job/plain.js';

export const UPDATE_MESSAGES = {
  NON_SERVICE_TASK: 'Updates are not supported for non-service tasks.',
  INVALID_GROUP_SIZE: 'All update group sizes must be positive.',
  UNKNOWN_UPDATE_STRATEGY: 'Update strategy provided is unknown.',
  NO_INSTANCES_MODIFIED: 'Update results in no instance being modified.',
  INVALID_MAX_INSTANCE_FAILURES: 'maxPerInstanceFailures must be non-negative.',
  INVALID_MAX_FAILED_INSTANCES: 'maxFailedInstances must be non-negative.',
  TOO_MANY_POTENTIAL_FAILED_INSTANCES:
    'Your update allows too many failures to occur, consider decreasing the per-instance failures or maxFailedInstances.',
  INVALID_MIN_WAIT_TO_RUNNING: 'minWaitInInstanceRunningMs must be non-negative.',
  INVALID_PULSE_TIMEOUT: 'blockIfNoPulsesAfterMs must be positive.',
  INVALID_SLA_AWARE_UPDATE: 'slaAware is true, but no task slaPolicy is specified.',
} as const;

export interface UpdatePolicy extends ClusterPolicy {
  /** [-max_update_instance_failures], default 5 × maxTasksPerJob (20000). */
  maxUpdateInstanceFailures?: number;
}

/** Settings rules alone; `task`/`instanceCount` enable the rules that need them. */
export function checkUpdateSettings(
  settings: JobUpdateSettingsInput,
  context: { task?: TaskConfigInput; instanceCount?: number } = {},
  policy: UpdatePolicy = {},
  at = 'settings',
): JobIssue[] {
  const f = (sub: string) => (at ? `${at}.${sub}` : sub);
  const M = UPDATE_MESSAGES;
  const strategy = settings.updateStrategy;
  let total: number;
  if (strategy === undefined || strategy === null) {
    // Aurora back-fills a strategy from the pre-0.21 fields.
    total = settings.updateGroupSize ?? 0;
  } else if (strategy.queueStrategy) {
    total = strategy.queueStrategy.groupSize ?? 0;
  } else if (strategy.batchStrategy) {
    total = strategy.batchStrategy.groupSize ?? 0;
  } else if (strategy.varBatchStrategy) {
    const sizes = toArray(strategy.varBatchStrategy.groupSizes);
    if (sizes.some((x) => x <= 0)) return [{ field: f('updateStrategy.varBatchStrategy.groupSizes'), message: M.INVALID_GROUP_SIZE }];
    total = sizes.reduce((a, b) => a + b, 0);
  } else {
    return [{ field: f('updateStrategy'), message: M.UNKNOWN_UPDATE_STRATEGY }];
  }
  if (total <= 0) return [{ field: f('updateStrategy'), message: M.NO_INSTANCES_MODIFIED }];
  const perInstance = settings.maxPerInstanceFailures ?? 0;
  if (perInstance < 0) return [{ field: f('maxPerInstanceFailures'), message: M.INVALID_MAX_INSTANCE_FAILURES }];
  if ((settings.maxFailedInstances ?? 0) < 0) return [{ field: f('maxFailedInstances'), message: M.INVALID_MAX_FAILED_INSTANCES }];
  const maxFailures = policy.maxUpdateInstanceFailures ?? 5 * (policy.maxTasksPerJob ?? 4000);
  if (context.instanceCount !== undefined && perInstance * context.instanceCount > maxFailures) {
    return [{ field: f('maxPerInstanceFailures'), message: M.TOO_MANY_POTENTIAL_FAILED_INSTANCES }];
  }
  if ((settings.minWaitInInstanceRunningMs ?? 0) < 0) {
    return [{ field: f('minWaitInInstanceRunningMs'), message: M.INVALID_MIN_WAIT_TO_RUNNING }];
  }
  if ((settings.blockIfNoPulsesAfterMs ?? 0) < 0) return [{ field: f('blockIfNoPulsesAfterMs'), message: M.INVALID_PULSE_TIMEOUT }];
  if (settings.slaAware && context.task && !context.task.slaPolicy) {
    return [{ field: f('slaAware'), message: M.INVALID_SLA_AWARE_UPDATE }];
  }
  return [];
}

/** startJobUpdate's checks on a request, first issue first. */
export function checkJobUpdateRequest(request: JobUpdateRequestInput, policy: UpdatePolicy = {}): JobIssue[] {
  const task = request.taskConfig ?? {};
  if (!task.isService) return [{ field: 'taskConfig.isService', message: UPDATE_MESSAGES.NON_SERVICE_TASK }];
  const instanceCount = request.instanceCount ?? 0;
  const settingsIssues = checkUpdateSettings(request.settings ?? {}, { task, instanceCount }, policy);
  if (settingsIssues.length > 0) return settingsIssues;
  return checkTask(task, instanceCount, policy, 'taskConfig');
}

export function validateJobUpdateRequest(request: JobUpdateRequestInput, policy: UpdatePolicy = {}): void {
  throwFirst(checkJobUpdateRequest(request, policy));
}

export function validateUpdateSettings(settings: JobUpdateSettingsInput, policy: UpdatePolicy = {}): void {
  throwFirst(checkUpdateSettings(settings, {}, policy));
}
