/**
 * Controlling jobs and looking at their tasks through the CLI (in-process), against a local scheduler
 * started in-process: kill, killall, restart, add; task list, pending, logs.
 */
import { describe, expect, it } from 'vitest';
import { json, jobFile, oneErrorLine, tempDir, useLocalScheduler } from './helpers.js';

const dir = tempDir();

const { cli } = useLocalScheduler(undefined, async (local) => {
  const created = await local.cli('job', 'create', jobFile(dir, 'web'), '--wait-until', 'RUNNING');
  if (created.code !== 0) throw new Error(`could not create the web job: ${created.stderr}`);
});

interface TaskRow {
  instance: number;
  state: string;
  taskId: string;
}

describe('job kill / killall / restart / add', () => {
  it('restart, add, kill --wait and killall --wait', async () => {
    const key = 'local/www-data/prod/ops';
    expect((await cli('job', 'create', jobFile(dir, 'ops'), '--wait-until', 'RUNNING')).code).toBe(0);
    const before = json<{ tasks: TaskRow[] }>(await cli('--json', 'job', 'status', key)).tasks;

    const restart = await cli('job', 'restart', `${key}/1`, '--watch-secs', '0', '--healthcheck-interval-seconds', '0.2');
    expect(restart.code).toBe(0);
    expect(restart.stdout).toContain(`Job ${key} restarted successfully.`);

    const add = await cli('--json', 'job', 'add', `${key}/0`, '2');
    expect(add.code).toBe(0);
    expect(json(add)).toEqual({ job: key, copiedFrom: 0, added: 2 });

    const kill = await cli('job', 'kill', `${key}/2-3`, '--wait', '--message', 'scaling down');
    expect(kill.code).toBe(0);
    expect(kill.stdout).toContain(`Kill requested for ${key}/2-3.`);
    expect(kill.stderr).toMatch(/active tasks left: 0/);

    const after = json<{ tasks: TaskRow[] }>(await cli('--json', 'job', 'status', key)).tasks;
    expect(after.map((t) => t.instance)).toEqual([0, 1]);
    expect(after.find((t) => t.instance === 1)!.taskId).not.toBe(before.find((t) => t.instance === 1)!.taskId);
    const all = json<{ tasks: TaskRow[] }>(await cli('--json', 'job', 'status', key, '--all')).tasks;
    expect(all.filter((t) => t.state === 'KILLED').map((t) => t.instance).sort()).toEqual([1, 2, 3]);

    const killall = await cli('--json', 'job', 'killall', key, '--wait');
    expect(killall.code).toBe(0);
    expect(json(killall)).toMatchObject({ job: key, killed: true });
    const none = await cli('job', 'status', key);
    expect(none.stdout).toMatch(/has no active tasks/);
  });

  it('job list counts killed tasks as finished, not failed, as Aurora\'s getJobStats does', async () => {
    const key = 'local/www-data/prod/stats';
    expect((await cli('job', 'create', jobFile(dir, 'stats', { instances: 3 }), '--wait-until', 'RUNNING')).code).toBe(0);
    expect((await cli('job', 'restart', `${key}/0`, '--watch-secs', '0', '--healthcheck-interval-seconds', '0.2')).code).toBe(0);
    expect((await cli('job', 'kill', `${key}/2`, '--wait')).code).toBe(0);
    // The restarted instance's old task ends KILLED too; nothing failed.
    type Row = { job: string; active: number; pending: number; finished: number; failed: number };
    let row: Row | undefined;
    for (const deadline = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 200))) {
      row = json<{ jobs: Row[] }>(await cli('--json', 'job', 'list', 'local/www-data')).jobs.find((j) => j.job === key);
      if ((row?.finished ?? 0) >= 2 || Date.now() > deadline) break;
    }
    expect(row).toMatchObject({ finished: 2, failed: 0 });
    expect(row!.active + row!.pending).toBe(2);
    const table = await cli('job', 'list', 'local/www-data');
    expect(table.stdout).toMatch(/^ *JOB +INST +ACTIVE +PENDING +FINISHED +FAILED +CRON$/m);
    expect(table.stdout).toMatch(/^local\/www-data\/prod\/stats +2 +\d +\d +2 +0 +-$/m);
  });

  it('bad input for kill, killall, restart and add exits 2', async () => {
    const cases: [string[], RegExp][] = [
      [['job', 'kill', 'local/www-data/prod/web'], /name the instances to kill.*job killall local\/www-data\/prod\/web/],
      [['job', 'kill', 'local/www-data/prod/web/x'], /"x" is not an instance id or range/],
      [['job', 'killall', 'local/www-data/prod/web/0'], /this command takes no instances/],
      [['job', 'restart', 'local/www-data/prod'], /expected cluster\/role\/env\/name\[\/instances\]/],
      [['job', 'add', 'local/www-data/prod/web', '1'], /instances are missing/],
      [['job', 'add', 'local/www-data/prod/web/0-1', '1'], /name exactly one instance to copy/],
      [['job', 'add', 'local/www-data/prod/web/0', 'many'], /COUNT: expected a positive integer, got "many"/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(oneErrorLine(result)).toMatch(message);
    }
  });

  it('killing a job with no active tasks says so', async () => {
    const result = await cli('job', 'killall', 'local/www-data/prod/never');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Nothing to kill in local/www-data/prod/never.');
  });

  it('restart of instances that are not active is a scheduler rejection', async () => {
    const result = await cli('job', 'restart', 'local/www-data/prod/web/7');
    expect(result.code).toBe(3);
    expect(oneErrorLine(result)).toContain('Not all requested shards are active.');
  });
});

describe('task list / pending / logs', () => {
  it('lists tasks, pending reasons and prints a task\'s stdout', async () => {
    const key = 'local/www-data/prod/web';
    const list = await cli('task', 'list', key);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^INSTANCE +TASK +STATE +SINCE +FAILURES +MESSAGE$/m);
    const tasks = json<{ tasks: TaskRow[] }>(await cli('--json', 'task', 'list', key)).tasks;
    expect(tasks.length).toBeGreaterThanOrEqual(2);

    const pending = await cli('task', 'pending', key);
    expect(pending.code).toBe(0);
    expect(pending.stdout).toContain(`No pending tasks in ${key}.`);
    expect(json(await cli('--json', 'task', 'pending', key))).toEqual({ job: key, pending: [] });

    const logs = await cli('task', 'logs', `${key}/0`);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/^hello-executor started in \S+www-data-prod-web-0-/);
    const stderr = await cli('task', 'logs', `${key}/0`, '--stderr');
    expect(stderr.code).toBe(0);
  });

  it('task pending shows why tasks wait', async () => {
    const huge = jobFile(dir, 'huge', { instances: 1, resources: { cpus: 64, ramMb: 32, diskMb: 32 } });
    expect((await cli('job', 'create', huge)).code).toBe(0);
    const pending = json<{ pending: { taskId: string; reason: string }[] }>(await cli('--json', 'task', 'pending', 'local/www-data/prod/huge'));
    expect(pending.pending).toHaveLength(1);
    expect(pending.pending[0]!.reason).not.toBe('');
    const human = await cli('task', 'pending', 'local/www-data/prod/huge');
    expect(human.stdout).toMatch(/^TASK +REASON$/m);
  });

  it('logs --follow ends when the task ends', async () => {
    const key = 'local/www-data/prod/follow';
    expect((await cli('job', 'create', jobFile(dir, 'follow', { instances: 1 }), '--wait-until', 'RUNNING')).code).toBe(0);
    const following = cli('task', 'logs', `${key}/0`, '--follow');
    await new Promise((r) => setTimeout(r, 1500));
    expect((await cli('job', 'killall', key)).code).toBe(0);
    const result = await following;
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(2);
  });

  it('logs needs exactly one instance', async () => {
    const result = await cli('task', 'logs', 'local/www-data/prod/web/0-1');
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toMatch(/name exactly one instance/);
  });
});
