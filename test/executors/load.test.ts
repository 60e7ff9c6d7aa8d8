import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AuroraValidationError } from '../../src/errors.js';
import { loadExecutorConfig, type ExecutorCommand } from '../../src/executors/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const docsSample = join(root, 'test/fixtures/executors/aurora-docs-sample.json');
const example = join(root, 'examples/executors.json');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aurora-ts-executors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the Aurora docs' sample", () => {
  test('loads, with "shell": "false" read as false and arguments kept exactly (arguments[0] is argv[0])', async () => {
    const catalog = await loadExecutorConfig(docsSample);
    expect(catalog.source).toBe(docsSample);
    expect(catalog.names()).toEqual(['myExecutor']);
    const e = catalog.get('myExecutor')!;
    expect(e.taskPrefix).toBe('my-executor-');
    expect(e.command).toEqual({
      value: 'myExecutor.a',
      shell: false,
      // No word splitting: "-config myConfiguration.config" stays one argument, and
      // "localhost:2181" is what the executable sees as argv[0].
      arguments: ['localhost:2181', '-verbose', '-config myConfiguration.config'],
      uris: [
        { value: '/dist/myExecutor.a', executable: true, extract: false, cache: true },
        { value: '/home/user/myConfiguration.config', executable: false, extract: false, cache: false },
      ],
      environment: [],
    });
    expect(e.resources).toEqual([
      { name: 'cpus', type: 'SCALAR', scalar: 1 },
      { name: 'mem', type: 'SCALAR', scalar: 512 },
    ]);
    expect(e.overhead).toEqual({ cpus: 1, ramMb: 512, diskMb: 0 });
    expect(e.volumeMounts).toEqual([
      { mode: 'RO', containerPath: '/path/on/container', hostPath: '/path/to/host/directory' },
      { mode: 'RW', containerPath: '/container', hostPath: '/host' },
    ]);
  });
});

/** Starts a command the way Mesos does and resolves with its first line of output. */
function firstLine(command: ExecutorCommand): Promise<string> {
  const env = { ...process.env, ...Object.fromEntries(command.environment.map((v) => [v.name, v.value])) };
  const child = command.shell
    ? spawn('/bin/sh', ['-c', command.value!], { env })
    : spawn(command.value!, command.arguments.slice(1), { argv0: command.arguments[0]!, env });
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`exited early with ${code}: ${out}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        child.removeAllListeners('exit');
        child.kill('SIGKILL');
        resolve(out.slice(0, nl));
      }
    });
  });
}

describe('examples/executors.json', () => {
  test('loads: two small executors with task prefixes', async () => {
    const catalog = await loadExecutorConfig(example);
    expect(catalog.names()).toEqual(['hello-executor', 'ticker-executor']);
    const hello = catalog.get('hello-executor')!;
    expect(hello.command.shell).toBe(true);
    expect(hello.taskPrefix).toBe('hello-');
    expect(hello.overhead).toEqual({ cpus: 0.01, ramMb: 16, diskMb: 0 });
    const ticker = catalog.get('ticker-executor')!;
    expect(ticker.command.shell).toBe(false);
    expect(ticker.command.arguments[0]).toBe('sh');
    expect(ticker.overhead).toEqual({ cpus: 0.01, ramMb: 16, diskMb: 8 });
  });

  test('its commands run on this machine with Mesos command semantics and keep running', async () => {
    const catalog = await loadExecutorConfig(example);
    await expect(firstLine(catalog.get('hello-executor')!.command)).resolves.toMatch(/^hello-executor started: /);
    await expect(firstLine(catalog.get('ticker-executor')!.command)).resolves.toBe(
      'ticker-executor started, ticking every 2 s',
    );
  });
});

describe('file errors name the file', () => {
  const cases: [string, string | null, RegExp][] = [
    ['a missing file', null, /^Failed to read executor settings: .*missing\.json: cannot read the file: no such file or directory$/],
    ['a bad entry', '[{"executor": {"name": "a"}}]', /^Failed to read executor settings: .*bad\.json: \[0\]\.task_prefix: is required/],
    ['bad JSON', '[\n  {]', /^Failed to read executor settings: .*bad\.json: invalid JSON at line 2, column 4: /],
  ];
  test.each(cases)('%s', async (_label, content, message) => {
    const path = join(dir, content === null ? 'missing.json' : 'bad.json');
    if (content !== null) await writeFile(path, content);
    const error = await loadExecutorConfig(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuroraValidationError);
    expect((error as Error).message).toMatch(message);
  });

  test('a directory', async () => {
    await expect(loadExecutorConfig(dir)).rejects.toThrow(/cannot read the file: is a directory; a custom executor file must be a regular file or a pipe$/);
  });
});
