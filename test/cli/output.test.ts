/**
 * What the CLI prints, as an operator in an 80-column terminal sees it: help within 80 columns, help
 * examples that name real files, parse and run; tables within 80 columns unless --wide; a failed wait
 * ending with one `aurora-ts:` line; the exit-code rules for "nothing to act on" and `diff --exit-code`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMANDS, type VerbSpec } from '../../src/cli/commands.js';
import { compareText, IO } from '../../src/cli/io.js';
import { buildProgram } from '../../src/cli/main.js';
import { inputConfig } from '../../src/cli/wizard/inquirer.js';
import { loadUsersFile } from '../../src/scheduler/auth/users-file.js';
import { EXAMPLE_EXECUTORS, ROOT, executorsFile, json, jobFile, oneErrorLine, runCli, tempDir, useLocalScheduler } from './helpers.js';

const dir = tempDir();

/** Runs the program in-process on `args`; returns what it printed and which verb it would run. */
async function parse(args: readonly string[]): Promise<{ out: string; verb?: string; error?: string }> {
  let out = '';
  let err = '';
  const stream = { write: (t: string | Uint8Array) => ((out += String(t)), true) };
  const errStream = { write: (t: string | Uint8Array) => ((err += String(t)), true) };
  let verb: string | undefined;
  const program = buildProgram(new IO({ stdout: stream, stderr: errStream }), async (spec: VerbSpec, noun: string) => {
    verb = `${noun} ${spec.name}`;
    return 0;
  });
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError) || e.code !== 'commander.helpDisplayed') return { out, error: err || String(e) };
  }
  return { out, ...(verb ? { verb } : {}) };
}

const EVERY_COMMAND: string[][] = [[], ...COMMANDS.flatMap((n) => [[n.name], ...n.verbs.map((v) => [n.name, v.name])])];

/** Each verb's examples as argument lists, as a shell splits them (a `printf ... |` pipe keeps its aurora-ts part). */
const EXAMPLES = COMMANDS.flatMap((n) =>
  n.verbs.flatMap((v) =>
    (v.examples ?? []).map((text) => {
      const command = text.slice(text.lastIndexOf('aurora-ts ') + 'aurora-ts '.length);
      return { noun: n.name, verb: v.name, text, args: command.split(/\s+/).map((w) => w.replace(/^'(.*)'$/, '$1')) };
    }),
  ),
);

describe('help', () => {
  it('every command\'s --help fits 80 columns', async () => {
    const wide: string[] = [];
    for (const command of EVERY_COMMAND) {
      const { out } = await parse([...command, '--help']);
      expect(out).toMatch(/^Usage: aurora-ts/);
      for (const line of out.split('\n')) if (line.length > 80) wide.push(`${command.join(' ') || 'aurora-ts'}: ${line}`);
    }
    expect(wide).toEqual([]);
  });

  it('every example parses as the command it illustrates and names files that exist', async () => {
    expect(EXAMPLES.length).toBeGreaterThan(50);
    for (const example of EXAMPLES) {
      const parsed = await parse(example.args);
      expect({ example: example.text, error: parsed.error, verb: parsed.verb }).toEqual({ example: example.text, error: undefined, verb: `${example.noun} ${example.verb}` });
      example.args.forEach((arg, i) => {
        const output = example.args[i - 1] === '--output' || example.args[i - 1] === '-o';
        if (/\.(json|js|mjs|ts|ini)$/.test(arg) && !output) expect(existsSync(join(ROOT, arg)), `${example.text}: ${arg}`).toBe(true);
      });
    }
    // The users file of `scheduler start --basic-auth-file examples/users.ini` is one the scheduler accepts.
    expect([...(await loadUsersFile(join(ROOT, 'examples/users.ini'))).users.keys()]).toEqual(['deployer', 'admin']);
  });
});

describe('help examples against a local scheduler', () => {
  const local = useLocalScheduler(() => ({ executors: EXAMPLE_EXECUTORS }));
  const run = async (noun: string, verb: string, skip: (args: string[]) => boolean = () => false) => {
    const examples = EXAMPLES.filter((e) => e.noun === noun && e.verb === verb && !skip(e.args));
    expect(examples.length, `${noun} ${verb}`).toBeGreaterThan(0);
    for (const example of examples) {
      const result = await runCli(example.args, { env: local.env, timeoutMs: 30_000 });
      expect({ example: example.text, code: result.code, stderr: result.stderr.split('\n').filter((l) => l.startsWith('aurora-ts:')) }).toEqual({
        example: example.text,
        code: 0,
        stderr: [],
      });
    }
  };
  // Examples that repeat a create (already exists) or follow a log for ever are left out.
  const again = (args: string[]) => args.includes('local/www-data/devel/hello') || args.includes('--json');

  it('job create, then every read-only example', { timeout: 60_000 }, async () => {
    await run('job', 'create', again);
    await run('cron', 'schedule');
    for (const [noun, verb] of [
      ['job', 'status'],
      ['job', 'list'],
      ['job', 'inspect'],
      ['job', 'diff'],
      ['task', 'list'],
      ['task', 'pending'],
      ['cron', 'show'],
      ['quota', 'get'],
      ['sla', 'uptime'],
      ['sla', 'up-count'],
      ['update', 'list'],
      ['executors', 'validate'],
      ['executors', 'list'],
      ['clusters', 'list'],
    ] as const) {
      await run(noun, verb);
    }
    await run('task', 'logs', (args) => args.includes('--follow'));
    await run('task', 'run');
    await run('task', 'scp');
    // Without --command `task ssh` opens an interactive shell: not for a test without a terminal.
    await run('task', 'ssh', (args) => !args.includes('--command'));
  });

  it('update, restart, cron start and deschedule, kill and killall examples', { timeout: 60_000 }, async () => {
    await run('update', 'start', (args) => !args.includes('--wait'));
    await run('update', 'info');
    await run('job', 'restart');
    await run('cron', 'start');
    await run('cron', 'deschedule');
    await run('job', 'kill');
    await run('job', 'killall');
  });
});

describe('table order', () => {
  it('rows sort by job key or port name as localeCompare sorts Aurora identifiers', () => {
    const identifier = fc.stringMatching(/^[a-zA-Z0-9.-]{0,6}$/);
    fc.assert(
      fc.property(identifier, identifier, (a, b) => {
        expect(Math.sign(compareText(a, b))).toBe(Math.sign(a.localeCompare(b)));
      }),
      { numRuns: 5000 },
    );
    const keys = ['local/www-data/prod/web-2', 'local/www-data/prod/Web', 'local/www-data/prod/web.1', 'local/www-data/prod/web', 'local/www-data/devel/web10'];
    expect([...keys].sort(compareText)).toEqual([...keys].sort((a, b) => a.localeCompare(b)));
  });
});

describe('tables fit 80 columns', () => {
  const local = useLocalScheduler(() => ({ executors: executorsFile(dir, { sleeper: 'exec sleep 60', three: 'echo starting; exit 3' }) }));

  it('job status, task list, job list and update list; --wide shows full ids', { timeout: 40_000 }, async () => {
    const key = 'local/www-data/prod/a-rather-long-service-name';
    const file = jobFile(dir, 'a-rather-long-service-name', { instances: 2, executor: { name: 'sleeper' }, ports: ['http', 'admin', 'metrics', 'debug'] });
    expect((await runCli(['job', 'create', file, '--wait-until', 'RUNNING'], { env: local.env })).code).toBe(0);
    const updated = jobFile(dir, 'a-rather-long-service-name', { instances: 2, executor: { name: 'sleeper', data: 'v2' }, ports: ['http', 'admin', 'metrics', 'debug'], update: { watchSecs: 0 } });
    expect((await runCli(['update', 'start', updated], { env: local.env })).code).toBe(0);
    for (const args of [['job', 'status', key], ['task', 'list', key], ['job', 'list', 'local'], ['update', 'list', 'local']]) {
      const narrow = await runCli(args, { env: local.env });
      expect(narrow.code).toBe(0);
      const lines = narrow.stdout.trimEnd().split('\n');
      expect(lines.length).toBeGreaterThan(1);
      expect(lines.filter((l) => l.length > 80), args.join(' ')).toEqual([]);
    }
    const wide = await runCli(['--wide', 'task', 'list', key], { env: local.env });
    expect(wide.stdout).toMatch(/www-data-prod-a-rather-long-service-name-0-[0-9a-f-]{36}/);
    expect(Math.max(...wide.stdout.split('\n').map((l) => l.length))).toBeGreaterThan(80);
  });

  it('a failed wait ends with one aurora-ts: line saying what failed', async () => {
    const file = jobFile(dir, 'exits-three', { instances: 1, service: false, executor: { name: 'three' } });
    const result = await runCli(['job', 'create', file, '--wait-until', 'FINISHED'], { env: local.env });
    expect(result.code).toBe(1);
    const last = result.stderr.trimEnd().split('\n').pop();
    expect(last).toBe('aurora-ts: local/www-data/prod/exits-three did not reach FINISHED: instance 0 FAILED: Command exited with status 3');
  });

  it('--wait-until FINISHED is refused for a service: exit 2, one line, nothing created', async () => {
    const file = jobFile(dir, 'never-finishes', { instances: 1, executor: { name: 'sleeper' } });
    const result = await runCli(['job', 'create', file, '--wait-until', 'FINISHED'], { env: local.env });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(`aurora-ts: --wait-until FINISHED: ${file} is a service, whose tasks never finish (use --wait-until RUNNING)`);
    expect(json<{ jobs: { job: string }[] }>(await runCli(['--json', 'job', 'list', 'local'], { env: local.env })).jobs.map((j) => j.job)).not.toContain('local/www-data/prod/never-finishes');
  });

  it('job diff --exit-code exits 1 with differences and 0 without, as git diff does', async () => {
    const file = jobFile(dir, 'differ', { instances: 1, executor: { name: 'sleeper' } });
    expect((await runCli(['job', 'diff', file, '--exit-code'], { env: local.env })).code).toBe(1);
    expect((await runCli(['job', 'create', file, '--wait-until', 'RUNNING'], { env: local.env })).code).toBe(0);
    const same = await runCli(['job', 'diff', file, '--exit-code'], { env: local.env });
    expect(same).toMatchObject({ code: 0, stdout: expect.stringContaining('No differences') });
    const changed = jobFile(dir, 'differ', { instances: 2, executor: { name: 'sleeper' } });
    const differs = await runCli(['job', 'diff', changed, '--exit-code'], { env: local.env });
    expect(differs).toMatchObject({ code: 1, stdout: expect.stringContaining('instance 1 would be added'), stderr: '' });
    // Without the flag a diff is a success, whatever it shows.
    expect((await runCli(['job', 'diff', changed], { env: local.env })).code).toBe(0);
  });

  it('nothing to act on: deschedule and kill succeed with a line, cron start and show exit 1', async () => {
    const key = 'local/www-data/prod/differ';
    expect(await runCli(['cron', 'deschedule', key], { env: local.env })).toMatchObject({ code: 0, stdout: `${key} is not a cron job: nothing to deschedule.\n` });
    for (const verb of ['start', 'show']) {
      const result = await runCli(['cron', verb, key], { env: local.env });
      expect(result.code).toBe(1);
      expect(oneErrorLine(result)).toBe(`aurora-ts: ${key} is not a cron job on this scheduler`);
    }
    expect(await runCli(['job', 'killall', 'local/www-data/prod/nothing-here'], { env: local.env })).toMatchObject({ code: 0, stdout: 'Nothing to kill in local/www-data/prod/nothing-here.\n' });
  });
});

describe('the wizard shows a rejected answer\'s reason once', () => {
  it('the live hint is left out for the value Enter just rejected, and comes back when it changes', () => {
    const reason = 'role: must be a valid identifier';
    const config = inputConfig({ message: 'Role', validate: (v) => (v.includes('!') ? reason : true), describe: (v) => (v.includes('!') ? `✗ ${reason}` : undefined) });
    expect(config.transformer!('bad!', { isFinal: false })).toBe(`bad!  ✗ ${reason}`);
    // Enter: inquirer shows the reason under the prompt; the value line must not repeat it.
    expect(config.validate!('bad!')).toBe(reason);
    expect(config.transformer!('bad!', { isFinal: false })).toBe('bad!');
    expect(config.transformer!('bad!x', { isFinal: false })).toBe(`bad!x  ✗ ${reason}`);
    expect(config.validate!('good')).toBe(true);
    expect(config.transformer!('good', { isFinal: true })).toBe('good');
  });
});

