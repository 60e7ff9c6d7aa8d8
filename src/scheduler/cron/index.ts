/**
 * Cron jobs as Aurora runs them (CronJobManagerImpl, AuroraCronJob, CronPredictorImpl): templates kept
 * by scheduleCronJob / replaceCronTemplate, fired each minute their schedule names in the cron time zone
 * (Aurora's -cron_timezone, GMT by default), launching `instanceCount` tasks of the template, with the
 * job's collision policy deciding what happens while a previous run is still active.
 */
import { CronCollisionPolicy, type JobConfiguration, type JobKey } from '../../gen/types.js';
import { nextCronRun, validateCron } from '../../job/cron.js';
import type { RpcHandlers } from '../api-server.js';
import type { CronCatalog, SchedulerCore } from '../core.js';
import type { SchedulerFeature } from '../features.js';
import { canonicalKey, jobKeyProblem } from '../rpc/jobs.js';
import { jobKeyString } from '../tasks.js';
import type { CronQuotaCheck } from '../quota/index.js';
import { decodeStruct, EncodedOnce, encodeStruct } from '../../protocol/index.js';
import type { StateSection } from '../store/state.js';

export interface CronOptions {
  /** IANA zone the schedules are read in (Aurora's -cron_timezone; default UTC). */
  timeZone?: string;
  /** Clock in ms since the epoch (default Date.now); tests move it forward instead of waiting. */
  now?: () => number;
  /** How often due jobs are looked for (default 1000 ms; runs still happen at minute precision). */
  tickMs?: number;
}

/** AuroraCronJob.KILL_AUDIT_MESSAGE. */
export const CRON_KILL_MESSAGE = 'Killed by cronScheduler';

interface CronEntry {
  job: JobConfiguration;
  /** Runs due after this instant fire on the next tick. */
  checkedUpTo: number;
  /** `job` for replies, encoded once per protocol (a template is replaced, never changed in place). */
  reply?: JobConfiguration;
}

/**
 * Predictions by schedule text: `next` is the first run strictly after `from` (undefined: never), so
 * it is also the first run after any instant in [from, next). Computing one parses the schedule and
 * walks cron-parser's dates (≈ 0.3 ms); getJobSummary asks for every cron job of a role, the tick for
 * every job each second, and many jobs share a schedule, so a prediction is kept until the instant
 * asked about passes it.
 */
const MAX_PREDICTIONS = 1024;

export class CronScheduler implements CronCatalog {
  private readonly entries = new Map<string, CronEntry>();
  /** The same entries by role (keys of `entries`), for the per-role queries of getJobSummary, getJobs and quota. */
  private readonly byRole = new Map<string, Set<string>>();
  private readonly predictions = new Map<string, { from: number; next: number | undefined }>();
  /** Jobs whose KILL_EXISTING run waits for the previous run's tasks to end; their triggers are ignored meanwhile. */
  private readonly delayedLaunches = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private readonly timeZone: string;
  private readonly now: () => number;
  private closed = false;

  constructor(
    private readonly core: SchedulerCore,
    options: CronOptions = {},
  ) {
    this.timeZone = options.timeZone ?? 'UTC';
    this.now = options.now ?? Date.now;
    // Fails at start-up, not at the first firing, when the zone is unknown.
    nextCronRun('* * * * *', new Date(0), this.timeZone);
    this.timer = setInterval(() => this.tick(), options.tickMs ?? 1000);
    this.timer.unref();
    if (core.state) {
      const section = core.state.section('cron', (key) => {
        const job = this.entries.get(key)?.job;
        return job ? encodeStruct('binary', 'JobConfiguration', job) : undefined;
      });
      // Runs missed while the scheduler was down are not made up for, as in Aurora.
      for (const [, bytes] of section.load()) this.put(decodeStruct<JobConfiguration>('binary', 'JobConfiguration', bytes));
      this.stored = section;
    }
  }

  /** The state directory's cron section, when there is one. */
  private readonly stored: StateSection | undefined;

  jobs(role?: string): JobConfiguration[] {
    if (role === undefined) return [...this.entries.values()].map((e) => e.job);
    return [...(this.byRole.get(role) ?? [])].map((key) => this.entries.get(key)!.job);
  }

  forReply(job: JobConfiguration): JobConfiguration {
    const entry = this.entries.get(jobKeyString(job.key));
    if (entry?.job !== job) return job;
    return (entry.reply ??= new EncodedOnce('JobConfiguration', job) as unknown as JobConfiguration);
  }

  get(key: JobKey): JobConfiguration | undefined {
    return this.entries.get(jobKeyString(key))?.job;
  }

  /** CronPredictor: the first run strictly after now, undefined when the schedule never fires. */
  nextRunMs(job: JobConfiguration): number | undefined {
    return this.nextAfter(job, this.now());
  }

  private nextAfter(job: JobConfiguration, after: number): number | undefined {
    const schedule = job.cronSchedule!;
    const known = this.predictions.get(schedule);
    if (known && after >= known.from && (known.next === undefined || after < known.next)) return known.next;
    let next: number | undefined;
    try {
      next = nextCronRun(schedule, new Date(after), this.timeZone).getTime();
    } catch {
      next = undefined;
    }
    if (this.predictions.size >= MAX_PREDICTIONS) this.predictions.clear();
    this.predictions.set(schedule, { from: after, next });
    return next;
  }

  /** Saves a template (new or replacing one) and schedules it from now on. */
  save(job: JobConfiguration): void {
    this.put(job);
    this.stored?.changed(jobKeyString(job.key));
  }

  private put(job: JobConfiguration): void {
    const key = jobKeyString(job.key);
    this.entries.set(key, { job, checkedUpTo: this.now() });
    const role = job.key!.role!;
    const keys = this.byRole.get(role);
    if (keys) keys.add(key);
    else this.byRole.set(role, new Set([key]));
  }

  delete(key: JobKey): boolean {
    const text = jobKeyString(key);
    this.stored?.changed(text);
    const keys = this.byRole.get(key.role!);
    keys?.delete(text);
    if (keys?.size === 0) this.byRole.delete(key.role!);
    return this.entries.delete(text);
  }

  /** Fires every job with a run due since it was last checked (once, however many minutes were missed). */
  tick(): void {
    if (this.closed) return;
    const now = this.now();
    for (const entry of this.entries.values()) {
      const due = this.nextAfter(entry.job, entry.checkedUpTo);
      if (due === undefined || due > now) continue;
      entry.checkedUpTo = now;
      this.trigger(entry.job.key!);
    }
  }

  /** AuroraCronJob.doExecute: one run of the job, as the schedule or startCronJob asks. */
  trigger(key: JobKey): void {
    const id = jobKeyString(key);
    if (this.closed || this.delayedLaunches.has(id)) return;
    const job = this.entries.get(id)?.job;
    if (!job) return;
    const { lifecycle } = this.core;
    const instanceIds = Array.from({ length: job.instanceCount! }, (_, i) => i);
    const active = lifecycle.store.active(key).map((t) => t.assignedTask!.taskId!);
    if (active.length === 0) {
      lifecycle.insertPending(job.taskConfig!, instanceIds);
      this.core.persist();
      return;
    }
    // CANCEL_NEW skips this run; so does the removed RUN_OVERLAP (Aurora only logs it).
    if ((job.cronCollisionPolicy ?? CronCollisionPolicy.KILL_EXISTING) !== CronCollisionPolicy.KILL_EXISTING) return;
    lifecycle.kill(active, CRON_KILL_MESSAGE);
    this.core.persist();
    this.delayedLaunches.add(id);
    void this.launchWhenGone(active, job, instanceIds).finally(() => this.delayedLaunches.delete(id));
  }

  private async launchWhenGone(taskIds: string[], job: JobConfiguration, instanceIds: number[]): Promise<void> {
    const { lifecycle } = this.core;
    const stillActive = () => lifecycle.store.active(job.key).some((t) => taskIds.includes(t.assignedTask!.taskId!));
    while (stillActive()) {
      if (this.closed) return;
      await lifecycle.settled(taskIds);
      if (stillActive()) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Aurora launches the template captured at the trigger, even if it was replaced or descheduled since.
    if (this.closed) return;
    lifecycle.insertPending(job.taskConfig!, instanceIds);
    this.core.persist();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  handlers(): RpcHandlers {
    const r = this.core.responses;
    const core = this.core;

    /** SchedulerThriftInterface.createOrUpdateCronTemplate. */
    const createOrUpdate = (description: unknown, updateOnly: boolean) => {
      const input = description as JobConfiguration | undefined;
      const keyProblem = jobKeyProblem(input?.key);
      if (keyProblem) return r.invalid(keyProblem);
      const key = input!.key!;
      const sanitized = core.sanitize(input);
      if (typeof sanitized === 'string') return r.invalid(sanitized);
      const shown = canonicalKey(key);
      if (sanitized.cronSchedule === undefined || sanitized.cronSchedule === null) return r.invalid(`Job ${shown} has no cron schedule`);
      if (sanitized.taskConfig!.isService) return r.invalid(`A service task may not be run on a cron schedule: ${shown}`);
      if (core.isUpdating(key)) return r.updating(`Job ${shown} is currently being updated.`);
      const previous = this.get(key);
      const quota = (core.quota as Partial<CronQuotaCheck> | undefined)?.checkCronUpdate?.(sanitized, previous);
      if (quota) return r.invalid(quota);
      if (sanitized.cronSchedule === '') return r.invalid('Job has an empty cron schedule.');
      const problem = validateCron(sanitized.cronSchedule);
      if (problem) return r.invalid(`Invalid cron schedule: ${sanitized.cronSchedule} (${problem})`);
      if (sanitized.cronCollisionPolicy === CronCollisionPolicy.RUN_OVERLAP) {
        return r.invalid('The RUN_OVERLAP collision policy has been removed (AURORA-38).');
      }
      if (updateOnly && !previous) return r.invalid(`No cron job found for ${shown}.`);
      if (!previous && core.lifecycle.store.active(key).length > 0) return r.invalid(`Job ${shown} already exists`);
      this.save(sanitized);
      core.persist();
      return r.ok();
    };

    return {
      scheduleCronJob: ({ description }) => createOrUpdate(description, false),
      replaceCronTemplate: ({ config }) => createOrUpdate(config, true),

      descheduleCronJob: ({ job }) => {
        const key = job as JobKey;
        const problem = jobKeyProblem(key);
        if (problem) return r.invalid(problem);
        if (core.isUpdating(key)) return r.updating(`Job ${canonicalKey(key)} is currently being updated.`);
        if (!this.delete(key)) return r.ok(undefined, `Job ${canonicalKey(key)} is not scheduled with cron`);
        core.persist();
        return r.ok();
      },

      startCronJob: ({ job }) => {
        const key = job as JobKey;
        const problem = jobKeyProblem(key);
        if (problem) return r.invalid(problem);
        if (!this.get(key)) return r.invalid(`Failed to start cron job - No cron job found for ${canonicalKey(key)}.`);
        this.trigger(key);
        return r.ok();
      },
    };
  }
}

export function cronFeature(core: SchedulerCore, options: CronOptions = {}): SchedulerFeature {
  const cron = new CronScheduler(core, options);
  core.cron = cron;
  return { handlers: cron.handlers(), close: () => cron.close() };
}
