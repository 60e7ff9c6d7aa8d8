import { describe, expect, test } from 'vitest';
import { AuroraValidationError } from '../../src/errors.js';
import {
  ExecutorConfigError,
  parseExecutorConfig,
  THERMOS_EXECUTOR_NAME,
  type CustomExecutor,
} from '../../src/executors/index.js';
import { withEntry } from './helpers.js';

const only = (text: string): CustomExecutor => {
  const catalog = parseExecutorConfig(text);
  expect(catalog.executors).toHaveLength(1);
  return catalog.executors[0]!;
};

const uri = (e: CustomExecutor) => e.command.uris[0]!;

describe('lenient booleans (Jackson coercion)', () => {
  const cases: [string, unknown, boolean][] = [
    ['true', true, true],
    ['false', false, false],
    ['"false" (the docs sample)', 'false', false],
    ['"False"', 'False', false],
    ['"true"', 'true', true],
    ['"True"', 'True', true],
    ['" true " (trimmed)', ' true ', true],
    ['0', 0, false],
    ['1', 1, true],
    ['2', 2, true],
    ['-1', -1, true],
    ['"" leaves the default', '', true],
    ['"null" leaves the default', 'null', true],
    ['null leaves the default', null, true],
  ];
  test.each(cases)('shell: %s', (_label, value, expected) => {
    expect(only(withEntry((e) => (e.executor.command.shell = value))).command.shell).toBe(expected);
  });

  test('defaults: shell true, extract true, cache false, executable false', () => {
    const e = only(
      withEntry((e) => {
        delete e.executor.command.shell;
        e.executor.command.uris = [{ value: '/a.tgz' }];
      }),
    );
    expect(e.command.shell).toBe(true);
    expect(uri(e)).toEqual({ value: '/a.tgz', executable: false, extract: true, cache: false });
  });

  test.each([
    ['extract', '', true],
    ['extract', 'null', true],
    ['cache', '', false],
    ['cache', 'null', false],
    ['executable', 'null', false],
    ['cache', 'True', true],
    ['extract', 0, false],
  ] as [string, unknown, boolean][])('uris[0].%s = %j reads as %s', (field, value, expected) => {
    const e = only(withEntry((e) => (e.executor.command.uris[0][field] = value)));
    expect((uri(e) as unknown as Record<string, unknown>)[field]).toBe(expected);
  });
});

describe('valid files', () => {
  const cases: [string, string, (e: CustomExecutor) => void][] = [
    ['volume mode by name', withEntry((e) => (e.volume_mounts[0].mode = 'RW')), (e) => expect(e.volumeMounts[0]!.mode).toBe('RW')],
    ['volume mode 1 is RW', withEntry((e) => (e.volume_mounts[0].mode = 1)), (e) => expect(e.volumeMounts[0]!.mode).toBe('RW')],
    ['volume mode 2 is RO', withEntry((e) => (e.volume_mounts[0].mode = 2)), (e) => expect(e.volumeMounts[0]!.mode).toBe('RO')],
    ['host_path is optional', withEntry((e) => delete e.volume_mounts[0].host_path), (e) => expect(e.volumeMounts[0]).toEqual({ containerPath: '/c', mode: 'RO' })],
    ['resource type 0 is SCALAR', withEntry((e) => (e.executor.resources[0].type = 0)), (e) => expect(e.resources[0]!.type).toBe('SCALAR')],
    ['scalar.value as a numeric string', withEntry((e) => (e.executor.resources[0].scalar.value = '0.5')), (e) => expect(e.overhead.cpus).toBe(0.5)],
    ['scalar.value " 1e2 " (trimmed, exponent)', withEntry((e) => (e.executor.resources[1].scalar.value = ' 1e2 ')), (e) => expect(e.overhead.ramMb).toBe(100)],
    ['a missing executor name becomes ""', withEntry((e) => delete e.executor.name), (e) => expect(e.name).toBe('')],
    [
      'a missing command means nothing to run, with Mesos defaults',
      withEntry((e) => delete e.executor.command),
      (e) => expect(e.command).toEqual({ shell: true, arguments: [], uris: [], environment: [] }),
    ],
    ['volume_mounts may be left out', withEntry((e) => delete e.volume_mounts), (e) => expect(e.volumeMounts).toEqual([])],
    ['volume_mounts may be null', withEntry((e) => (e.volume_mounts = null)), (e) => expect(e.volumeMounts).toEqual([])],
    ['an empty task_prefix is allowed', withEntry((e) => (e.task_prefix = '')), (e) => expect(e.taskPrefix).toBe('')],
    [
      'output_file, user and environment',
      withEntry((e) => {
        e.executor.command.uris[0].output_file = 'bin/run.sh';
        e.executor.command.user = 'www-data';
        e.executor.command.environment = { variables: [{ name: 'A', value: '1' }, { name: 'B', type: 'VALUE' }] };
      }),
      (e) => {
        expect(uri(e).outputFile).toBe('bin/run.sh');
        expect(e.command.user).toBe('www-data');
        expect(e.command.environment).toEqual([
          { name: 'A', value: '1' },
          { name: 'B', value: '', type: 'VALUE' },
        ]);
      },
    ],
    [
      'overhead sums cpus, mem and disk',
      withEntry((e) => {
        e.executor.resources.push({ name: 'cpus', type: 'SCALAR', scalar: { value: 0.25 } });
        e.executor.resources.push({ name: 'disk', type: 'SCALAR', scalar: { value: 64 } });
        e.executor.resources.push({ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: '31010' }] } });
      }),
      (e) => {
        expect(e.overhead).toEqual({ cpus: 0.5, ramMb: 128, diskMb: 64 });
        expect(e.resources[4]).toEqual({ name: 'ports', type: 'RANGES', ranges: [{ begin: 31000, end: 31010 }] });
      },
    ],
    [
      'other ExecutorInfo fields Aurora accepts (labels, grace period, container, data)',
      withEntry((e) => {
        e.executor.labels = { labels: [{ key: 'team', value: 'infra' }, { key: 'bare' }] };
        e.executor.shutdown_grace_period = { nanoseconds: '5000000000' };
        e.executor.container = { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'alpine' } } } };
        e.executor.data = 'aGVsbG8=';
        e.executor.type = 'CUSTOM';
        e.executor.executor_id = { value: 'ignored' };
      }),
      (e) => {
        expect(e.labels).toEqual([{ key: 'team', value: 'infra' }, { key: 'bare' }]);
        expect(e.shutdownGracePeriodMs).toBe(5000);
        expect((e.raw as any).executor.container.type).toBe('MESOS');
      },
    ],
    ['a byte-order mark is ignored', `\uFEFF${withEntry(() => {})}`, (e) => expect(e.name).toBe('x')],
  ];
  test.each(cases)('%s', (_label, text, check) => check(only(text)));

  test('an empty array is a valid file with no executors', () => {
    const catalog = parseExecutorConfig('[]');
    expect(catalog.executors).toEqual([]);
    expect(catalog.names()).toEqual([]);
  });

  test('the catalog finds executors by name, in file order, and keeps the source', () => {
    const a = JSON.parse(withEntry((e) => (e.executor.name = 'b')))[0];
    const b = JSON.parse(withEntry((e) => (e.executor.name = 'a')))[0];
    const catalog = parseExecutorConfig(JSON.stringify([a, b]), 'settings.json');
    expect(catalog.names()).toEqual(['b', 'a']);
    expect(catalog.get('a')?.name).toBe('a');
    expect(catalog.get('nope')).toBeUndefined();
    expect(catalog.source).toBe('settings.json');
    expect(catalog.executors[0]!.raw).toEqual(a);
  });
});

describe('invalid files: one line naming the entry and field', () => {
  const cases: [string, string, string, RegExp][] = [
    ['top level is an object', '{"executor": {}}', '', /must be a JSON array .* got an object$/],
    ['top level is null', 'null', '', /must be a JSON array .* got null$/],
    ['an entry is not an object', '[1]', '[0]', /must be an object \(an executor settings entry\); got number 1$/],
    ['missing task_prefix (Aurora test-missing-field.json)', '[{"executor": {}}]', '[0].task_prefix', /is required: an executor settings entry needs task_prefix \(a string\)/],
    ['null task_prefix', withEntry((e) => (e.task_prefix = null)), '[0].task_prefix', /is required/],
    ['missing executor', withEntry((e) => delete e.executor), '[0].executor', /is required: .*needs executor \(an object \(a Mesos ExecutorInfo\)\)/],
    ['null executor', withEntry((e) => (e.executor = null)), '[0].executor', /is required/],
    ['task_prefix is a number', withEntry((e) => (e.task_prefix = 5)), '[0].task_prefix', /must be a string; got number 5$/],
    ['camelCase taskPrefix', withEntry((e) => (e.taskPrefix = 'x')), '[0].taskPrefix', /unknown field "taskPrefix" in an executor settings entry; did you mean "task_prefix"\? \(allowed: executor, volume_mounts, task_prefix\)/],
    ['camelCase volumeMounts', withEntry((e) => (e.volumeMounts = [])), '[0].volumeMounts', /did you mean "volume_mounts"\?/],
    ['camelCase hostPath', withEntry((e) => (e.volume_mounts[0].hostPath = '/h')), '[0].volume_mounts[0].hostPath', /unknown field "hostPath" in a Mesos Volume; did you mean "host_path"\? \(allowed: mode, container_path, host_path, image, source\)/],
    ['typo in executor', withEntry((e) => (e.executor.comand = {})), '[0].executor.comand', /did you mean "command"\?/],
    ['typo in uri', withEntry((e) => (e.executor.command.uris[0].executible = true)), '[0].executor.command.uris[0].executible', /did you mean "executable"\?/],
    ['unrelated unknown key lists what is allowed', withEntry((e) => (e.executor.command.args = [])), '[0].executor.command.args', /^[^?]*\(allowed: uris, environment, shell, value, arguments, user\)$/],
    ['duplicate executor names', JSON.stringify([JSON.parse(withEntry(() => {}))[0], JSON.parse(withEntry(() => {}))[0]]), '[1].executor.name', /duplicate executor name "x": \[0\] already uses it/],
    ['two unnamed executors', '[{"executor": {}, "task_prefix": "a"}, {"executor": {"name": ""}, "task_prefix": "b"}]', '[1].executor.name', /duplicate executor name ""/],
    ['the Thermos name is reserved', withEntry((e) => (e.executor.name = THERMOS_EXECUTOR_NAME)), '[0].executor.name', /"AuroraExecutor" is reserved for the Thermos executor/],
    ['uri without value', withEntry((e) => delete e.executor.command.uris[0].value), '[0].executor.command.uris[0].value', /is required: a Mesos CommandInfo.URI needs value/],
    ['resource without name', withEntry((e) => delete e.executor.resources[1].name), '[0].executor.resources[1].name', /is required: a Mesos Resource needs name/],
    ['resource without type', withEntry((e) => delete e.executor.resources[0].type), '[0].executor.resources[0].type', /is required: a Mesos Resource needs type \(one of SCALAR, RANGES, SET, TEXT/],
    ['scalar without value', withEntry((e) => (e.executor.resources[0].scalar = {})), '[0].executor.resources[0].scalar.value', /is required: a Mesos Value.Scalar needs value/],
    ['SCALAR resource without scalar', withEntry((e) => delete e.executor.resources[0].scalar), '[0].executor.resources[0].scalar', /is required when type is SCALAR/],
    ['negative scalar', withEntry((e) => (e.executor.resources[0].scalar.value = -1)), '[0].executor.resources[0].scalar.value', /must not be negative; got -1/],
    ['scalar not a number', withEntry((e) => (e.executor.resources[0].scalar.value = 'lots')), '[0].executor.resources[0].scalar.value', /must be a finite number or a numeric string; got the string "lots"/],
    ['scalar NaN', withEntry((e) => (e.executor.resources[0].scalar.value = 'NaN')), '[0].executor.resources[0].scalar.value', /must be a finite number/],
    ['scalar boolean', withEntry((e) => (e.executor.resources[0].scalar.value = true)), '[0].executor.resources[0].scalar.value', /got boolean true/],
    ['volume without mode', withEntry((e) => delete e.volume_mounts[0].mode), '[0].volume_mounts[0].mode', /is required: a Mesos Volume needs mode \(one of RW, RO \(or their numbers 1, 2\)\)/],
    ['volume without container_path', withEntry((e) => delete e.volume_mounts[0].container_path), '[0].volume_mounts[0].container_path', /is required: a Mesos Volume needs container_path \(a string\)/],
    ['lowercase enum name', withEntry((e) => (e.volume_mounts[0].mode = 'ro')), '[0].volume_mounts[0].mode', /must be one of RW, RO \(or their numbers 1, 2\); got the string "ro"; did you mean "RO"\?/],
    ['enum number out of range', withEntry((e) => (e.volume_mounts[0].mode = 3)), '[0].volume_mounts[0].mode', /got number 3$/],
    ['enum number as a string', withEntry((e) => (e.volume_mounts[0].mode = '1')), '[0].volume_mounts[0].mode', /got the string "1"$/],
    ['lowercase resource type', withEntry((e) => (e.executor.resources[0].type = 'scalar')), '[0].executor.resources[0].type', /did you mean "SCALAR"\?/],
    ['boolean "yes"', withEntry((e) => (e.executor.command.uris[0].extract = 'yes')), '[0].executor.command.uris[0].extract', /must be a boolean: true or false, an integer \(0 is false, any other is true\), or the string "true", "True", "false" or "False" \("" or "null" leave it unset\); got the string "yes"$/],
    ['boolean "TRUE"', withEntry((e) => (e.executor.command.shell = 'TRUE')), '[0].executor.command.shell', /must be a boolean.*got the string "TRUE"$/],
    ['boolean 1.5', withEntry((e) => (e.executor.command.shell = 1.5)), '[0].executor.command.shell', /got number 1.5$/],
    ['boolean array', withEntry((e) => (e.executor.command.uris[0].cache = [true])), '[0].executor.command.uris[0].cache', /got an array$/],
    ['arguments not an array', withEntry((e) => (e.executor.command.arguments = '-v')), '[0].executor.command.arguments', /must be an array of strings; got the string "-v"$/],
    ['an argument that is a number', withEntry((e) => (e.executor.command.arguments = ['a', 2])), '[0].executor.command.arguments[1]', /must be a string; got number 2$/],
    ['a null uri', withEntry((e) => (e.executor.command.uris = [null])), '[0].executor.command.uris[0]', /must be an object \(a Mesos CommandInfo.URI\); got null$/],
    ['resources not an array', withEntry((e) => (e.executor.resources = { name: 'cpus' })), '[0].executor.resources', /must be an array of Mesos Resource objects; got an object$/],
    ['name is a number', withEntry((e) => (e.executor.name = 5)), '[0].executor.name', /must be a string; got number 5$/],
    ['environment as a plain map', withEntry((e) => (e.executor.command.environment = { A: '1' })), '[0].executor.command.environment.A', /unknown field "A" in a Mesos Environment \(allowed: variables\)/],
    ['environment variable without name', withEntry((e) => (e.executor.command.environment = { variables: [{ value: '1' }] })), '[0].executor.command.environment.variables[0].name', /is required/],
    ['data not base64', withEntry((e) => (e.executor.data = 'not base64!')), '[0].executor.data', /must be a base64 string/],
    ['grace period with a fraction', withEntry((e) => (e.executor.shutdown_grace_period = { nanoseconds: 1.5 })), '[0].executor.shutdown_grace_period.nanoseconds', /must be an integer or a string of digits; got number 1.5$/],
    ['container not an object', withEntry((e) => (e.executor.container = 'docker')), '[0].executor.container', /must be an object \(a Mesos ContainerInfo\)/],
    ['a key with a newline is quoted', withEntry((e) => (e.executor['bad\nkey'] = 1)), '[0].executor["bad\\nkey"]', /unknown field "bad\\nkey"/],
  ];

  test.each(cases)('%s', (_label, text, field, message) => {
    let error: unknown;
    try {
      parseExecutorConfig(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AuroraValidationError);
    expect(error).toBeInstanceOf(ExecutorConfigError);
    const err = error as ExecutorConfigError;
    expect(err.kind).toBe('validation');
    expect(err.field).toBe(field);
    expect(err.message).toBe(field ? `${field}: ${err.detail}` : err.detail);
    expect(err.detail).toMatch(message);
    expect(err.message).not.toContain('\n');
  });

  test('with a source, the message reads like Aurora start-up failure and names the file', () => {
    expect(() => parseExecutorConfig('[{"executor": {}}]', '/etc/aurora/executors.json')).toThrow(
      /^Failed to read executor settings: \/etc\/aurora\/executors.json: \[0\].task_prefix: is required/,
    );
  });
});

describe('invalid JSON gives line and column', () => {
  const cases: [string, string, RegExp][] = [
    ['not JSON at all (Aurora testInvalidJson)', 'this is not json', /^invalid JSON at line 1, column 1: unexpected character "t"$/],
    ['empty file', '', /^invalid JSON at line 1, column 1: expected a JSON value, unexpected end of input$/],
    ['missing value', '[\n  {"executor": }\n]', /^invalid JSON at line 2, column 16: expected a JSON value, unexpected character "}"$/],
    ['trailing comma', '[\n  {"task_prefix": "a",}\n]', /^invalid JSON at line 2, column 23: expected a quoted property name/],
    ['unterminated', '[{"executor": {"name": "x', /^invalid JSON at line 1, column 26: unterminated string$/],
    ['comment', '// executors\n[]', /^invalid JSON at line 1, column 1: expected a JSON value/],
    ['garbage after the array', '[]\n]', /^invalid JSON at line 2, column 1: unexpected content after the JSON value/],
    ['single quotes', "[{'executor': {}}]", /^invalid JSON at line 1, column 3: expected a quoted property name/],
  ];
  test.each(cases)('%s', (_label, text, message) => {
    let error: unknown;
    try {
      parseExecutorConfig(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExecutorConfigError);
    expect((error as ExecutorConfigError).field).toBe('');
    expect((error as Error).message).toMatch(message);
  });
});
