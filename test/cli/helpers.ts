/**
 * Runs the CLI for tests: in-process through `main()` from src/ with fake streams ({@link runCli}, the
 * default), or as the real `aurora-ts` binary (node bin/aurora-ts.js over the built dist/,
 * {@link runBinary}, {@link onTerminal}) where the binary itself is under test: module loading, the
 * bundle, terminals, signals and exit. Also gives tests a local scheduler started in-process on a free port.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { afterAll, beforeAll, expect } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startScheduler, type RunningScheduler, type SchedulerOptions } from '../../src/scheduler/index.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/aurora-ts.js');
export const FIXTURES = join(ROOT, 'test/fixtures/cli');
/** The CLI tests' own executor file (stable, unlike the examples): hello-executor and ticker-executor. */
export const EXECUTORS = join(FIXTURES, 'executors.json');
export const EXAMPLE_EXECUTORS = join(ROOT, 'examples/executors.json');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function tempDir(prefix = 'aurora-ts-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** An environment without the caller's AURORA_* settings or colour preferences, with its own state/home dirs. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('AURORA_') || k === 'NO_COLOR' || k === 'FORCE_COLOR' || k === 'NODE_OPTIONS' || k.startsWith('VITEST')) continue;
    env[k] = v;
  }
  const home = tempDir('aurora-ts-cli-home-');
  env['HOME'] = home;
  env['XDG_STATE_HOME'] = join(home, 'state');
  env['AURORA_CONFIG_ROOT'] = join(home, 'etc');
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** What a pipe (not a terminal) receives: everything written, as text. */
class Captured extends Writable {
  readonly isTTY = false;
  text = '';
  private readonly decoder = new StringDecoder('utf8');

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += this.decoder.write(chunk);
    done();
  }
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Where relative paths start (default the repository root, as for {@link runBinary}). */
  cwd?: string;
  /** What the command reads on stdin (a pipe); default nothing (end of input at once). */
  stdin?: string;
  /** Then the command is interrupted (its waits and follows stop), as the binary's runs are killed (default 20 s). */
  timeoutMs?: number;
  /** Interrupts the command when aborted, as Ctrl-C would. */
  signal?: AbortSignal;
}

/**
 * Runs `aurora-ts ARGS` in this process through `main()` from src/, with pipes for stdout, stderr and
 * stdin: what the binary would print and exit with, without starting Node (≈ 200 ms a run).
 */
export async function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const stdout = new Captured();
  const stderr = new Captured();
  const code = await main(args, {
    env: options.env ?? cleanEnv(),
    cwd: options.cwd ?? ROOT,
    stdout,
    stderr,
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? 20_000), ...(options.signal ? [options.signal] : [])]),
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Runs the built binary, `node bin/aurora-ts.js ARGS`, as a user's shell would (stdin closed). */
export function runBinary(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; nodeArgs?: string[] } = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** Parses stdout as the one JSON document `--json` promises. */
export function json<T = Record<string, unknown>>(result: CliResult): T {
  return JSON.parse(result.stdout) as T;
}

/** A failed command's promise: exactly one line on stderr, prefixed, no stack trace. */
export function oneErrorLine(result: CliResult): string {
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  if (lines.length !== 1) throw new Error(`expected one stderr line, got ${lines.length}:\n${result.stderr}`);
  if (!lines[0]!.startsWith('aurora-ts: ')) throw new Error(`expected "aurora-ts: ..." on stderr, got: ${lines[0]}`);
  if (/\n\s+at /.test(result.stderr)) throw new Error(`stack trace on stderr:\n${result.stderr}`);
  return lines[0]!;
}

/** The local scheduler a test file shares, the environment that points the CLI at it, and the CLI run there. */
export interface LocalCli {
  readonly scheduler: RunningScheduler;
  readonly env: NodeJS.ProcessEnv;
  cli(...args: string[]): Promise<CliResult>;
}

/**
 * Starts a {@link localScheduler} with `options()` before this file's tests and closes it after them;
 * `ready` runs once it serves (to create the jobs every test expects).
 */
export function useLocalScheduler(options: () => SchedulerOptions = () => ({}), ready?: (local: LocalCli) => Promise<void>): LocalCli {
  let scheduler: RunningScheduler | undefined;
  let env: NodeJS.ProcessEnv | undefined;
  const local: LocalCli = {
    get scheduler() {
      if (!scheduler) throw new Error('the local scheduler is not started yet (use it inside a test or hook)');
      return scheduler;
    },
    get env() {
      if (!env) throw new Error('the local scheduler is not started yet (use it inside a test or hook)');
      return env;
    },
    cli: (...args) => runCli(args, { env: local.env }),
  };
  beforeAll(async () => {
    scheduler = await localScheduler(options());
    env = cleanEnv({ AURORA_SCHEDULER_URL: scheduler.url });
    await ready?.(local);
  });
  afterAll(async () => {
    await scheduler?.close();
  });
  return local;
}

/** A job `update` tests roll out: its key, written by {@link svcUpdateFixture}. */
export const SVC_KEY = 'local/www-data/prod/svc';

/** One page of `update list --json`. */
export interface ListedUpdates {
  updates: { job: string; id: string; status: string; user: string }[];
}

/**
 * The update tests' scheduler: executors `sleeper` (sleeps) and `failer` (exits 1), and the svc job
 * created and RUNNING before the tests. `svc(version)` writes into `dir` a svc job file: 4 sleeping instances,
 * updated two at a time, each watched for 1 s.
 */
export function svcUpdateFixture(): LocalCli & { dir: string; svc(version: string, changes?: Record<string, unknown>, update?: Record<string, unknown>): string } {
  const dir = tempDir();
  const svc = (version: string, changes: Record<string, unknown> = {}, update: Record<string, unknown> = {}): string =>
    jobFile(dir, `svc-${version}`, {
      name: 'svc',
      instances: 4,
      executor: { name: 'sleeper', data: version },
      update: { strategy: 'batch', batchSize: 2, watchSecs: 1, ...update },
      ...changes,
    });
  const local = useLocalScheduler(
    () => ({ executors: executorsFile(dir, { sleeper: 'exec sleep 60', failer: 'exit 1' }) }),
    async ({ cli }) => {
      const created = await cli('job', 'create', svc('v1'), '--wait-until', 'RUNNING');
      if (created.code !== 0) throw new Error(`could not create svc: ${created.stderr}`);
    },
  );
  return {
    get scheduler() {
      return local.scheduler;
    },
    get env() {
      return local.env;
    },
    cli: local.cli,
    dir,
    svc,
  };
}

export async function localScheduler(extra: SchedulerOptions = {}): Promise<RunningScheduler> {
  return startScheduler({
    port: 0,
    executors: EXECUTORS,
    cpus: 8,
    ramMb: 8192,
    killGraceMs: 300,
    throttle: { minRunningMs: 1000, initialBackoffMs: 200, maxBackoffMs: 500 },
    ...extra,
  });
}

/** An executor file in `dir` with one shell-command executor per entry, e.g. `{ sleeper: 'exec sleep 60' }`. */
export function executorsFile(dir: string, commands: Record<string, string>): string {
  const file = join(dir, 'executors.json');
  const entries = Object.entries(commands).map(([name, value]) => ({
    executor: {
      name,
      command: { value, shell: true },
      resources: [
        { name: 'cpus', type: 'SCALAR', scalar: { value: 0.01 } },
        { name: 'mem', type: 'SCALAR', scalar: { value: 16 } },
      ],
    },
    task_prefix: `${name}-`,
  }));
  writeFileSync(file, JSON.stringify(entries, null, 2));
  return file;
}

/** Runs the CLI on a pseudo-terminal (`script`); returns everything the terminal received. `input` is typed once `waitFor` shows up. */
export function onTerminal(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { input?: string[]; waitFor?: RegExp } = {},
): Promise<{ code: number | null; output: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  return new Promise((done) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const pending = [...(options.input ?? [])];
    let seen = 0;
    const onOutput = (d: Buffer) => {
      output += d.toString();
      // Type the next answer each time a new prompt appears.
      const prompts = options.waitFor ? (output.match(new RegExp(options.waitFor.source, 'g')) ?? []).length : 0;
      while (pending.length > 0 && prompts > seen) {
        seen++;
        child.stdin.write(pending.shift()!);
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

/** Writes a job file into `dir` from the hello fixture with changes. */
export function jobFile(dir: string, name: string, changes: Record<string, unknown> = {}): string {
  const base = JSON.parse(readFileSync(join(FIXTURES, 'hello.json'), 'utf8')) as Record<string, unknown>;
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ ...base, name, ...changes }, null, 2));
  return file;
}

// eslint-disable-next-line no-control-regex
export const CONTROL = /\u001b\[|\r/;

/**
 * A scheduler that runs its tasks as `nobody` (its --task-user, which needs root) with one running
 * service `local/www-data/prod/nap`, for `use`; without root, checks that such a scheduler is refused.
 */
export async function withNobodyTask(dir: string, use: (env: NodeJS.ProcessEnv, scheduler: RunningScheduler) => Promise<void>): Promise<void> {
  if (process.getuid?.() !== 0) {
    await expect(localScheduler({ taskUser: 'nobody' })).rejects.toThrow(/needs the scheduler to run as root/);
    return;
  }
  const scheduler = await localScheduler({ executors: executorsFile(tempDir(), { nap: 'exec sleep 60' }), taskUser: 'nobody' });
  try {
    const env = cleanEnv({ AURORA_SCHEDULER_URL: scheduler.url });
    const file = join(dir, 'nap.json');
    writeFileSync(file, JSON.stringify({ role: 'www-data', environment: 'prod', name: 'nap', instances: 1, service: true, executor: { name: 'nap' }, resources: { cpus: 0.1, ramMb: 32, diskMb: 32 } }));
    expect((await runCli(['job', 'create', file, '--wait-until', 'RUNNING'], { env })).code).toBe(0);
    await use(env, scheduler);
  } finally {
    await scheduler.close();
  }
}
