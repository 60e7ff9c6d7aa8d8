/**
 * `scheduler start|status|stop`: a detached start (a process of the built binary) prints the URL once
 * the API answers, status reports it, stop ends it (and its tasks); the foreground scheduler, run as the
 * binary, stops on SIGTERM, and run in-process through main(), when its caller aborts it.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listSchedulers } from '../../src/cli/scheduler-state.js';
import { BIN, cleanEnv, CONTROL, EXECUTORS, FIXTURES, json, oneErrorLine, ROOT, runCli, tempDir } from './helpers.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('scheduler start --detach / status / stop', () => {
  it('runs a detached scheduler that jobs can use, then stops it and its tasks', async () => {
    const env = cleanEnv();
    const stopped = await runCli(['scheduler', 'status'], { env });
    expect(stopped.code).toBe(1);
    expect(stopped.stdout).toContain('The local scheduler is not running.');

    const start = await runCli(['--json', 'scheduler', 'start', '--detach', '--port', '0', '--custom-executor-config', EXECUTORS], { env });
    expect(start.code).toBe(0);
    const started = json<{ url: string; pid: number; log: string }>(start);
    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(alive(started.pid)).toBe(true);
    try {
      const status = json<{ running: boolean; url: string; pid: number; jobs: number; executors: string }>(await runCli(['--json', 'scheduler', 'status'], { env }));
      expect(status).toMatchObject({ running: true, url: started.url, pid: started.pid, jobs: 0, executors: EXECUTORS });
      const human = await runCli(['scheduler', 'status'], { env });
      expect(human.stdout).toContain(`The local scheduler is running (pid ${started.pid}) at ${started.url}`);

      // A second start on its port is refused (other ports: test/cli/local-schedulers.test.ts).
      const port = new URL(started.url).port;
      const again = await runCli(['scheduler', 'start', '--port', port], { env });
      expect(again.code).toBe(1);
      expect(oneErrorLine(again)).toContain(`a local scheduler is already running on port ${port} (pid ${started.pid})`);

      // executors list without FILE reads the running scheduler's file.
      const executors = await runCli(['executors', 'list'], { env });
      expect(executors.stdout).toMatch(/^hello-executor /m);

      const withUrl = { ...env, AURORA_SCHEDULER_URL: started.url };
      const created = await runCli(['--json', 'job', 'create', join(FIXTURES, 'hello.json'), '--wait-until', 'RUNNING'], { env: withUrl });
      expect(created.code).toBe(0);
    } finally {
      const stop = await runCli(['scheduler', 'stop'], { env });
      expect(stop.code).toBe(0);
      expect(stop.stdout).toContain(`Stopped the local scheduler (pid ${started.pid}).`);
      expect(stop.stdout + stop.stderr).not.toMatch(CONTROL);
    }
    expect(alive(started.pid)).toBe(false);
    expect((await runCli(['scheduler', 'status'], { env })).code).toBe(1);
    const stopAgain = await runCli(['scheduler', 'stop'], { env });
    expect(stopAgain).toMatchObject({ code: 0, stdout: 'The local scheduler is not running.\n' });
  });

  it('a bad executor file exits 2 before anything starts', async () => {
    const dir = tempDir();
    const bad = join(dir, 'executors.json');
    writeFileSync(bad, JSON.stringify([{ executor: { name: 'x', command: { value: 'true' } } }]));
    for (const extra of [[], ['--detach']]) {
      const env = cleanEnv();
      const result = await runCli(['scheduler', 'start', '--port', '0', '--custom-executor-config', bad, ...extra], { env });
      expect(result.code).toBe(2);
      expect(oneErrorLine(result)).toMatch(/Failed to read executor settings: .*\[0\]\.task_prefix/);
      expect(existsSync(join(env['XDG_STATE_HOME']!, 'aurora-ts', 'schedulers'))).toBe(false);
    }
  });

  it('bad flags exit 2', async () => {
    for (const args of [['--port', 'http'], ['--cpus', '-1'], ['--ram-mb', '1.5']]) {
      const result = await runCli(['scheduler', 'start', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      oneErrorLine(result);
    }
  });
});

describe('scheduler start in the foreground', () => {
  it('serves until SIGTERM, then kills its tasks and removes its state', async () => {
    // The binary: SIGTERM, its exit status and the bundled UI assets are what is tested.
    const env = cleanEnv();
    const child = spawn(process.execPath, [BIN, 'scheduler', 'start', '--port', '0', '--custom-executor-config', EXECUTORS], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const deadline = Date.now() + 15_000;
    // The banner comes in more than one write: wait for its last line ("Executors: ..."), not its first.
    while (!(/listening on (http:\S+)/.test(stdout) && stdout.includes('Executors:')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const url = /listening on (http:\/\/\S+)/.exec(stdout)![1]!;
    expect(stdout).toContain('Executors: hello-executor, ticker-executor');
    // The printed UI address serves the UI (its pages load the built browser modules).
    expect(stdout).toContain(`Web UI: ${url}/scheduler (read-only); API: ${url}/api\n`);
    const ui = await fetch(`${url}/scheduler`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('src="/assets/scheduler/ui/browser/app.js"');
    expect((await fetch(`${url}/assets/scheduler/ui/browser/app.js`)).status).toBe(200);

    const created = await runCli(['--json', 'job', 'create', join(FIXTURES, 'hello.json'), '--wait-until', 'RUNNING'], { env: { ...env, AURORA_SCHEDULER_URL: url } });
    expect(created.code).toBe(0);
    const status = json<{ running: boolean; jobs: number }>(await runCli(['--json', 'scheduler', 'status'], { env }));
    expect(status).toMatchObject({ running: true, jobs: 1 });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('SIGTERM: stopping the scheduler and killing its tasks');
    expect(existsSync(join(env['XDG_STATE_HOME']!, 'aurora-ts', 'schedulers', `${new URL(url).port}.json`))).toBe(false);
    const gone = await runCli(['--scheduler-url', url, 'job', 'list', 'local'], { env });
    expect(gone.code).toBe(5);
  });

  it('in-process (main() with an abort signal): serves until aborted, then stops, leaving no signal listener behind', async () => {
    const env = cleanEnv();
    const listeners = () => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const before = listeners();
    const stop = new AbortController();
    const running = runCli(['scheduler', 'start', '--port', '0', '--custom-executor-config', EXECUTORS], { env, signal: stop.signal, timeoutMs: 30_000 });
    const deadline = Date.now() + 15_000;
    while (listSchedulers(env).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const [state] = listSchedulers(env);
    expect(state?.pid).toBe(process.pid);
    const listed = await runCli(['--scheduler-url', state!.url, 'job', 'list', 'local'], { env });
    expect(listed.code).toBe(0);
    stop.abort();
    const result = await running;
    expect(result.code).toBe(130);
    expect(result.stdout).toContain(`listening on ${state!.url}`);
    expect(result.stderr).toContain('SIGINT: stopping the scheduler and killing its tasks');
    expect(listSchedulers(env)).toEqual([]);
    expect(listeners()).toEqual(before);
  });
});
