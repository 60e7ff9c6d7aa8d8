/**
 * Flags an operator of Aurora's Python client reaches for, with Aurora's names and meaning, through
 * the CLI (in-process) against a local scheduler: batched kills, wildcard `job list`, `update list --status
 * --user`, `sla up-count --durations` (and Aurora's verb names for the sla verbs).
 */
import { describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { ScheduleStatus } from '../../src/gen/types.js';
import { executorsFile, json, jobFile, oneErrorLine, tempDir, useLocalScheduler } from './helpers.js';

const dir = tempDir();
const local = useLocalScheduler(() => ({
  executors: executorsFile(dir, {
    sleeper: 'exec sleep 60',
    // Ignores SIGTERM, so its kill takes the scheduler's whole grace period (300 ms in tests).
    stubborn: "trap '' TERM; while true; do sleep 0.05; done",
  }),
}));
const { cli } = local;

async function create(name: string, changes: Record<string, unknown>): Promise<string> {
  const result = await cli('job', 'create', jobFile(dir, name, changes), '--wait-until', 'RUNNING');
  expect(result.code, result.stderr).toBe(0);
  return `local/${(changes['role'] as string | undefined) ?? 'www-data'}/${(changes['environment'] as string | undefined) ?? 'prod'}/${name}`;
}

/** When each instance's task of `job` entered `status`. */
async function eventTimes(job: string, status: ScheduleStatus): Promise<Map<number, number>> {
  const [, role, environment, name] = job.split('/') as [string, string, string, string];
  const client = new AuroraClient({ url: local.scheduler.url });
  try {
    const tasks = (await client.getTasksWithoutConfigs({ jobKeys: [{ role, environment, name }] })).tasks ?? [];
    const out = new Map<number, number>();
    for (const t of tasks) {
      const at = t.taskEvents?.find((e) => e.status === status)?.timestamp;
      if (at !== undefined) out.set(t.assignedTask!.instanceId!, at);
    }
    return out;
  } finally {
    client.close();
  }
}

describe('batched kills (--batch-size, --max-total-failures)', () => {
  it('killall --batch-size 2 kills two instances, waits until they end, then the next two', async () => {
    const key = await create('batched', { instances: 4, executor: { name: 'sleeper' } });
    const result = await cli('job', 'killall', key, '--batch-size', '2');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`Killed instances 0-1 of ${key}.\nKilled instances 2-3 of ${key}.\n`);
    const killing = await eventTimes(key, ScheduleStatus.KILLING);
    const killed = await eventTimes(key, ScheduleStatus.KILLED);
    expect([...killed.keys()].sort()).toEqual([0, 1, 2, 3]);
    // The second batch was asked to die only once the first had ended.
    expect(Math.min(killing.get(2)!, killing.get(3)!)).toBeGreaterThanOrEqual(Math.max(killed.get(0)!, killed.get(1)!));
    expect(await cli('job', 'killall', key, '--batch-size', '2')).toMatchObject({ code: 0, stdout: `Nothing to kill in ${key}.\n` });
  });

  it('kill KEY/INSTANCES --batch-size kills only the named active instances; --json lists the batches', async () => {
    const key = await create('some', { instances: 3, executor: { name: 'sleeper' } });
    const data = json<{ batches: number[][]; failedBatches: number[][] }>(await cli('--json', 'job', 'kill', `${key}/1-2,7`, '--batch-size', '1'));
    expect(data).toMatchObject({ batches: [[1], [2]], failedBatches: [] });
    const states = json<{ tasks: { instance: number; state: string }[] }>(await cli('--json', 'job', 'status', key)).tasks.map((t) => [t.instance, t.state]);
    expect(states).toEqual([[0, 'RUNNING']]);
  });

  it('a batch not killed in time is a failure; more than --max-total-failures stops the kill', async () => {
    const key = await create('stubborn', { instances: 2, executor: { name: 'stubborn' } });
    const stopped = await cli('job', 'killall', key, '--batch-size', '1', '--wait-timeout', '0.1');
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain(`warning: instances 0 of ${key} were not killed within 0.1 s`);
    expect(stopped.stderr.trimEnd().split('\n').pop()).toBe(`aurora-ts: gave up killing ${key}: 1 batch not killed in time, more than --max-total-failures 0`);
    // The second batch was never sent.
    expect((await eventTimes(key, ScheduleStatus.KILLING)).has(1)).toBe(false);

    const key2 = await create('stubborn2', { instances: 2, executor: { name: 'stubborn' } });
    const tolerated = await cli('job', 'killall', key2, '--batch-size', '1', '--wait-timeout', '0.1', '--max-total-failures', '5');
    expect(tolerated.code).toBe(1);
    expect(tolerated.stderr.trimEnd().split('\n').pop()).toBe(`aurora-ts: killing ${key2}: 2 batches not killed in time (0; 1)`);
    expect([...(await eventTimes(key2, ScheduleStatus.KILLING)).keys()].sort()).toEqual([0, 1]);
  });

  it('--max-total-failures without --batch-size is bad usage', async () => {
    const result = await cli('job', 'killall', 'local/www-data/prod/batched', '--max-total-failures', '1');
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe('aurora-ts: --max-total-failures counts failed batches (add --batch-size N)');
  });
});

describe('job list with wildcard keys', () => {
  it("matches role, environment and name with Aurora's * ? [...]", async () => {
    for (const [name, environment, role] of [['web-a', 'prod', 'www-data'], ['web-b', 'prod', 'www-data'], ['web-c', 'devel', 'www-data'], ['web-d', 'prod', 'ops']]) {
      await create(name!, { instances: 1, executor: { name: 'sleeper' }, environment, role });
    }
    const jobs = async (pattern: string) => json<{ jobs: { job: string }[] }>(await cli('--json', 'job', 'list', pattern)).jobs.map((j) => j.job);
    expect(await jobs('local/*/prod/web-*')).toEqual(['local/ops/prod/web-d', 'local/www-data/prod/web-a', 'local/www-data/prod/web-b']);
    expect(await jobs('local/www-data/*/web-?')).toEqual(['local/www-data/devel/web-c', 'local/www-data/prod/web-a', 'local/www-data/prod/web-b']);
    expect(await jobs('local/*/*/web-[ac]')).toEqual(['local/www-data/devel/web-c', 'local/www-data/prod/web-a']);
    expect(await jobs('local/ops')).toEqual(['local/ops/prod/web-d']);
    const none = await cli('job', 'list', 'local/*/staging/*');
    expect(none).toMatchObject({ code: 0, stdout: 'No jobs match local/*/staging/*.\n' });
    const human = await cli('job', 'list', 'local/w*/prod/web-a');
    expect(human.stdout).toMatch(/^local\/www-data\/prod\/web-a +1 +1 /m);

    const cluster = await cli('job', 'list', '*/www-data');
    expect(cluster.code).toBe(2);
    expect(oneErrorLine(cluster)).toBe('aurora-ts: "*/www-data": the cluster cannot be a pattern (name one cluster)');
    expect((await cli('job', 'list', 'local/www data')).code).toBe(2);
  });
});

describe('update list --status --user', () => {
  it("filters by Aurora's status groups and names, and by the user who started the update", { timeout: 40_000 }, async () => {
    const v1 = { instances: 1, executor: { name: 'sleeper', data: 'v1' }, update: { watchSecs: 0 } };
    await create('rolled', v1);
    const forward = await cli('update', 'start', jobFile(dir, 'rolled', { ...v1, executor: { name: 'sleeper', data: 'v2' } }), '--wait');
    expect(forward.code, forward.stderr).toBe(0);
    await create('stopped', v1);
    expect((await cli('update', 'start', jobFile(dir, 'stopped', { ...v1, executor: { name: 'sleeper', data: 'v2' }, update: { watchSecs: 60 } }))).code).toBe(0);
    expect((await cli('update', 'abort', 'local/www-data/prod/stopped')).code).toBe(0);

    const listed = async (...flags: string[]) =>
      json<{ updates: { job: string; status: string }[] }>(await cli('--json', 'update', 'list', 'local/www-data', ...flags))
        .updates.filter((u) => u.job.endsWith('/rolled') || u.job.endsWith('/stopped'))
        .map((u) => `${u.job.split('/').pop()} ${u.status}`)
        .sort();
    expect(await listed('--status', 'succeeded')).toEqual(['rolled ROLLED_FORWARD']);
    expect(await listed('--status', 'ABORTED')).toEqual(['stopped ABORTED']);
    expect(await listed('--status', 'succeeded', '--status', 'aborted')).toEqual(['rolled ROLLED_FORWARD', 'stopped ABORTED']);
    expect(await listed('--status', 'inactive')).toEqual(['rolled ROLLED_FORWARD', 'stopped ABORTED']);
    expect(await listed('--status', 'failed')).toEqual([]);
    expect(await listed('--user', 'UNSECURE')).toEqual(['rolled ROLLED_FORWARD', 'stopped ABORTED']);
    expect(await listed('--user', 'someone-else')).toEqual([]);

    const bad = await cli('update', 'list', 'local', '--status', 'broken');
    expect(bad.code).toBe(2);
    expect(oneErrorLine(bad)).toMatch(/^aurora-ts: --status "broken": expected one of active, all, blocked, failed, inactive, paused, succeeded or a status \(.*ROLLED_FORWARD/);
  });
});

describe('sla up-count --durations', () => {
  it('reports each duration, sorted as Aurora does; Aurora\'s verb names work too', async () => {
    const key = await create('steady', { instances: 2, executor: { name: 'sleeper' } });
    const data = json<{ instances: number; durations: { duration: string; durationSecs: number; up: number; percentage: number }[] }>(
      await cli('--json', 'sla', 'up-count', key, '--durations', '1h,0s,1d2h3m4s'),
    );
    expect(data).toEqual({
      job: key,
      instances: 2,
      durations: [
        { duration: '0s', durationSecs: 0, up: 2, percentage: 100 },
        { duration: '1h', durationSecs: 3600, up: 0, percentage: 0 },
        { duration: '1d2h3m4s', durationSecs: 93784, up: 0, percentage: 0 },
      ],
    });
    const human = await cli('sla', 'get-task-up-count', key, '--durations', '0,1h');
    expect(human).toMatchObject({ code: 0, stdout: `${key}: 2 instances\n   0  2 up (100.00%)\n  1h  0 up (0.00%)\n` });
    expect((await cli('sla', 'get-job-uptime', key, '--percentiles', '50')).code).toBe(0);

    const bad = await cli('sla', 'up-count', key, '--durations', '1m,5x');
    expect(bad.code).toBe(2);
    expect(oneErrorLine(bad)).toBe('aurora-ts: --durations: "5x" is not a duration (expected XdYhZmWs, e.g. 1m, 1h30m, 7d, or seconds)');
    const both = await cli('sla', 'up-count', key, '--duration', '5', '--durations', '1m');
    expect(both.code).toBe(2);
  });
});
