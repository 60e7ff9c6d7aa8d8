/**
 * Hostile files and arguments: job files, executor configs, clusters.json, job keys and cron
 * expressions fuzzed with fast-check (FUZZ_RUNS cases per property; 300 in CI). Every case is accepted
 * or rejected with one clear line, never a stack trace or an unexpected error type. Then a sample of
 * fuzzed job files and flags through the real `aurora-ts` binary against a recording server: a
 * rejected input exits 2 with one stderr line and sends no request.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.js';
import { parseInstances, parseJobKey, type InstancesRule } from '../../src/cli/jobkey.js';
import { parseClustersFile } from '../../src/discovery/clusters.js';
import { AuroraError, AuroraValidationError } from '../../src/errors.js';
import { parseExecutorConfig } from '../../src/executors/index.js';
import { nextCronRun, validateCron } from '../../src/job/cron.js';
import { loadJobFile } from '../../src/job/loader.js';
import { listen } from '../../src/scheduler/api-server.js';
import { jobFileArb } from '../job/arbitraries.js';
import { FUZZ_RUNS, ROOT, envInt, report, tempDir } from './helpers.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One line, no stack frames, a sane length. */
function expectOneLine(message: string, input = ''): void {
  expect(message).not.toMatch(/[\r\n]/);
  expect(message).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
  expect(message.length).toBeGreaterThan(0);
  // Messages may quote the input (a job key names itself and the bad part), but nothing more.
  expect(message.length).toBeLessThan(600 + 3 * input.length);
}

/** A JSON edit: somewhere in the tree, delete, replace with junk, or rename a key. */
const edit = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('delete', 'replace', 'rename', 'wrap'),
  value: fc.oneof(
    fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
    fc.constantFrom<Json>(-1, 0, 1e308, -0.5, 2 ** 53, '', ' ', '../../etc/passwd', '$(reboot)', '\u0000', '__proto__', 'x'.repeat(5000), [], {}),
  ),
  name: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString')),
});
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

function slots(node: Json, out: { parent: Json[] | { [key: string]: Json }; key: string | number }[] = []) {
  if (Array.isArray(node)) node.forEach((child, i) => (out.push({ parent: node, key: i }), slots(child, out)));
  else if (node !== null && typeof node === 'object') for (const [k, child] of Object.entries(node)) out.push({ parent: node, key: k }), slots(child, out);
  return out;
}

function applyEdit(doc: Json, e: Edit): void {
  const all = slots(doc);
  if (all.length === 0) return;
  const { parent, key } = all[e.at % all.length]!;
  const target = parent as Record<string | number, Json>;
  if (e.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete target[key];
  } else if (e.op === 'replace') target[key] = e.value;
  else if (e.op === 'wrap') target[key] = [target[key]!];
  else if (!Array.isArray(parent)) {
    const value = target[key]!;
    delete target[key];
    Object.defineProperty(target, e.name, { value, enumerable: true, configurable: true, writable: true });
  }
}

/** Text damage: cut it short, or splice in a character. */
const textEdit = fc.record({ op: fc.constantFrom('none', 'truncate', 'insert'), at: fc.nat(), char: fc.constantFrom('{', '}', '"', ',', ':', '\\', '\u0000', '\ufeff', ']', 'x') });
function damage(text: string, e: { op: string; at: number; char: string }): string {
  const at = e.at % (text.length + 1);
  if (e.op === 'truncate') return text.slice(0, at);
  if (e.op === 'insert') return text.slice(0, at) + e.char + text.slice(at);
  return text;
}

const counts: Record<string, { accepted: number; rejected: number }> = {};
function tally(what: string, accepted: boolean): void {
  counts[what] ??= { accepted: 0, rejected: 0 };
  counts[what][accepted ? 'accepted' : 'rejected'] += 1;
}
afterAll(() => report('fuzzed inputs', { runsPerProperty: FUZZ_RUNS, ...counts }));

describe('job files', () => {
  it('edited and damaged job files load or fail with one line naming the file and field', async () => {
    const dir = tempDir();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(jobFileArb, fc.array(edit, { maxLength: 3 }), textEdit, async (file, edits, text) => {
        const doc = structuredClone(file) as Json;
        for (const e of edits) applyEdit(doc, e);
        const path = join(dir, `job-${n++}.json`);
        writeFileSync(path, damage(JSON.stringify(doc, null, 1), text));
        try {
          const loaded = await loadJobFile(path);
          expect(loaded.config.key?.name).toBeTypeOf('string');
          tally('job files', true);
        } catch (error) {
          expect(error).toBeInstanceOf(AuroraValidationError);
          expectOneLine((error as Error).message);
          tally('job files', false);
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

describe('executor configs', () => {
  const base = [
    {
      executor: {
        name: 'hello',
        command: { value: './hello', shell: false, arguments: ['hello', '--port', '{{port}}'], uris: [{ value: 'http://x/hello.tgz', extract: true, output_file: 'h' }] },
        resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }],
      },
      volume_mounts: [{ host_path: '/tmp', container_path: '/t', mode: 'RO' }],
      task_prefix: 'hello-',
    },
  ];
  it('arbitrary JSON documents, edits of a valid file and damaged text: a catalog or one line', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 4 })), fc.array(edit, { maxLength: 3 }), textEdit, (random, edits, text) => {
        const doc = (random === null ? structuredClone(base) : random) as Json;
        for (const e of edits) applyEdit(doc, e);
        try {
          parseExecutorConfig(damage(JSON.stringify(doc), text), 'executors.json');
          tally('executor configs', true);
        } catch (error) {
          expect(error).toBeInstanceOf(AuroraValidationError);
          expectOneLine((error as Error).message);
          tally('executor configs', false);
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

describe('clusters.json', () => {
  const base = [
    { name: 'devcluster', zk: '192.168.33.7', scheduler_zk_path: '/aurora/scheduler', auth_mechanism: 'UNAUTHENTICATED', slave_run_directory: 'latest', slave_root: '/var/lib/mesos' },
    { name: 'direct', scheduler_uri: 'http://127.0.0.1:8081', zk_port: 2181 },
  ];
  it('arbitrary and edited documents: clusters or one line naming the file', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 4 })), fc.array(edit, { maxLength: 3 }), textEdit, (random, edits, text) => {
        const doc = (random === null ? structuredClone(base) : random) as Json;
        for (const e of edits) applyEdit(doc, e);
        try {
          const clusters = parseClustersFile(damage(JSON.stringify(doc), text), '/etc/aurora/clusters.json');
          for (const c of clusters) expect(c.name).toBeTypeOf('string');
          tally('clusters.json', true);
        } catch (error) {
          expect(error).toBeInstanceOf(AuroraError);
          expect((error as Error).message.startsWith('/etc/aurora/clusters.json')).toBe(true);
          expectOneLine((error as Error).message);
          tally('clusters.json', false);
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

const part = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/),
  fc.string({ maxLength: 6 }),
  fc.constantFrom('', '..', '*', 'a b', 'ä', 'x'.repeat(300), '$(id)', '0-2', '-1', '1-0', '0,1-3,5', '2147483648', '0-99999'),
);

const identifier = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/);
const instancesText = fc.oneof(fc.constantFrom('0', '0-2', '0,1-3,5', '3-1', '', '0-10001', '2147483648', ' 1 , 2 ', 'a'), fc.string({ maxLength: 6 }));
const jobKeyText = fc.oneof(
  fc.tuple(fc.array(identifier, { minLength: 4, maxLength: 4 }), fc.option(instancesText)).map(([p, i]) => (i === null ? p : [...p, i]).join('/')),
  fc.array(part, { minLength: 1, maxLength: 6 }).map((p) => p.join('/')),
  fc.string({ maxLength: 40 }),
);

describe('job keys', () => {
  it('assembled and random keys parse to valid identifiers or fail with one line', () => {
    fc.assert(
      fc.property(
        jobKeyText,
        fc.constantFrom<InstancesRule>('forbidden', 'optional', 'required'),
        (text, rule) => {
          try {
            const key = parseJobKey(text, rule);
            for (const p of [key.cluster, key.role, key.environment, key.name]) expect(p).toMatch(/^[\w\-.]{1,255}$/);
            if (key.instances) expect(key.instances.every((i) => Number.isSafeInteger(i) && i >= 0)).toBe(true);
            tally('job keys', true);
          } catch (error) {
            expect(error).toBeInstanceOf(UsageError);
            expectOneLine((error as Error).message, text);
            tally('job keys', false);
          }
        },
      ),
      { numRuns: FUZZ_RUNS * 3 },
    );
  });

  it('instance lists never expand to more than they allow', () => {
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }).map((p) => p.join(',')), (text) => {
        try {
          expect(parseInstances(text).length).toBeLessThanOrEqual(4 * 10_001);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
          expectOneLine((error as Error).message);
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

describe('cron expressions', () => {
  const field = fc.oneof(
    { arbitrary: fc.constantFrom('*', '*/10', '1', '0-3', '2,4'), weight: 4 },
    fc.constantFrom('*', '*/5', '0', '59', '60', '1-5', '5-1', 'MON-FRI', 'SUN', 'JAN', '7', 'L', '?', '#', '1,2,3', '*/0', '-1', '0-', ',', 'xyz'),
    fc.string({ maxLength: 4 }),
  );
  it('validateCron answers undefined or one line, and a valid schedule has a next run (or one line why not)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          { arbitrary: fc.array(field, { minLength: 5, maxLength: 5 }).map((f) => f.join(' ')), weight: 3 },
          { arbitrary: fc.array(field, { minLength: 1, maxLength: 7 }).map((f) => f.join(' ')), weight: 1 },
          { arbitrary: fc.string({ maxLength: 30 }), weight: 1 },
          { arbitrary: fc.constantFrom('@daily', '@reboot', '', '  ', '0 0 30 2 *', '*/15 * * * MON-FRI'), weight: 1 },
        ),
        (expr) => {
          const problem = validateCron(expr);
          if (problem !== undefined) {
            expectOneLine(problem);
            tally('cron expressions', false);
            return;
          }
          tally('cron expressions', true);
          try {
            const next = nextCronRun(expr, new Date('2024-02-28T23:59:00Z'));
            expect(next.getTime()).toBeGreaterThan(Date.parse('2024-02-28T23:59:00Z'));
          } catch (error) {
            // e.g. `0 0 30 2 *`: accepted by Aurora, but never fires.
            expect(error).toBeInstanceOf(AuroraValidationError);
            expectOneLine((error as Error).message);
          }
        },
      ),
      { numRuns: FUZZ_RUNS * 3 },
    );
  });
});

// The real binary on a sample: rejected input exits 2 with one line and sends nothing.
describe('the aurora-ts binary on fuzzed job files and flags', () => {
  const BIN = join(ROOT, 'bin/aurora-ts.js');
  const CLI_CASES = envInt('FUZZ_CLI_RUNS', 16);
  let recorder: Server;
  let url: string;
  const requests: string[] = [];

  beforeAll(async () => {
    recorder = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      req.resume();
      res.writeHead(503).end('recording server');
    });
    url = await listen(recorder, '127.0.0.1', 0);
  });
  afterAll(async () => {
    recorder.closeAllConnections();
    await new Promise((r) => recorder.close(r));
  });

  /** Runs the binary against the recorder at a path of its own (`/case-N`), so that concurrent cases' requests are told apart. */
  function run(args: string[], path: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const home = tempDir('aurora-ts-rel-home-');
    const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: home, XDG_STATE_HOME: join(home, 'state'), AURORA_CONFIG_ROOT: join(home, 'etc'), NO_COLOR: '1' };
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, '--scheduler-url', `${url}${path}`, '--timeout', '2', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Exit 2 means: one `aurora-ts: ` line and no request; anything else must have been a real attempt. */
  let cases = 0;
  async function expectCleanRejection(args: string[], label: string): Promise<boolean> {
    const path = `/case-${cases++}`;
    const sent = () => requests.filter((r) => r === `POST ${path}`).length;
    const result = await run(args, path);
    if (result.code === 2) {
      const lines = result.stderr.split('\n').filter((l) => l !== '');
      expect(lines, `${label}: ${result.stderr}`).toHaveLength(1);
      expect(lines[0]!.startsWith('aurora-ts: '), label).toBe(true);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(sent(), `${label} sent a request`).toBe(0);
      return true;
    }
    // Accepted: it reached the recording server, which answers 503, so the CLI says unreachable (5).
    expect(result.code, `${label}: ${result.stderr}`).toBe(5);
    expect(sent(), `${label} reached no scheduler`).toBeGreaterThan(0);
    return false;
  }

  it('fuzzed job files for `job create`: exit 2, one line, no request, unless the file is valid', async () => {
    const dir = tempDir();
    const samples = fc.sample(fc.tuple(jobFileArb, fc.array(edit, { minLength: 1, maxLength: 2 }), textEdit), { numRuns: CLI_CASES, seed: Number(process.env['FUZZ_SEED'] ?? 42) });
    let rejected = 0;
    await Promise.all(
      samples.map(async ([file, edits, text], i) => {
        const doc = structuredClone(file) as Json;
        for (const e of edits) applyEdit(doc, e);
        const path = join(dir, `job-${i}.json`);
        writeFileSync(path, damage(JSON.stringify(doc, null, 1), text));
        if (await expectCleanRejection(['job', 'create', path], path)) rejected++;
      }),
    );
    report('CLI fuzzed job files', { cases: samples.length, rejected });
    expect(rejected).toBeGreaterThan(0);
  });

  it('fuzzed flags and job keys: exit 2, one line, no request, unless accepted', async () => {
    const numberish = fc.constantFrom('0', '-1', 'NaN', 'Infinity', '1e400', '', ' ', '1x', '0x10', '3');
    const argv = fc.oneof(
      jobKeyText.map((key) => ['job', 'status', key]),
      fc.tuple(fc.array(part, { minLength: 1, maxLength: 6 }).map((p) => p.join('/')), fc.string({ maxLength: 10 })).map(([key, msg]) => ['job', 'kill', key, '--message', msg]),
      numberish.map((n) => ['--timeout', n, 'job', 'status', 'local/www-data/devel/hello']),
      numberish.map((n) => ['update', 'wait', 'local/www-data/devel/hello', '--wait-timeout', n]),
      fc.string({ maxLength: 12 }).map((s) => ['--protocol', s, 'job', 'status', 'local/www-data/devel/hello']),
      fc.string({ maxLength: 12 }).map((s) => ['job', 'create', `${ROOT}/test/fixtures/cli/hello.json`, '--wait-until', s]),
      fc.string({ minLength: 1, maxLength: 12 }).map((s) => ['job', `--${s.replace(/\s/g, '')}`, 'x']),
      fc.tuple(fc.array(part, { minLength: 1, maxLength: 3 }).map((p) => p.join('/')), numberish).map(([role, n]) => ['quota', 'set', role, '--cpus', n]),
    );
    const samples = fc.sample(argv, { numRuns: CLI_CASES * 2, seed: Number(process.env['FUZZ_SEED'] ?? 7) });
    let rejected = 0;
    await Promise.all(
      samples.map(async (args) => {
        if (await expectCleanRejection(args, JSON.stringify(args))) rejected++;
      }),
    );
    report('CLI fuzzed flags', { cases: samples.length, rejected });
    expect(rejected).toBeGreaterThan(samples.length / 4);
  });
});
