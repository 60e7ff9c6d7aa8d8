// {{name}} on the local scheduler, as its README runs it: `aurora-ts scheduler start` with this
// project's executors.json and a state directory, `aurora-ts job create job.json --wait-until
// RUNNING`, `aurora-ts task logs`, then a scheduler crash and restart on the same state directory
// (the executor subscribes again and the task is still RUNNING), and a kill that reaches the executor
// (KILLED by it). Needs `npm run build` first (`npm test` does it).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

const project = resolve(import.meta.dirname, '../..');
const job = JSON.parse(readFileSync(join(project, 'job.json'), 'utf8')) as { cluster: string; role: string; environment: string; name: string };
const key = `${job.cluster}/${job.role}/${job.environment}/${job.name}`;
const bin = join(dirname(createRequire(import.meta.url).resolve('aurora-ts/package.json')), 'bin/aurora-ts.js');

// A private place for the scheduler's pid file and state, so this test finds only its own scheduler.
const work = mkdtempSync(join(tmpdir(), '{{name}}-test-'));
const env: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: join(work, 'xdg') };
const stateDir = join(work, 'state');

interface Task { instance: number; state: string; taskId: string; message: string | null }

function aurora(...args: string[]): string {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: project, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `aurora-ts ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Starts a detached scheduler (on a free port, then on the same one) that later commands talk to. */
function startScheduler(port = 0): number {
  const out = aurora('--json', 'scheduler', 'start', '--detach', '--port', String(port), '--custom-executor-config', 'executors.json', '--state-dir', stateDir);
  const started = JSON.parse(out) as { pid: number; url: string };
  env['AURORA_SCHEDULER_URL'] = started.url;
  return started.pid;
}

function tasks(...flags: string[]): Task[] {
  return (JSON.parse(aurora('--json', 'job', 'status', key, ...flags)) as { tasks: Task[] }).tasks;
}

async function eventually<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let schedulerPid = 0;
let taskId = '';

before(() => {
  schedulerPid = startScheduler();
});

after(() => {
  spawnSync(process.execPath, [bin, 'scheduler', 'stop', '--all'], { cwd: project, env, stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
});

test('the job runs on this executor: RUNNING', () => {
  aurora('job', 'create', 'job.json', '--wait-until', 'RUNNING');
  const [task] = tasks();
  assert.equal(task?.state, 'RUNNING');
  taskId = task.taskId;
});

test("task logs shows the command's output and the executor's", async () => {
  const logs = await eventually('the greeting in the logs', () => {
    const out = aurora('task', 'logs', `${key}/0`);
    return out.includes('hello from') ? out : undefined;
  });
  assert.match(logs, /hello from {{name}}, instance 0/);
  // The executor's own lines (the sandbox's stderr): a Mesos executor subscribed to the agent.
  assert.match(aurora('task', 'logs', `${key}/0`, '--stderr'), /^executor: subscribed to the agent at /m);
});

/** The executor's lines saying it subscribed to the agent (the sandbox's stderr). */
function subscriptions(): string[] {
  return aurora('task', 'logs', `${key}/0`, '--stderr')
    .split('\n')
    .filter((line) => line.startsWith('executor: subscribed to the agent at '));
}

test('after a scheduler crash and a restart on the same --state-dir, the executor re-subscribes and the task is still RUNNING', async () => {
  process.kill(schedulerPid, 'SIGKILL');
  await eventually('the scheduler to be gone', () => (alive(schedulerPid) ? undefined : true));
  schedulerPid = startScheduler(Number(new URL(env['AURORA_SCHEDULER_URL']!).port));
  // The same executor process subscribes again, to the same agent address, as after a Mesos agent restart.
  const lines = await eventually('the executor to re-subscribe', () => {
    const found = subscriptions();
    return found.length >= 2 ? found : undefined;
  });
  assert.equal(lines.length, 2);
  assert.equal(lines[1], lines[0]);
  const [task] = tasks();
  assert.deepEqual([task?.taskId, task?.state], [taskId, 'RUNNING']);
});

test('a kill reaches the executor and ends the task KILLED', () => {
  aurora('job', 'killall', key, '--wait');
  const [task] = tasks('--all');
  // The executor's own TASK_KILLED: the kill reached it as a Mesos KILL, not as a signal to its process.
  assert.deepEqual([task?.taskId, task?.state, task?.message], [taskId, 'KILLED', 'Killed by the executor']);
});
