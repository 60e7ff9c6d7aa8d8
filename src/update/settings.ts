/**
 * Update settings in the job file's terms (`update: { batchSize, watchSecs, ... }`) and their
 * translation to Aurora's JobUpdateSettings, with the defaults of Aurora's Python client
 * (config/schema/base.py UpdateConfig, client/api/updater_util.py to_thrift_update_settings):
 * batch 1, watch 45 s, 0 failures, rollback on failure, queue strategy.
 */

import type { JobUpdateSettings, JobUpdateSettingsInput, JobUpdateStrategy, Range } from '../gen/types.js';
import { AuroraValidationError } from '../errors.js';

export type UpdateStrategyName = 'queue' | 'batch' | 'variable';

export interface UpdateSpec {
  /** Instances updated at a time (queue and batch strategies). Default 1. */
  batchSize?: number;
  /** Seconds an instance must stay RUNNING to count as updated. Default 45. */
  watchSecs?: number;
  /** Failures allowed per instance before it counts as failed. Default 0. */
  maxPerInstanceFailures?: number;
  /** Failed instances allowed before the update fails (and rolls back). Default 0. */
  maxFailedInstances?: number;
  /** Default true. */
  rollbackOnFailure?: boolean;
  /** queue: keep batchSize instances in flight; batch: wait for each batch; variable: groupSizes. Default queue. */
  strategy?: UpdateStrategyName;
  /** Batch sizes for the variable strategy, e.g. [1, 5, 10]; the last repeats. */
  groupSizes?: number[];
  /** Pause after each batch (batch and variable strategies). Default false. */
  autopause?: boolean;
  /** Pause the update when no pulse arrives within this many seconds. */
  pulseIntervalSecs?: number;
  /** Respect the task's SLA policy while updating. Default false. */
  slaAware?: boolean;
}

export const UPDATE_DEFAULTS = {
  batchSize: 1,
  watchSecs: 45,
  maxPerInstanceFailures: 0,
  maxFailedInstances: 0,
  rollbackOnFailure: true,
  strategy: 'queue' as UpdateStrategyName,
  autopause: false,
  slaAware: false,
};

/** Client-side consistency of a spec; throws AuroraValidationError naming `update.<field>`. */
export function checkUpdateSpec(spec: UpdateSpec, at = 'update'): void {
  const strategy = spec.strategy ?? 'queue';
  const field = (f: string) => (at ? `${at}.${f}` : f);
  if (strategy === 'variable') {
    if (spec.groupSizes === undefined || spec.groupSizes.length === 0) {
      throw new AuroraValidationError(field('groupSizes'), 'the variable strategy needs groupSizes, e.g. [1, 5, 10]');
    }
    if (spec.batchSize !== undefined) {
      throw new AuroraValidationError(field('batchSize'), 'not used by the variable strategy; set groupSizes instead');
    }
  } else if (spec.groupSizes !== undefined) {
    throw new AuroraValidationError(field('groupSizes'), `only used by strategy "variable", not "${strategy}"`);
  }
  if (strategy === 'queue' && spec.autopause !== undefined) {
    throw new AuroraValidationError(field('autopause'), 'only used by strategies "batch" and "variable"');
  }
}

export function updateSettingsFromSpec(spec: UpdateSpec = {}, instances?: readonly Range[]): JobUpdateSettings {
  checkUpdateSpec(spec);
  const strategy = spec.strategy ?? UPDATE_DEFAULTS.strategy;
  const batchSize = spec.batchSize ?? UPDATE_DEFAULTS.batchSize;
  const autopauseAfterBatch = spec.autopause ?? UPDATE_DEFAULTS.autopause;
  let updateStrategy: JobUpdateStrategy;
  let groupSize = batchSize;
  if (strategy === 'batch') {
    updateStrategy = { batchStrategy: { groupSize: batchSize, autopauseAfterBatch } };
  } else if (strategy === 'variable') {
    const groupSizes = [...(spec.groupSizes ?? [])];
    updateStrategy = { varBatchStrategy: { groupSizes, autopauseAfterBatch } };
    groupSize = groupSizes[0] ?? 1;
  } else {
    updateStrategy = { queueStrategy: { groupSize: batchSize } };
  }
  const settings: JobUpdateSettings = {
    updateGroupSize: groupSize,
    maxPerInstanceFailures: spec.maxPerInstanceFailures ?? UPDATE_DEFAULTS.maxPerInstanceFailures,
    maxFailedInstances: spec.maxFailedInstances ?? UPDATE_DEFAULTS.maxFailedInstances,
    minWaitInInstanceRunningMs: (spec.watchSecs ?? UPDATE_DEFAULTS.watchSecs) * 1000,
    rollbackOnFailure: spec.rollbackOnFailure ?? UPDATE_DEFAULTS.rollbackOnFailure,
    waitForBatchCompletion: strategy === 'batch',
    slaAware: spec.slaAware ?? UPDATE_DEFAULTS.slaAware,
    updateStrategy,
  };
  if (spec.pulseIntervalSecs !== undefined) settings.blockIfNoPulsesAfterMs = spec.pulseIntervalSecs * 1000;
  if (instances !== undefined && instances.length > 0) settings.updateOnlyTheseInstances = instances.map((r) => ({ ...r }));
  return settings;
}

/** The inverse of updateSettingsFromSpec, defaults left out. */
export function updateSpecFromSettings(settings: JobUpdateSettingsInput): UpdateSpec {
  const spec: UpdateSpec = {};
  const st = settings.updateStrategy;
  let batchSize = settings.updateGroupSize ?? 1;
  if (st?.batchStrategy) {
    spec.strategy = 'batch';
    batchSize = st.batchStrategy.groupSize ?? batchSize;
    if (st.batchStrategy.autopauseAfterBatch) spec.autopause = true;
  } else if (st?.varBatchStrategy) {
    spec.strategy = 'variable';
    spec.groupSizes = [...(st.varBatchStrategy.groupSizes ?? [])];
    if (st.varBatchStrategy.autopauseAfterBatch) spec.autopause = true;
  } else {
    if (st?.queueStrategy) batchSize = st.queueStrategy.groupSize ?? batchSize;
    else if (settings.waitForBatchCompletion) spec.strategy = 'batch';
  }
  if (spec.strategy !== 'variable' && batchSize !== UPDATE_DEFAULTS.batchSize) spec.batchSize = batchSize;
  const watch = (settings.minWaitInInstanceRunningMs ?? 45000) / 1000;
  if (watch !== UPDATE_DEFAULTS.watchSecs) spec.watchSecs = watch;
  if ((settings.maxPerInstanceFailures ?? 0) !== 0) spec.maxPerInstanceFailures = settings.maxPerInstanceFailures!;
  if ((settings.maxFailedInstances ?? 0) !== 0) spec.maxFailedInstances = settings.maxFailedInstances!;
  if (settings.rollbackOnFailure === false) spec.rollbackOnFailure = false;
  if (settings.blockIfNoPulsesAfterMs !== undefined && settings.blockIfNoPulsesAfterMs !== null) {
    spec.pulseIntervalSecs = settings.blockIfNoPulsesAfterMs / 1000;
  }
  if (settings.slaAware) spec.slaAware = true;
  return spec;
}
