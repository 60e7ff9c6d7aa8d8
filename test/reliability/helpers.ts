/**
 * Shared pieces of the reliability suite: a local scheduler with a cheap executor, raw /api posts,
 * percentiles, and the sizes that `FUZZ_RUNS` / `LOAD_*` environment variables scale up for soak runs
 * (`node scripts/soak.mjs`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AuroraClient } from '../../src/client/client.js';
import { ScheduleStatus, type JobConfiguration } from '../../src/gen/types.js';
import { startScheduler, type RunningScheduler, type SchedulerOptions } from '../../src/scheduler/index.js';
import { testJob } from '../support/scheduler.js';

export const ROOT = resolve(import.meta.dirname, '../..');

/** A positive integer from the environment, else `fallback` (CI size). */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

/** fast-check runs per property: hundreds in CI, `FUZZ_RUNS=5000` in a soak run. */
export const FUZZ_RUNS = envInt('FUZZ_RUNS', 300);

export function tempDir(prefix = 'aurora-ts-rel-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** `sleeper` keeps a task RUNNING cheaply; `argv` (shell false) echoes its arguments one per line. */
export const EXECUTORS = [
  { executor: { name: 'sleeper', command: { value: 'exec sleep 300', shell: true } }, task_prefix: 'sleep-' },
];

export function writeExecutors(dir: string, entries: unknown[] = EXECUTORS): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'executors.json');
  writeFileSync(file, JSON.stringify(entries));
  return file;
}

/** The suite's scheduler settings: room for every task, `sleeper`, short kill grace and throttling. */
export function schedulerOptions(options: SchedulerOptions = {}): SchedulerOptions {
  return {
    port: 0,
    executors: writeExecutors(tempDir()),
    cpus: 1000,
    ramMb: 1_000_000,
    diskMb: 1_000_000,
    killGraceMs: 200,
    throttle: { minRunningMs: 1000, initialBackoffMs: 200, maxBackoffMs: 500 },
    ...options,
  };
}

export async function localScheduler(options: SchedulerOptions = {}): Promise<RunningScheduler> {
  return startScheduler(schedulerOptions(options));
}

export interface SchedulerProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM (the scheduler closes, killing its tasks unless it has a state directory) and the exit. */
  close(): Promise<void>;
}

/**
 * A local scheduler from the built dist/ in a child process of its own, for tests that load it or
 * kill it: clients in the test process then never share its event loop, as with a real scheduler.
 */
export async function schedulerProcess(options: SchedulerOptions): Promise<SchedulerProcess> {
  const script = `const { startScheduler } = await import(${JSON.stringify(join(ROOT, 'dist/scheduler/index.js'))});
const s = await startScheduler(${JSON.stringify({ port: 0, ...options })});
process.stdout.write(JSON.stringify({ url: s.url }) + '\\n');
process.on('SIGTERM', () => s.close().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`scheduler exited with ${code}: ${stderr.slice(-2000)}`)));
  });
  return {
    url,
    child,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A tiny service job (0.01 CPU, 1 MiB) running `sleeper`; `overrides` replace top-level fields. */
export function jobConfig(name: string, instances = 1, overrides: Partial<JobConfiguration> = {}): JobConfiguration {
  return { ...testJob({ name, instances, service: true, resources: [{ numCpus: 0.01 }, { ramMb: 1 }, { diskMb: 1 }] }), ...overrides };
}

export interface RawReply {
  status: number;
  body: Buffer;
  ms: number;
  contentType: string;
}

/** POSTs bytes to `<url>/api` as is. */
export async function postApi(url: string, body: Uint8Array | string, headers: Record<string, string> = {}): Promise<RawReply> {
  const t0 = performance.now();
  const response = await fetch(`${url}/api`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/vnd.apache.thrift.binary', Accept: 'application/vnd.apache.thrift.binary', ...headers },
    body: typeof body === 'string' ? body : Buffer.from(body),
    signal: AbortSignal.timeout(10_000),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, body: bytes, ms: performance.now() - t0, contentType: response.headers.get('content-type') ?? '' };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Writes a result under .bench/ (created on demand) and returns its path. */
export function writeBench(name: string, data: unknown): string {
  const dir = join(ROOT, '.bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/** Prints one result line the docs quote, prefixed so it is easy to grep from a run. */
export function report(check: string, figures: Record<string, unknown>): void {
  console.log(`[reliability] ${check}: ${JSON.stringify(figures)}`);
}

/**
 * Creates a one-instance job running `executor` (an entry of the scheduler's executors file) and waits
 * until its sandbox exists and `until(sandbox)` holds; returns the sandbox and the task id.
 */
export async function runTask(scheduler: Pick<RunningScheduler, 'url' | 'workDir'>, name: string, executor: string, until: (sandbox: string) => boolean): Promise<{ sandbox: string; taskId: string }> {
  const client = new AuroraClient({ url: scheduler.url, netrc: false });
  try {
    const config = jobConfig(name);
    config.taskConfig!.isService = false;
    config.taskConfig!.executorConfig = { name: executor, data: '' };
    await client.createJob(config);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const task = (await client.getTasksWithoutConfigs({ jobKeys: [config.key!] })).tasks?.[0];
      const taskId = task?.assignedTask?.taskId;
      if (taskId && task?.status !== ScheduleStatus.PENDING) {
        const sandbox = join(scheduler.workDir, 'sandboxes', taskId);
        if (existsSync(sandbox) && until(sandbox)) return { sandbox, taskId };
      }
      if (Date.now() > deadline) throw new Error(`task ${name} did not get there`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    client.close();
  }
}
