/**
 * The CLI driven in-process, through `main()` with fake streams as test/cli/helpers.ts `runCli` does
 * for most CLI tests, leaves the process as it found it: no signal or exit listeners added, no
 * `process.exitCode`, no warning (e.g. MaxListenersExceededWarning), and reads and writes only through
 * what it is given: relative paths start at its `cwd`, a task shell's output goes to its stdout.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { jobFile, oneErrorLine, runCli, tempDir, useLocalScheduler } from './helpers.js';

const local = useLocalScheduler();
const dir = tempDir();
const KEY = 'local/www-data/prod/repeat';
const EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit', 'beforeExit', 'uncaughtException', 'unhandledRejection', 'warning'];

function listenerCounts(): Record<string, number> {
  return Object.fromEntries(EVENTS.map((e) => [e, process.listenerCount(e)]));
}

describe('main() in-process', () => {
  it('runs many commands without adding process listeners, setting exitCode or warning', async () => {
    const before = listenerCounts();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      expect((await local.cli('job', 'create', jobFile(dir, 'repeat', { instances: 1 }), '--wait-until', 'RUNNING')).code).toBe(0);
      // More runs than EventEmitter's default limit of 10 listeners, so a listener added per run would warn.
      for (let i = 0; i < 12; i++) expect((await local.cli('job', 'status', KEY)).code).toBe(0);
      const shell = await local.cli('task', 'ssh', `${KEY}/0`, '--command', 'echo "in $AURORA_TASK_ID"; exit 3');
      expect(shell.code).toBe(3);
      expect(shell.stdout).toMatch(/^in \S+\n$/);
      expect((await local.cli('job', 'killall', KEY, '--wait')).code).toBe(0);
      const bad = await local.cli('job', 'status', 'local/www-data');
      expect(bad.code).toBe(2);
      oneErrorLine(bad);
      // Warnings are emitted on the next tick.
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
    expect(listenerCounts()).toEqual(before);
    expect(process.exitCode).toBeUndefined();
  });

  it("takes relative paths from the cwd it is given, not the process's", async () => {
    const work = tempDir();
    jobFile(work, 'relative', { instances: 1 });
    const here = await runCli(['--json', 'job', 'inspect', 'relative.json'], { env: local.env, cwd: work });
    expect(here.code).toBe(0);
    expect(JSON.parse(here.stdout)).toMatchObject({ key: { role: 'www-data', environment: 'prod', name: 'relative' } });

    const elsewhere = await runCli(['job', 'inspect', 'relative.json'], { env: local.env, cwd: join(work, '..') });
    expect(elsewhere.code).toBe(2);
    // The message names the file as typed.
    expect(oneErrorLine(elsewhere)).toMatch(/^aurora-ts: relative\.json: cannot read job file/);
  });

  it("fits help to the width of the stdout it is given, not the process's", async () => {
    let help = '';
    const narrow = Object.assign(
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          help += chunk.toString();
          done();
        },
      }),
      { isTTY: true, columns: 60 },
    );
    expect(await main(['job', 'create', '--help'], { env: local.env, stdout: narrow, stderr: narrow })).toBe(0);
    expect(help).toContain('Usage: aurora-ts job create');
    // Options and descriptions wrap to it; examples are shell lines kept whole up to 80 columns.
    const [body] = help.split('\nExamples:\n');
    expect(body!.split('\n').filter((line) => line.length > 60)).toEqual([]);
    expect(body!.split('\n').some((line) => line.length > 50)).toBe(true);
  });
});

