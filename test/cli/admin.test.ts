/**
 * The operator's commands through the CLI (in-process, helpers.ts runCli) against a local scheduler: `quota get|set` and
 * `admin snapshot|backup|list-backups|reconcile|prune|force-state` (maintenance is in maintenance.test.ts).
 */
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cleanEnv, json, jobFile, oneErrorLine, runCli, tempDir, useLocalScheduler } from './helpers.js';

const dir = tempDir();
const HOST = hostname();

const { cli } = useLocalScheduler(() => ({ maintenance: { pollMs: 100 } }));

interface Tasks {
  tasks: { instance: number; state: string; taskId: string }[];
}

describe('quota', () => {
  it('sets a quota and shows what production jobs consume of it', async () => {
    const empty = await cli('quota', 'get', 'local/www-data');
    expect(empty.stdout).toBe(
      [
        'www-data            CPUS  RAM MB  DISK MB  GPUS',
        'quota                  0       0        0     0',
        'prod shared            0       0        0     0',
        'prod dedicated         0       0        0     0',
        'non-prod shared        0       0        0     0',
        'non-prod dedicated     0       0        0     0',
        '',
      ].join('\n'),
    );
    const set = await cli('quota', 'set', 'local/www-data', '--cpus', '1', '--ram-mb', '1024', '--disk-mb', '2048');
    expect(set).toMatchObject({ code: 0, stdout: 'Set the quota of local/www-data: cpus 1, ram 1024 MiB, disk 2048 MiB.\n' });

    // Three production instances of 0.1 CPU: a sum that is not exact in binary floating point.
    expect((await cli('job', 'create', jobFile(dir, 'prodjob', { instances: 3, tier: 'preferred' }))).code).toBe(0);
    const used = json<Record<string, { cpus: number; ramMb: number; diskMb: number; gpus: number }>>(await cli('--json', 'quota', 'get', 'local/www-data'));
    expect(used).toMatchObject({ cluster: 'local', role: 'www-data', quota: { cpus: 1, ramMb: 1024, diskMb: 2048, gpus: 0 }, prodShared: { cpus: 0.3, ramMb: 96, diskMb: 96, gpus: 0 } });
    expect((await cli('quota', 'get', 'local/www-data')).stdout).toMatch(/^prod shared +0\.3 +96 +96 +0$/m);

    const tooBig = await cli('job', 'create', jobFile(dir, 'toobig', { instances: 10, tier: 'preferred' }));
    expect(tooBig.code).toBe(3);
    expect(oneErrorLine(tooBig)).toMatch(/createJob: INVALID_REQUEST: Insufficient resource quota: CPU quota exceeded by 0\.30 core\(s\)/);

    // Not below what production jobs already hold: Aurora's rule.
    const below = await cli('quota', 'set', 'local/www-data', '--cpus', '0', '--ram-mb', '0', '--disk-mb', '0');
    expect(below.code).toBe(3);
    expect(oneErrorLine(below)).toContain('setQuota: INVALID_REQUEST: Quota: {CPU=0, RAM=0, disk=0} is less then current prod reservation: {CPU=0.3, RAM=96, disk=96}');
    expect((await cli('job', 'killall', 'local/www-data/prod/prodjob', '--wait')).code).toBe(0);
    // Zero is a valid quota once nothing uses it.
    expect(json(await cli('--json', 'quota', 'set', 'local/www-data', '--cpus', '0', '--ram-mb', '0', '--disk-mb', '0'))).toEqual({
      cluster: 'local',
      role: 'www-data',
      quota: { cpus: 0, ramMb: 0, diskMb: 0 },
    });
  });
});

describe('admin', () => {
  it('snapshot, backup, list-backups and reconcile', async () => {
    expect(await cli('admin', 'snapshot', 'local')).toMatchObject({ code: 0, stdout: 'Snapshot taken.\n' });
    expect(json(await cli('--json', 'admin', 'snapshot', 'local'))).toEqual({ ok: true });
    expect(await cli('admin', 'backup', 'local')).toMatchObject({ code: 0, stdout: 'Backup written.\n' });
    const listed = await cli('admin', 'list-backups', 'local');
    expect(listed.stdout).toMatch(/^scheduler-backup-\d{4}-\d\d-\d\d-\d\d-\d\d\n$/);
    expect(json<{ backups: string[] }>(await cli('--json', 'admin', 'list-backups', 'local')).backups).toEqual([listed.stdout.trim()]);

    expect(await cli('admin', 'reconcile', 'local')).toMatchObject({ code: 0, stdout: 'Implicit task reconciliation triggered.\n' });
    expect(await cli('admin', 'reconcile', 'local', '--explicit', '--batch-size', '10')).toMatchObject({ code: 0, stdout: 'Explicit task reconciliation triggered.\n' });
    expect(json(await cli('--json', 'admin', 'reconcile', 'local', '--explicit'))).toEqual({ ok: true, reconciliation: 'explicit' });
  });

  it('force-state and prune', async () => {
    const key = 'local/www-data/prod/forced';
    expect((await cli('job', 'create', jobFile(dir, 'forced', { instances: 1 }), '--wait-until', 'RUNNING')).code).toBe(0);
    const task = json<Tasks>(await cli('--json', 'job', 'status', key)).tasks[0]!;
    const forced = await cli('admin', 'force-state', 'local', task.taskId, 'failed');
    expect(forced).toMatchObject({ code: 0, stdout: `Forced task ${task.taskId} from RUNNING to FAILED.\n` });
    const all = json<Tasks>(await cli('--json', 'job', 'status', key, '--all')).tasks;
    expect(all.find((t) => t.taskId === task.taskId)?.state).toBe('FAILED');

    const unknown = await cli('admin', 'force-state', 'local', 'no-such-task', 'FAILED');
    expect(unknown.code).toBe(1);
    expect(oneErrorLine(unknown)).toBe('aurora-ts: no task "no-such-task" on this scheduler');

    expect((await cli('job', 'killall', key, '--wait')).code).toBe(0);
    const pruned = await cli('admin', 'prune', 'local/www-data');
    expect(pruned.code).toBe(0);
    const count = Number(/^Pruned (\d+) terminated tasks? of role www-data\.\n$/.exec(pruned.stdout)?.[1]);
    expect(count).toBeGreaterThanOrEqual(1);
    expect(json(await cli('--json', 'admin', 'prune', 'local'))).toEqual({ ok: true, pruned: 0 });
    const after = await cli('job', 'status', key, '--all');
    expect(after.code).toBe(1);
    expect(oneErrorLine(after)).toBe(`aurora-ts: no tasks found for job ${key}`);
  });
});

describe('bad input', () => {
  it('bad input is refused before anything is sent', async () => {
    const offline = cleanEnv({ AURORA_SCHEDULER_URL: 'http://127.0.0.1:1' });
    const cases: [string[], RegExp][] = [
      [['maintenance', 'sla-drain', 'local', HOST, '--percentage', '150'], /--percentage: expected a percentage between 0 and 100/],
      [['maintenance', 'sla-drain', 'local', HOST, '--percentage', '50', '--count', '1'], /exactly one of --percentage and --count/],
      [['maintenance', 'drain', 'local/www-data', HOST], /expected a cluster name/],
      [['quota', 'set', 'local/www-data', '--cpus', '-1', '--ram-mb', '1', '--disk-mb', '1'], /--cpus/],
      [['admin', 'prune', 'local/www-data/prod'], /expected CLUSTER or CLUSTER\/ROLE/],
      [['admin', 'snapshot', 'local/www-data'], /expected a cluster name/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, { env: offline });
      expect(result.code, args.join(' ')).toBe(2);
      expect(oneErrorLine(result)).toMatch(message);
    }
  });
});
