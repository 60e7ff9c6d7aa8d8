/**
 * startJobUpdate's checks of a JobUpdateRequest's settings, in Aurora's order and with its messages
 * (SchedulerThriftInterface.startJobUpdate), and the strategy back-filled for old clients.
 */
import type { JobUpdateRequest, JobUpdateSettings, JobUpdateStrategy } from '../../gen/types.js';

export const MESSAGES = {
  NON_SERVICE_TASK: 'Updates are not supported for non-service tasks.',
  INVALID_GROUP_SIZE: 'All update group sizes must be positive.',
  UNKNOWN_UPDATE_STRATEGY: 'Update strategy provided is unknown.',
  NO_INSTANCES_MODIFIED: 'Update results in no instance being modified.',
  INVALID_MAX_INSTANCE_FAILURES: 'maxPerInstanceFailures must be non-negative.',
  INVALID_MAX_FAILED_INSTANCES: 'maxFailedInstances must be non-negative.',
  TOO_MANY_POTENTIAL_FAILED_INSTANCES: 'Your update allows too many failures to occur, consider decreasing the per-instance failures or maxFailedInstances.',
  INVALID_MIN_WAIT_TO_RUNNING: 'minWaitInInstanceRunningMs must be non-negative.',
  INVALID_PULSE_TIMEOUT: 'blockIfNoPulsesAfterMs must be positive.',
  INVALID_SLA_AWARE_UPDATE: 'slaAware is true, but no task slaPolicy is specified.',
  NO_CRON: 'Cron jobs may only be created/updated by calling scheduleCronJob.',
  NOOP_JOB_UPDATE: 'Job is unchanged by proposed update.',
} as const;

/**
 * Requests from clients that predate update strategies carry only updateGroupSize and
 * waitForBatchCompletion: they mean a batch strategy, or else a queue.
 */
export function withStrategy(settings: JobUpdateSettings): JobUpdateSettings {
  if (settings.updateStrategy != null) return settings;
  const groupSize = settings.updateGroupSize ?? 0;
  const updateStrategy: JobUpdateStrategy = settings.waitForBatchCompletion ? { batchStrategy: { groupSize } } : { queueStrategy: { groupSize } };
  return { ...settings, updateStrategy };
}

/**
 * The first problem with the request's task kind and settings, or undefined. `settings` must be
 * the back-filled settings.
 */
export function settingsProblem(request: JobUpdateRequest, settings: JobUpdateSettings, maxUpdateInstanceFailures: number): string | undefined {
  if (!request.taskConfig?.isService) return MESSAGES.NON_SERVICE_TASK;
  const strategy = settings.updateStrategy!;
  let total: number;
  if (strategy.queueStrategy != null) {
    total = strategy.queueStrategy.groupSize ?? 0;
  } else if (strategy.batchStrategy != null) {
    total = strategy.batchStrategy.groupSize ?? 0;
  } else if (strategy.varBatchStrategy != null) {
    const sizes = [...(strategy.varBatchStrategy.groupSizes ?? [])];
    if (sizes.some((s) => s <= 0)) return MESSAGES.INVALID_GROUP_SIZE;
    total = sizes.reduce((a, b) => a + b, 0);
  } else {
    return MESSAGES.UNKNOWN_UPDATE_STRATEGY;
  }
  if (total <= 0) return MESSAGES.NO_INSTANCES_MODIFIED;
  const perInstance = settings.maxPerInstanceFailures ?? 0;
  if (perInstance < 0) return MESSAGES.INVALID_MAX_INSTANCE_FAILURES;
  if ((settings.maxFailedInstances ?? 0) < 0) return MESSAGES.INVALID_MAX_FAILED_INSTANCES;
  if (perInstance * (request.instanceCount ?? 0) > maxUpdateInstanceFailures) return MESSAGES.TOO_MANY_POTENTIAL_FAILED_INSTANCES;
  if ((settings.minWaitInInstanceRunningMs ?? 0) < 0) return MESSAGES.INVALID_MIN_WAIT_TO_RUNNING;
  if ((settings.blockIfNoPulsesAfterMs ?? 0) < 0) return MESSAGES.INVALID_PULSE_TIMEOUT;
  if (settings.slaAware && request.taskConfig.slaPolicy == null) return MESSAGES.INVALID_SLA_AWARE_UPDATE;
  return undefined;
}
