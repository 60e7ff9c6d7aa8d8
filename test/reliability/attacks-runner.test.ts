/**
 * Attacks on what the runner does with the scheduler's rights around a task: the supervisor writing
 * its exit record, the fetcher reading local paths and its shared cache. As root the tasks run as
 * `nobody` and the victims are root's 0600 files; the fetcher cases that need a second user say so.
 */
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { ScheduleStatus } from '../../src/gen/types.js';
import { startScheduler, type RunningScheduler } from '../../src/scheduler/index.js';
import { fetchUris, launchTask } from '../../src/scheduler/runner/index.js';
import { jobConfig, report, runTask, tempDir, writeExecutors } from './helpers.js';

const asRoot = process.getuid?.() === 0;
const NOBODY = { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent' };

/** A root-only (0600 in a 0700 directory) file holding `original\n`. */
function victimFile(): string {
  const dir = join(tempDir(), 'private');
  mkdirSync(dir, { mode: 0o700 });
  const file = join(dir, 'victim.txt');
  writeFileSync(file, 'original\n', { mode: 0o600 });
  return file;
}

describe('the supervisor (a --state-dir scheduler) and a task that plants links in its sandbox', () => {
  let scheduler: RunningScheduler;
  let victim: string;
  beforeAll(async () => {
    victim = victimFile();
    const dir = tempDir();
    // The old supervisor wrote <sandbox>/.aurora/exit.json.tmp as the scheduler's user, following links.
    const plant = [
      'mkdir -p .aurora',
      `ln -sf ${victim} .aurora/exit.json.tmp`,
      `ln -sf ${victim} .aurora/exit.json`,
      'exit 0',
    ].join('; ');
    const executors = writeExecutors(dir, [{ executor: { name: 'planter', command: { value: plant, shell: true } }, task_prefix: '' }]);
    scheduler = await startScheduler({ port: 0, executors, stateDir: join(dir, 'state'), cpus: 2, ramMb: 1024, killGraceMs: 200, ...(asRoot ? { taskUser: 'nobody' } : {}) });
  });
  afterAll(async () => {
    await scheduler?.close();
  });

  it("never writes its exit record through the task's links, and still records the exit", async () => {
    const client = new AuroraClient({ url: scheduler.url, netrc: false });
    try {
      const config = jobConfig('planter');
      config.taskConfig!.isService = false;
      config.taskConfig!.executorConfig = { name: 'planter', data: '' };
      await client.createJob(config);
      const deadline = Date.now() + 15_000;
      let status: ScheduleStatus | undefined;
      while (Date.now() < deadline) {
        status = (await client.getTasksWithoutConfigs({ jobKeys: [config.key!] })).tasks?.[0]?.status;
        if (status === ScheduleStatus.FINISHED || status === ScheduleStatus.FAILED) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(ScheduleStatus.FINISHED);
      expect(readFileSync(victim, 'utf8')).toBe('original\n');
    } finally {
      client.close();
    }
  }, 30_000);
});

describe('the fetcher', () => {
  let work: string;
  let counter = 0;
  const fetchOnly = async (uri: { value: string; cache?: boolean }, extra: { cacheDir?: string; user?: typeof NOBODY } = {}) => {
    counter += 1;
    const sandbox = join(work, 'sandboxes', String(counter));
    const outcome = await launchTask({ taskId: `runner-attack-${process.pid}-${counter}`, executorId: `e-${counter}`, sandboxDir: sandbox, command: { value: 'true', shell: true }, uris: [uri], ...extra }).done;
    return { ...outcome, sandbox };
  };
  beforeAll(() => {
    work = tempDir();
    chmodSync(work, 0o755); // the task user must reach the files it may read
  });

  it('gives up on an HTTP download that stalls (a byte, then nothing), instead of holding a launch slot for ever', async () => {
    // The server answers a promise of 1 MB, sends one byte and then nothing: a launch slot held hostage.
    const sockets = new Set<import('node:net').Socket>();
    const server = http.createServer((_request, response) => {
      response.writeHead(200, { 'Content-Length': 1_000_000 });
      response.write('x');
    });
    server.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    try {
      const sandboxDir = join(work, 'stall');
      mkdirSync(sandboxDir);
      const t0 = performance.now();
      const outcome = await Promise.race([
        fetchUris([{ value: `http://127.0.0.1:${port}/tool.tgz` }], { sandboxDir, stallTimeoutMs: 500 }).then(
          () => 'fetched',
          (err: Error) => err.message,
        ),
        new Promise<string>((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5000)),
      ]);
      const ms = Math.round(performance.now() - t0);
      report('stalled HTTP download', { stallTimeoutMs: 500, ms, outcome });
      expect(outcome).toBe(`failed to fetch 'http://127.0.0.1:${port}/tool.tgz': the download stalled: nothing received for 500 ms`);
      expect(ms).toBeLessThan(3000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a cache directory someone else made first, instead of handing out the files they planted', async () => {
    const real = join(work, 'tool.sh');
    writeFileSync(real, 'echo genuine\n');
    // Someone guessed the cache's name and made it first, with "tool.sh" already "cached".
    const cacheDir = join(work, 'planted-cache');
    mkdirSync(cacheDir);
    writeFileSync(join(cacheDir, createHash('sha256').update(real).digest('hex')), 'echo planted\n');
    if (asRoot) chownSync(cacheDir, NOBODY.uid, NOBODY.gid);
    else chmodSync(cacheDir, 0o777);
    const outcome = await fetchOnly({ value: real, cache: true }, { cacheDir });
    expect(outcome.state).toBe('FAILED');
    expect(outcome.message).toMatch(asRoot ? /the fetcher cache .*planted-cache belongs to uid 65534, not to this scheduler \(uid 0\)/ : /the fetcher cache .*planted-cache is writable by others \(mode 777\)/);
    // Its own fresh cache works, and serves the genuine file.
    const fresh = await fetchOnly({ value: real, cache: true }, { cacheDir: join(work, 'own-cache') });
    expect(fresh.state).toBe('FINISHED');
    expect(readFileSync(join(fresh.sandbox, 'tool.sh'), 'utf8')).toBe('echo genuine\n');
  });

  it("reads a local path with the task user's rights: a root-only file is refused, a readable one fetched", async () => {
    if (!asRoot) {
      // Only root can run a task as another user; without one there is no second set of rights to use.
      expect(process.getuid?.()).not.toBe(0);
      return;
    }
    const secret = victimFile();
    const denied = await fetchOnly({ value: secret }, { user: NOBODY });
    expect(denied.state).toBe('FAILED');
    expect(denied.message).toMatch(/failed to fetch '.*victim\.txt': permission denied$/);
    // Cached by a run without a task user, it is still not the task user's to read.
    const cacheDir = join(work, 'shared-cache');
    expect((await fetchOnly({ value: secret, cache: true }, { cacheDir })).state).toBe('FINISHED');
    const cached = await fetchOnly({ value: secret, cache: true }, { cacheDir, user: NOBODY });
    expect(cached.state).toBe('FAILED');
    expect(cached.message).toMatch(/permission denied$/);
    const open = join(work, 'public.txt');
    writeFileSync(open, 'public\n', { mode: 0o644 });
    const allowed = await fetchOnly({ value: open }, { user: NOBODY });
    expect(allowed.state).toBe('FINISHED');
    expect(readFileSync(join(allowed.sandbox, 'public.txt'), 'utf8')).toBe('public\n');
  });
});

describe('another task of the same user racing a launch', () => {
  it('cannot get the scheduler to open a log through its link, nor to chown through a swapped directory', async () => {
    if (!asRoot) {
      // Without a task user every task already has the scheduler's rights: there is nothing to gain.
      expect(process.getuid?.()).not.toBe(0);
      return;
    }
    const work = tempDir();
    chmodSync(work, 0o755);
    const victim = victimFile();
    const victimDir = join(work, 'root-dir');
    mkdirSync(victimDir, { mode: 0o700 });
    writeFileSync(join(victimDir, 'owned-by-root'), 'x', { mode: 0o600 });
    const launches = 80;
    const sandboxes = Array.from({ length: launches }, (_, i) => join(work, 'sandboxes', String(i)));
    mkdirSync(join(work, 'sandboxes'), { mode: 0o755 });
    // The attacker (as nobody, like the tasks) plants links in every sandbox it can write, as fast as it can.
    const attacker = [
      "const fs = require('fs');",
      `const boxes = ${JSON.stringify(sandboxes)};`,
      'const end = Date.now() + 20000;',
      'while (Date.now() < end) for (const b of boxes) {',
      `  try { fs.unlinkSync(b + '/stdout'); fs.symlinkSync(${JSON.stringify(victim)}, b + '/stdout'); } catch {}`,
      `  try { fs.renameSync(b + '/.aurora', b + '/.moved'); fs.symlinkSync(${JSON.stringify(victimDir)}, b + '/.aurora'); } catch {}`,
      '}',
    ].join('\n');
    const child = spawn(process.execPath, ['-e', attacker], { uid: NOBODY.uid, gid: NOBODY.gid, stdio: 'ignore' });
    const started = Date.now();
    let brokenAfterMs: number | undefined;
    let broken = '';
    try {
      for (const [i, sandbox] of sandboxes.entries()) {
        const outcome = await launchTask({
          taskId: `race-${process.pid}-${i}`,
          executorId: `e-${i}`,
          sandboxDir: sandbox,
          command: { value: 'echo task-output', shell: true },
          files: { '.aurora/assigned_task.json': '{}' },
          user: NOBODY,
        }).done;
        expect(['FINISHED', 'FAILED']).toContain(outcome.state);
        const victimChanged = readFileSync(victim, 'utf8') !== 'original\n';
        const chowned = statSync(join(victimDir, 'owned-by-root')).uid !== 0 || statSync(victimDir).uid !== 0;
        if (victimChanged || chowned) {
          brokenAfterMs = Date.now() - started;
          broken = victimChanged ? 'wrote through a planted log link' : 'chowned through a swapped directory';
          break;
        }
      }
    } finally {
      child.kill('SIGKILL');
    }
    report('another task racing a launch', { launches, brokenAfterMs: brokenAfterMs ?? 'never', broken });
    expect(broken, `after ${brokenAfterMs} ms`).toBe('');
    expect(readFileSync(victim, 'utf8')).toBe('original\n');
  }, 40_000);
});

describe('other local users and a running task (tasks as nobody)', () => {
  it("cannot read the task's sandbox, though its path is in the API; the task itself can", async () => {
    if (!asRoot) {
      // Without root there is no second user to try with.
      expect(process.getuid?.()).not.toBe(0);
      return;
    }
    const dir = tempDir();
    chmodSync(dir, 0o755); // an operator's state directory others may pass through, as /var/lib is
    const probe = 'cat "$AURORA_ASSIGNED_TASK_JSON" > copy.json && echo ready > ready; exec sleep 300';
    const executors = writeExecutors(dir, [{ executor: { name: 'reader', command: { value: probe, shell: true } }, task_prefix: '' }]);
    const scheduler = await startScheduler({ port: 0, executors, workDir: join(dir, 'work'), taskUser: 'nobody', cpus: 2, ramMb: 1024, killGraceMs: 200 });
    try {
      const { sandbox } = await runTask(scheduler, 'reader', 'reader', (d) => existsSync(join(d, 'ready')));
      expect(readFileSync(join(sandbox, 'copy.json'), 'utf8')).toContain('"taskId"');
      // Uid 4321 is neither the scheduler's nor the task's.
      const other = spawnSync('cat', [join(sandbox, '.aurora', 'assigned_task.json'), join(sandbox, 'stdout')], { uid: 4321, gid: 4321, encoding: 'utf8' });
      expect(other.status).not.toBe(0);
      expect(other.stdout).toBe('');
      expect(other.stderr).toMatch(/Permission denied/);
    } finally {
      await scheduler.close();
    }
  }, 30_000);
});
