import { describe, expect, test } from 'vitest';
import type { JobUpdateRequestInput, JobUpdateSettings } from '../../src/gen/types.js';
import { Job } from '../../src/job/index.js';
import { JobUpdate, checkJobUpdateRequest, formatRanges, toRanges, validateJobUpdateRequest } from '../../src/update/index.js';
import { badInput } from '../support/bad-input.js';

const service = () => new Job('www-data/prod/hello').owner('alice').service().instances(4).executor('e').cpus(1).ramMb(8).diskMb(8);

describe('JobUpdate builder', () => {
  test('defaults equal Aurora’s Python client', () => {
    expect(new JobUpdate().toSettings()).toEqual<JobUpdateSettings>({
      updateGroupSize: 1,
      maxPerInstanceFailures: 0,
      maxFailedInstances: 0,
      minWaitInInstanceRunningMs: 45000,
      rollbackOnFailure: true,
      waitForBatchCompletion: false,
      slaAware: false,
      updateStrategy: { queueStrategy: { groupSize: 1 } },
    });
  });

  test('every setting', () => {
    const s = new JobUpdate()
      .batchSize(2)
      .watchSecs(30)
      .maxPerInstanceFailures(1)
      .maxFailedInstances(2)
      .rollbackOnFailure(false)
      .pulseIntervalSecs(120)
      .slaAware()
      .onlyInstances('0-2,5')
      .toSettings();
    expect(s).toEqual({
      updateGroupSize: 2,
      maxPerInstanceFailures: 1,
      maxFailedInstances: 2,
      minWaitInInstanceRunningMs: 30000,
      rollbackOnFailure: false,
      waitForBatchCompletion: false,
      slaAware: true,
      blockIfNoPulsesAfterMs: 120000,
      updateOnlyTheseInstances: [{ first: 0, last: 2 }, { first: 5, last: 5 }],
      updateStrategy: { queueStrategy: { groupSize: 2 } },
    });
  });

  test('strategies', () => {
    expect(new JobUpdate().queueStrategy(3).toSettings().updateStrategy).toEqual({ queueStrategy: { groupSize: 3 } });
    const batch = new JobUpdate().batchStrategy(2, true).toSettings();
    expect(batch.updateStrategy).toEqual({ batchStrategy: { groupSize: 2, autopauseAfterBatch: true } });
    expect(batch.waitForBatchCompletion).toBe(true);
    const variable = new JobUpdate().variableBatchStrategy([1, 3, 5]).autopause().toSettings();
    expect(variable.updateStrategy).toEqual({ varBatchStrategy: { groupSizes: [1, 3, 5], autopauseAfterBatch: true } });
    expect(variable.updateGroupSize).toBe(1);
  });

  test('toRequest carries taskConfig, instanceCount, settings and metadata', () => {
    const job = service();
    const request = JobUpdate.for(job).batchSize(2).metadata('org.apache.aurora.client.update_id', 'abc').toRequest();
    expect(request).toEqual<JobUpdateRequestInput>({
      taskConfig: job.toConfig().taskConfig!,
      instanceCount: 4,
      settings: new JobUpdate().batchSize(2).toSettings(),
      metadata: [{ key: 'org.apache.aurora.client.update_id', value: 'abc' }],
    });
    expect(JobUpdate.for(job.toConfig()).instanceCount(6).toRequest().instanceCount).toBe(6);
    expect(() => new JobUpdate().toRequest()).toThrow('job: an update request needs a job: JobUpdate.for(job)');
  });

  test('fromSettings gives the same settings back', () => {
    const s = new JobUpdate().variableBatchStrategy([2, 4], true).watchSecs(10).onlyInstances([3, 1, 2]).toSettings();
    expect(JobUpdate.fromSettings(s).toSettings()).toEqual(s);
  });

  test('instance ranges', () => {
    expect(toRanges('5,0-2,1')).toEqual([{ first: 0, last: 2 }, { first: 5, last: 5 }]);
    expect(formatRanges(toRanges([4, 0, 1, 2]))).toBe('0-2,4');
    expect(() => toRanges('2-1')).toThrow('instances: range 2-1 ends before it starts');
    expect(() => toRanges('a')).toThrow('instances: expected instance ids like "0-2,5", got "a"');
  });
});

const request = (f: (r: JobUpdateRequestInput) => void = () => {}): JobUpdateRequestInput => {
  const r = JobUpdate.for(service()).toRequest();
  f(r);
  return r;
};

describe('startJobUpdate checks, with the scheduler’s messages', () => {
  const cases: [string, JobUpdateRequestInput, string | undefined][] = [
    ['valid', request(), undefined],
    ['batch task', request((r) => (r.taskConfig!.isService = false)), 'taskConfig.isService: Updates are not supported for non-service tasks.'],
    ['group size 0 in variable batches', request((r) => (r.settings!.updateStrategy = { varBatchStrategy: { groupSizes: [1, 0] } })), 'settings.updateStrategy.varBatchStrategy.groupSizes: All update group sizes must be positive.'],
    ['empty strategy union', request((r) => (r.settings!.updateStrategy = badInput({}))), 'settings.updateStrategy: Update strategy provided is unknown.'],
    ['queue group 0', request((r) => (r.settings!.updateStrategy = { queueStrategy: { groupSize: 0 } })), 'settings.updateStrategy: Update results in no instance being modified.'],
    ['legacy settings are back-filled', request((r) => delete r.settings!.updateStrategy), undefined],
    ['negative per-instance failures', request((r) => (r.settings!.maxPerInstanceFailures = -1)), 'settings.maxPerInstanceFailures: maxPerInstanceFailures must be non-negative.'],
    ['negative failed instances', request((r) => (r.settings!.maxFailedInstances = -1)), 'settings.maxFailedInstances: maxFailedInstances must be non-negative.'],
    ['too many failures', request((r) => (r.settings!.maxPerInstanceFailures = 5001)), 'settings.maxPerInstanceFailures: Your update allows too many failures to occur, consider decreasing the per-instance failures or maxFailedInstances.'],
    ['negative watch', request((r) => (r.settings!.minWaitInInstanceRunningMs = -1)), 'settings.minWaitInInstanceRunningMs: minWaitInInstanceRunningMs must be non-negative.'],
    ['negative pulse', request((r) => (r.settings!.blockIfNoPulsesAfterMs = -1)), 'settings.blockIfNoPulsesAfterMs: blockIfNoPulsesAfterMs must be positive.'],
    ['slaAware without policy', request((r) => (r.settings!.slaAware = true)), 'settings.slaAware: slaAware is true, but no task slaPolicy is specified.'],
    ['task rules apply too', request((r) => (r.taskConfig!.resources = [])), 'taskConfig.resources: num_cpus must be greater than 0.0'],
  ];
  test.each(cases)('%s', (_label, req, expected) => {
    if (expected === undefined) {
      expect(checkJobUpdateRequest(req)).toEqual([]);
    } else {
      expect(() => validateJobUpdateRequest(req)).toThrow(expected);
    }
  });
});
