/**
 * `JobUpdate`: a fluent builder for Aurora's JobUpdateSettings and JobUpdateRequest, with the
 * defaults of Aurora's Python client (see settings.ts).
 */

import type { JobConfigurationInput, JobUpdateRequestInput, JobUpdateSettingsInput, JobUpdateSettings, Metadata, Range, TaskConfigInput } from '../gen/types.js';
import { AuroraValidationError } from '../errors.js';
import { plainCopy } from '../job/plain.js';
import { toRanges } from './ranges.js';
import type { InstanceSelection } from './ranges.js';
import { updateSettingsFromSpec, updateSpecFromSettings } from './settings.js';
import type { UpdateSpec } from './settings.js';

/** Anything with `toConfig()` (a `Job`) or a JobConfiguration. */
export type UpdateTarget = JobConfigurationInput | { toConfig(): JobConfigurationInput };

export class JobUpdate {
  private spec: UpdateSpec = {};
  private ranges: Range[] = [];
  private meta: Metadata[] = [];
  private target: JobConfigurationInput | undefined;
  private count: number | undefined;

  constructor(target?: UpdateTarget) {
    if (target !== undefined) this.job(target);
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

  /** The job whose TaskConfig and instance count the request carries. */
  job(target: UpdateTarget): this {
    this.target = 'toConfig' in target && typeof target.toConfig === 'function' ? target.toConfig() : (plainCopy(target) as JobConfigurationInput);
    return this;
  }

  /** Instances updated at a time; also the group size of the queue and batch strategies. */
  batchSize(n: number): this {
    this.spec.batchSize = n;
    return this;
  }

  /** Seconds an updated instance must stay RUNNING (→ minWaitInInstanceRunningMs). */
  watchSecs(secs: number): this {
    this.spec.watchSecs = secs;
    return this;
  }

  maxPerInstanceFailures(n: number): this {
    this.spec.maxPerInstanceFailures = n;
    return this;
  }

  maxFailedInstances(n: number): this {
    this.spec.maxFailedInstances = n;
    return this;
  }

  rollbackOnFailure(rollback = true): this {
    this.spec.rollbackOnFailure = rollback;
    return this;
  }

  /** Keep `groupSize` instances updating at any time (Aurora's default strategy). */
  queueStrategy(groupSize?: number): this {
    this.spec.strategy = 'queue';
    delete this.spec.groupSizes;
    delete this.spec.autopause;
    if (groupSize !== undefined) this.spec.batchSize = groupSize;
    return this;
  }

  /** Update in batches of `groupSize`, each finishing before the next starts. */
  batchStrategy(groupSize?: number, autopause?: boolean): this {
    this.spec.strategy = 'batch';
    delete this.spec.groupSizes;
    if (groupSize !== undefined) this.spec.batchSize = groupSize;
    if (autopause !== undefined) this.spec.autopause = autopause;
    return this;
  }

  /** Batches of growing size, e.g. `[1, 5, 10]` (the last size repeats). */
  variableBatchStrategy(groupSizes: readonly number[], autopause?: boolean): this {
    this.spec.strategy = 'variable';
    this.spec.groupSizes = [...groupSizes];
    delete this.spec.batchSize;
    if (autopause !== undefined) this.spec.autopause = autopause;
    return this;
  }

  /** Pause after every batch until resumed (batch and variable strategies). */
  autopause(on = true): this {
    this.spec.autopause = on;
    return this;
  }

  /** The update pauses unless pulsed at least this often (→ blockIfNoPulsesAfterMs). */
  pulseIntervalSecs(secs: number): this {
    this.spec.pulseIntervalSecs = secs;
    return this;
  }

  slaAware(on = true): this {
    this.spec.slaAware = on;
    return this;
  }

  /** Restricts the update to some instances: `"0-2,5"`, `[0, 1, 2]` or Range objects. */
  onlyInstances(selection: InstanceSelection): this {
    this.ranges = toRanges(selection, 'updateOnlyTheseInstances');
    return this;
  }

  /** Overrides the instance count of the job (e.g. to scale while updating). */
  instanceCount(n: number): this {
    this.count = n;
    return this;
  }

  /** Request metadata; setting a key again replaces its value. */
  metadata(key: string, value: string): this {
    const i = this.meta.findIndex((m) => m.key === key);
    if (i >= 0) this.meta[i] = { key, value };
    else this.meta.push({ key, value });
    return this;
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
