import { describe, expect, test } from 'vitest';
import { AuroraValidationError } from '../../src/errors.js';
import { CronCollisionPolicy, Mode } from '../../src/gen/types.js';
import type { Resource } from '../../src/gen/types.js';
import { Job, thermosTask } from '../../src/job/index.js';
import { JobUpdate } from '../../src/update/index.js';

const job = () => new Job('www-data/prod/hello').owner('alice').executor('hello-executor').cpus(1).ramMb(64).diskMb(32);

describe('Job builder', () => {
  test('key and owner go on the job and into the TaskConfig', () => {
    const c = new Job({ role: 'r', environment: 'devel', name: 'n' }).owner('bob').toConfig();
    expect(c.key).toEqual({ role: 'r', environment: 'devel', name: 'n' });
    expect(c.taskConfig?.job).toEqual(c.key);
    expect(c.owner).toEqual({ user: 'bob' });
    expect(c.taskConfig?.owner).toEqual({ user: 'bob' });
  });

  test('role/environment/name setters and a bad key string', () => {
    expect(new Job().role('a').environment('test').name('b').jobKey).toEqual({ role: 'a', environment: 'test', name: 'b' });
    expect(() => new Job('a/b')).toThrow(AuroraValidationError);
    expect(() => new Job('a/b')).toThrow('key: expected "role/environment/name", got "a/b"');
  });

  test('resources are a set<Resource>: cpus, ram, disk, ports, gpus', () => {
    const c = job().ports('http', 'admin', 'http').gpus(2).toConfig();
    expect(c.taskConfig?.resources).toEqual([{ numCpus: 1 }, { ramMb: 64 }, { diskMb: 32 }, { namedPort: 'http' }, { namedPort: 'admin' }, { numGpus: 2 }]);
  });

  test('executor data: string as is, object as JSON', () => {
    expect(job().executor('x', '--a').toConfig().taskConfig?.executorConfig).toEqual({ name: 'x', data: '--a' });
    expect(job().executor('x', { a: 1 }).toConfig().taskConfig?.executorConfig).toEqual({ name: 'x', data: '{"a":1}' });
  });

  test('re-setting a constraint or a label replaces it', () => {
    const c = job()
      .constraint('host', 'limit:1')
      .constraint('host', 'limit:2')
      .valueConstraint('zone', ['a'])
      .valueConstraint('zone', ['b', 'c'], true)
      .dedicated('www-data/x')
      .dedicated('www-data/y')
      .metadata('team', 'a')
      .label('team', 'b')
      .toConfig();
    expect(c.taskConfig?.constraints).toEqual([
      { name: 'host', constraint: { limit: { limit: 2 } } },
      { name: 'zone', constraint: { value: { negated: true, values: ['b', 'c'] } } },
      { name: 'dedicated', constraint: { value: { negated: false, values: ['www-data/y'] } } },
    ]);
    expect(c.taskConfig?.metadata).toEqual([{ key: 'team', value: 'b' }]);
    expect(job().constraint('host', 'limit:1').removeConstraint('host').toConfig().taskConfig?.constraints).toEqual([]);
  });

  test('fetcher URIs, replaced by value', () => {
    const c = job().uri('http://a', { extract: true }).uri('http://a', { cache: true, outputFile: 'x' }).uri('http://b').toConfig();
    expect(c.taskConfig?.mesosFetcherUris).toEqual([{ value: 'http://a', cache: true, outputFile: 'x' }, { value: 'http://b' }]);
  });

  test('containers: Docker with parameters, Mesos with image and volumes', () => {
    expect(job().docker('busybox', { env: 'A=1' }).dockerParameter('env', 'B=2').toConfig().taskConfig?.container).toEqual({
      docker: { image: 'busybox', parameters: [{ name: 'env', value: 'A=1' }, { name: 'env', value: 'B=2' }] },
    });
    expect(
      job().mesosImage({ docker: { name: 'debian', tag: '12' } }).volume('/d', '/srv').volume('/d', '/srv2', 'RW').toConfig().taskConfig?.container,
    ).toEqual({ mesos: { image: { docker: { name: 'debian', tag: '12' } }, volumes: [{ containerPath: '/d', hostPath: '/srv2', mode: Mode.RW }] } });
    expect(job().toConfig().taskConfig?.container).toEqual({ mesos: {} });
    expect(() => job().dockerParameter('a', 'b')).toThrow('container.docker: set a Docker image with docker(image) before adding parameters');
  });

  test('scheduling fields', () => {
    const t = job()
      .instances(3)
      .service()
      .tier('preferred')
      .priority(2)
      .production()
      .maxTaskFailures(5)
      .contactEmail('a@b.c')
      .taskLink('http', 'http://%host%')
      .partitionPolicy(false, 10)
      .toConfig();
    expect(t.instanceCount).toBe(3);
    expect(t.taskConfig).toMatchObject({
      isService: true,
      tier: 'preferred',
      priority: 2,
      production: true,
      maxTaskFailures: 5,
      contactEmail: 'a@b.c',
      taskLinks: { http: 'http://%host%' },
      partitionPolicy: { reschedule: false, delaySecs: 10 },
    });
  });

  test('SLA policies', () => {
    expect(job().slaPercentage(95, 60).toConfig().taskConfig?.slaPolicy).toEqual({ percentageSlaPolicy: { percentage: 95, durationSecs: 60 } });
    expect(job().slaCount(2, 30).toConfig().taskConfig?.slaPolicy).toEqual({ countSlaPolicy: { count: 2, durationSecs: 30 } });
    expect(job().slaCoordinator('http://c').toConfig().taskConfig?.slaPolicy).toEqual({ coordinatorSlaPolicy: { coordinatorUrl: 'http://c', statusKey: 'drain' } });
  });

  test('cron schedule and collision policy', () => {
    const c = job().cron('0 * * * *', 'CANCEL_NEW').toConfig();
    expect(c.cronSchedule).toBe('0 * * * *');
    expect(c.cronCollisionPolicy).toBe(CronCollisionPolicy.CANCEL_NEW);
    expect(job().toConfig().cronCollisionPolicy).toBe(CronCollisionPolicy.KILL_EXISTING);
    expect(() => job().collisionPolicy('NOPE' as 'CANCEL_NEW')).toThrow('cronCollisionPolicy: expected KILL_EXISTING or CANCEL_NEW, got "NOPE"');
  });

  test('Thermos: executor AuroraExecutor with the payload', () => {
    const c = job().cluster('devcluster').thermos(thermosTask().process('run', './run')).toConfig();
    expect(c.taskConfig?.executorConfig?.name).toBe('AuroraExecutor');
    const payload = JSON.parse(c.taskConfig!.executorConfig!.data!);
    expect(payload).toMatchObject({ name: 'hello', role: 'www-data', environment: 'prod', cluster: 'devcluster' });
    expect(payload.task.resources).toEqual({ cpu: 1, ram: 64 * 1048576, disk: 32 * 1048576, gpu: 0 });
  });

  test('toConfig is plain data, and Job.from gives it back', () => {
    const c = job().ports('http').constraint('host', 'limit:1').metadata('a', 'b').docker('x').cron('0 0 * * *').toConfig();
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
    expect(Job.from(c).toConfig()).toEqual(c);
    expect(Job.from(c).instances(5).toConfig().instanceCount).toBe(5);
  });

  test('Job.from accepts Sets, as the generated types allow', () => {
    const c = job().ports('http').toConfig();
    const withSets = { ...c, taskConfig: { ...c.taskConfig, resources: new Set(c.taskConfig!.resources as Resource[]) as ReadonlySet<Resource> } };
    expect(Job.from(withSets).toConfig()).toEqual(c);
  });

  test('clone is independent', () => {
    const a = job();
    const b = a.clone().instances(9);
    expect(a.toConfig().instanceCount).toBe(1);
    expect(b.toConfig().instanceCount).toBe(9);
  });
});

describe('Job.instances', () => {
  test.each([-3, 0, 1.5, Number.NaN, Infinity])('rejects %s where it is set, naming the field', (count) => {
    const job = Job.create('www-data/prod/hello');
    expect(() => job.instances(count)).toThrow(AuroraValidationError);
    expect(() => job.instances(count)).toThrow(/^instanceCount: expected a positive integer, got /);
  });

  test('takes a positive integer', () => {
    expect(Job.create('www-data/prod/hello').instances(3).toConfig().instanceCount).toBe(3);
  });
});

describe('builders are immutable', () => {
  test('JobUpdate.for(job.instances(4)) (the README example) leaves job as it was', () => {
    const base = job().instances(2);
    const update = JobUpdate.for(base.instances(4)).batchSize(2).watchSecs(30);
    expect(update.toRequest().instanceCount).toBe(4);
    expect(base.toConfig().instanceCount).toBe(2);
  });

  test('every Job setter returns a new Job; the one it was called on keeps its value', () => {
    const base = job();
    const before = base.toConfig();
    const changed = base
      .cpus(4)
      .ports('http')
      .constraint('host', 'limit:1')
      .metadata('team', 'web')
      .uri('https://example.com/app.tgz')
      .volume('/data', '/srv/data', 'RW')
      .taskLink('ui', 'http://%host%:%port:http%')
      .cron('*/5 * * * *', 'CANCEL_NEW');
    expect(changed).not.toBe(base);
    expect(base.toConfig()).toEqual(before);
    expect(changed.toConfig().cronCollisionPolicy).toBe(CronCollisionPolicy.CANCEL_NEW);
    expect(changed.toConfig().taskConfig?.metadata).toEqual([{ key: 'team', value: 'web' }]);
    // A setter used as a statement changes nothing: its result is the new value.
    base.cpus(8);
    expect(base.toConfig()).toEqual(before);
  });

  test('a subclass keeps its class and its own fields through the setters', () => {
    class TeamJob extends Job {
      readonly team = 'web';
      teamLabel(): this {
        return this.metadata('team', this.team);
      }
    }
    const j = new TeamJob('www-data/prod/hello').cpus(1).teamLabel();
    expect(j).toBeInstanceOf(TeamJob);
    expect(j.team).toBe('web');
    expect(j.toConfig().taskConfig?.metadata).toEqual([{ key: 'team', value: 'web' }]);
  });

  test('ThermosTask and JobUpdate setters return new values too', () => {
    const task = thermosTask('main').process('run', './server');
    const more = task.process('fetch', 'curl -O x').order('fetch', 'run').maxFailures(3);
    expect(task.toSpec()).toEqual({ name: 'main', processes: [{ name: 'run', cmdline: './server' }] });
    expect(more.toSpec().processes.map((p) => p.name)).toEqual(['run', 'fetch']);

    const update = JobUpdate.for(job()).batchSize(1);
    const other = update.batchSize(5).onlyInstances('0-2').metadata('ticket', 'OPS-1').instanceCount(3);
    expect(update.toRequest()).toEqual(JobUpdate.for(job()).batchSize(1).toRequest());
    expect(other.toRequest()).toMatchObject({ instanceCount: 3, metadata: [{ key: 'ticket', value: 'OPS-1' }], settings: { updateGroupSize: 5 } });
  });
});
