/**
 * `scheduler start` with what the local scheduler supports beyond the basics, as a real process:
 * ZooKeeper leader election (`--zk`, `--zk-path`) found by the CLI through clusters.json, a state
 * directory that keeps jobs across restarts (`--state-dir`), and `--task-user`; bad values exit 2.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeReply, encodeCall } from '../../src/protocol/index.js';
import { startZooKeeper, type ZooKeeperServer } from '../support/zookeeper.js';
import { BIN, cleanEnv, EXECUTORS, executorsFile, json, jobFile, oneErrorLine, ROOT, runCli, tempDir } from './helpers.js';

let zk: ZooKeeperServer;
const dir = tempDir();

beforeAll(async () => {
  zk = await startZooKeeper();
}, 30_000);

afterAll(async () => {
  await zk?.stop();
});

interface Started {
  url: string;
  pid: number;
  stateDir: string | null;
  zk: { hosts: string; path: string; leader: boolean } | null;
  basicAuth: boolean;
  taskUser: string | null;
}

/**
 * Runs `aurora-ts --json scheduler start ARGS` in the foreground until its JSON document is out: the
 * binary, as each is stopped with SIGTERM (and several run at once, each its own leader candidate).
 */
async function startForeground(args: string[], env: NodeJS.ProcessEnv, executors = EXECUTORS): Promise<{ child: ChildProcess; started: Started; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, '--json', 'scheduler', 'start', '--port', '0', '--custom-executor-config', executors, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const started = JSON.parse(stdout) as Started;
      return {
        child,
        started,
        stop: async () => {
          child.kill('SIGTERM');
          return exited;
        },
      };
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`scheduler did not start: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('scheduler start --zk / --state-dir', () => {
  it('leads in ZooKeeper, where the CLI finds it through clusters.json; its state survives a restart', async () => {
    const env = cleanEnv();
    const stateDir = join(dir, 'state');
    const first = await startForeground(['--zk', zk.connectString, '--zk-path', '/aurora/scheduler', '--state-dir', stateDir], env);
    try {
      expect(first.started).toMatchObject({ stateDir, zk: { hosts: zk.connectString, path: '/aurora/scheduler', leader: true }, basicAuth: false, taskUser: null });

      mkdirSync(join(env['HOME']!, '.aurora'), { recursive: true });
      writeFileSync(
        join(env['HOME']!, '.aurora', 'clusters.json'),
        JSON.stringify([{ name: 'zkc', zk: '127.0.0.1', zk_port: zk.port, scheduler_zk_path: '/aurora/scheduler' }]),
      );
      const created = await runCli(['job', 'create', jobFile(dir, 'found', { instances: 1 }), '--cluster', 'zkc', '--wait-until', 'RUNNING'], { env });
      expect(created.code).toBe(0);
      expect(created.stdout).toContain(`Created job zkc/www-data/prod/found (1 instance) on ${first.started.url}`);
      const listed = json<{ jobs: { job: string }[] }>(await runCli(['--json', 'job', 'list', 'zkc'], { env }));
      expect(listed.jobs.map((j) => j.job)).toEqual(['zkc/www-data/prod/found']);

      const status = json<{ zk: string; stateDir: string }>(await runCli(['--json', 'scheduler', 'status'], { env }));
      expect(status).toMatchObject({ zk: `${zk.connectString}/aurora/scheduler`, stateDir });
    } finally {
      expect(await first.stop()).toBe(0);
    }

    // Restarted on the same state directory (without ZooKeeper this time), it still knows the job.
    const second = await startForeground(['--state-dir', stateDir], env);
    try {
      const listed = json<{ jobs: { job: string }[] }>(await runCli(['--json', 'job', 'list', 'local'], { env: { ...env, AURORA_SCHEDULER_URL: second.started.url } }));
      expect(listed.jobs.map((j) => j.job)).toEqual(['local/www-data/prod/found']);
    } finally {
      // With a state directory, stopping leaves tasks running for the next scheduler: kill the job first.
      await runCli(['job', 'killall', 'local/www-data/prod/found', '--wait'], { env: { ...env, AURORA_SCHEDULER_URL: second.started.url } });
      expect(await second.stop()).toBe(0);
    }
  });

  it("two schedulers on one ZooKeeper path, from one user's state: one leads, the other takes over when it stops", async () => {
    const env = cleanEnv();
    mkdirSync(join(env['HOME']!, '.aurora'), { recursive: true });
    writeFileSync(join(env['HOME']!, '.aurora', 'clusters.json'), JSON.stringify([{ name: 'pair', zk: '127.0.0.1', zk_port: zk.port, scheduler_zk_path: '/aurora/pair' }]));
    const zkArgs = ['--zk', zk.connectString, '--zk-path', '/aurora/pair'];
    const first = await startForeground(zkArgs, env);
    const exits: Promise<number | null>[] = [];
    try {
      const second = await startForeground(zkArgs, env);
      try {
        expect([first.started.zk?.leader, second.started.zk?.leader]).toEqual([true, false]);
        const status = json<{ schedulers: { pid: number; zk: string }[] }>(await runCli(['--json', 'scheduler', 'status'], { env }));
        expect(status.schedulers.map((s) => s.pid).sort()).toEqual([first.started.pid, second.started.pid].sort());
        expect(status.schedulers.every((s) => s.zk === `${zk.connectString}/aurora/pair`)).toBe(true);

        const created = await runCli(['job', 'create', jobFile(dir, 'led', { instances: 1 }), '--cluster', 'pair'], { env });
        expect(created.stdout).toContain(`on ${first.started.url}`);
        // Stopping the leader by its port: the other one is elected and the cluster's calls go to it.
        const stop = await runCli(['scheduler', 'stop', '--port', new URL(first.started.url).port], { env });
        expect(stop.code).toBe(0);
        exits.push(first.stop());
        let next = '';
        for (const deadline = Date.now() + 15_000; !next.includes(`on ${second.started.url}`) && Date.now() < deadline; ) {
          next = (await runCli(['job', 'create', jobFile(dir, 'next', { instances: 1 }), '--cluster', 'pair'], { env })).stdout;
        }
        expect(next).toContain(`Created job pair/www-data/prod/next (1 instance) on ${second.started.url}`);
      } finally {
        await runCli(['scheduler', 'stop', '--all'], { env });
        exits.push(second.stop());
      }
    } finally {
      exits.push(first.stop());
      expect(await Promise.all(exits)).toEqual(exits.map(() => 0));
    }
  });

  it('prints what it was started with', async () => {
    // The binary: it is stopped with SIGTERM.
    const env = cleanEnv();
    const human = spawn(process.execPath, [BIN, 'scheduler', 'start', '--port', '0', '--zk', zk.connectString, '--zk-path', '/aurora/human'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    human.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((r) => human.on('exit', (code) => r(code)));
    const deadline = Date.now() + 15_000;
    while (!stdout.includes('Press Ctrl-C') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    human.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/^Local Aurora scheduler listening on http:\/\/127\.0\.0\.1:\d+ \(cluster local, pid \d+\)$/m);
    expect(stdout).toContain(`ZooKeeper: ${zk.connectString}/aurora/human, leading\n`);
  });
});

describe('scheduler start: --task-user and bad flags', () => {
  it('--task-user runs tasks as that user (root only)', async () => {
    const env = cleanEnv();
    if (process.getuid?.() === 0) {
      const executors = executorsFile(tempDir(), { whoami: 'id -un; exec sleep 60' });
      const running = await startForeground(['--task-user', 'nobody'], env, executors);
      try {
        expect(running.started.taskUser).toBe('nobody');
        const withUrl = { ...env, AURORA_SCHEDULER_URL: running.started.url };
        const file = jobFile(dir, 'who', { instances: 1, executor: { name: 'whoami' } });
        expect((await runCli(['job', 'create', file, '--wait-until', 'RUNNING'], { env: withUrl })).code).toBe(0);
        const deadline = Date.now() + 5000;
        let logs = '';
        while (!logs.includes('\n') && Date.now() < deadline) logs = (await runCli(['task', 'logs', 'local/www-data/prod/who/0'], { env: withUrl })).stdout;
        expect(logs).toBe('nobody\n');
      } finally {
        expect(await running.stop()).toBe(0);
      }
    } else {
      const refused = await runCli(['scheduler', 'start', '--port', '0', '--task-user', 'nobody'], { env });
      expect(refused.code).toBe(2);
      expect(oneErrorLine(refused)).toContain('needs the scheduler to run as root');
    }
  });

  it('--max-thrift-values and --max-thrift-depth bound what a request may build', async () => {
    const running = await startForeground(['--max-thrift-values', '50', '--max-thrift-depth', '3'], cleanEnv());
    try {
      const call = async (args: Record<string, unknown>): Promise<string> => {
        const res = await fetch(`${running.started.url}/api`, { method: 'POST', headers: { 'content-type': 'application/vnd.apache.thrift.binary', accept: 'application/vnd.apache.thrift.binary' }, body: encodeCall('binary', 'getTasksWithoutConfigs', 1, args) });
        try {
          return String(decodeReply('binary', 'getTasksWithoutConfigs', Buffer.from(await res.arrayBuffer())).responseCode);
        } catch (e) {
          return (e as Error).message;
        }
      };
      expect(await call({ query: { instanceIds: Array.from({ length: 40 }, (_, i) => i) } })).toBe('1');
      expect(await call({ query: { instanceIds: Array.from({ length: 60 }, (_, i) => i) } })).toMatch(/instanceIds: more values than the limit of 50/);
      expect(await call({ query: { jobKeys: [{ role: 'www-data' }] } })).toMatch(/nesting deeper than the limit of 3/);
    } finally {
      expect(await running.stop()).toBe(0);
    }
    const zero = await runCli(['scheduler', 'start', '--port', '0', '--max-thrift-values', '0'], { env: cleanEnv() });
    expect(zero.code).toBe(2);
    expect(oneErrorLine(zero)).toMatch(/--max-thrift-values/);
  });

  it('bad values exit 2 with one line, before anything listens', async () => {
    const env = cleanEnv();
    const cases: [string[], RegExp][] = [
      [['--zk-path', '/aurora/scheduler'], /--zk-path needs --zk HOSTS/],
      [['--zk', zk.connectString, '--zk-path', 'aurora'], /--zk-path "aurora": expected an absolute ZooKeeper path/],
      [['--work-dir', dir, '--state-dir', dir], /--work-dir and --state-dir exclude each other/],
      [['--task-user', 'no-such-user-here'], /taskUser.*no user "no-such-user-here"/],
      [['--basic-auth-file', join(dir, 'missing.ini')], /basicAuthFile.*cannot read .*missing\.ini/],
      [['--detach', '--basic-auth-file', join(dir, 'missing.ini')], /cannot read .*missing\.ini/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(['scheduler', 'start', '--port', '0', ...args], { env });
      expect(result.code, args.join(' ')).toBe(2);
      expect(oneErrorLine(result)).toMatch(message);
    }
  });
});
