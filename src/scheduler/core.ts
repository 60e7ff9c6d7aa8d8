/**
 * What the RPC handlers share: the task lifecycle, the executor catalog, the response builder and the
 * cluster's settings. One instance per running scheduler.
 */
import type { ExecutorCatalog } from '../executors/index.js';
import type { JobConfiguration, JobKey, JobUpdateInstructions, ServerInfo, TaskConfig } from '../gen/types.js';
import type { AgentPool } from './agents/pool.js';
import type { TaskLifecycle } from './lifecycle.js';
import { Responses } from './rpc/responses.js';
import type { SlaManager } from './sla.js';
import type { SchedulerState } from './store/state.js';

export interface CoreOptions {
  clusterName: string;
  executors: ExecutorCatalog | undefined;
  lifecycle: TaskLifecycle;
  /** Validates and fills in a job the way Aurora's ConfigurationManager does: the sanitized job, or the reason it is rejected. */
  sanitize(job: JobConfiguration): JobConfiguration | string;
  maxTasksPerJob?: number;
  /** The agents tasks run on, with their maintenance modes. */
  agents: AgentPool;
  /** SLA checks with the scheduler-wide SLA settings, shared by drains and SLA-aware updates. */
  sla: SlaManager;
  /** The state directory's database (`stateDir`); features register their sections with it. Undefined: nothing is stored. */
  state?: SchedulerState;
  /** With `state`: notices tasks deleted without a transition. */
  reconcileTasks?: () => void;
  /** Who made the current call, for audit messages (default UNSECURE, as Aurora without authentication). */
  callerName?: () => string | undefined;
}

export interface UpdateGate {
  isUpdating(key: JobKey): boolean;
  /** The instructions of the role's active updates, by job key string (quota counts what they may run). */
  activeInstructions(role: string): Map<string, JobUpdateInstructions>;
}

export interface CronCatalog {
  jobs(role?: string): JobConfiguration[];
  nextRunMs(job: JobConfiguration): number | undefined;
  /** One of `jobs()` as a reply carries it: encoded once per protocol (for encoding only). */
  forReply(job: JobConfiguration): JobConfiguration;
}

export interface QuotaGate {
  check(task: TaskConfig, instances: number): string | undefined;
  /** QuotaManager.checkJobUpdate: whether the role's production quota covers this update too. */
  checkUpdate(job: JobKey, instructions: JobUpdateInstructions): string | undefined;
}

export class SchedulerCore {
  readonly responses: Responses;
  readonly lifecycle: TaskLifecycle;
  readonly clusterName: string;
  readonly executors: ExecutorCatalog | undefined;
  readonly maxTasksPerJob: number;
  readonly serverInfo: ServerInfo;
  readonly agents: AgentPool;
  readonly sla: SlaManager;
  /** The state directory's database (`stateDir`); features register their sections with it. Undefined: nothing is stored. */
  readonly state: SchedulerState | undefined;
  private readonly sanitizer: CoreOptions['sanitize'];
  private readonly reconcileTasks: (() => void) | undefined;
  private readonly caller: (() => string | undefined) | undefined;

  constructor(options: CoreOptions) {
    this.clusterName = options.clusterName;
    this.executors = options.executors;
    this.lifecycle = options.lifecycle;
    this.maxTasksPerJob = options.maxTasksPerJob ?? 4000;
    this.serverInfo = { clusterName: options.clusterName, statsUrlPrefix: '' };
    this.responses = new Responses(this.serverInfo);
    this.sanitizer = options.sanitize;
    this.updates = undefined;
    this.cron = undefined;
    this.quota = undefined;
    this.agents = options.agents;
    this.sla = options.sla;
    this.state = options.state;
    this.reconcileTasks = options.reconcileTasks;
    this.caller = options.callerName;
  }

  sanitize(job: JobConfiguration | undefined): JobConfiguration | string {
    if (!job || typeof job !== 'object') return 'Job configuration must be set.';
    return this.sanitizer(job);
  }

  /** Set by the update engine: which jobs have an update in progress. */
  updates: UpdateGate | undefined;
  /** Set by the cron feature: the cron jobs and their next runs. */
  cron: CronCatalog | undefined;
  /** Set by the quota feature: whether production tasks fit their role's quota. */
  quota: QuotaGate | undefined;
  private readonly recoveryHooks: Array<() => void> = [];
  private recoveredAlready = false;

  /** Cron jobs (scheduled with scheduleCronJob), all or one role's. */
  cronJobs(role?: string): JobConfiguration[] {
    return this.cron?.jobs(role) ?? [];
  }

  hasCronJob(key: JobKey): boolean {
    return this.cronJobs(key.role).some((j) => j.key?.environment === key.environment && j.key?.name === key.name);
  }

  nextCronRunMs(job: JobConfiguration): number | undefined {
    return this.cron?.nextRunMs(job);
  }

  /** A cron job (one of cronJobs()) for a reply: encoded once per protocol, for encoding only. */
  cronJobForReply(job: JobConfiguration): JobConfiguration {
    return this.cron?.forReply(job) ?? job;
  }

  /** Whether a job update is in progress for the job (mutations then answer JOB_UPDATING_ERROR). */
  isUpdating(key: JobKey): boolean {
    return this.updates?.isUpdating(key) ?? false;
  }

  /** The "Insufficient resource quota: ..." reason when production tasks exceed quota, else undefined. */
  checkQuota(task: TaskConfig, instances: number): string | undefined {
    return this.quota?.check(task, instances);
  }

  /** The same for a job update about to start (its desired tasks, while the old ones may still run). */
  checkUpdateQuota(job: JobKey, instructions: JobUpdateInstructions): string | undefined {
    return this.quota?.checkUpdate(job, instructions);
  }

  /** The role's active updates' instructions, by job key string (none without the updates feature). */
  activeUpdateInstructions(role: string): Map<string, JobUpdateInstructions> {
    return this.updates?.activeInstructions(role) ?? new Map();
  }

  /** Stores every change so far, synchronously, before a write is acknowledged (no-op without a state directory). */
  persist(): void {
    this.reconcileTasks?.();
    this.state?.flush();
  }

  /** Runs `hook` once the tasks of a restarted scheduler are recovered (at once if they are): updates resume there. */
  afterRecovery(hook: () => void): void {
    if (this.recoveredAlready) hook();
    else this.recoveryHooks.push(hook);
  }

  /** Called by startScheduler after the lifecycle's recovery. */
  recovered(): void {
    this.recoveredAlready = true;
    for (const hook of this.recoveryHooks.splice(0)) hook();
  }

  /** Who made the current call, for audit messages ("Killed by <user>"). */
  callerName(): string {
    return this.caller?.() ?? 'UNSECURE';
  }
}
