/**
 * Sandbox and process safety through the running scheduler: `shell: false` never passes through a
 * shell; the task's environment (read from /proc/<pid>/environ) carries none of the scheduler's
 * secrets; with `taskUser` a task can neither signal the scheduler nor read or write its files.
 * Fetcher escapes (output_file, `../` and absolute archive members, symlinks) are covered by
 * test/runner/fetcher.test.ts; argv semantics of the runner by test/runner/launch.test.ts.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScheduler, type RunningScheduler } from '../../src/scheduler/index.js';
import { runTask, tempDir, writeExecutors } from './helpers.js';

const SECRET_NAME = 'AURORA_TS_RELIABILITY_SECRET';
const SECRET_VALUE = `s3cr3t-${process.pid}-do-not-leak`;
const HOSTILE_ARGS = ['a;b', '$(touch PWNED)', '`touch PWNED2`', "it's", '"quoted"', '*', '$HOME', '| cat /etc/passwd', 'two words', ''];

const fileHas = (path: string, text: string): boolean => existsSync(path) && readFileSync(path, 'utf8').includes(text);

describe('tasks of a scheduler holding a secret in its environment', () => {
  let scheduler: RunningScheduler;
  beforeAll(async () => {
    process.env[SECRET_NAME] = SECRET_VALUE;
    const dir = tempDir();
    const executors = writeExecutors(dir, [
      { executor: { name: 'argv', command: { value: '/usr/bin/printf', shell: false, arguments: ['printf', '[%s]\\n', ...HOSTILE_ARGS] } }, task_prefix: '' },
      { executor: { name: 'argv-shellstring', command: { value: '/usr/bin/printf', shell: 'false', arguments: ['printf', '<%s>\\n', '$(id)', ';', 'x'] } }, task_prefix: '' },
      { executor: { name: 'idle', command: { value: 'echo started; exec sleep 300', shell: true } }, task_prefix: '' },
    ]);
    scheduler = await startScheduler({ port: 0, executors, cpus: 4, ramMb: 4096, killGraceMs: 200 });
  });
  afterAll(async () => {
    delete process.env[SECRET_NAME];
    await scheduler?.close();
  });

  it('shell: false hands every argument to the program verbatim, through no shell', async () => {
    const { sandbox } = await runTask(scheduler, 'argv', 'argv', (dir) => fileHas(join(dir, 'stdout'), '[]'));
    const lines = readFileSync(join(sandbox, 'stdout'), 'utf8').trimEnd().split('\n');
    expect(lines).toEqual(HOSTILE_ARGS.map((a) => `[${a}]`));
    expect(readdirSync(sandbox).filter((f) => f.startsWith('PWNED'))).toEqual([]);
    const other = await runTask(scheduler, 'argv2', 'argv-shellstring', (dir) => fileHas(join(dir, 'stdout'), '<x>'));
    expect(readFileSync(join(other.sandbox, 'stdout'), 'utf8')).toBe('<$(id)>\n<;>\n<x>\n');
  });

  it("the task's environment carries no variable of the scheduler's own", async () => {
    expect(process.env[SECRET_NAME]).toBe(SECRET_VALUE);
    const { taskId } = await runTask(scheduler, 'env', 'idle', (dir) => fileHas(join(dir, 'stdout'), 'started'));
    const pid = findTaskPid(taskId);
    expect(pid, 'the task process').toBeDefined();
    const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
    expect(environ.some((e) => e.startsWith('MESOS_SANDBOX='))).toBe(true);
    expect(environ.filter((e) => e.startsWith(`${SECRET_NAME}=`) || e.includes(SECRET_VALUE))).toEqual([]);
    // Nothing else of the scheduler's environment either, beyond the standard variables it sets.
    const leaked = environ.map((e) => e.split('=')[0]!).filter((k) => k !== '' && k.startsWith('VITEST'));
    expect(leaked).toEqual([]);
  });
});

function findTaskPid(taskId: string): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`, 'latin1');
      if (`\0${environ}`.includes(`\0AURORA_TS_TASK=${taskId}\0`)) return Number(name);
    } catch {
      // gone, or not readable
    }
  }
  return undefined;
}

describe('with taskUser, tasks cannot touch the scheduler', () => {
  it('kill -0 on the scheduler pid fails with EPERM; its private files cannot be read or written', async () => {
    if (process.getuid?.() !== 0) {
      // Only root can run tasks as another user; test/scheduler/auth.test.ts checks the refusal.
      expect(process.getuid?.()).not.toBe(0);
      return;
    }
    const dir = tempDir();
    const privateFile = join(dir, 'scheduler-private.txt');
    writeFileSync(privateFile, 'private', { mode: 0o600 });
    const probe = [
      `kill -0 ${process.pid} 2>kill.err; echo "kill=$?" > kill`,
      `if cat "${privateFile}" >/dev/null 2>&1; then echo read; else echo denied; fi > read`,
      `if (echo x >> "${privateFile}") 2>/dev/null; then echo wrote; else echo denied; fi > write`,
      'echo done > done',
      'exec sleep 300',
    ].join('; ');
    const executors = writeExecutors(dir, [{ executor: { name: 'probe', command: { value: probe, shell: true } }, task_prefix: '' }]);
    const scheduler = await startScheduler({ port: 0, executors, workDir: join(dir, 'work'), taskUser: 'nobody', cpus: 2, ramMb: 1024, killGraceMs: 200 });
    try {
      const { sandbox } = await runTask(scheduler, 'probe', 'probe', (d) => existsSync(join(d, 'done')));
      expect(readFileSync(join(sandbox, 'kill'), 'utf8').trim()).toBe('kill=1');
      expect(readFileSync(join(sandbox, 'kill.err'), 'utf8')).toMatch(/Operation not permitted/);
      expect(readFileSync(join(sandbox, 'read'), 'utf8').trim()).toBe('denied');
      expect(readFileSync(join(sandbox, 'write'), 'utf8').trim()).toBe('denied');
      expect(readFileSync(privateFile, 'utf8')).toBe('private');
    } finally {
      await scheduler.close();
    }
  }, 30_000);
});
