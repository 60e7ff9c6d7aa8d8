/** `executors validate|list`: Aurora's start-up check of a custom executor file, and what it defines. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, EXAMPLE_EXECUTORS, EXECUTORS, json, oneErrorLine, runCli, tempDir } from './helpers.js';

describe('executors validate', () => {
  it('accepts a valid file', async () => {
    const result = await runCli(['executors', 'validate', EXECUTORS]);
    expect(result).toMatchObject({ code: 0, stdout: `${EXECUTORS}: valid, 2 executors: hello-executor, ticker-executor\n` });
    expect(json(await runCli(['--json', 'executors', 'validate', EXECUTORS]))).toEqual({ file: EXECUTORS, valid: true, executors: ['hello-executor', 'ticker-executor'] });
  });

  it('accepts the executor file shipped in examples/', async () => {
    const result = await runCli(['executors', 'validate', EXAMPLE_EXECUTORS]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/valid, \d+ executors?: .*hello-executor/);
  });

  it('rejects bad files with one line naming the file and field', async () => {
    const dir = tempDir();
    const cases: [string, string, RegExp][] = [
      ['camel.json', JSON.stringify([{ executor: { name: 'a', command: { value: 'x' } }, task_prefix: 'a-', volume_mounts: [{ hostPath: '/a', container_path: '/b', mode: 'RO' }] }]), /\[0\]\.volume_mounts\[0\]/],
      ['dupe.json', JSON.stringify([{ executor: { name: 'a' }, task_prefix: '' }, { executor: { name: 'a' }, task_prefix: '' }]), /a/],
      ['syntax.json', '[{"executor": ', /syntax\.json/],
    ];
    for (const [name, text, message] of cases) {
      const file = join(dir, name);
      writeFileSync(file, text);
      const result = await runCli(['executors', 'validate', file]);
      expect(result.code, name).toBe(2);
      expect(oneErrorLine(result)).toMatch(message);
      expect(result.stdout).toBe('');
    }
    const missing = await runCli(['executors', 'validate', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    oneErrorLine(missing);
  });
});

describe('executors list', () => {
  it('shows names, commands and overhead', async () => {
    const human = await runCli(['executors', 'list', EXECUTORS]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^NAME +CPUS +RAM MB +DISK MB +TASK PREFIX +COMMAND$/m);
    expect(human.stdout).toMatch(/^hello-executor +0\.01 +16 +0 +hello- +echo "hello-executor start/m);
    expect(human.stdout.split("\n").every((l) => l.length <= 80)).toBe(true);
    expect(human.stdout).toMatch(/^ticker-executor +0\.01 +16 +8 +ticker- +\/bin\/sh -c /m);
    const data = json<{ executors: { name: string; overhead: { cpus: number; ramMb: number; diskMb: number } }[] }>(await runCli(['--json', 'executors', 'list', EXECUTORS]));
    expect(data.executors.map((e) => [e.name, e.overhead])).toEqual([
      ['hello-executor', { cpus: 0.01, ramMb: 16, diskMb: 0 }],
      ['ticker-executor', { cpus: 0.01, ramMb: 16, diskMb: 8 }],
    ]);
  });

  it('without FILE and without a running local scheduler exits 2', async () => {
    const result = await runCli(['executors', 'list'], { env: cleanEnv() });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toMatch(/no executor file given and no local scheduler is running/);
  });
});
