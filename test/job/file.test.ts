import { describe, expect, test } from 'vitest';
import { CronCollisionPolicy, Mode } from '../../src/gen/types.js';
import type { JobConfiguration, JobConfigurationInput, TaskConfigInput } from '../../src/gen/types.js';
import { JobFileError, checkJobFile, parseJobFile } from '../../src/job/index.js';

const base = {
  role: 'www-data',
  environment: 'prod',
  name: 'hello',
  executor: { name: 'hello-executor', data: 'hi' },
  resources: { cpus: 0.5, ramMb: 128, diskMb: 256 },
};

const load = (extra: Record<string, unknown>, drop: string[] = []) => {
  const file: Record<string, unknown> = { ...base, ...extra };
  for (const k of drop) delete file[k];
  return parseJobFile(file, 'job.json', { defaultOwner: 'alice' });
};
const task = (extra: Record<string, unknown>, drop: string[] = []): TaskConfigInput => load(extra, drop).config.taskConfig!;

describe('job file: minimal file and defaults', () => {
  test('a minimal file fills the JobConfiguration like Aurora’s client', () => {
    const { config, update, cluster } = load({});
    expect(cluster).toBeUndefined();
    expect(update).toBeUndefined();
    expect(config).toEqual<JobConfiguration>({
      key: { role: 'www-data', environment: 'prod', name: 'hello' },
      owner: { user: 'alice' },
      cronCollisionPolicy: CronCollisionPolicy.KILL_EXISTING,
      instanceCount: 1,
      taskConfig: {
        job: { role: 'www-data', environment: 'prod', name: 'hello' },
        owner: { user: 'alice' },
        isService: false,
        priority: 0,
        maxTaskFailures: 1,
        production: false,
        resources: [{ numCpus: 0.5 }, { ramMb: 128 }, { diskMb: 256 }],
        constraints: [],
        executorConfig: { name: 'hello-executor', data: 'hi' },
        container: { mesos: {} },
      },
    });
  });

  test('owner defaults to the OS user', () => {
    const { config } = parseJobFile(base);
    expect(typeof config.owner?.user).toBe('string');
    expect(config.owner?.user).not.toBe('');
    expect(config.taskConfig?.owner).toEqual(config.owner);
  });
});

// Each row: a job-file fragment and what it must produce.
const fields: [string, Record<string, unknown>, (c: JobConfigurationInput) => unknown, unknown][] = [
  ['$schema is allowed and ignored', { $schema: './job.schema.json' }, (c) => c.key, { role: 'www-data', environment: 'prod', name: 'hello' }],
  ['owner', { owner: 'bob' }, (c) => [c.owner, c.taskConfig?.owner], [{ user: 'bob' }, { user: 'bob' }]],
  ['instances', { instances: 3 }, (c) => c.instanceCount, 3],
  ['service', { service: true }, (c) => c.taskConfig?.isService, true],
  ['executor data string', { executor: { name: 'x', data: '--flag' } }, (c) => c.taskConfig?.executorConfig, { name: 'x', data: '--flag' }],
  ['executor data object → JSON', { executor: { name: 'x', data: { a: [1, 2] } } }, (c) => c.taskConfig?.executorConfig, { name: 'x', data: '{"a":[1,2]}' }],
  ['executor without data', { executor: { name: 'x' } }, (c) => c.taskConfig?.executorConfig, { name: 'x', data: '' }],
  ['gpus', { resources: { cpus: 1, ramMb: 2, diskMb: 3, gpus: 2 } }, (c) => c.taskConfig?.resources, [{ numCpus: 1 }, { ramMb: 2 }, { diskMb: 3 }, { numGpus: 2 }]],
  ['zero gpus are left out', { resources: { cpus: 1, ramMb: 2, diskMb: 3, gpus: 0 } }, (c) => c.taskConfig?.resources, [{ numCpus: 1 }, { ramMb: 2 }, { diskMb: 3 }]],
  ['ports', { ports: ['http', 'admin'] }, (c) => [...(c.taskConfig?.resources ?? [])].slice(3), [{ namedPort: 'http' }, { namedPort: 'admin' }]],
  [
    'constraints in Aurora notation',
    { constraints: { host: 'limit:1', zone: 'us-east-1a,us-east-1b', rack: '!r1' } },
    (c) => c.taskConfig?.constraints,
    [
      { name: 'host', constraint: { limit: { limit: 1 } } },
      { name: 'zone', constraint: { value: { negated: false, values: ['us-east-1a', 'us-east-1b'] } } },
      { name: 'rack', constraint: { value: { negated: true, values: ['r1'] } } },
    ],
  ],
  ['dedicated', { dedicated: 'www-data/hello' }, (c) => c.taskConfig?.constraints, [{ name: 'dedicated', constraint: { value: { negated: false, values: ['www-data/hello'] } } }]],
  ['metadata', { metadata: { team: 'a', tier: 'b' } }, (c) => c.taskConfig?.metadata, [{ key: 'team', value: 'a' }, { key: 'tier', value: 'b' }]],
  [
    'uris',
    { uris: [{ value: 'http://x/a.tgz', extract: false, cache: true, outputFile: 'a.tgz' }, { value: 'http://x/b', executable: false }] },
    (c) => c.taskConfig?.mesosFetcherUris,
    [{ value: 'http://x/a.tgz', extract: false, cache: true, outputFile: 'a.tgz' }, { value: 'http://x/b' }],
  ],
  [
    'docker container with parameters',
    { container: { docker: { image: 'busybox:1', parameters: [{ name: 'env', value: 'A=1' }, { name: 'env', value: 'B=2' }] } } },
    (c) => c.taskConfig?.container,
    { docker: { image: 'busybox:1', parameters: [{ name: 'env', value: 'A=1' }, { name: 'env', value: 'B=2' }] } },
  ],
  [
    'mesos container with image and volumes',
    { container: { mesos: { image: { docker: { name: 'debian', tag: '12' } }, volumes: [{ containerPath: '/data', hostPath: '/srv', mode: 'RW' }] } } },
    (c) => c.taskConfig?.container,
    { mesos: { image: { docker: { name: 'debian', tag: '12' } }, volumes: [{ containerPath: '/data', hostPath: '/srv', mode: Mode.RW }] } },
  ],
  ['appc image', { container: { mesos: { image: { appc: { name: 'a', imageId: 'sha512-1' } } } } }, (c) => c.taskConfig?.container, { mesos: { image: { appc: { name: 'a', imageId: 'sha512-1' } } } }],
  ['tier', { tier: 'preferred' }, (c) => c.taskConfig?.tier, 'preferred'],
  ['priority', { priority: 5 }, (c) => c.taskConfig?.priority, 5],
  ['production', { production: true }, (c) => c.taskConfig?.production, true],
  ['maxTaskFailures', { maxTaskFailures: -1 }, (c) => c.taskConfig?.maxTaskFailures, -1],
  ['contactEmail', { contactEmail: 'ops@example.com' }, (c) => c.taskConfig?.contactEmail, 'ops@example.com'],
  ['taskLinks', { taskLinks: { http: 'http://%host%:%port:http%' } }, (c) => c.taskConfig?.taskLinks, { http: 'http://%host%:%port:http%' }],
  ['partitionPolicy', { partitionPolicy: { reschedule: false, delaySecs: 30 } }, (c) => c.taskConfig?.partitionPolicy, { reschedule: false, delaySecs: 30 }],
  ['partitionPolicy reschedule defaults to true', { partitionPolicy: { delaySecs: 5 } }, (c) => c.taskConfig?.partitionPolicy, { reschedule: true, delaySecs: 5 }],
  ['slaPolicy percentage', { slaPolicy: { percentage: 95, durationSecs: 60 } }, (c) => c.taskConfig?.slaPolicy, { percentageSlaPolicy: { percentage: 95, durationSecs: 60 } }],
  ['slaPolicy count', { slaPolicy: { count: 2, durationSecs: 60 } }, (c) => c.taskConfig?.slaPolicy, { countSlaPolicy: { count: 2, durationSecs: 60 } }],
  ['slaPolicy coordinator', { slaPolicy: { coordinatorUrl: 'http://c/' } }, (c) => c.taskConfig?.slaPolicy, { coordinatorSlaPolicy: { coordinatorUrl: 'http://c/', statusKey: 'drain' } }],
  ['cron', { cron: { schedule: '0 3 * * *' } }, (c) => [c.cronSchedule, c.cronCollisionPolicy], ['0 3 * * *', CronCollisionPolicy.KILL_EXISTING]],
  ['cron collision policy', { cron: { schedule: '0 3 * * *', collisionPolicy: 'CANCEL_NEW' } }, (c) => c.cronCollisionPolicy, CronCollisionPolicy.CANCEL_NEW],
];

describe('job file: every field', () => {
  test.each(fields)('%s', (_label, extra, pick, expected) => {
    expect(pick(load(extra).config)).toEqual(expected);
  });

  test('cluster is returned, and written into Thermos payloads', () => {
    const loaded = load({ cluster: 'devcluster', processes: [{ name: 'a', cmdline: 'true' }] }, ['executor']);
    expect(loaded.cluster).toBe('devcluster');
    expect(JSON.parse(loaded.config.taskConfig!.executorConfig!.data!).cluster).toBe('devcluster');
  });

  test('Thermos shorthand: processes, order and finalizationWait', () => {
    const t = task(
      {
        processes: [
          { name: 'fetch', cmdline: 'curl -O x', maxFailures: 3 },
          { name: 'run', cmdline: './x', daemon: true, minDuration: 10 },
          { name: 'clean', cmdline: 'rm x', final: true },
        ],
        order: ['fetch', 'run'],
        finalizationWait: 20,
        maxConcurrency: 2,
      },
      ['executor'],
    );
    expect(t.executorConfig?.name).toBe('AuroraExecutor');
    const payload = JSON.parse(t.executorConfig!.data!);
    expect(payload.task.constraints).toEqual([{ order: ['fetch', 'run'] }]);
    expect(payload.task.finalization_wait).toBe(20);
    expect(payload.task.max_concurrency).toBe(2);
    expect(payload.task.processes.map((p: { name: string }) => p.name)).toEqual(['fetch', 'run', 'clean']);
    expect(payload.task.processes[1]).toMatchObject({ daemon: true, min_duration: 10 });
  });

  test('order as a list of chains', () => {
    const t = task(
      { processes: [{ name: 'a', cmdline: 'a' }, { name: 'b', cmdline: 'b' }, { name: 'c', cmdline: 'c' }], order: [['a', 'b'], ['a', 'c']] },
      ['executor'],
    );
    expect(JSON.parse(t.executorConfig!.data!).task.constraints).toEqual([{ order: ['a', 'b'] }, { order: ['a', 'c'] }]);
  });

  test('Docker container without an executor is a complete job', () => {
    const t = task({ container: { docker: { image: 'busybox' } } }, ['executor']);
    expect(t.executorConfig).toBeUndefined();
    expect(t.container).toEqual({ docker: { image: 'busybox', parameters: [] } });
  });

  test('update section becomes JobUpdateSettings with Aurora client defaults', () => {
    expect(load({ update: {} }).update).toEqual({
      updateGroupSize: 1,
      maxPerInstanceFailures: 0,
      maxFailedInstances: 0,
      minWaitInInstanceRunningMs: 45000,
      rollbackOnFailure: true,
      waitForBatchCompletion: false,
      slaAware: false,
      updateStrategy: { queueStrategy: { groupSize: 1 } },
    });
    expect(
      load({
        update: { batchSize: 3, watchSecs: 10, maxPerInstanceFailures: 2, maxFailedInstances: 1, rollbackOnFailure: false, strategy: 'batch', autopause: true, pulseIntervalSecs: 60, slaAware: true },
      }).update,
    ).toEqual({
      updateGroupSize: 3,
      maxPerInstanceFailures: 2,
      maxFailedInstances: 1,
      minWaitInInstanceRunningMs: 10000,
      rollbackOnFailure: false,
      waitForBatchCompletion: true,
      slaAware: true,
      blockIfNoPulsesAfterMs: 60000,
      updateStrategy: { batchStrategy: { groupSize: 3, autopauseAfterBatch: true } },
    });
    expect(load({ update: { strategy: 'variable', groupSizes: [1, 5, 10] } }).update?.updateStrategy).toEqual({
      varBatchStrategy: { groupSizes: [1, 5, 10], autopauseAfterBatch: false },
    });
  });
});

// Each row: a change to the minimal file, and the exact first error line.
const invalid: [string, Record<string, unknown>, string[], string][] = [
  ['ramMb not a number', { resources: { cpus: 1, ramMb: 'lots', diskMb: 1 } }, [], 'resources.ramMb: expected a positive integer, got "lots"'],
  ['ramMb typo', { resources: { cpus: 1, ramMB: 1, ramMb: 1, diskMb: 1 } }, [], 'resources.ramMB: unknown key; did you mean "ramMb"?'],
  ['unknown top-level key', { instnaces: 2 }, [], 'instnaces: unknown key; did you mean "instances"?'],
  ['unrelated unknown key', { zzzzzzzzzz: 1 }, [], expect.stringMatching(/^zzzzzzzzzz: unknown key; allowed keys: \$schema, cluster, role/) as unknown as string],
  ['snake_case key', { max_task_failures: 1 }, [], 'max_task_failures: unknown key; did you mean "maxTaskFailures"?'],
  ['missing role', {}, ['role'], 'role: missing; expected an identifier: letters, digits, "_", "-" or "." (at most 255 characters)'],
  ['bad name', { name: 'hello world' }, [], 'name: expected an identifier: letters, digits, "_", "-" or "." (at most 255 characters), got "hello world"'],
  ['missing resources', {}, ['resources'], 'resources: missing; expected a resources object { cpus, ramMb, diskMb }'],
  ['zero cpus', { resources: { cpus: 0, ramMb: 1, diskMb: 1 } }, [], 'resources.cpus: expected a positive number, got 0'],
  ['fractional disk', { resources: { cpus: 1, ramMb: 1, diskMb: 1.5 } }, [], 'resources.diskMb: expected a positive integer, got 1.5'],
  ['instances 0', { instances: 0 }, [], 'instances: expected a positive integer, got 0'],
  ['service as string', { service: 'yes' }, [], 'service: expected true or false, got "yes"'],
  ['executor data number', { executor: { name: 'x', data: 3 } }, [], 'executor.data: expected a string or a JSON object, got 3'],
  ['executor data array', { executor: { name: 'x', data: [1] } }, [], 'executor.data: expected a string or a JSON object, got an array'],
  ['empty executor name', { executor: { name: '' } }, [], 'executor.name: expected an executor name, got ""'],
  ['no way to run', {}, ['executor'], 'executor: missing; give "executor" (a custom executor), "processes" (Thermos) or "container.docker"'],
  ['executor and processes', { processes: [{ name: 'a', cmdline: 'a' }] }, [], 'processes: a job runs either a custom executor ("executor") or Thermos processes ("processes"), not both'],
  ['order without processes', { order: ['a'] }, [], 'order: only used with "processes" (Thermos)'],
  ['bad limit', { constraints: { host: 'limit:x' } }, [], 'constraints.host: expected "limit:N" with N a positive integer, got "limit:x"'],
  ['empty constraint value', { constraints: { zone: 'a,' } }, [], 'constraints.zone: expected "limit:N", "value[,value...]" or "!value[,value...]" with no empty values, got "a,"'],
  ['constraint not a string', { constraints: { host: 1 } }, [], 'constraints.host: expected a constraint string: "limit:N", "value,value" or "!value", got 1'],
  ['dedicated twice', { dedicated: 'a/b', constraints: { dedicated: 'a/b' } }, [], 'dedicated: set either "dedicated" or constraints.dedicated, not both'],
  ['metadata value not a string', { metadata: { a: 1 } }, [], 'metadata.a: expected a string value in metadata, got 1'],
  ['uri executable', { uris: [{ value: 'http://x', executable: true }] }, [], "uris[0].executable: Aurora's MesosFetcherURI has no executable flag; make the file executable in an archive, or chmod it in the command"],
  ['duplicate uri', { uris: [{ value: 'http://x' }, { value: 'http://x', cache: true }] }, [], 'uris[1].value: duplicate URI "http://x" (also at index 0)'],
  ['duplicate port', { ports: ['http', 'http'] }, [], 'ports[1]: duplicate port "http" (also at index 0)'],
  ['two container kinds', { container: { docker: { image: 'a' }, mesos: {} } }, [], 'container: expected exactly one of "docker" or "mesos"'],
  ['empty container', { container: {} }, [], 'container: expected exactly one of "docker" or "mesos"'],
  ['volume mode', { container: { mesos: { volumes: [{ containerPath: '/a', hostPath: '/b', mode: 'rw' }] } } }, [], 'container.mesos.volumes[0].mode: expected "RO" or "RW", got "rw"'],
  ['docker param typo', { container: { docker: { image: 'a', params: [] } } }, [], 'container.docker.params: unknown key; did you mean "parameters"?'],
  ['maxTaskFailures below -1', { maxTaskFailures: -2 }, [], 'maxTaskFailures: expected an integer >= -1 (-1: unlimited), got -2'],
  ['sla two kinds', { slaPolicy: { percentage: 50, count: 1, durationSecs: 1 } }, [], 'slaPolicy: expected exactly one of "percentage", "count" or "coordinatorUrl"'],
  ['sla percentage without duration', { slaPolicy: { percentage: 50 } }, [], 'slaPolicy.durationSecs: missing; required with "percentage"'],
  ['sla percentage 100', { slaPolicy: { percentage: 100, durationSecs: 1 } }, [], 'slaPolicy.percentage: expected a percentage between 0 and 100, got 100'],
  ['cron bad schedule', { cron: { schedule: '* * *' } }, [], 'cron.schedule: Invalid cron schedule: "* * *" has 3 fields; Aurora expects 5: minute hour day-of-month month day-of-week'],
  ['cron RUN_OVERLAP', { cron: { schedule: '* * * * *', collisionPolicy: 'RUN_OVERLAP' } }, [], 'cron.collisionPolicy: expected "KILL_EXISTING" or "CANCEL_NEW", got "RUN_OVERLAP"'],
  ['cron service', { service: true, cron: { schedule: '* * * * *' } }, [], 'cron: a service job may not have a cron schedule'],
  ['update strategy', { update: { strategy: 'rolling' } }, [], 'update.strategy: expected one of "queue", "batch", "variable", got "rolling"'],
  ['update variable without sizes', { update: { strategy: 'variable' } }, [], 'update.groupSizes: the variable strategy needs groupSizes, e.g. [1, 5, 10]'],
  ['update group size 0', { update: { strategy: 'variable', groupSizes: [1, 0] } }, [], 'update.groupSizes[1]: expected a positive integer, got 0'],
  ['update groupSizes with queue', { update: { groupSizes: [1] } }, [], 'update.groupSizes: only used by strategy "variable", not "queue"'],
  ['update autopause with queue', { update: { autopause: true } }, [], 'update.autopause: only used by strategies "batch" and "variable"'],
  ['update watch typo', { update: { watch_secs: 3 } }, [], 'update.watch_secs: unknown key; did you mean "watchSecs"?'],
  ['process missing cmdline', { processes: [{ name: 'a' }] }, ['executor'], 'processes[0].cmdline: missing; expected a command line'],
  ['duplicate process', { processes: [{ name: 'a', cmdline: 'x' }, { name: 'a', cmdline: 'y' }] }, ['executor'], 'processes[1].name: duplicate process name "a"'],
  ['process name with slash', { processes: [{ name: 'a/b', cmdline: 'x' }] }, ['executor'], 'processes[0].name: invalid process name "a/b": may not be empty, start with "." or contain "/"'],
  ['order unknown process', { processes: [{ name: 'a', cmdline: 'x' }], order: ['a', 'b'] }, ['executor'], 'order[0]: unknown process "b"; processes are: a'],
  ['order cycle', { processes: [{ name: 'a', cmdline: 'x' }, { name: 'b', cmdline: 'y' }], order: [['a', 'b'], ['b', 'a']] }, ['executor'], 'order: Cycles detected in the task schedule!'],
  ['mixed order list', { processes: [{ name: 'a', cmdline: 'x' }], order: ['a', ['a']] }, ['executor'], 'order: expected a list of process names, or a list of such lists, got an array'],
];

describe('job file: invalid input gets one clear line', () => {
  test.each(invalid)('%s', (_label, extra, drop, message) => {
    let caught: unknown;
    try {
      load(extra, drop);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(JobFileError);
    expect((caught as JobFileError).message).toEqual(message);
    expect((caught as JobFileError).source).toBe('job.json');
  });

  test('every problem is listed, not just the first', () => {
    const issues = checkJobFile({ ...base, instances: 0, resources: { cpus: 'x', ramMb: 1, diskMb: 1 } });
    expect(issues.map((i) => i.field)).toEqual(['instances', 'resources.cpus']);
  });

  test('a file that is not an object', () => {
    expect(() => parseJobFile([1])).toThrow('expected a job object, got an array');
  });
});
