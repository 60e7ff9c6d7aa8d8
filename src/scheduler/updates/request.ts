/**
 * startJobUpdate's checks of a JobUpdateRequest's settings, in Aurora's order and with its messages
 * (SchedulerThriftInterface.startJobUpdate), and the strategy back-filled for old clients.
 */
import type { JobUpdateRequest, JobUpdateSettings, JobUpdateStrategy } from '../../gen/types.js';
import { checkUpdateSettings, UPDATE_MESSAGES } from '../../update/validate.js';

/** Aurora's messages: the settings rules are shared with client-side validation (src/update). */
export const MESSAGES = {
  ...UPDATE_MESSAGES,
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
  const issues = checkUpdateSettings(settings, { task: request.taskConfig, instanceCount: request.instanceCount ?? 0 }, { maxUpdateInstanceFailures });
  return issues[0]?.message;
}
