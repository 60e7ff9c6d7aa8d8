import { describe, expect, test } from 'vitest';
import { AuroraValidationError } from '../../src/errors.js';
import { CronCollisionPolicy } from '../../src/gen/types.js';
import type { JobConfigurationInput } from '../../src/gen/types.js';
import { Job, checkJob, validateCreateJob, validateCronJob, validateJob } from '../../src/job/index.js';
import type { ClusterPolicy } from '../../src/job/index.js';
import { badInput } from '../support/bad-input.js';

const good = () => new Job('www-data/prod/hello').owner('alice').executor('hello-executor', 'x').cpus(1).ramMb(64).diskMb(64);

/** Mutates the built config in place, for rules the builder cannot break on its own. */
const edit = (f: (c: JobConfigurationInput) => void, job = good()): JobConfigurationInput => {
  const c = job.toConfig();
  f(c);
  return c;
};

const firstIssue = (config: JobConfigurationInput, policy: ClusterPolicy = {}) => {
  try {
    validateJob(config, policy);
  } catch (err) {
    expect(err).toBeInstanceOf(AuroraValidationError);
    const e = err as AuroraValidationError;
    return { field: e.field, message: e.message.slice(e.field.length + 2) };
  }
  return undefined;
};

describe('validateJob accepts what a default Aurora accepts', () => {
  const valid: [string, JobConfigurationInput, ClusterPolicy?][] = [
    ['custom executor', good().toConfig()],
    ['staging7 environment', good().environment('staging7').toConfig()],
    ['4000 instances', good().instances(4000).toConfig()],
    ['Thermos', new Job('r/devel/t').cpus(1).ramMb(1).diskMb(1).thermos({ processes: [{ name: 'a', cmdline: 'a' }] }).toConfig()],
    ['Docker without executor when allowed', good().noExecutor().docker('busybox').toConfig(), { allowDocker: true }],
    ['Docker parameters when allowed', good().docker('busybox', { env: 'A=1' }).toConfig(), { allowDocker: true, allowDockerParameters: true }],
    ['fetcher URIs when allowed', good().uri('http://x').toConfig(), { allowFetcherUris: true }],
    ['GPUs when allowed', good().gpus(1).toConfig(), { allowGpus: true }],
    ['volumes when allowed', good().volume('/a', '/b').toConfig(), { allowContainerVolumes: true }],
    ['dedicated to own role', good().dedicated('www-data/hello').toConfig()],
    ['dedicated to any role', good().dedicated('*/hello').toConfig()],
    ['many named ports', good().ports('http', 'admin').toConfig()],
    ['cron job', good().cron('0 * * * *').toConfig()],
    ['SLA on a production tier', good().tier('preferred').instances(20).slaCount(1, 60).toConfig()],
    ['coordinator SLA with few instances', good().tier('preferred').slaCoordinator('http://c').toConfig()],
    ['executor in the catalog', good().toConfig(), { executors: ['hello-executor'] }],
    ['Thermos with a catalog', edit((c) => (c.taskConfig!.executorConfig!.name = 'AuroraExecutor')), { executors: [] }],
    ['custom environment pattern', good().environment('qa').toConfig(), { allowedEnvironments: 'qa|prod' }],
  ];
  test.each(valid)('%s', (_label, config, policy) => {
    expect(checkJob(config, policy)).toEqual([]);
  });
});

// Each row: a job, a policy, and the scheduler's exact message with the field it points at.
const invalid: [string, JobConfigurationInput, ClusterPolicy, string, string][] = [
  ['no taskConfig', edit((c) => delete c.taskConfig), {}, 'taskConfig', 'Job configuration must have taskConfig set.'],
  ['0 instances', { ...good().toConfig(), instanceCount: 0 }, {}, 'instanceCount', 'Instance count must be positive.'],
  ['4001 instances', good().instances(4001).toConfig(), {}, 'instanceCount', 'Instance count must be between 1 and 4000 inclusive.'],
  ['policy instance limit', good().instances(11).toConfig(), { maxTasksPerJob: 10 }, 'instanceCount', 'Instance count must be between 1 and 10 inclusive.'],
  ['bad role', good().role('a b').toConfig(), {}, 'key.role', 'Job key JobKey(role:a b, environment:prod, name:hello) is invalid.'],
  ['long name', good().name('x'.repeat(256)).toConfig(), {}, 'key.name', `Job key JobKey(role:www-data, environment:prod, name:${'x'.repeat(256)}) is invalid.`],
  ['environment', good().environment('production').toConfig(), {}, 'key.environment', "Job environment production doesn't match: ^(prod|devel|test|staging\\d*)$"],
  ['bad owner', good().owner('al ice').toConfig(), {}, 'owner.user', 'Job user contains illegal characters: al ice'],
  ['bad tier chars', good().tier('a b').toConfig(), {}, 'taskConfig.tier', 'Tier contains illegal characters: a b'],
  ['unknown tier', good().tier('gold').toConfig(), {}, 'taskConfig.tier', "Invalid tier 'gold' in TaskConfig."],
  ['task job key', edit((c) => (c.taskConfig!.job = { role: 'r', environment: 'prod' })), {}, 'taskConfig.job.name', 'Job key JobKey(role:r, environment:prod, name:null) is invalid.'],
  ['no executor, no docker', good().noExecutor().toConfig(), {}, 'taskConfig.executorConfig', 'Configuration may not be null.'],
  ['executor without name', edit((c) => delete c.taskConfig!.executorConfig!.name), {}, 'taskConfig.executorConfig.name', 'Executor name may not be left unset.'],
  ['executor not in catalog', good().toConfig(), { executors: ['other'] }, 'taskConfig.executorConfig.name', "Configuration for executor 'hello-executor' doesn't exist."],
  ['Thermos not configured', edit((c) => (c.taskConfig!.executorConfig!.name = 'AuroraExecutor')), { thermos: false }, 'taskConfig.executorConfig.name', "Configuration for executor 'AuroraExecutor' doesn't exist."],
  ['dedicated limit', good().limitConstraint('dedicated', 1).toConfig(), {}, 'taskConfig.constraints', 'A dedicated constraint must be of value type.'],
  ['dedicated two values', good().valueConstraint('dedicated', ['a/b', 'c/d']).toConfig(), {}, 'taskConfig.constraints', 'A dedicated constraint must have exactly one value'],
  ['dedicated other role', good().dedicated('ops/hello').toConfig(), {}, 'taskConfig.constraints', 'Only ops may use hosts dedicated for that role.'],
  ['docker without image', edit((c) => (c.taskConfig!.container = { docker: { image: '' } }), good()), { allowDocker: true }, 'taskConfig.container.docker.image', 'A container must specify an image.'],
  ['docker parameters', good().docker('busybox', { env: 'A=1' }).toConfig(), { allowDocker: true }, 'taskConfig.container.docker.parameters', 'This scheduler is configured to disallow Docker parameters.'],
  ['docker needs executor', good().noExecutor().docker('busybox').toConfig(), { allowDocker: true, requireDockerUseExecutor: true }, 'taskConfig.executorConfig', 'This scheduler is configured to require an executor for Docker-based tasks.'],
  ['docker not allowed', good().docker('busybox').toConfig(), {}, 'taskConfig.container.docker', 'This scheduler is not configured to allow the container type DOCKER'],
  ['container without type', edit((c) => (c.taskConfig!.container = badInput({}))), {}, 'taskConfig.container', 'A job must have a container type.'],
  ['duplicate resources', edit((c) => (c.taskConfig!.resources = [{ numCpus: 1 }, { numCpus: 2 }, { ramMb: 1 }, { ramMb: 2 }, { diskMb: 1 }])), {}, 'taskConfig.resources', 'Multiple resource values are not supported for CPU, RAM'],
  ['resource union with two fields', edit((c) => (c.taskConfig!.resources = [badInput({ numCpus: 1, ramMb: 2 })])), {}, 'taskConfig.resources[0]', 'A Resource must set exactly one of numCpus, ramMb, diskMb, namedPort, numGpus.'],
  ['no cpus', good().cpus(0).toConfig(), {}, 'taskConfig.resources', 'num_cpus must be greater than 0.0'],
  ['no ram', edit((c) => (c.taskConfig!.resources = [{ numCpus: 1 }, { diskMb: 1 }])), {}, 'taskConfig.resources', 'ram_mb must be greater than 0.0'],
  ['negative disk', good().diskMb(-1).toConfig(), {}, 'taskConfig.resources', 'disk_mb must be greater than 0.0'],
  ['fractional ram', good().ramMb(1.5).toConfig(), {}, 'taskConfig.resources[1].ramMb', 'ramMb must be a whole number, got 1.5.'],
  ['gpus', good().gpus(1).toConfig(), {}, 'taskConfig.resources', 'GPU resource support is disabled in this cluster.'],
  ['fetcher', good().uri('http://x').toConfig(), {}, 'taskConfig.mesosFetcherUris', 'Mesos Fetcher for individual jobs is disabled in this cluster.'],
  ['volumes', good().volume('/a', '/b').toConfig(), {}, 'taskConfig.container.mesos.volumes', 'This scheduler is configured to disallow container volumes.'],
  ['SLA on preemptible tier', good().instances(30).slaCount(1, 60).toConfig(), {}, 'taskConfig.tier', "Tier 'preemptible' does not support SlaPolicy."],
  ['SLA with few instances', good().tier('preferred').instances(5).slaCount(1, 60).toConfig(), {}, 'taskConfig.slaPolicy', 'Job with fewer than 20 instances cannot have Percentage/Count SlaPolicy.'],
  ['SLA count too high', good().tier('preferred').instances(20).slaCount(20, 60).toConfig(), {}, 'taskConfig.slaPolicy.countSlaPolicy.count', 'Current CountSlaPolicy: count=20 will not allow any instances to be killed. Must be less than instanceCount=20.'],
  ['SLA count duration', good().tier('preferred').instances(20).slaCount(1, 7201).toConfig(), {}, 'taskConfig.slaPolicy.countSlaPolicy.durationSecs', 'CountSlaPolicy: durationSecs=7201 must be less than cluster-wide maximum of 7200 secs.'],
  ['SLA percentage too high', good().tier('preferred').instances(20).slaPercentage(96, 60).toConfig(), {}, 'taskConfig.slaPolicy.percentageSlaPolicy.percentage', 'Current PercentageSlaPolicy: percentage=96.000000 will not allow any instances to be killed. Must be less than 95.000000.'],
  ['SLA percentage duration', good().tier('preferred').instances(20).slaPercentage(50, 9000).toConfig(), {}, 'taskConfig.slaPolicy.percentageSlaPolicy.durationSecs', 'PercentageSlaPolicy: durationSecs=9000 must be less than cluster-wide maximum of 7200 secs.'],
  ['service on cron', good().service().cron('0 * * * *').toConfig(), {}, 'cronSchedule', 'A service task may not be run on a cron schedule: www-data/prod/hello (0 * * * *)'],
  ['cron grammar', good().cron('0 * * * * *').toConfig(), {}, 'cronSchedule', 'Invalid cron schedule: "0 * * * * *" has 6 fields; Aurora expects 5: minute hour day-of-month month day-of-week'],
  ['cron day 7', good().cron('0 0 * * 7').toConfig(), {}, 'cronSchedule', expect.stringMatching(/^Invalid cron schedule: /) as unknown as string],
];

describe('validateJob rejects with the scheduler’s message', () => {
  test.each(invalid)('%s', (_label, config, policy, field, message) => {
    expect(firstIssue(config, policy)).toEqual({ field, message });
  });

  test('the error message is "<field>: <scheduler message>"', () => {
    expect(() => validateJob({ ...good().toConfig(), instanceCount: 0 })).toThrow('instanceCount: Instance count must be positive.');
  });

  test('checkJob lists every issue in the scheduler’s order', () => {
    const config = { ...good().environment('qa').gpus(1).uri('http://x').toConfig(), instanceCount: 0 };
    expect(checkJob(config).map((i) => i.field)).toEqual(['instanceCount', 'key.environment', 'taskConfig.resources', 'taskConfig.mesosFetcherUris']);
  });

  test('an ExecutorCatalog works as the executor list', () => {
    const catalog = { executors: [], source: 'x', get: () => undefined, names: () => ['hello-executor'] };
    expect(checkJob(good().toConfig(), { executors: catalog })).toEqual([]);
    expect(checkJob(good().executor('nope').toConfig(), { executors: catalog })[0]?.message).toBe("Configuration for executor 'nope' doesn't exist.");
  });
});

describe('createJob and scheduleCronJob', () => {
  test('createJob refuses cron jobs', () => {
    expect(() => validateCreateJob(good().cron('0 * * * *').toConfig())).toThrow('cronSchedule: Cron jobs may only be created/updated by calling scheduleCronJob.');
    expect(() => validateCreateJob(good().toConfig())).not.toThrow();
  });

  test('scheduleCronJob needs a schedule and refuses RUN_OVERLAP', () => {
    expect(() => validateCronJob(good().toConfig())).toThrow('cronSchedule: Job www-data/prod/hello has no cron schedule');
    expect(() => validateCronJob(good().cron('0 * * * *', CronCollisionPolicy.RUN_OVERLAP).toConfig())).toThrow(
      'cronCollisionPolicy: The RUN_OVERLAP collision policy has been removed (AURORA-38).',
    );
    expect(() => validateCronJob(good().cron('0 * * * *', 'CANCEL_NEW').toConfig())).not.toThrow();
  });
});
