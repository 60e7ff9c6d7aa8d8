/**
 * `job create|status|list|inspect|diff` through the CLI (in-process, helpers.ts runCli) against a local scheduler started
 * in-process: what a user sees (tables, --json documents) and the exit codes, for good and bad input.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startFakeScheduler } from '../discovery/fake-scheduler.js';
import { BIN, cleanEnv, CONTROL, ROOT, json, jobFile, oneErrorLine, runCli, tempDir, useLocalScheduler } from './helpers.js';

const dir = tempDir();

const local = useLocalScheduler();
const { cli } = local;

interface TaskRow {
  instance: number;
  state: string;
  taskId: string;
  host: string;
}

describe('job create / status / list', () => {
  it('creates a job, waits until it runs, and shows it', async () => {
    const file = jobFile(dir, 'web');
    const created = await cli('job', 'create', file, '--wait-until', 'RUNNING');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('Created job local/www-data/prod/web (2 instances)');
    // Not a TTY: plain progress lines, no spinner control codes.
    expect(created.stderr).toMatch(/local\/www-data\/prod\/web: RUNNING 2\/2/);
    expect(created.stderr).not.toMatch(CONTROL);
    expect(created.stdout).not.toMatch(CONTROL);

    const status = await cli('job', 'status', 'local/www-data/prod/web');
    expect(status.code).toBe(0);
    // 80 columns: the first 8 hex digits of each task id's UUID; --wide shows the whole id.
    expect(status.stdout).toMatch(/^INSTANCE +STATE +TASK +HOST +PORTS +AGE$/m);
    expect(status.stdout).toMatch(/^ +0 +RUNNING +[0-9a-f]{8} +\S+ +- +\d+s$/m);
    expect(status.stdout).toMatch(/^ +1 +RUNNING +[0-9a-f]{8} /m);
    const wide = await cli('--wide', 'job', 'status', 'local/www-data/prod/web');
    expect(wide.stdout).toMatch(/^ +0 +RUNNING +www-data-prod-web-0-[0-9a-f-]{36} +\S+ +- +\d+s$/m);

    const data = json<{ job: string; tasks: TaskRow[] }>(await cli('--json', 'job', 'status', 'local/www-data/prod/web/1'));
    expect(data.job).toBe('local/www-data/prod/web/1');
    expect(data.tasks.map((t) => [t.instance, t.state])).toEqual([[1, 'RUNNING']]);

    const list = await cli('job', 'list', 'local');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^local\/www-data\/prod\/web +2 +2 +0 +0 +0 +-$/m);
    const listed = json<{ jobs: { job: string; active: number }[] }>(await cli('--json', 'job', 'list', 'local/www-data'));
    expect(listed.jobs).toContainEqual(expect.objectContaining({ job: 'local/www-data/prod/web', active: 2 }));
    const other = json<{ jobs: unknown[] }>(await cli('--json', 'job', 'list', 'local/nobody'));
    expect(other.jobs).toEqual([]);
  });

  it('--json create prints one document and no progress', async () => {
    const result = await cli('--json', 'job', 'create', jobFile(dir, 'api', { instances: 1 }), '--wait-until', 'RUNNING');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(json(result)).toEqual({ job: 'local/www-data/prod/api', instances: 1, created: true, wait: { until: 'RUNNING', ok: true, states: { RUNNING: 1 } } });
  });

  it('a job that already exists is a scheduler rejection: exit 3', async () => {
    const file = jobFile(dir, 'dup', { instances: 1 });
    expect((await cli('job', 'create', file)).code).toBe(0);
    const again = await cli('job', 'create', file);
    expect(again.code).toBe(3);
    expect(oneErrorLine(again)).toBe('aurora-ts: createJob: INVALID_REQUEST: Job www-data/prod/dup already exists');
  });

  it('an executor the scheduler does not know is rejected with its message', async () => {
    const result = await cli('job', 'create', jobFile(dir, 'ghost', { executor: { name: 'ghost-executor' } }));
    expect(result.code).toBe(3);
    expect(oneErrorLine(result)).toContain("Configuration for executor 'ghost-executor' doesn't exist.");
  });

  it('bad job files exit 2 with one line naming the file and field, and send nothing', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ role: 'www-data', environment: 'prod', name: 'bad', executor: { name: 'hello-executor' }, resources: { cpus: 1, ramMb: 'lots', diskMb: 1 } }));
    const result = await cli('job', 'create', bad);
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(`aurora-ts: ${bad}: resources.ramMb: expected a positive integer, got "lots"`);

    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"role": ');
    const syntax = await cli('job', 'create', broken);
    expect(syntax.code).toBe(2);
    expect(oneErrorLine(syntax)).toContain(broken);

    const missing = await cli('job', 'create', join(dir, 'missing.json'));
    expect(missing.code).toBe(2);
    oneErrorLine(missing);

    const names = json<{ jobs: { job: string }[] }>(await cli('--json', 'job', 'list', 'local')).jobs.map((j) => j.job);
    expect(names).not.toContain('local/www-data/prod/bad');
  });

  it('a cron job file is refused with a hint to use cron schedule', async () => {
    const result = await cli('job', 'create', jobFile(dir, 'nightly', { service: false, cron: { schedule: '0 2 * * *' } }));
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toMatch(/this is a cron job .*aurora-ts cron schedule/);
  });

  it('Ctrl-C during a wait exits 130', async () => {
    // The binary: SIGINT to the process and its exit status are what is tested.
    const child = spawn(process.execPath, [BIN, 'job', 'create', jobFile(dir, 'forever', { instances: 1, service: false }), '--wait-until', 'FINISHED'], { cwd: ROOT, env: local.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const deadline = Date.now() + 10_000;
    while (!stderr.includes('waiting for') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
  });

  it('status of a job that does not exist fails', async () => {
    const result = await cli('job', 'status', 'local/www-data/prod/nothing');
    expect(result.code).toBe(1);
    expect(oneErrorLine(result)).toBe('aurora-ts: no tasks found for job local/www-data/prod/nothing');
  });
});

describe('clusters', () => {
  it('finds the scheduler of the key\'s cluster in clusters.json when no URL is given', async () => {
    const clusterEnv = cleanEnv();
    mkdirSync(join(clusterEnv['HOME']!, '.aurora'), { recursive: true });
    writeFileSync(join(clusterEnv['HOME']!, '.aurora', 'clusters.json'), JSON.stringify([{ name: 'devbox', scheduler_uri: local.scheduler.url }]));
    const created = await runCli(['job', 'create', jobFile(dir, 'routed', { instances: 1 }), '--cluster', 'devbox'], { env: clusterEnv });
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('Created job devbox/www-data/prod/routed');
    const listed = json<{ jobs: { job: string }[] }>(await runCli(['--json', 'job', 'list', 'devbox/www-data'], { env: clusterEnv }));
    expect(listed.jobs.map((j) => j.job)).toContain('devbox/www-data/prod/routed');
    // --scheduler-url wins: the key's cluster is then not looked up at all.
    const explicit = await runCli(['--scheduler-url', local.scheduler.url, 'job', 'status', 'nosuchcluster/www-data/prod/routed'], { env: clusterEnv });
    expect(explicit.code).toBe(0);
  });
});

describe('job inspect / diff', () => {
  it('inspect prints the configuration; --json gives it Thrift-shaped', async () => {
    const file = jobFile(dir, 'shown');
    const human = await cli('job', 'inspect', file);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Job local/www-data/prod/shown');
    expect(human.stdout).toMatch(/resources: +cpus 0\.1, ram 32 MiB, disk 32 MiB/);
    expect(human.stdout).toMatch(/executor: +hello-executor/);
    const config = json<Record<string, any>>(await cli('--json', 'job', 'inspect', file));
    expect(config.key).toEqual({ role: 'www-data', environment: 'prod', name: 'shown' });
    expect(config.instanceCount).toBe(2);
    expect(config.taskConfig.executorConfig).toEqual({ name: 'hello-executor', data: '{"greeting":"hi"}' });
    expect(config.taskConfig.resources).toEqual(expect.arrayContaining([{ numCpus: 0.1 }, { ramMb: 32 }, { diskMb: 32 }]));
    // inspect never needs a scheduler
    const offline = await runCli(['job', 'inspect', file], { env: cleanEnv({ AURORA_SCHEDULER_URL: 'http://127.0.0.1:1' }) });
    expect(offline.code).toBe(0);
  });

  it('inspect of a bad file exits 2 with one line', async () => {
    const result = await cli('job', 'inspect', jobFile(dir, 'nores', { resources: undefined, instances: 0 }));
    expect(result.code).toBe(2);
    oneErrorLine(result);
  });

  it('diff shows what the scheduler would add, remove and update', async () => {
    const key = 'local/www-data/prod/differ';
    const file = jobFile(dir, 'differ');
    const before = await cli('job', 'diff', file);
    expect(before).toMatchObject({ code: 0, stdout: `Job ${key} is not running: creating it would start 2 instances (0-1).\n` });
    expect(json(await cli('--json', 'job', 'diff', file))).toEqual({ job: key, running: false, added: [0, 1], removed: [], changed: [], unchanged: [] });

    expect((await cli('job', 'create', file)).code).toBe(0);
    const same = await cli('job', 'diff', file);
    expect(same).toMatchObject({ code: 0, stdout: `No differences: ${file} matches the running job ${key} (instances 0-1).\n` });

    const changed = jobFile(dir, 'differ', { instances: 3, resources: { cpus: 0.2, ramMb: 32, diskMb: 32 }, executor: { name: 'hello-executor', data: { greeting: 'hello' } } });
    const diff = await cli('job', 'diff', changed);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toBe(
      [
        `${key}: running vs ${changed}`,
        '+ instance 2 would be added',
        'instances 0-1 would be updated: 2 fields differ',
        '  - executorConfig.data.greeting: "hi"',
        '  + executorConfig.data.greeting: "hello"',
        '  - resources.numCpus: 0.1',
        '  + resources.numCpus: 0.2',
        '',
      ].join('\n'),
    );
    expect(json(await cli('--json', 'job', 'diff', changed))).toEqual({
      job: key,
      running: true,
      added: [2],
      removed: [],
      changed: [
        {
          instances: [0, 1],
          changes: [
            { path: 'executorConfig.data.greeting', running: 'hi', file: 'hello' },
            { path: 'resources.numCpus', running: 0.1, file: 0.2 },
          ],
        },
      ],
      unchanged: [],
    });

    const fewer = jobFile(dir, 'differ', { instances: 1 });
    expect((await cli('job', 'diff', fewer)).stdout).toBe(`${key}: running vs ${fewer}\n- instance 1 would be removed\ninstance 0 is unchanged\n`);
    expect(json(await cli('--json', 'job', 'diff', fewer))).toMatchObject({ added: [], removed: [1], changed: [], unchanged: [0] });
  });

  it('inspect shows what the scheduler then stores', async () => {
    const file = jobFile(dir, 'stored', { instances: 1, executor: { name: 'hello-executor', data: { greeting: 'stored' } } });
    const shown = json<Record<string, any>>(await cli('--json', 'job', 'inspect', file));
    expect((await cli('job', 'create', file)).code).toBe(0);
    const { AuroraClient } = await import('../../src/client/client.js');
    const client = new AuroraClient({ url: local.scheduler.url });
    try {
      const stored = (await client.getJobs('www-data')).configs!.find((c) => c.key?.name === 'stored')!;
      expect(stored.key).toEqual(shown.key);
      expect(stored.instanceCount).toBe(shown.instanceCount);
      expect(stored.taskConfig!.executorConfig).toEqual(shown.taskConfig.executorConfig);
      expect([...stored.taskConfig!.resources!]).toEqual(expect.arrayContaining(shown.taskConfig.resources));
      expect(stored.taskConfig!.isService).toBe(shown.taskConfig.isService);
    } finally {
      client.close();
    }
  });
});

describe('job create and update start write through the safe helpers', () => {
  it('a createJob whose reply is lost is found on the scheduler, not sent again; an existing job is a rejection, not a resend', async () => {
    const s = await startFakeScheduler();
    try {
      const file = jobFile(dir, 'hello');
      s.dropReplyAfter('createJob', 1);
      const created = await runCli(['--scheduler-url', s.url, 'job', 'create', file]);
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toContain('Created job local/www-data/prod/hello (2 instances)');
      expect(created.stderr).toMatch(/createJob: no reply \(.*\); asking the scheduler whether it was applied/);
      expect(created.stderr).toContain('createJob: the scheduler had applied it; not sending it again');
      expect(s.calls).toEqual(['createJob', 'getJobSummary']);

      const again = await runCli(['--scheduler-url', s.url, 'job', 'create', file]);
      expect(again.code).toBe(3);
      expect(oneErrorLine(again)).toBe('aurora-ts: createJob: INVALID_REQUEST: Job already exists: www-data/prod/hello');
      expect(s.calls.slice(2)).toEqual(['createJob']);

      // startJobUpdate: the same, found by the update id it was tagged with.
      s.dropReplyAfter('startJobUpdate', 1);
      const started = await runCli(['--scheduler-url', s.url, 'update', 'start', file]);
      expect(started.code, started.stderr).toBe(0);
      expect(started.stdout).toMatch(/^Started update \S+ of local\/www-data\/prod\/hello\.$/m);
      expect(started.stderr).toContain('startJobUpdate: the scheduler had applied it; not sending it again');
      expect(s.calls.slice(3)).toEqual(['startJobUpdate', 'getJobUpdateSummaries']);
      expect(s.updates).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});
