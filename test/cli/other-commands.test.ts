/**
 * The thin commands (update, cron, quota, sla, maintenance, admin): bad input never reaches the
 * scheduler (exit 2, one line), and the SLA numbers computed from a real job's tasks.
 */
import { describe, expect, it } from 'vitest';
import { cleanEnv, json, jobFile, oneErrorLine, runCli, tempDir, useLocalScheduler } from './helpers.js';

const dir = tempDir();

const local = useLocalScheduler();

describe('bad input exits 2 before anything is sent', () => {
  // An unreachable scheduler: reaching it would exit 5, so exit 2 proves nothing was sent.
  const offline = () => cleanEnv({ AURORA_SCHEDULER_URL: 'http://127.0.0.1:1' });
  const cases: [string[], RegExp][] = [
    [['update', 'start', 'missing.json'], /missing\.json: cannot read job file/],
    [['update', 'pause', 'local/www-data/prod'], /expected cluster\/role\/env\/name/],
    [['update', 'list', 'local/www-data/prod'], /expected CLUSTER or CLUSTER\/ROLE/],
    [['update', 'start', 'x.json', '--instances', '2-1'], /x\.json|ends before it starts/],
    [['cron', 'deschedule', 'local/www-data/prod/nightly/0'], /this command takes no instances/],
    [['quota', 'get', 'local'], /expected CLUSTER\/ROLE/],
    [['quota', 'set', 'local/www-data', '--cpus', '4'], /required option '--ram-mb <n>' not specified/],
    [['quota', 'set', 'local/www-data', '--cpus', 'x', '--ram-mb', '1', '--disk-mb', '1'], /'x' is invalid/],
    [['sla', 'uptime', 'local/www-data/prod/hello', '--percentiles', '50,150'], /--percentiles: "150" is not a percentage/],
    [['sla', 'up-count', 'local/www-data/prod/hello', '--duration', '-5'], /--duration/],
    [['maintenance', 'start', 'local'], /missing required argument 'hosts'/],
    [['maintenance', 'sla-drain', 'local', 'host1'], /exactly one of --percentage and --count/],
    [['maintenance', 'status', 'local/www-data'], /expected a cluster name/],
    [['admin', 'force-state', 'local', 'task-1', 'EXPLODED'], /STATE: "EXPLODED" is not a task state/],
    [['admin', 'reconcile', 'local', '--batch-size', '10'], /--batch-size applies only with --explicit/],
  ];
  for (const [args, message] of cases) {
    it(args.join(' '), async () => {
      const result = await runCli(args, { env: offline() });
      expect(result.code).toBe(2);
      expect(oneErrorLine(result)).toMatch(message);
    });
  }

  it('a job file without a cron schedule is refused by cron schedule', async () => {
    const result = await runCli(['cron', 'schedule', jobFile(dir, 'plain')], { env: offline() });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toMatch(/cron\.schedule is not set.*aurora-ts job create/);
  });
});

describe('sla', () => {
  it('reports uptime percentiles and up-counts of a running job', async () => {
    expect((await runCli(['job', 'create', jobFile(dir, 'steady'), '--wait-until', 'RUNNING'], { env: local.env })).code).toBe(0);
    const uptime = json<{ instances: number; running: number; percentiles: { percentile: number; seconds: number }[] }>(
      await runCli(['--json', 'sla', 'uptime', 'local/www-data/prod/steady', '--percentiles', '50,100'], { env: local.env }),
    );
    expect(uptime.instances).toBe(2);
    expect(uptime.running).toBe(2);
    expect(uptime.percentiles.map((p) => p.percentile)).toEqual([50, 100]);
    expect(uptime.percentiles.every((p) => p.seconds >= 0)).toBe(true);

    const now = json(await runCli(['--json', 'sla', 'up-count', 'local/www-data/prod/steady'], { env: local.env }));
    expect(now).toMatchObject({ up: 2, instances: 2, percentage: 100, durationSecs: 0 });
    const later = json(await runCli(['--json', 'sla', 'up-count', 'local/www-data/prod/steady', '--duration', '3600'], { env: local.env }));
    expect(later).toMatchObject({ up: 0, instances: 2, percentage: 0 });
    const human = await runCli(['sla', 'up-count', 'local/www-data/prod/steady'], { env: local.env });
    expect(human.stdout).toBe('local/www-data/prod/steady: 2 of 2 instances (100%) up for at least 0 s\n');
    const table = await runCli(['sla', 'uptime', 'local/www-data/prod/steady', '--percentiles', '50,99'], { env: local.env });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^local\/www-data\/prod\/steady: 2\/2 instances running\n {3}50% of instances up at least \d+ s\n {3}99% of instances up at least \d+ s\n$/);
    const none = await runCli(['sla', 'up-count', 'local/www-data/prod/absent'], { env: local.env });
    expect(none).toMatchObject({ code: 0, stdout: 'local/www-data/prod/absent: 0 of 0 instances (0%) up for at least 0 s\n' });
  });
});
