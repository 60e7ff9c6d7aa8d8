export { Job, defaultOwner } from './builder.js';
export type { CollisionPolicyName, VolumeMode } from './builder.js';
export { DEDICATED_ATTRIBUTE, formatConstraint, limitConstraint, parseConstraint, valueConstraint } from './constraints.js';
export {
  DEFAULT_ALLOWED_JOB_ENVIRONMENTS,
  GOOD_IDENTIFIER,
  MAX_IDENTIFIER_LENGTH,
  isGoodIdentifier,
  jobKeyPath,
  parseJobKeyPath,
} from './identifiers.js';
export {
  THERMOS_EXECUTOR,
  Thermos,
  ThermosTask,
  checkThermosTask,
  parseThermosPayload,
  thermosExecutorConfig,
  thermosPayload,
  thermosTask,
} from './thermos.js';
export type { ThermosContext, ThermosIssue, ThermosPayload, ThermosProcess, ThermosProcessJson, ThermosTaskSpec } from './thermos.js';
export { JOB_FILE_KEYS, jobFileSchema } from './file-schema.js';
export type { JobFile, JobFileContainer, JobFileProcess, JobFileSchema, JobFileUpdate } from './file-schema.js';
export { JobFileError } from './file-errors.js';
export type { JobFileIssue } from './file-errors.js';
export {
  checkJobFile,
  configToJobFile,
  jobFileToBuilder,
  jobFileToConfig,
  jobFileToUpdateSettings,
  parseJobFile,
} from './file.js';
export type { LoadedJob, ParseJobFileOptions } from './file.js';
export { loadJobFile } from './loader.js';
export type { LoadJobFileOptions } from './loader.js';
export { jobFileJsonSchema } from './json-schema.js';
export {
  DEFAULT_TIERS,
  MESSAGES,
  checkCreateJob,
  checkCronJob,
  checkCronSchedule,
  checkJob,
  checkTask,
  executorMissing,
  instanceLimit,
  issueError,
  noCronSchedule,
  validateCreateJob,
  validateCronJob,
  validateJob,
} from './validate.js';
export type { ClusterPolicy, JobIssue, TierInfo } from './validate.js';
export { describeCron, nextCronRun, parseCron, validateCron, type CronSchedule } from './cron.js';
