/**
 * On a terminal (a pseudo-terminal from `script`), long waits show an ora spinner and tables are
 * coloured; NO_COLOR turns colour off; piped output never carries control codes.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningScheduler } from '../../src/scheduler/index.js';
import { BIN, cleanEnv, CONTROL, jobFile, localScheduler, ROOT, runCli, tempDir } from './helpers.js';

let scheduler: RunningScheduler;
const dir = tempDir();

beforeAll(async () => {
  scheduler = await localScheduler();
});
afterAll(async () => {
  await scheduler?.close();
});

/** Runs the CLI on a pseudo-terminal; returns everything the terminal received. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  return new Promise((done) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

describe('terminal output', () => {
  it('shows a spinner with live progress while waiting, and colours the table', async () => {
    const env = cleanEnv({ AURORA_SCHEDULER_URL: scheduler.url, TERM: 'xterm-256color' });
    const created = await onTerminal(['job', 'create', jobFile(dir, 'tty'), '--wait-until', 'RUNNING'], env);
    expect(created.code).toBe(0);
    expect(created.output).toContain('\u001b[?25l'); // the spinner hides the cursor while it spins
    expect(created.output).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/); // a spinner frame
    expect(created.output).toMatch(/✔.*local\/www-data\/prod\/tty: RUNNING 2\/2/);

    const status = await onTerminal(['job', 'status', 'local/www-data/prod/tty'], env);
    expect(status.code).toBe(0);
    expect(status.output).toContain('\u001b[1mINSTANCE'); // bold header
    expect(status.output).toContain('\u001b[32mRUNNING\u001b[39m');

    const plain = await onTerminal(['job', 'status', 'local/www-data/prod/tty'], { ...env, NO_COLOR: '1' });
    expect(plain.output).not.toMatch(/\u001b\[\d+m/);
  });

  it('piped output has no control codes, for the same commands', async () => {
    const env = cleanEnv({ AURORA_SCHEDULER_URL: scheduler.url, TERM: 'xterm-256color' });
    const created = await runCli(['job', 'create', jobFile(dir, 'piped'), '--wait-until', 'RUNNING'], { env });
    expect(created.code).toBe(0);
    expect(created.stdout + created.stderr).not.toMatch(CONTROL);
    const status = await runCli(['job', 'status', 'local/www-data/prod/piped'], { env });
    expect(status.stdout).not.toMatch(CONTROL);
  });
});
