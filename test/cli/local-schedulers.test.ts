/**
 * Several local schedulers for one user, through the CLI (in-process; each detached scheduler is a
 * process of the built binary): each started on its own port keeps its own state file and log,
 * `scheduler status` lists them all, `scheduler stop` picks one by port (or the default, or all), a
 * second one on a taken port is refused; a scheduler started with the previous one-file layout is still
 * found. And the hint when the built-in `local` cluster's scheduler is down.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, EXECUTORS, json, jobFile, oneErrorLine, runCli, tempDir } from './helpers.js';

const dir = tempDir();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Started {
  url: string;
  pid: number;
  log: string;
}

interface Listed {
  running: boolean;
  schedulers: { pid: number; port: number; url: string; jobs: number | null; logFile: string | null }[];
}

async function startDetached(env: NodeJS.ProcessEnv, ...extra: string[]): Promise<Started & { port: number }> {
  const result = await runCli(['--json', 'scheduler', 'start', '--detach', '--port', '0', '--custom-executor-config', EXECUTORS, ...extra], { env });
  if (result.code !== 0) throw new Error(`scheduler start failed: ${result.stderr}`);
  const started = json<Started>(result);
  return { ...started, port: Number(new URL(started.url).port) };
}

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

describe('several local schedulers', () => {
  it('run side by side: status lists both, each takes its own jobs, stop --port and stop --all', async () => {
    const env = cleanEnv();
    const pids: number[] = [];
    try {
      const a = await startDetached(env);
      pids.push(a.pid);
      const b = await startDetached(env);
      pids.push(b.pid);
      expect(a.port).not.toBe(b.port);
      // Each has its own state file and log, named by its port.
      const own = join(env['XDG_STATE_HOME']!, 'aurora-ts', 'schedulers');
      for (const s of [a, b]) {
        expect(existsSync(join(own, `${s.port}.json`))).toBe(true);
        expect(s.log).toBe(join(own, `${s.port}.log`));
      }

      const status = json<Listed>(await runCli(['--json', 'scheduler', 'status'], { env }));
      expect(status.running).toBe(true);
      expect(status.schedulers.map((s) => [s.port, s.pid, s.url])).toEqual(
        [a, b].sort((x, y) => x.port - y.port).map((s) => [s.port, s.pid, s.url]),
      );
      const table = await runCli(['scheduler', 'status'], { env });
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^ *PORT +PID +URL +CLUSTER +UP +JOBS +ZOOKEEPER$/m);
      for (const s of [a, b]) expect(table.stdout).toMatch(new RegExp(`^ *${s.port} +${s.pid} +${s.url} +local +\\S+ +0 +-$`, 'm'));
      const one = await runCli(['scheduler', 'status', '--port', String(b.port)], { env });
      expect(one.stdout).toContain(`The local scheduler is running (pid ${b.pid}) at ${b.url}`);

      // A job on each; each scheduler knows only its own.
      for (const [s, name] of [[a, 'on-a'], [b, 'on-b']] as const) {
        const created = await runCli(['job', 'create', jobFile(dir, name, { instances: 1 }), '--wait-until', 'RUNNING'], { env: { ...env, AURORA_SCHEDULER_URL: s.url } });
        expect(created.code, created.stderr).toBe(0);
      }
      for (const [s, name] of [[a, 'on-a'], [b, 'on-b']] as const) {
        const listed = json<{ jobs: { job: string }[] }>(await runCli(['--json', 'job', 'list', 'local'], { env: { ...env, AURORA_SCHEDULER_URL: s.url } }));
        expect(listed.jobs.map((j) => j.job)).toEqual([`local/www-data/prod/${name}`]);
      }

      // The same port twice is refused, naming the one that runs there.
      const again = await runCli(['scheduler', 'start', '--port', String(a.port)], { env });
      expect(again.code).toBe(1);
      expect(oneErrorLine(again)).toContain(`a local scheduler is already running on port ${a.port} (pid ${a.pid})`);

      // Two running, none on 8081: stop must be told which.
      const which = await runCli(['scheduler', 'stop'], { env });
      expect(which.code).toBe(2);
      expect(oneErrorLine(which)).toBe(
        `aurora-ts: 2 local schedulers are running (ports ${[a.port, b.port].sort((x, y) => x - y).join(', ')}) (name one with --port N, or stop them all with --all)`,
      );
      expect(pids.every(alive)).toBe(true);
      const executors = await runCli(['executors', 'list'], { env });
      expect(executors.code).toBe(2);
      expect(oneErrorLine(executors)).toContain('2 local schedulers are running');
      const both = await runCli(['scheduler', 'stop', '--port', String(a.port), '--all'], { env });
      expect(both.code).toBe(2);
      expect(oneErrorLine(both)).toContain('--port and --all exclude each other');

      const stopA = await runCli(['scheduler', 'stop', '--port', String(a.port)], { env });
      expect(stopA.code).toBe(0);
      expect(stopA.stdout).toBe(`Stopped the local scheduler on port ${a.port} (pid ${a.pid}).\n`);
      expect(alive(a.pid)).toBe(false);
      expect(alive(b.pid)).toBe(true);
      expect(json<Listed>(await runCli(['--json', 'scheduler', 'status'], { env })).schedulers.map((s) => s.pid)).toEqual([b.pid]);
      const notThere = await runCli(['scheduler', 'status', '--port', String(a.port)], { env });
      expect(notThere).toMatchObject({ code: 1, stdout: `No local scheduler is running on port ${a.port}. Running: ports ${b.port}.\n` });
      const gone = await runCli(['scheduler', 'stop', '--port', String(a.port)], { env });
      expect(gone).toMatchObject({ code: 0, stdout: `No local scheduler is running on port ${a.port}.\n` });

      const c = await startDetached(env);
      pids.push(c.pid);
      const all = await runCli(['--json', 'scheduler', 'stop', '--all'], { env });
      expect(all.code).toBe(0);
      expect(json<{ schedulers: { pid: number }[] }>(all).schedulers.map((s) => s.pid).sort()).toEqual([b.pid, c.pid].sort());
      expect(alive(b.pid) || alive(c.pid)).toBe(false);
      expect((await runCli(['scheduler', 'status'], { env })).code).toBe(1);
      expect(existsSync(join(own, `${b.port}.json`)) || existsSync(join(own, `${c.port}.json`))).toBe(false);
    } finally {
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGTERM');
    }
  }, 60_000);

  it('stop without flags stops the only one running', async () => {
    const env = cleanEnv();
    const s = await startDetached(env);
    try {
      const stop = await runCli(['scheduler', 'stop'], { env });
      expect(stop).toMatchObject({ code: 0, stdout: `Stopped the local scheduler (pid ${s.pid}).\n` });
      expect(alive(s.pid)).toBe(false);
    } finally {
      if (alive(s.pid)) process.kill(s.pid, 'SIGTERM');
    }
  });

  it('finds a scheduler started with the previous one-file layout ($XDG_STATE_HOME/aurora-ts/scheduler.json)', async () => {
    const env = cleanEnv();
    const s = await startDetached(env);
    try {
      // What the previous version left: one scheduler.json beside (not under) schedulers/.
      const base = join(env['XDG_STATE_HOME']!, 'aurora-ts');
      renameSync(join(base, 'schedulers', `${s.port}.json`), join(base, 'scheduler.json'));
      const status = json<Listed>(await runCli(['--json', 'scheduler', 'status'], { env }));
      expect(status.schedulers.map((x) => [x.port, x.pid])).toEqual([[s.port, s.pid]]);
      const again = await runCli(['scheduler', 'start', '--port', String(s.port)], { env });
      expect(again.code).toBe(1);
      expect(oneErrorLine(again)).toContain(`already running on port ${s.port} (pid ${s.pid})`);
      const stop = await runCli(['scheduler', 'stop'], { env });
      expect(stop).toMatchObject({ code: 0, stdout: `Stopped the local scheduler (pid ${s.pid}).\n` });
      expect(alive(s.pid)).toBe(false);
      expect(existsSync(join(base, 'scheduler.json'))).toBe(false);
    } finally {
      if (alive(s.pid)) process.kill(s.pid, 'SIGTERM');
    }
  });
});

describe('the built-in local cluster when its scheduler is down', () => {
  it('says how to start it, on the same line, still exit 5', async () => {
    const env = cleanEnv();
    mkdirSync(join(env['HOME']!, '.aurora'), { recursive: true });
    // The quick-start demo test uses port 8081 too; wait until it is free so the call is refused.
    const deadline = Date.now() + 60_000;
    while ((await listening(8081)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    const down = await runCli(['job', 'list', 'local'], { env });
    expect(down.code).toBe(5);
    expect(oneErrorLine(down)).toBe(
      'aurora-ts: getJobSummary: cannot reach the scheduler at 127.0.0.1:8081: connection refused (ECONNREFUSED); start it with `aurora-ts scheduler start`',
    );
    // An explicit URL is not the built-in cluster: no hint.
    const explicit = await runCli(['--scheduler-url', 'http://127.0.0.1:8081', 'job', 'list', 'local'], { env });
    expect(explicit.code).toBe(5);
    expect(oneErrorLine(explicit)).not.toContain('scheduler start');
  });

  it('names a local scheduler that runs on another port', async () => {
    const env = cleanEnv();
    const s = await startDetached(env);
    try {
      const deadline = Date.now() + 60_000;
      while ((await listening(8081)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
      const down = await runCli(['job', 'status', 'local/www-data/prod/hello'], { env });
      expect(down.code).toBe(5);
      expect(oneErrorLine(down)).toMatch(
        new RegExp(`cannot reach the scheduler at 127\\.0\\.0\\.1:8081: .*; start it with \`aurora-ts scheduler start\`, or use the one on port ${s.port} with --scheduler-url http://127\\.0\\.0\\.1:${s.port}$`),
      );
    } finally {
      process.kill(s.pid, 'SIGTERM');
    }
  });
});
