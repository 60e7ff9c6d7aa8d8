/**
 * Attacks on the local scheduler's sandbox file endpoint (GET /sandbox/<task>/<file>) by a task that
 * owns its sandbox and by an outsider choosing the URL. As root the tasks run as `nobody` and the
 * foreign file is root's 0600 file, the case an outside tester broke; otherwise they run as the
 * scheduler's user and "foreign" means any file outside the sandbox.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killProcessTree } from '../../src/scheduler/runner/process-tree.js';
import { buildSchedulerForChild, CHILD_SCHEDULER_OPTIONS, startChildScheduler, type ChildScheduler } from '../support/child-scheduler.js';
import { report, runTask, tempDir, writeExecutors } from './helpers.js';

const FOREIGN = `FOREIGN-SECRET-${process.pid}`;
const asRoot = process.getuid?.() === 0;

interface Reply {
  status: number;
  body: string;
  /** The connection was cut before a complete answer. */
  cut?: boolean;
}

/** One GET on its own connection (no keep-alive pool), so the scheduler's descriptors are all that count. */
function get(url: string): Promise<Reply> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('latin1') }));
      response.on('error', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('latin1'), cut: true }));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve({ status: 0, body: '', cut: true }));
  });
}

const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** Runs `workers` concurrent request loops until `stop()` says so; calls `check` on every reply. */
async function hammer(workers: number, url: () => string, stop: () => boolean, check: (reply: Reply) => void): Promise<number> {
  let count = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (!stop()) {
        check(await get(url()));
        count += 1;
      }
    }),
  );
  return count;
}

// The scheduler runs in a child process: a crash must show as a dead scheduler, not as an error the
// test runner catches, and its descriptors are counted on their own.
describe('GET /sandbox/<task>/<file> against a hostile task', () => {
  const running = new Set<ChildProcess>();
  const taskIds: string[] = [];
  let scheduler: ChildScheduler & { workDir: string };
  let outside: string;
  const start = async (name: string, executor: string, until: (sandbox: string) => boolean) => {
    const task = await runTask(scheduler, name, executor, until);
    taskIds.push(task.taskId);
    return task;
  };

  beforeAll(async () => {
    const dir = tempDir();
    outside = join(dir, 'outside');
    mkdirSync(outside, { mode: 0o700 });
    writeFileSync(join(outside, 'f'), `${FOREIGN}\n`, { mode: 0o600 });
    chmodSync(outside, 0o700);
    // The swapper flips `d` between a real directory and a link to `outside`, as fast as it can.
    const swapper = [
      "const fs = require('fs');",
      "fs.mkdirSync('d'); fs.writeFileSync('d/f', 'inside\\n'); fs.writeFileSync('ready', '');",
      `for (;;) { fs.renameSync('d', 'd.real'); fs.symlinkSync(${JSON.stringify(outside)}, 'd'); fs.unlinkSync('d'); fs.renameSync('d.real', 'd'); }`,
    ].join(' ');
    const executors = writeExecutors(dir, [
      { executor: { name: 'flapper', command: { value: 'while :; do echo data > f; rm -f f; done', shell: true } }, task_prefix: '' },
      { executor: { name: 'swapper', command: { value: process.execPath, shell: false, arguments: ['node', '-e', swapper] } }, task_prefix: '' },
      {
        executor: {
          name: 'oddities',
          command: { value: `printf 0123456789 > ten; ln -s ${outside}/f link; mkdir sub; ln -s ${outside} sub/out; mkfifo pipe; echo ok > ready; exec sleep 300`, shell: true },
        },
        task_prefix: '',
      },
    ]);
    const workDir = join(dir, 'work');
    const script = await buildSchedulerForChild(join(dir, 'child'));
    const child = await startChildScheduler(script, { ...CHILD_SCHEDULER_OPTIONS, executors, workDir, ...(asRoot ? { taskUser: 'nobody' } : {}) }, running);
    scheduler = { ...child, workDir };
  }, 60_000);
  afterAll(async () => {
    for (const child of running) child.kill('SIGKILL');
    // A killed scheduler leaves its tasks running: end them by their marker.
    await Promise.all(taskIds.map((id) => killProcessTree(id, 0)));
  });

  it('a file the task deletes between requests gets 404s, never a crash, and the scheduler keeps serving', async () => {
    const { taskId } = await start('flapper', 'flapper', () => true);
    const seen = new Set<string>();
    const until = Date.now() + 3000;
    const requests = await hammer(8, () => `${scheduler.url}/sandbox/${taskId}/f`, () => Date.now() > until, (reply) => {
      // A file truncated while it streams cuts the connection: the client learns it got less than announced.
      // An empty 200 is the file between `>` truncating it and echo writing.
      seen.add(reply.cut ? 'cut' : `${reply.status} ${reply.body.startsWith('no f') ? 'no f' : reply.body}`.trim());
    });
    expect([...seen].filter((s) => !['200 data', '200', '404 no f', 'cut'].includes(s))).toEqual([]);
    expect(seen.has('404 no f') || seen.has('200 data')).toBe(true);
    expect(scheduler.process.exitCode, 'the scheduler exited').toBeNull();
    const after = await get(`${scheduler.url}/sandbox/${taskId}/stdout`);
    expect(after.status).toBe(200);
    await killProcessTree(taskId, 0); // its busy loop would slow what follows
    report('sandbox file deleted while served', { requests, answers: [...seen] });
  }, 20_000);

  it('a malformed escape answers 400 with one line, not 500', async () => {
    const { taskId } = await start('odd-escape', 'oddities', () => true);
    for (const path of [`${taskId}/%ff`, `${taskId}/a%E0%A4%A`, `%ff/stdout`]) {
      const reply = await get(`${scheduler.url}/sandbox/${path}`);
      expect(reply.status, path).toBe(400);
      expect(reply.body).toMatch(/^sandbox path "\/sandbox\/.*" is not valid percent-encoded UTF-8\n$/);
    }
  });

  it('links, foreign hard links, FIFOs, `..`, empty parts and bad offsets are refused by name; offsets past the end read nothing', async () => {
    const { taskId, sandbox } = await start('oddities', 'oddities', (dir) => readdirSync(dir).includes('ready'));
    const at = (rest: string) => get(`${scheduler.url}/sandbox/${taskId}/${rest}`);
    // A hard link to the foreign file, as a task could make where fs.protected_hardlinks is 0 (made here as root).
    linkSync(join(outside, 'f'), join(sandbox, 'hard'));
    if (asRoot) expect(await at('hard')).toEqual({ status: 403, body: `hard in the sandbox of ${taskId} does not belong to the task's user\n` });
    else expect(await at('hard')).toEqual({ status: 200, body: `${FOREIGN}\n` }); // one user: nothing foreign to protect
    expect(await at('ten?offset=4')).toEqual({ status: 200, body: '456789' });
    expect(await at('ten?offset=99')).toEqual({ status: 200, body: '' });
    expect(await at('ten?offset=-1')).toEqual({ status: 400, body: 'offset "-1" must be a non-negative integer\n' });
    expect(await at('ten?offset=abc')).toEqual({ status: 400, body: 'offset "abc" must be a non-negative integer\n' });
    expect(await at('link')).toEqual({ status: 404, body: 'no link in the sandbox of ' + taskId + ' (symbolic links are not followed)\n' });
    expect(await at('sub/out/f')).toEqual({ status: 404, body: 'no sub/out/f in the sandbox of ' + taskId + ' (symbolic links are not followed)\n' });
    // A FIFO answers at once (opened non-blocking), not when some writer appears.
    expect(await at('pipe')).toEqual({ status: 404, body: 'no pipe in the sandbox of ' + taskId + ' (not a regular file)\n' });
    expect(await at('ten/x')).toEqual({ status: 404, body: 'no ten/x in the sandbox of ' + taskId + '\n' });
    expect(await at('sub')).toEqual({ status: 404, body: 'no sub in the sandbox of ' + taskId + ' (not a regular file)\n' });
    for (const rest of ['sub%2F..%2Ften', 'sub//ten', 'sub/.%2Ften', 'ten%00']) {
      const reply = await at(rest);
      expect(reply.status, rest).toBe(400);
      expect(reply.body).toMatch(/^file ".*" must be a relative path of plain names \(no empty, '\.' or '\.\.' parts\)\n$/);
    }
  });

  it('a task swapping a directory for a link to a foreign directory never gets a foreign byte served (and no descriptor leaks)', async () => {
    const { taskId } = await start('swapper', 'swapper', (sandbox) => readdirSync(sandbox).includes('ready'));
    const fdsBefore = openFds(scheduler.process.pid!);
    const started = Date.now();
    const until = started + 10_000;
    let foreignAfterMs: number | undefined;
    const counts = { inside: 0, refused: 0, cut: 0 };
    const requests = await hammer(
      16,
      () => `${scheduler.url}/sandbox/${taskId}/d/f`,
      () => foreignAfterMs !== undefined || Date.now() > until,
      (reply) => {
        if (reply.body.includes(FOREIGN)) foreignAfterMs ??= Date.now() - started;
        else if (reply.cut) counts.cut += 1;
        else if (reply.status === 200 && reply.body === 'inside\n') counts.inside += 1;
        else counts.refused += 1;
      },
    );
    await killProcessTree(taskId, 0);
    report('sandbox directory swapped for a link', { requests, ...counts, foreignAfterMs: foreignAfterMs ?? 'never' });
    expect(foreignAfterMs, `a foreign file was served after ${foreignAfterMs} ms`).toBeUndefined();
    // The race was really run: the file inside was served between swaps, and refused during them.
    expect(counts.inside).toBeGreaterThan(0);
    expect(counts.refused).toBeGreaterThan(0);
    // Every descriptor the route opened (directories on the walk, the file) was closed again.
    const deadline = Date.now() + 5000;
    while (openFds(scheduler.process.pid!) > fdsBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(openFds(scheduler.process.pid!)).toBeLessThanOrEqual(fdsBefore);
  }, 30_000);
});
