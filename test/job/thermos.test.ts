import { describe, expect, test } from 'vitest';
import { Thermos, checkThermosTask, parseThermosPayload, thermosPayload, thermosTask } from '../../src/job/index.js';
import type { ThermosContext, ThermosTaskSpec } from '../../src/job/index.js';

const ctx: ThermosContext = { role: 'www-data', environment: 'prod', name: 'hello', cluster: 'devcluster', cpus: 0.5, ramMb: 128, diskMb: 256 };

describe('Thermos payload', () => {
  test('the JSON Aurora’s Thermos executor reads', () => {
    const task = thermosTask()
      .process('fetch', 'curl -O http://x/app.tgz', { maxFailures: 3 })
      .process('run', './app --port={{thermos.ports[http]}}', { daemon: true, minDuration: 15 })
      .process('log', 'tail -f log', { ephemeral: true })
      .process('cleanup', 'rm -rf tmp', { final: true })
      .order('fetch', 'run')
      .finalizationWait(10)
      .maxConcurrency(2)
      .maxFailures(2);
    expect(thermosPayload(task.toSpec(), ctx)).toEqual({
      name: 'hello',
      role: 'www-data',
      environment: 'prod',
      cluster: 'devcluster',
      service: false,
      task: {
        name: 'hello',
        processes: [
          { name: 'fetch', cmdline: 'curl -O http://x/app.tgz', max_failures: 3, daemon: false, ephemeral: false, min_duration: 5, final: false },
          { name: 'run', cmdline: './app --port={{thermos.ports[http]}}', max_failures: 1, daemon: true, ephemeral: false, min_duration: 15, final: false },
          { name: 'log', cmdline: 'tail -f log', max_failures: 1, daemon: false, ephemeral: true, min_duration: 5, final: false },
          { name: 'cleanup', cmdline: 'rm -rf tmp', max_failures: 1, daemon: false, ephemeral: false, min_duration: 5, final: true },
        ],
        constraints: [{ order: ['fetch', 'run'] }],
        resources: { cpu: 0.5, ram: 134217728, disk: 268435456, gpu: 0 },
        max_failures: 2,
        max_concurrency: 2,
        finalization_wait: 10,
      },
    });
  });

  test('executorConfig is named AuroraExecutor and carries the JSON as a string', () => {
    const spec: ThermosTaskSpec = { name: 'custom', processes: [{ name: 'a', cmdline: 'true' }] };
    const ex = Thermos.executorConfig(spec, ctx);
    expect(ex.name).toBe('AuroraExecutor');
    expect(Thermos.EXECUTOR_NAME).toBe('AuroraExecutor');
    expect(JSON.parse(ex.data!).task.name).toBe('custom');
  });

  test('a payload reads back into the spec; foreign payloads do not', () => {
    const spec: ThermosTaskSpec = { processes: [{ name: 'a', cmdline: 'a', final: true }, { name: 'b', cmdline: 'b' }], order: [['b']], finalizationWait: 5 };
    const data = JSON.stringify(thermosPayload(spec, ctx));
    expect(parseThermosPayload(data, ctx)).toEqual(spec);
    const foreign = JSON.parse(data);
    foreign.health_check_config = { interval_secs: 1 };
    expect(parseThermosPayload(JSON.stringify(foreign), ctx)).toBeUndefined();
    expect(parseThermosPayload('not json', ctx)).toBeUndefined();
  });

  test('process() with the same name replaces the process', () => {
    expect(thermosTask().process('a', 'x').process('a', 'y').toSpec().processes).toEqual([{ name: 'a', cmdline: 'y' }]);
  });
});

const p = (name: string, extra: object = {}) => ({ name, cmdline: 'true', ...extra });

describe('Thermos task checks (ThermosTaskValidator / TaskPlanner rules)', () => {
  const cases: [string, ThermosTaskSpec, string | undefined][] = [
    ['valid', { processes: [p('a'), p('b')], order: [['a', 'b']] }, undefined],
    ['no processes', { processes: [] }, 'processes: a Thermos task needs at least one process'],
    ['name with slash', { processes: [p('a/b')] }, 'processes[0].name: invalid process name "a/b": may not be empty, start with "." or contain "/"'],
    ['name starting with a dot', { processes: [p('.a')] }, 'processes[0].name: invalid process name ".a": may not be empty, start with "." or contain "/"'],
    ['duplicate', { processes: [p('a'), p('a')] }, 'processes[1].name: duplicate process name "a"'],
    ['empty cmdline', { processes: [{ name: 'a', cmdline: '  ' }] }, 'processes[0].cmdline: may not be empty'],
    ['unknown in order', { processes: [p('a')], order: [['a', 'zz']] }, 'order[0]: unknown process "zz"; processes are: a'],
    ['final mixed with regular', { processes: [p('a'), p('b', { final: true })], order: [['a', 'b']] }, 'order[0]: an ordering may not mix final and non-final processes'],
    ['after a daemon', { processes: [p('a', { daemon: true }), p('b')], order: [['a', 'b']] }, 'order[0]: Process b may not depend upon daemon process a'],
    ['after an ephemeral', { processes: [p('a', { ephemeral: true }), p('b')], order: [['a', 'b']] }, 'order[0]: Non-ephemeral process b may not depend upon ephemeral process a'],
    ['cycle', { processes: [p('a'), p('b'), p('c')], order: [['a', 'b', 'c'], ['c', 'a']] }, 'order: Cycles detected in the task schedule!'],
  ];
  test.each(cases)('%s', (_label, spec, expected) => {
    const issue = checkThermosTask(spec)[0];
    expect(issue ? `${issue.field}: ${issue.message}` : undefined).toBe(expected);
    if (expected) expect(() => thermosPayload(spec, ctx)).toThrow(expected);
  });
});
