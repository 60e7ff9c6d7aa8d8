/**
 * The job and task RPCs of the local scheduler (Aurora's ReadOnlySchedulerImpl and the job half of
 * SchedulerThriftInterface), with Aurora's validation, codes and messages.
 */
import {
  ACTIVE_STATES,
  ScheduleStatus,
  type ConfigGroup,
  type InstanceKey,
  type JobConfiguration,
  type JobKey,
  type JobStats,
  type JobSummary,
  type JobSummaryResult,
  type ScheduledTask,
  type TaskConfig,
  type TaskQuery,
} from '../../gen/types.js';
import { isGoodIdentifier } from '../../job/identifiers.js';
import type { RpcHandlers } from '../api-server.js';
import type { SchedulerCore } from '../core.js';
import { toRanges } from '../../update/ranges.js';
import { canonicalJson, firstEventTime, jobKeyString, taskJobKey } from '../tasks.js';
import { encodedOnce, KeptAnswers } from '../kept.js';

/** A role's jobs with active tasks, by job key string in job key order (see activeJobsOf). */
interface ActiveJobs {
  readonly configs: Map<string, JobConfiguration>;
  /** Kept encodings of each job's summary. */
  readonly summaries: Map<string, JobSummary>;
  /** The whole getJobSummary result when the role has no cron job, kept once asked for. */
  result?: JobSummaryResult;
}

const NO_CRON = 'Cron jobs may only be created/updated by calling scheduleCronJob.';

/** Aurora's JobKeys.assertValid: every part present and a good identifier. */
export function jobKeyProblem(key: JobKey | undefined): string | undefined {
  if (!key) return 'Job key must be set.';
  for (const part of ['role', 'environment', 'name'] as const) {
    const value = key[part];
    if (!isGoodIdentifier(value)) {
      return `Invalid job key: ${part} ${JSON.stringify(value ?? null)} must match ^[\\w\\-\\.]+$ (at most 255 characters).`;
    }
  }
  return undefined;
}

export function canonicalKey(key: JobKey): string {
  return `${key.role}/${key.environment}/${key.name}`;
}



/**
 * Aurora's Jobs.getJobStats: KILLED counts with FINISHED (a kill is not a failure: restarts, updates
 * and kills end tasks KILLED), LOST with FAILED; INIT, PENDING and THROTTLED are pending, every other
 * active state active.
 */
function jobStats(tasks: Iterable<ScheduledTask>): JobStats {
  const stats = { activeTaskCount: 0, finishedTaskCount: 0, failedTaskCount: 0, pendingTaskCount: 0 };
  for (const t of tasks) {
    switch (t.status) {
      case ScheduleStatus.INIT:
      case ScheduleStatus.PENDING:
      case ScheduleStatus.THROTTLED:
        stats.pendingTaskCount++;
        break;
      case ScheduleStatus.KILLED:
      case ScheduleStatus.FINISHED:
        stats.finishedTaskCount++;
        break;
      case ScheduleStatus.LOST:
      case ScheduleStatus.FAILED:
        stats.failedTaskCount++;
        break;
      default:
        if (t.status !== undefined && ACTIVE_STATES.has(t.status)) stats.activeTaskCount++;
    }
  }
  return stats;
}

export function jobHandlers(core: SchedulerCore): RpcHandlers {
  const { responses: r, lifecycle } = core;
  const store = lifecycle.store;

  /**
   * The jobs of a role (undefined: of every role) that have active tasks, by job key string in job key
   * order, each with its config (that of its highest active instance, the oldest task of it when two
   * are active) and its summary: kept until any task changes, as pollers ask the same role again and again.
   */
  const activeJobs = new KeptAnswers<ActiveJobs>();
  function activeJobsOf(role: string | undefined): ActiveJobs {
    return activeJobs.get(role === undefined ? '*' : `=${role}`, store.version, () => {
      const configs = new Map<string, JobConfiguration>();
      const summaries = new Map<string, JobSummary>();
      for (const key of store.activeJobKeys(role)) {
        const tasks = store.jobTasks(key);
        let latest: ScheduledTask | undefined;
        let count = 0;
        for (const t of tasks) {
          if (!ACTIVE_STATES.has(t.status!)) continue;
          count++;
          const id = t.assignedTask!.instanceId!;
          const best = latest?.assignedTask!.instanceId!;
          if (latest === undefined || id > best! || (id === best && firstEventTime(t) < firstEventTime(latest))) latest = t;
        }
        const text = jobKeyString(key);
        const job: JobConfiguration = { key, owner: latest!.assignedTask!.task!.owner, taskConfig: store.configForReply(latest!), instanceCount: count };
        configs.set(text, job);
        summaries.set(text, encodedOnce<JobSummary>('JobSummary', { job, stats: jobStats(tasks) }));
      }
      return { configs, summaries };
    });
  }

  /** Jobs as Aurora reports them: one per key with active tasks, plus cron jobs (for replies: cron templates as kept encodings). */
  function jobs(role: string | undefined): JobConfiguration[] {
    const active = activeJobsOf(role);
    const crons = core.cronJobs(role);
    if (crons.length === 0) return [...active.configs.values()];
    const out = new Map(active.configs);
    for (const cron of crons) out.set(jobKeyString(cron.key), core.cronJobForReply(cron));
    return [...out.values()];
  }

  return {
    getRoleSummary: () => {
      const roles = new Map<string, { jobs: Set<string>; cron: Set<string> }>();
      const entry = (role: string) => roles.get(role) ?? roles.set(role, { jobs: new Set(), cron: new Set() }).get(role)!;
      for (const t of store.all()) entry(taskJobKey(t).role!).jobs.add(jobKeyString(taskJobKey(t)));
      for (const cron of core.cronJobs()) entry(cron.key!.role!).cron.add(jobKeyString(cron.key));
      return r.ok({
        roleSummaryResult: {
          summaries: [...roles].map(([role, v]) => ({ role, jobCount: v.jobs.size, cronJobCount: v.cron.size })),
        },
      });
    },

    getJobSummary: ({ role }) => {
      const wanted = typeof role === 'string' && role !== '' ? role : undefined;
      const active = activeJobsOf(wanted);
      const crons = core.cronJobs(wanted);
      if (crons.length === 0) return r.ok({ jobSummaryResult: (active.result ??= encodedOnce('JobSummaryResult', { summaries: [...active.summaries.values()] })) });
      // A cron job's next run moves with the clock: its summary is made anew each time.
      const summaries = new Map(active.summaries);
      for (const cron of crons) {
        const stats = jobStats(store.jobTasks(cron.key!));
        summaries.set(jobKeyString(cron.key), { job: core.cronJobForReply(cron), stats, nextCronRunMs: core.nextCronRunMs(cron) });
      }
      return r.ok({ jobSummaryResult: { summaries: [...summaries.values()] } });
    },

    getJobs: ({ ownerRole }) => {
      const wanted = typeof ownerRole === 'string' && ownerRole !== '' ? ownerRole : undefined;
      return r.ok({ getJobsResult: { configs: jobs(wanted) } });
    },

    getTasksStatus: ({ query }) => r.ok({ scheduleStatusResult: store.resultForReply((query ?? {}) as TaskQuery, false) }),

    getTasksWithoutConfigs: ({ query }) => r.ok({ scheduleStatusResult: store.resultForReply((query ?? {}) as TaskQuery, true) }),

    getPendingReason: ({ query }) => {
      const q = (query ?? {}) as TaskQuery;
      if (q.slaveHosts && [...q.slaveHosts].length > 0) return r.invalid('SlaveHosts are not supported in getPendingReason.');
      if (q.statuses && [...q.statuses].length > 0) return r.invalid('Statuses is not supported in getPendingReason.');
      const reasons = store
        .query({ ...q, statuses: [ScheduleStatus.PENDING] })
        .map((t) => ({ taskId: t.assignedTask!.taskId!, reason: lifecycle.pendingReason(t.assignedTask!.taskId!) }));
      return r.ok({ getPendingReasonResult: { reasons } });
    },

    getConfigSummary: ({ job }) => {
      const key = job as JobKey;
      const problem = jobKeyProblem(key);
      if (problem) return r.invalid(problem);
      const groups = new Map<string, { config: TaskConfig; instances: number[] }>();
      for (const t of store.active(key)) {
        const config = t.assignedTask!.task!;
        const id = canonicalJson('TaskConfig', config);
        const group = groups.get(id) ?? groups.set(id, { config, instances: [] }).get(id)!;
        group.instances.push(t.assignedTask!.instanceId!);
      }
      const configGroups: ConfigGroup[] = [...groups.values()].map((g) => ({ config: g.config, instances: toRanges([...g.instances]) }));
      return r.ok({ configSummaryResult: { summary: { key, groups: configGroups } } });
    },

    populateJobConfig: ({ description }) => {
      const result = core.sanitize(description as JobConfiguration);
      if (typeof result === 'string') return r.invalid(`Invalid configuration: ${result}`);
      return r.ok({ populateJobResult: { taskConfig: result.taskConfig } });
    },

    getTierConfigs: () =>
      r.ok({
        getTierConfigResult: {
          defaultTierName: 'preemptible',
          tiers: [
            { name: 'preemptible', settings: { preemptible: 'true', revocable: 'false' } },
            { name: 'preferred', settings: { preemptible: 'false', revocable: 'false' } },
            { name: 'revocable', settings: { preemptible: 'true', revocable: 'true' } },
          ],
        },
      }),

    createJob: ({ description }) => {
      const result = core.sanitize(description as JobConfiguration);
      if (typeof result === 'string') return r.invalid(result);
      if (result.cronSchedule) return r.invalid(NO_CRON);
      const key = result.key!;
      if (core.isUpdating(key)) return r.updating(`Job ${canonicalKey(key)} is currently being updated.`);
      if (store.active(key).length > 0 || core.hasCronJob(key)) return r.invalid(`Job ${canonicalKey(key)} already exists`);
      const quota = core.checkQuota(result.taskConfig!, result.instanceCount!);
      if (quota) return r.invalid(quota);
      lifecycle.insertPending(result.taskConfig!, range(0, result.instanceCount!));
      core.persist();
      return r.ok();
    },

    killTasks: ({ job, instances, message }) => {
      const key = job as JobKey;
      const problem = jobKeyProblem(key);
      if (problem) return r.invalid(problem);
      if (core.isUpdating(key)) return r.updating(`Job ${canonicalKey(key)} is currently being updated.`);
      const ids = instances === undefined ? [] : [...(instances as Iterable<number>)];
      const tasks = store.query({ jobKeys: [key], statuses: [...ACTIVE_STATES], instanceIds: ids.length > 0 ? ids : undefined });
      const why = `Killed by ${core.callerName()}${typeof message === 'string' && message !== '' ? `.\nMessage: ${message}` : ''}`;
      const killed = lifecycle.kill(
        tasks.map((t) => t.assignedTask!.taskId!),
        why,
      );
      core.persist();
      return killed > 0 ? r.ok() : r.ok(undefined, 'No tasks to kill.');
    },

    restartShards: ({ job, shardIds }) => {
      const key = job as JobKey;
      const problem = jobKeyProblem(key);
      if (problem) return r.invalid(problem);
      const ids = [...((shardIds ?? []) as Iterable<number>)];
      if (ids.length === 0) return r.invalid('shardIds must not be empty.');
      if (core.isUpdating(key)) return r.updating(`Job ${canonicalKey(key)} is currently being updated.`);
      const tasks = store.query({ jobKeys: [key], statuses: [...ACTIVE_STATES], instanceIds: ids });
      if (tasks.length !== new Set(ids).size) return r.invalid('Not all requested shards are active.');
      lifecycle.restart(
        tasks.map((t) => t.assignedTask!.taskId!),
        `Restarted by ${core.callerName()}`,
      );
      core.persist();
      return r.ok();
    },

    addInstances: ({ key, count }) => {
      const instanceKey = key as InstanceKey;
      const jobKey = instanceKey?.jobKey;
      const problem = jobKeyProblem(jobKey);
      if (problem) return r.invalid(problem);
      if (typeof count !== 'number' || count <= 0) return r.invalid('Instance count must be positive.');
      if (core.hasCronJob(jobKey!)) return r.invalid('Instances may not be added to cron jobs.');
      if (core.isUpdating(jobKey!)) return r.updating(`Job ${canonicalKey(jobKey!)} is currently being updated.`);
      const active = store.active(jobKey);
      const template = active.find((t) => t.assignedTask!.instanceId === instanceKey.instanceId);
      if (!template) return r.invalid('No active task found for a given instance ID.');
      const lastId = Math.max(...active.map((t) => t.assignedTask!.instanceId!));
      if (active.length + count > core.maxTasksPerJob) {
        return r.invalid(`Instance count must be between 1 and ${core.maxTasksPerJob} inclusive.`);
      }
      const quota = core.checkQuota(template.assignedTask!.task!, count);
      if (quota) return r.invalid(quota);
      lifecycle.insertPending(template.assignedTask!.task!, range(lastId + 1, count));
      core.persist();
      return r.ok();
    },
  };
}

function range(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i);
}
