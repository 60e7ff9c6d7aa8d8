/**
 * startScheduler() embedded in a user's script, run as a real child process: the script starts a
 * scheduler, creates a job whose task is a real `sleep`, and then ends in the ways scripts end (SIGTERM,
 * Ctrl-C, an uncaught exception, a host that handles SIGTERM itself and exits later). After it, no task
 * process may be left and the scheduler's temporary directory must be gone, and the process must end as
 * it would have without the scheduler (killed by the signal, exit code 1 for the exception).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraValidationError } from '../../src/errors.js';
import { startScheduler } from '../../src/scheduler/index.js';
import { buildSchedulerForChild } from '../support/child-scheduler.js';

let dir: string;
let script: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aurora-ts-embed-'));
  const child = await buildSchedulerForChild(join(dir, 'build'));
  const executors = join(dir, 'executors.json');
  writeFileSync(executors, JSON.stringify([{ executor: { name: 'sleeper', command: { value: 'exec sleep 600', shell: true }, resources: [] }, task_prefix: 'sleep-' }]));
  script = join(child, '..', 'embed.js');
  // The user's script. argv: mode, executors file. Prints {workDir} once its task runs.
  writeFileSync(
    script,
    `import { startScheduler } from './scheduler/index.js';
import { AuroraClient } from './client/client.js';
const [mode, executors] = process.argv.slice(2);
if (mode === 'host-handler') process.on('SIGTERM', () => process.stdout.write('host: SIGTERM\\n'));
const scheduler = await startScheduler({ port: 0, cpus: 4, ramMb: 4096, killGraceMs: 200, executors, keepOnExit: mode === 'keep' });
const client = new AuroraClient({ url: scheduler.url });
const key = { role: 'www-data', environment: 'prod', name: 'sleeper' };
await client.createJob({ key, owner: { user: 'me' }, instanceCount: 1,
  taskConfig: { job: key, owner: { user: 'me' }, isService: true, resources: [{ numCpus: 0.1 }, { ramMb: 16 }, { diskMb: 16 }], executorConfig: { name: 'sleeper', data: '' } } });
for (;;) {
  const { tasks = [] } = await client.getTasksWithoutConfigs({ jobKeys: [key], statuses: [2] });
  if (tasks.length > 0) break;
  await new Promise((r) => setTimeout(r, 50));
}
client.close();
process.stdout.write(JSON.stringify({ workDir: scheduler.workDir }) + '\\n');
process.stdin.on('data', (line) => {
  if (String(line).trim() === 'throw') setTimeout(() => { throw new Error('boom from the host script'); });
  if (String(line).trim() === 'exit') process.exit(3);
});
`,
  );
  script = `${script}\u0000${executors}`;
}, 120_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Pids of processes whose working directory is inside `workDir` (a task runs in its sandbox). */
function processesIn(workDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`).startsWith(workDir)) pids.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}

/**
 * The processes left in `workDir` once they have had a moment to die: the host SIGKILLs its tasks as it
 * exits, and a killed process still shows in /proc until the kernel has torn it down (under load, a few
 * milliseconds after the host is gone). Whatever still runs after 5 s was not killed.
 */
async function processesLeftIn(workDir: string): Promise<number[]> {
  const deadline = Date.now() + 5000;
  let left = processesIn(workDir);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = processesIn(workDir);
  }
  return left;
}

async function embedded(mode: string): Promise<{ child: ChildProcess; workDir: string; exited: Promise<{ code: number | null; signal: string | null; out: string; err: string }> }> {
  const [file, executors] = script.split('\u0000') as [string, string];
  const child = spawn(process.execPath, [file, mode, executors], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: string | null; out: string; err: string }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, out, err });
    }),
  );
  const workDir = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { workDir: string }).workDir);
    });
    void exited.then((r) => reject(new Error(`the script exited before its task ran: ${r.err}`)));
  });
  expect(processesIn(workDir).length).toBeGreaterThan(0);
  return { child, workDir, exited };
}

describe('an embedded scheduler cleans up when its host process ends', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} without a handler of the host's: tasks stopped, temp dir removed, the process killed by ${signal}`, async () => {
      const { child, workDir, exited } = await embedded('plain');
      child.kill(signal);
      const result = await exited;
      expect(result.signal).toBe(signal);
      expect(await processesLeftIn(workDir)).toEqual([]);
      expect(existsSync(workDir)).toBe(false);
    }, 30_000);
  }

  it('an uncaught exception: exit code 1 with the error, tasks stopped, temp dir removed', async () => {
    const { child, workDir, exited } = await embedded('plain');
    child.stdin!.write('throw\n');
    const result = await exited;
    expect(result.code).toBe(1);
    expect(result.err).toContain('boom from the host script');
    expect(await processesLeftIn(workDir)).toEqual([]);
    expect(existsSync(workDir)).toBe(false);
  }, 30_000);

  it("a host that handles SIGTERM itself keeps it: the scheduler stays up until the host exits", async () => {
    const { child, workDir, exited } = await embedded('host-handler');
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    expect(child.exitCode).toBe(null);
    expect(processesIn(workDir).length).toBeGreaterThan(0);
    child.stdin!.write('exit\n');
    const result = await exited;
    expect(result.out).toContain('host: SIGTERM');
    expect(result.code).toBe(3);
    expect(await processesLeftIn(workDir)).toEqual([]);
    expect(existsSync(workDir)).toBe(false);
  }, 30_000);

  it('keepOnExit: true leaves the tasks and the directory, as before', async () => {
    const { child, workDir, exited } = await embedded('keep');
    child.kill('SIGTERM');
    expect((await exited).signal).toBe('SIGTERM');
    const left = processesIn(workDir);
    try {
      expect(left.length).toBeGreaterThan(0);
      expect(existsSync(workDir)).toBe(true);
    } finally {
      for (const pid of left) process.kill(pid, 'SIGKILL');
      rmSync(workDir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('start-up errors', () => {
  it('a busy port is an AuroraValidationError naming the port, with the system code', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const error = await startScheduler({ port }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AuroraValidationError);
      expect((error as AuroraValidationError).field).toBe('port');
      expect((error as { code?: string }).code).toBe('EADDRINUSE');
      expect((error as Error).message).toBe(`port: ${port} on 127.0.0.1 is already in use (EADDRINUSE); pick another port, or 0 for a free one`);
    } finally {
      blocker.close();
    }
  });
});
