/**
 * fast-check arbitraries for valid job files (and the JobConfigurations they produce), shared by
 * the job tests and by the Thrift codec round-trip tests.
 */
import fc from 'fast-check';
import type { JobFile } from '../../src/job/index.js';
import { parseJobFile } from '../../src/job/index.js';
import type { JobConfigurationInput } from '../../src/gen/types.js';

export const identifierArb = fc.stringMatching(/^[A-Za-z0-9_.-]{1,24}$/);
const nameArb = fc.stringMatching(/^[a-z][a-z0-9_-]{0,11}$/);
const urlArb = fc.stringMatching(/^https?:\/\/[a-z]{1,8}\.[a-z]{2,3}(\/[a-z0-9%.-]{0,8}){0,2}$/);
const jsonLeaf = fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(null));
const jsonObjectArb = fc.dictionary(nameArb, fc.oneof(jsonLeaf, fc.array(jsonLeaf, { maxLength: 3 })), { maxKeys: 4 });

const constraintTextArb = fc.oneof(
  fc.integer({ min: 1, max: 100 }).map((n) => `limit:${n}`),
  fc.uniqueArray(nameArb, { minLength: 1, maxLength: 3 }).map((v) => v.join(',')),
  fc.uniqueArray(nameArb, { minLength: 1, maxLength: 3 }).map((v) => `!${v.join(',')}`),
);

const processArb = (name: string) =>
  fc.record(
    {
      name: fc.constant(name),
      cmdline: fc.stringMatching(/^[a-z][a-z0-9 ./'-]{0,30}$/),
      maxFailures: fc.integer({ min: 0, max: 10 }),
      daemon: fc.boolean(),
      ephemeral: fc.boolean(),
      minDuration: fc.integer({ min: 0, max: 60 }),
      final: fc.boolean(),
    },
    { requiredKeys: ['name', 'cmdline'] },
  );

/** Processes plus an ordering that Thermos can plan (only plain, non-final processes are ordered). */
const thermosArb = fc.uniqueArray(nameArb, { minLength: 1, maxLength: 4 }).chain((names) =>
  fc
    .tuple(...names.map(processArb))
    .chain((processes) => {
      const plain = processes.filter((p) => !p.daemon && !p.ephemeral && !p.final).map((p) => p.name);
      return fc.record(
        {
          processes: fc.constant(processes),
          order: plain.length >= 2 ? fc.shuffledSubarray(plain, { minLength: 2 }) : fc.constant(undefined),
          finalizationWait: fc.integer({ min: 0, max: 120 }),
          maxConcurrency: fc.integer({ min: 0, max: 4 }),
        },
        { requiredKeys: ['processes'] },
      );
    }),
);

const slaArb = fc.oneof(
  fc.record({ percentage: fc.double({ min: 1, max: 99, noNaN: true }), durationSecs: fc.integer({ min: 0, max: 7200 }) }),
  fc.record({ count: fc.integer({ min: 1, max: 10 }), durationSecs: fc.integer({ min: 0, max: 7200 }) }),
  fc.record({ coordinatorUrl: urlArb, statusKey: nameArb }, { requiredKeys: ['coordinatorUrl'] }),
);

const updateArb = fc.oneof(
  fc.record(
    {
      strategy: fc.constantFrom('queue' as const, 'batch' as const),
      batchSize: fc.integer({ min: 1, max: 10 }),
      watchSecs: fc.integer({ min: 0, max: 600 }),
      maxPerInstanceFailures: fc.integer({ min: 0, max: 5 }),
      maxFailedInstances: fc.integer({ min: 0, max: 5 }),
      rollbackOnFailure: fc.boolean(),
      pulseIntervalSecs: fc.integer({ min: 1, max: 3600 }),
      slaAware: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      strategy: fc.constant('variable' as const),
      groupSizes: fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 4 }),
      autopause: fc.boolean(),
      watchSecs: fc.integer({ min: 0, max: 600 }),
    },
    { requiredKeys: ['strategy', 'groupSizes'] },
  ),
  fc.record({ strategy: fc.constant('batch' as const), autopause: fc.boolean() }, { requiredKeys: ['strategy'] }),
);

const volumesArb = fc.uniqueArray(
  fc.record({
    containerPath: fc.stringMatching(/^\/[a-z]{1,8}$/),
    hostPath: fc.stringMatching(/^\/[a-z]{1,8}$/),
    mode: fc.constantFrom('RO' as const, 'RW' as const),
  }),
  { selector: (v) => v.containerPath, minLength: 1, maxLength: 3 },
);

const mesosContainerArb = fc.record(
  {
    image: fc.oneof(
      fc.record({ docker: fc.record({ name: nameArb, tag: nameArb }) }),
      fc.record({ appc: fc.record({ name: nameArb, imageId: nameArb }) }),
    ),
    volumes: volumesArb,
  },
  { requiredKeys: [] },
);

const dockerContainerArb = fc.record(
  {
    image: fc.stringMatching(/^[a-z]{1,10}(:[0-9.]{1,5})?$/),
    parameters: fc.array(fc.record({ name: nameArb, value: fc.string({ maxLength: 10 }) }), { minLength: 1, maxLength: 3 }),
  },
  { requiredKeys: ['image'] },
);

const cronArb = fc.record(
  {
    schedule: fc.constantFrom('*/5 * * * *', '0 3 * * *', '30 2 1 * *', '0 0 * * MON-FRI', '15,45 */2 * JAN-JUN *'),
    collisionPolicy: fc.constantFrom('KILL_EXISTING' as const, 'CANCEL_NEW' as const),
  },
  { requiredKeys: ['schedule'] },
);

/** A job file that parseJobFile accepts. */
export const jobFileArb: fc.Arbitrary<JobFile> = fc
  .record({
    base: fc.record(
      {
        cluster: nameArb,
        owner: identifierArb,
        instances: fc.integer({ min: 1, max: 100 }),
        ports: fc.uniqueArray(nameArb, { minLength: 1, maxLength: 3 }),
        constraints: fc.dictionary(nameArb.filter((n) => n !== 'dedicated'), constraintTextArb, { minKeys: 1, maxKeys: 3 }),
        dedicated: fc.stringMatching(/^[a-z]{1,6}\/[a-z]{1,6}$/),
        metadata: fc.dictionary(nameArb, fc.string({ maxLength: 12 }), { minKeys: 1, maxKeys: 3 }),
        uris: fc.uniqueArray(
          fc.record(
            { value: urlArb, extract: fc.boolean(), cache: fc.boolean(), outputFile: nameArb },
            { requiredKeys: ['value'] },
          ),
          { selector: (u) => u.value, minLength: 1, maxLength: 2 },
        ),
        tier: fc.constantFrom('preemptible', 'preferred', 'revocable'),
        priority: fc.integer({ min: -10, max: 10 }),
        production: fc.boolean(),
        maxTaskFailures: fc.integer({ min: -1, max: 10 }),
        contactEmail: fc.stringMatching(/^[a-z]{1,8}@[a-z]{1,8}\.[a-z]{2,3}$/),
        taskLinks: fc.dictionary(nameArb, urlArb, { minKeys: 1, maxKeys: 2 }),
        partitionPolicy: fc.record({ reschedule: fc.boolean(), delaySecs: fc.integer({ min: 0, max: 600 }) }, { requiredKeys: [] }),
        slaPolicy: slaArb,
        update: updateArb,
      },
      { requiredKeys: [] },
    ),
    key: fc.record({ role: identifierArb, environment: identifierArb, name: identifierArb }),
    resources: fc.record(
      {
        cpus: fc.double({ min: 0.01, max: 64, noNaN: true }),
        ramMb: fc.integer({ min: 1, max: 1 << 20 }),
        diskMb: fc.integer({ min: 1, max: 1 << 20 }),
        gpus: fc.integer({ min: 0, max: 8 }),
      },
      { requiredKeys: ['cpus', 'ramMb', 'diskMb'] },
    ),
    run: fc.oneof(
      fc.record({
        executor: fc.record({ name: nameArb, data: fc.oneof(fc.string({ maxLength: 30 }), jsonObjectArb) }, { requiredKeys: ['name'] }),
        container: fc.option(fc.oneof(mesosContainerArb.map((mesos) => ({ mesos })), dockerContainerArb.map((docker) => ({ docker }))), {
          nil: undefined,
        }),
      }),
      fc.record({
        thermos: thermosArb,
        container: fc.option(mesosContainerArb.map((mesos) => ({ mesos })), { nil: undefined }),
      }),
      fc.record({ docker: dockerContainerArb }),
    ),
    kind: fc.constantFrom('service', 'batch', 'cron'),
    cron: cronArb,
  })
  .map(({ base, key, resources, run, kind, cron }) => {
    const file: Record<string, unknown> = { ...key, ...base, resources };
    if ('executor' in run) {
      file['executor'] = run.executor;
      if (run.container) file['container'] = run.container;
    } else if ('thermos' in run) {
      Object.assign(file, dropUndefined(run.thermos));
      if (run.container) file['container'] = run.container;
    } else {
      file['container'] = { docker: run.docker };
    }
    if (kind === 'service') file['service'] = true;
    if (kind === 'cron') file['cron'] = cron;
    return file as JobFile;
  });

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A valid job file together with its JobConfiguration. */
export const jobConfigArb: fc.Arbitrary<JobConfigurationInput> = jobFileArb.map(
  (file) => parseJobFile(file, 'arbitrary', { defaultOwner: 'arb-user' }).config,
);
