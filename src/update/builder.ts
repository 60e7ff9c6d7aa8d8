/**
 * `JobUpdate`: a fluent builder for Aurora's JobUpdateSettings and JobUpdateRequest, with the
 * defaults of Aurora's Python client (see settings.ts).
 */

import type { JobConfigurationInput, JobUpdateRequestInput, JobUpdateSettingsInput, JobUpdateSettings, Metadata, Range, TaskConfigInput } from '../gen/types.js';
import { AuroraValidationError } from '../errors.js';
import { builderCopy, plainCopy } from '../job/plain.js';
import { toRanges } from './ranges.js';
import type { InstanceSelection } from './ranges.js';
import { updateSettingsFromSpec, updateSpecFromSettings } from './settings.js';
import type { UpdateSpec } from './settings.js';

/** Anything with `toConfig()` (a `Job`) or a JobConfiguration. */
export type UpdateTarget = JobConfigurationInput | { toConfig(): JobConfigurationInput };

/**
 * Immutable, like Job: every setter returns a new JobUpdate and leaves this one as it was. The job is
 * read when given (`JobUpdate.for(job)`): changing it afterwards does not change the update.
 */
export class JobUpdate {
  private spec: UpdateSpec = {};
  private ranges: Range[] = [];
  private meta: Metadata[] = [];
  private target: JobConfigurationInput | undefined;
  private count: number | undefined;

  constructor(target?: UpdateTarget) {
    if (target !== undefined) this.target = this.job(target).target;
  }

  /** `JobUpdate.for(job).batchSize(2).watchSecs(30).toRequest()`. */
  static for(target: UpdateTarget): JobUpdate {
    return new JobUpdate(target);
  }

  static fromSpec(spec: UpdateSpec, target?: UpdateTarget): JobUpdate {
    const u = new JobUpdate(target);
    u.spec = { ...spec, ...(spec.groupSizes ? { groupSizes: [...spec.groupSizes] } : {}) };
    return u;
  }

  static fromSettings(settings: JobUpdateSettingsInput, target?: UpdateTarget): JobUpdate {
    const u = JobUpdate.fromSpec(updateSpecFromSettings(settings), target);
    if (settings.updateOnlyTheseInstances) u.ranges = toRanges([...settings.updateOnlyTheseInstances]);
    return u;
  }

  /** A copy of this builder (of its class) with `change` applied to the copy. */
  private with(change: (u: this) => void): this {
    const next = builderCopy(this);
    next.spec = structuredClone(this.spec);
    next.ranges = structuredClone(this.ranges);
    next.meta = structuredClone(this.meta);
    change(next);
    return next;
  }

  /** The job whose TaskConfig and instance count the request carries. */
  job(target: UpdateTarget): this {
    return this.with((u) => {
      u.target = 'toConfig' in target && typeof target.toConfig === 'function' ? target.toConfig() : (plainCopy(target) as JobConfigurationInput);
    });
  }

  /** Instances updated at a time; also the group size of the queue and batch strategies. */
  batchSize(n: number): this {
    return this.with((u) => {
      u.spec.batchSize = n;
    });
  }

  /** Seconds an updated instance must stay RUNNING (→ minWaitInInstanceRunningMs). */
  watchSecs(secs: number): this {
    return this.with((u) => {
      u.spec.watchSecs = secs;
    });
  }

  maxPerInstanceFailures(n: number): this {
    return this.with((u) => {
      u.spec.maxPerInstanceFailures = n;
    });
  }

  maxFailedInstances(n: number): this {
    return this.with((u) => {
      u.spec.maxFailedInstances = n;
    });
  }

  rollbackOnFailure(rollback = true): this {
    return this.with((u) => {
      u.spec.rollbackOnFailure = rollback;
    });
  }

  /** Keep `groupSize` instances updating at any time (Aurora's default strategy). */
  queueStrategy(groupSize?: number): this {
    return this.with((u) => {
      u.spec.strategy = 'queue';
      delete u.spec.groupSizes;
      delete u.spec.autopause;
      if (groupSize !== undefined) u.spec.batchSize = groupSize;
    });
  }

  /** Update in batches of `groupSize`, each finishing before the next starts. */
  batchStrategy(groupSize?: number, autopause?: boolean): this {
    return this.with((u) => {
      u.spec.strategy = 'batch';
      delete u.spec.groupSizes;
      if (groupSize !== undefined) u.spec.batchSize = groupSize;
      if (autopause !== undefined) u.spec.autopause = autopause;
    });
  }

  /** Batches of growing size, e.g. `[1, 5, 10]` (the last size repeats). */
  variableBatchStrategy(groupSizes: readonly number[], autopause?: boolean): this {
    return this.with((u) => {
      u.spec.strategy = 'variable';
      u.spec.groupSizes = [...groupSizes];
      delete u.spec.batchSize;
      if (autopause !== undefined) u.spec.autopause = autopause;
    });
  }

  /** Pause after every batch until resumed (batch and variable strategies). */
  autopause(on = true): this {
    return this.with((u) => {
      u.spec.autopause = on;
    });
  }

  /** The update pauses unless pulsed at least this often (→ blockIfNoPulsesAfterMs). */
  pulseIntervalSecs(secs: number): this {
    return this.with((u) => {
      u.spec.pulseIntervalSecs = secs;
    });
  }

  slaAware(on = true): this {
    return this.with((u) => {
      u.spec.slaAware = on;
    });
  }

  /** Restricts the update to some instances: `"0-2,5"`, `[0, 1, 2]` or Range objects. */
  onlyInstances(selection: InstanceSelection): this {
    return this.with((u) => {
      u.ranges = toRanges(selection, 'updateOnlyTheseInstances');
    });
  }

  /** Overrides the instance count of the job (e.g. to scale while updating). */
  instanceCount(n: number): this {
    return this.with((u) => {
      u.count = n;
    });
  }

  /** Request metadata; setting a key again replaces its value. */
  metadata(key: string, value: string): this {
    return this.with((u) => {
      const i = u.meta.findIndex((m) => m.key === key);
      if (i >= 0) u.meta[i] = { key, value };
      else u.meta.push({ key, value });
    });
  }

  toSpec(): UpdateSpec {
    return structuredClone(this.spec);
  }

  toSettings(): JobUpdateSettings {
    return updateSettingsFromSpec(this.spec, this.ranges);
  }

  /** What AuroraClient sends when given this builder (startJobUpdate, getJobUpdateDiff). */
  toThrift(): JobUpdateRequestInput {
    return this.toRequest();
  }

  /** `{taskConfig, instanceCount, settings, metadata}` for startJobUpdate. */
  toRequest(): JobUpdateRequestInput {
    if (!this.target) throw new AuroraValidationError('job', 'an update request needs a job: JobUpdate.for(job)');
    const taskConfig: TaskConfigInput = plainCopy(this.target.taskConfig ?? {});
    const request: JobUpdateRequestInput = {
      taskConfig,
      instanceCount: this.count ?? this.target.instanceCount ?? 1,
      settings: this.toSettings(),
    };
    if (this.meta.length > 0) request.metadata = this.meta.map((m) => ({ ...m }));
    return request;
  }
}
