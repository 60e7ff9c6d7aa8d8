/**
 * What the RPC handlers share: the task lifecycle, the executor catalog, the response builder and the
 * cluster's settings. One instance per running scheduler.
 */
import type { ExecutorCatalog } from '../executors/index.js';
import type { JobConfiguration, JobKey, ServerInfo, TaskConfig } from '../gen/types.js';
import { TaskLifecycle, type Capacity, type ThrottleSettings } from './lifecycle.js';
import { Responses } from './rpc/responses.js';

export interface CoreOptions {
  clusterName: string;
  executors: ExecutorCatalog | undefined;
  capacity: Capacity;
  throttle: ThrottleSettings;
  hostname: string;
  lifecycle: TaskLifecycle;
  /** Validates and fills in a job the way Aurora's ConfigurationManager does: the sanitized job, or the reason it is rejected. */
  sanitize(job: JobConfiguration): JobConfiguration | string;
  maxTasksPerJob?: number;
}

export class SchedulerCore {
  readonly responses: Responses;
  readonly lifecycle: TaskLifecycle;
  readonly clusterName: string;
  readonly executors: ExecutorCatalog | undefined;
  readonly maxTasksPerJob: number;
  readonly serverInfo: ServerInfo;
  private readonly sanitizer: CoreOptions['sanitize'];

  constructor(options: CoreOptions) {
    this.clusterName = options.clusterName;
    this.executors = options.executors;
    this.lifecycle = options.lifecycle;
    this.maxTasksPerJob = options.maxTasksPerJob ?? 4000;
    this.serverInfo = { clusterName: options.clusterName, statsUrlPrefix: '' };
    this.responses = new Responses(this.serverInfo);
    this.sanitizer = options.sanitize;
  }

  sanitize(job: JobConfiguration | undefined): JobConfiguration | string {
    if (!job || typeof job !== 'object') return 'Job configuration must be set.';
    return this.sanitizer(job);
  }

  /** Cron jobs (scheduled with scheduleCronJob); the cron part of the scheduler fills these in. */
  cronJobs(_role?: string): JobConfiguration[] {
    return [];
  }

  hasCronJob(key: JobKey): boolean {
    return this.cronJobs(key.role).some((j) => j.key?.environment === key.environment && j.key?.name === key.name);
  }

  nextCronRunMs(_job: JobConfiguration): number | undefined {
    return undefined;
  }

  /** Whether a job update is in progress for the job (mutations then answer JOB_UPDATING_ERROR). */
  isUpdating(_key: JobKey): boolean {
    return false;
  }

  /** The "Insufficient resource quota" reason for production tasks over quota, else undefined. */
  checkQuota(_task: TaskConfig, _instances: number): string | undefined {
    return undefined;
  }

  /** Stores state before a write is acknowledged (no-op without a state directory). */
  persist(): void {}

  /** Who made the current call, for audit messages ("Killed by <user>"). */
  callerName(): string {
    return 'UNSECURE';
  }
}
