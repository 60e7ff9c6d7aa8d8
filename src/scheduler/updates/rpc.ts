/**
 * The job update RPCs (Aurora's SchedulerThriftInterface update calls and ReadOnlySchedulerImpl's
 * update queries), answering with Aurora's codes and messages.
 */
import { randomUUID } from 'node:crypto';
import type {
  JobKey,
  JobUpdateInstructions,
  JobUpdateSummary,
  JobUpdateKey,
  JobUpdateQuery,
  JobUpdateRequest,
  JobUpdateSettings,
  Response,
  TaskConfig,
} from '../../gen/types.js';
import type { RpcHandlers } from '../api-server.js';
import type { SchedulerCore } from '../core.js';
import { jobKeyProblem } from '../rpc/jobs.js';
import type { Audit, UpdateController } from './controller.js';
import { rangesToIds, toRanges } from '../../update/ranges.js';
import { computeDiff, configGroups, currentState, groupByConfig, isNoop, outOfScope, type JobDiff } from './diff.js';
import { MESSAGES, settingsProblem, withStrategy } from './request.js';
import { describeUpdateKey, type JobUpdateStore, type NewUpdate } from './store.js';

export interface UpdateRpcOptions {
  /** Aurora's -max_update_instance_failures: cap on maxPerInstanceFailures × instanceCount (default 5 × max tasks per job). */
  maxUpdateInstanceFailures?: number;
}

type Validated = { config: TaskConfig; instanceCount: number; diff: JobDiff; settings: JobUpdateSettings };

export function updateHandlers(core: SchedulerCore, controller: UpdateController, store: JobUpdateStore, options: UpdateRpcOptions = {}): RpcHandlers {
  const r = core.responses;
  const maxUpdateInstanceFailures = options.maxUpdateInstanceFailures ?? core.maxTasksPerJob * 5;

  /** Sanitizes the request's task like createJob does and diffs it against the job's tasks. */
  function prepare(request: JobUpdateRequest, settings: JobUpdateSettings, cronMessage: string): Validated | string {
    const task = request.taskConfig!;
    const instanceCount = request.instanceCount ?? 0;
    const sanitized = core.sanitize({ key: task.job, owner: task.owner, taskConfig: task, instanceCount });
    if (typeof sanitized === 'string') return sanitized;
    const config = sanitized.taskConfig!;
    if (core.hasCronJob(config.job!)) return cronMessage;
    const diff = computeDiff(currentState(core.lifecycle.store, config.job!), config, instanceCount, rangesToIds(settings.updateOnlyTheseInstances));
    return { config, instanceCount, diff, settings };
  }

  function audit(message: unknown): Audit {
    return { user: core.callerName(), message: typeof message === 'string' ? message : undefined };
  }

  function keyProblem(key: JobUpdateKey | undefined): string | undefined {
    if (!key) return 'Update key must be set.';
    return jobKeyProblem(key.job);
  }

  function changeState(key: unknown, change: (key: JobUpdateKey) => string | undefined): Response {
    const updateKey = key as JobUpdateKey | undefined;
    const problem = keyProblem(updateKey);
    if (problem) return r.invalid(problem);
    const refused = change(updateKey!);
    if (refused) return r.invalid(refused);
    core.persist();
    return r.ok();
  }

  return {
    startJobUpdate: ({ request, message }) => {
      const req = request as JobUpdateRequest | undefined;
      if (!req?.taskConfig) return r.invalid('Task config may not be null.');
      if (!req.settings) return r.invalid('Update settings may not be null.');
      const settings = withStrategy(req.settings);
      const problem = settingsProblem(req, settings, maxUpdateInstanceFailures);
      if (problem) return r.invalid(problem);
      const prepared = prepare(req, settings, MESSAGES.NO_CRON);
      if (typeof prepared === 'string') return r.invalid(prepared);
      const { config, instanceCount, diff } = prepared;
      const scope = rangesToIds(settings.updateOnlyTheseInstances);
      const stray = outOfScope(diff, scope);
      if (stray.length > 0) {
        return r.invalid(
          `The update request attempted to update specific instances, but some are irrelevant to the update and current job state: [${stray.join(', ')}]`,
        );
      }
      if (isNoop(diff)) return r.ok(undefined, MESSAGES.NOOP_JOB_UPDATE);

      const instructions: JobUpdateInstructions = { settings, initialState: groupByConfig(diff.replaced) };
      if (diff.replacements.size > 0) instructions.desiredState = { task: config, instances: toRanges([...diff.replacements]) };
      const job: JobKey = config.job!;
      const update: NewUpdate = {
        summary: { key: { job, id: randomUUID() }, user: core.callerName(), metadata: [...(req.metadata ?? [])] },
        instructions,
      };
      if (instanceCount <= 0 || instanceCount > core.maxTasksPerJob) {
        return r.invalid(`Instance count must be between 1 and ${core.maxTasksPerJob} inclusive.`);
      }
      // QuotaManager.checkJobUpdate: the job counts the larger of its old and new configs while it rolls.
      const quota = core.checkUpdateQuota(job, instructions);
      if (quota) return r.invalid(quota);

      const refused = controller.start(update, audit(message));
      if (refused) {
        const active = refused.active;
        return r.invalid(refused.problem, active ? { startJobUpdateResult: { key: active.key, updateSummary: active } } : undefined);
      }
      core.persist();
      // controller.start stored the update, which gave its summary a state.
      return r.ok({ startJobUpdateResult: { key: update.summary.key, updateSummary: update.summary as JobUpdateSummary } });
    },

    pauseJobUpdate: ({ key, message }) => changeState(key, (k) => controller.pause(k, audit(message))),
    resumeJobUpdate: ({ key, message }) => changeState(key, (k) => controller.resume(k, audit(message))),
    abortJobUpdate: ({ key, message }) => changeState(key, (k) => controller.abort(k, audit(message))),
    rollbackJobUpdate: ({ key, message }) => changeState(key, (k) => controller.rollback(k, audit(message))),

    pulseJobUpdate: ({ key }) => {
      const updateKey = key as JobUpdateKey | undefined;
      const problem = keyProblem(updateKey) ?? (updateKey?.id ? undefined : 'Update id must not be blank.');
      if (problem) return r.invalid(problem);
      return r.ok({ pulseJobUpdateResult: { status: controller.pulse(updateKey!) } });
    },

    getJobUpdateSummaries: ({ jobUpdateQuery }) => {
      return r.ok({ getJobUpdateSummariesResult: store.summariesForReply((jobUpdateQuery ?? {}) as JobUpdateQuery) });
    },

    getJobUpdateDetails: ({ key, query }) => {
      if (key == null && query == null) return r.error('Either key or query must be set.');
      if (query != null) return r.ok({ getJobUpdateDetailsResult: { detailsList: store.query(query as JobUpdateQuery) } });
      const details = store.get(key as JobUpdateKey);
      if (!details) return r.invalid(`Invalid update: ${describeUpdateKey(key as JobUpdateKey)}`);
      return r.ok({ getJobUpdateDetailsResult: { details } }, 'The key argument is deprecated, use the query argument instead');
    },

    getJobUpdateDiff: ({ request }) => {
      const req = request as JobUpdateRequest | undefined;
      if (!req?.taskConfig) return r.invalid('Task config may not be null.');
      const prepared = prepare(req, req.settings ?? {}, 'Cron jobs are not supported.');
      if (typeof prepared === 'string') return r.invalid(prepared);
      const { config, diff } = prepared;
      const add = new Map<number, TaskConfig>();
      const remove = new Map<number, TaskConfig>();
      const update = new Map<number, TaskConfig>();
      for (const id of diff.replacements) if (!diff.replaced.has(id)) add.set(id, config);
      for (const [id, old] of diff.replaced) (diff.replacements.has(id) ? update : remove).set(id, old);
      return r.ok({
        getJobUpdateDiffResult: {
          add: configGroups(add),
          remove: configGroups(remove),
          update: configGroups(update),
          unchanged: configGroups(diff.unchanged),
        },
      });
    },
  };
}
