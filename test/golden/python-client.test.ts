/**
 * An independent client against the local scheduler: Python code generated from the IDL by the
 * Apache Thrift compiler, python3-thrift's THttpClient in TJSON (as gorealis) and in binary (as
 * Aurora's Python client), no aurora-ts code on the client side. The tasks it creates must run as
 * real processes, read back, and die when it kills them.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScheduler, type RunningScheduler } from '../../src/scheduler/index.js';
import { API_THRIFT, GOLDEN_DIR, PYTHON, requirePythonThrift } from './python.js';

const run = promisify(execFile);

const EXECUTORS = [
  { executor: { name: 'looper', command: { value: 'exec sleep 600', shell: true } }, task_prefix: 'looper-' },
];

const temp = mkdtempSync(join(tmpdir(), 'aurora-ts-pyclient-'));
const generated = join(temp, 'gen-py');
let scheduler: RunningScheduler;

beforeAll(async () => {
  requirePythonThrift();
  mkdirSync(generated);
  // Generated once here; every client.py run imports it (the same code Aurora's own IDL gives: test/idl).
  const r = spawnSync('thrift', ['--gen', 'py', '-out', generated, API_THRIFT], { encoding: 'utf8', input: '' });
  if (r.status !== 0) throw new Error(`thrift --gen py failed: ${r.stderr}`);
  const config = join(temp, 'executors.json');
  writeFileSync(config, JSON.stringify(EXECUTORS));
  scheduler = await startScheduler({ port: 0, executors: config, killGraceMs: 300 });
});

afterAll(async () => {
  await scheduler?.close();
  rmSync(temp, { recursive: true, force: true });
});

type Step = Record<string, unknown>;

/**
 * One client.py step. Async on purpose: the scheduler serves from this very process, so a
 * synchronous spawn would block it from answering.
 */
async function python(protocol: string, ...args: string[]): Promise<Step> {
  let stdout: string;
  try {
    ({ stdout } = await run(PYTHON, [join(GOLDEN_DIR, 'client.py'), generated, scheduler.url, protocol, ...args], { timeout: 25_000 }));
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`client.py ${args.join(' ')} (${protocol}) failed: ${err.stdout ?? ''}${err.stderr ?? err.message}`);
  }
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Step;
}

interface TaskProcess {
  pid: number;
  env: Map<string, string>;
}

/** Live processes whose environment says they belong to the task (AURORA_TASK_ID=<id>). */
function processesOf(taskId: string): TaskProcess[] {
  const found: TaskProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let raw: string;
    try {
      raw = readFileSync(`/proc/${entry}/environ`, 'utf8');
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    const env = new Map(raw.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]));
    if (env.get('AURORA_TASK_ID') === taskId) found.push({ pid: Number(entry), env });
  }
  return found;
}

/** The executor data the running process was given (the scheduler writes it to a sandbox file). */
function dataSeenBy(p: TaskProcess): string {
  return readFileSync(p.env.get('AURORA_EXECUTOR_DATA')!, 'utf8');
}

async function eventually<T>(what: string, probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface TaskLine {
  taskId: string;
  instanceId: number;
  status: string;
  data: string;
}

describe.each(['json', 'binary'])('python3-thrift THttpClient over %s', (protocol) => {
  const name = `py_${protocol}`;
  let running: TaskLine[] = [];

  it('createJob on a custom executor starts both instances as real processes', async () => {
    const created = await python(protocol, 'create', name, 'looper', '2', 'v1');
    expect(created).toMatchObject({ responseCode: 'OK' });

    const status = await python(protocol, 'wait-running', name, '2');
    running = status.tasks as TaskLine[];
    expect(running.map((t) => [t.instanceId, t.status, t.data])).toEqual([
      [0, 'RUNNING', 'v1'],
      [1, 'RUNNING', 'v1'],
    ]);
    for (const task of running) {
      expect(task.taskId.startsWith(`www-data-devel-${name}-${task.instanceId}-`)).toBe(true);
      const procs = processesOf(task.taskId);
      expect(procs.length, `processes of ${task.taskId}`).toBeGreaterThan(0);
      expect(procs.map(dataSeenBy)).toContain('v1');
    }
  });

  it('getJobs and getJobSummary read the job back', async () => {
    const read = await python(protocol, 'read', name);
    const job = read.job as Record<string, any>;
    expect(job.key).toEqual({ role: 'www-data', environment: 'devel', name });
    expect(job.instanceCount).toBe(2);
    expect(job.taskConfig.executorConfig).toEqual({ name: 'looper', data: 'v1' });
    expect(job.taskConfig.isService).toBe(true);
    expect(job.taskConfig.resources).toEqual(
      expect.arrayContaining([{ numCpus: 0.1 }, { ramMb: 16 }, { diskMb: 16 }, { namedPort: 'http' }]),
    );
    expect(job.taskConfig.metadata).toEqual([{ key: 'client', value: 'python3-thrift' }]);
    expect(read.summary).toMatchObject({ instanceCount: 2, stats: { activeTaskCount: 2 } });
  });

  it('startJobUpdate rolls the job to new executor data: new processes run it, the old ones are gone', async () => {
    const old = running;
    expect(old).toHaveLength(2);
    const update = await python(protocol, 'update', name, 'v2');
    expect(update).toMatchObject({ status: 'ROLLED_FORWARD' });
    expect(update.updateEvents).toEqual(expect.arrayContaining(['ROLLING_FORWARD', 'ROLLED_FORWARD']));
    const events = update.instanceEvents as Array<{ instanceId: number; action: string }>;
    for (const id of [0, 1]) {
      expect(events.filter((e) => e.instanceId === id).map((e) => e.action)).toEqual(expect.arrayContaining(['INSTANCE_UPDATING', 'INSTANCE_UPDATED']));
    }

    const status = await python(protocol, 'wait-running', name, '2');
    running = status.tasks as TaskLine[];
    expect(running.map((t) => [t.instanceId, t.status, t.data])).toEqual([
      [0, 'RUNNING', 'v2'],
      [1, 'RUNNING', 'v2'],
    ]);
    expect(running.map((t) => t.taskId)).not.toEqual(expect.arrayContaining([old[0]!.taskId]));
    for (const task of running) expect(processesOf(task.taskId).map(dataSeenBy)).toContain('v2');
    for (const task of old) {
      await eventually(`no process of the replaced ${task.taskId}`, () => (processesOf(task.taskId).length === 0 ? true : undefined));
    }
  });

  it('killTasks leaves every task KILLED and no process behind', async () => {
    expect(running).toHaveLength(2);
    const killed = await python(protocol, 'kill', name);
    const tasks = killed.tasks as TaskLine[];
    // The job's history (tasks an update replaced) is KILLED too; every one of them, no exception.
    expect(new Set(tasks.map((t) => t.status))).toEqual(new Set(['KILLED']));
    expect(tasks.map((t) => t.taskId)).toEqual(expect.arrayContaining(running.map((t) => t.taskId)));
    for (const task of running) {
      await eventually(`no process of ${task.taskId}`, () => (processesOf(task.taskId).length === 0 ? true : undefined));
    }
  });

  it('createJob with an unknown executor is INVALID_REQUEST with Aurora\'s message', async () => {
    const created = await python(protocol, 'create', `${name}_bad`, 'x', '1', '');
    expect(created).toEqual({ step: 'create', responseCode: 'INVALID_REQUEST', details: ["Configuration for executor 'x' doesn't exist."] });
  });
});
