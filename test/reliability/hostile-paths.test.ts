/**
 * Files a user names that are not what they seem: a job file, clusters.json, executor file, users file
 * or ~/.netrc that is /dev/zero, a directory, a FIFO nobody writes to, a process-substitution pipe,
 * a file past its size cap; job and config files with a key given twice; a clusters.json whose
 * values are bad input. Each through the real `aurora-ts` binary: one line naming the file and what
 * is allowed, exit 2, quickly and in bounded memory (before the fix, /dev/zero grew the CLI to 16.8 GB).
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonDuplicateKeyError, parseJsonWithPosition } from '../../src/util/json-syntax.js';
import { BIN, EXAMPLE_EXECUTORS, ROOT, cleanEnv, oneErrorLine, runBinary, tempDir, type CliResult } from '../cli/helpers.js';
import { FUZZ_RUNS } from './helpers.js';

const HELLO = join(ROOT, 'examples/hello-service.json');
// Long enough for a loaded machine, far below what /dev/zero or a blocked FIFO took before the fix.
const QUICK_MS = 8_000;

function bash(script: string, timeoutMs: number): Promise<CliResult> {
  return new Promise((done, fail) => {
    // Its own process group, so a timeout kills the CLI under bash too, not only bash.
    const child = spawn('bash', ['-c', script], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('user-named files that are devices, directories, pipes or too big', () => {
  const dir = tempDir('aurora-ts-paths-');
  const zeroJson = join(dir, 'zero.json');
  symlinkSync('/dev/zero', zeroJson);

  it('a job file that is /dev/zero is refused at once, naming the file and what is allowed', async () => {
    const started = Date.now();
    const result = await runBinary(['job', 'inspect', zeroJson], { timeoutMs: QUICK_MS });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(`aurora-ts: ${zeroJson}: cannot read job file: is a character device; a job file must be a regular file or a pipe`);
    expect(Date.now() - started).toBeLessThan(QUICK_MS);
  });

  it('a job file that is a directory is refused', async () => {
    const sub = join(dir, 'dir.json');
    mkdirSync(sub);
    const result = await runBinary(['job', 'inspect', sub], { timeoutMs: QUICK_MS });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toContain(`${sub}: cannot read job file: is a directory; a job file must be a regular file or a pipe`);
  });

  it('a job file larger than 16 MiB is refused, saying the cap', async () => {
    const big = join(dir, 'big.json');
    writeFileSync(big, `{"role": "${'x'.repeat(17 * 1024 * 1024)}"}`);
    const result = await runBinary(['job', 'inspect', big], { timeoutMs: QUICK_MS });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(`aurora-ts: ${big}: cannot read job file: larger than the 16 MiB allowed for a job file`);
  });

  it('a job module (.js) that is /dev/zero is refused before Node imports it', async () => {
    const zeroJs = join(dir, 'zero.js');
    symlinkSync('/dev/zero', zeroJs);
    const result = await runBinary(['job', 'inspect', zeroJs], { timeoutMs: QUICK_MS });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(`aurora-ts: ${zeroJs}: cannot load job module: is a character device; a job module must be a regular file`);
  });

  it('job inspect <(cat job.json) reads the process-substitution pipe', async () => {
    const result = await bash(`node ${BIN} --json job inspect <(cat ${HELLO})`, QUICK_MS);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ key: { role: 'www-data', environment: 'devel', name: 'hello' } });
  });

  it('a FIFO job file is read once a writer sends the job', async () => {
    const fifo = join(dir, 'later.json');
    execFileSync('mkfifo', [fifo]);
    // The writer opens the FIFO a second after the CLI has opened it (without blocking) and polls.
    const result = await bash(`(sleep 1; cat ${HELLO} > ${fifo}) & node ${BIN} --json job inspect ${fifo}; s=$?; wait; exit $s`, QUICK_MS);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ key: { name: 'hello' } });
  });

  it('a FIFO job file nobody writes to fails after 10 s with one line, instead of hanging', async () => {
    const fifo = join(dir, 'nobody.json');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    const result = await runBinary(['job', 'inspect', fifo], { timeoutMs: 18_000 });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(
      `aurora-ts: ${fifo}: cannot read job file: read nothing from this pipe for 10 s (no writer opened it); write the job file to it, or name a regular file`,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(10_000);
  }, 20_000);

  it('an executor file that is /dev/zero is refused', async () => {
    const result = await runBinary(['executors', 'validate', zeroJson], { timeoutMs: QUICK_MS });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(
      `aurora-ts: Failed to read executor settings: ${zeroJson}: cannot read the file: is a character device; a custom executor file must be a regular file or a pipe`,
    );
  });

  it('a users file (--basic-auth-file) that is /dev/zero stops scheduler start with exit 2', async () => {
    const result = await runBinary(['scheduler', 'start', '--port', '0', '--basic-auth-file', zeroJson], {
      timeoutMs: QUICK_MS,
    });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(
      `aurora-ts: basicAuthFile: cannot read ${zeroJson}: is a character device; a users file must be a regular file or a pipe`,
    );
  });

  it('a clusters.json that is /dev/zero is bad input (exit 2), not a hang', async () => {
    const env = cleanEnv();
    mkdirSync(join(env['HOME']!, '.aurora'));
    symlinkSync('/dev/zero', join(env['HOME']!, '.aurora', 'clusters.json'));
    const result = await runBinary(['clusters', 'list'], { env, timeoutMs: QUICK_MS });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(
      `aurora-ts: ${join(env['HOME']!, '.aurora', 'clusters.json')}: is a character device; a clusters.json must be a regular file or a pipe`,
    );
  });

  it('scheduler hash-password < /dev/zero stops at 64 KiB with one line', async () => {
    const result = await bash(`node ${BIN} scheduler hash-password < /dev/zero`, QUICK_MS);
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(
      'aurora-ts: stdin holds more than the 64 KiB allowed for a password (pipe only the password, e.g. printf %s "$PASSWORD" | aurora-ts scheduler hash-password)',
    );
  });

  describe('~/.netrc', () => {
    let server: Server;
    let url: string;
    const authorizations: string[] = [];
    beforeAll(async () => {
      // Answers every call with a Thrift error body; the test is about what happens before the call.
      server = createServer((req, res) => {
        authorizations.push(req.headers.authorization ?? '');
        res.writeHead(500).end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('pointing at /dev/zero gives a warning and no credentials, and the call goes ahead', async () => {
      const env = cleanEnv();
      symlinkSync('/dev/zero', join(env['HOME']!, '.netrc'));
      const started = Date.now();
      const result = await runBinary(['--scheduler-url', url, 'job', 'list', 'local/www-data'], { env, timeoutMs: QUICK_MS });
      expect(Date.now() - started).toBeLessThan(QUICK_MS);
      expect(result.code).not.toBeNull();
      expect(result.stderr).toContain(`warning: ${join(env['HOME']!, '.netrc')}: is a character device; a netrc file must be a regular file or a pipe; no credentials taken from it\n`);
      // The call was made: its failure (HTTP 500) is the error line.
      expect(result.stderr).toMatch(/HTTP 500/);
    });

    it('given as a process-substitution pipe ($NETRC), is read (synchronously) and its credentials sent', async () => {
      authorizations.length = 0;
      const result = await bash(`NETRC=<(printf 'machine 127.0.0.1 login alice password s3cret') node ${BIN} --scheduler-url ${url} job list local/www-data`, QUICK_MS);
      expect(result.stderr).not.toContain('warning');
      expect(result.stderr).not.toContain('s3cret');
      expect(authorizations[0]).toBe(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
    });
  });
});

describe('duplicate keys are refused with their line and column, not merged', () => {
  const dir = tempDir('aurora-ts-dupes-');

  it('in a job file', async () => {
    const file = join(dir, 'dup.json');
    writeFileSync(file, '{\n  "cluster": "local",\n  "role": "www-data",\n  "role": "other",\n  "environment": "devel",\n  "name": "x"\n}\n');
    const result = await runBinary(['job', 'inspect', file], { timeoutMs: QUICK_MS });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(
      `aurora-ts: ${file}: duplicate key "role" at line 4, column 3 (first at line 3, column 3); each key may appear once`,
    );
  });

  it('in a nested object of a job file, also when the second is spelt with an escape', async () => {
    const file = join(dir, 'nested.json');
    writeFileSync(file, '{"resources": {"cpus": 1, "ramMb": 64, "diskMb": 64, "r\\u0061mMb": 1}}');
    const result = await runBinary(['job', 'inspect', file], { timeoutMs: QUICK_MS });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(
      `aurora-ts: ${file}: duplicate key "ramMb" at line 1, column 54 (first at line 1, column 27); each key may appear once`,
    );
  });

  it('in an executor file', async () => {
    const file = join(dir, 'executors.json');
    writeFileSync(file, '[{"executor": {"name": "a", "command": {"value": "true"}}, "task_prefix": "a-", "task_prefix": "b-"}]');
    const result = await runBinary(['executors', 'validate', file], { timeoutMs: QUICK_MS });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(
      `aurora-ts: Failed to read executor settings: ${file}: duplicate key "task_prefix" at line 1, column 81 (first at line 1, column 60); each key may appear once`,
    );
  });

  it('in clusters.json', async () => {
    const env = cleanEnv();
    mkdirSync(join(env['HOME']!, '.aurora'));
    const file = join(env['HOME']!, '.aurora', 'clusters.json');
    writeFileSync(file, '[{"name": "c", "scheduler_uri": "http://a:1", "scheduler_uri": "http://b:2"}]');
    const result = await runBinary(['clusters', 'list'], { env, timeoutMs: QUICK_MS });
    expect(result.code).toBe(2);
    expect(oneErrorLine(result)).toBe(
      `aurora-ts: ${file}: duplicate key "scheduler_uri" at line 1, column 47 (first at line 1, column 16); each key may appear once`,
    );
  });

  it('the same key in two different objects is fine', async () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(JSON.stringify(HELLO_JOB)), metadata: { name: 'a' } }));
    const result = await runBinary(['--json', 'job', 'inspect', file, '--cluster', 'local'], {
      timeoutMs: QUICK_MS,
      env: cleanEnv({ AURORA_CUSTOM_EXECUTOR_CONFIG: EXAMPLE_EXECUTORS }),
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('scheduler start --zk with a port out of range', () => {
  it('is bad input (exit 2), not a crash of the ZooKeeper client', async () => {
    const result = await runBinary(['scheduler', 'start', '--port', '0', '--zk', 'zk1:99999'], { timeoutMs: QUICK_MS });
    expect(oneErrorLine(result)).toBe('aurora-ts: zk.hosts: "zk1:99999" is not host:port with a port 1-65535');
    expect(result.code).toBe(2);
  });
});

describe('the duplicate-key scanner', () => {
  it('accepts every document JSON.stringify writes, with the value JSON.parse gives', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        expect(parseJsonWithPosition(text, { rejectDuplicateKeys: true })).toEqual(JSON.parse(text));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('finds a key repeated anywhere, at the second occurrence', () => {
    const objects = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 5 });
    fc.assert(
      fc.property(objects, fc.nat(), fc.jsonValue({ maxDepth: 1 }), fc.nat(3), (object, pick, extra, depth) => {
        const keys = Object.keys(object);
        const key = keys[pick % keys.length]!;
        // The object's text with the key written again at its end, then wrapped `depth` times.
        let text = `${JSON.stringify(object).slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(extra)}}`;
        for (let i = 0; i < depth; i++) text = i % 2 === 0 ? `[1,${text}]` : `{"w":${text}}`;
        let error: unknown;
        try {
          parseJsonWithPosition(text, { rejectDuplicateKeys: true });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(JsonDuplicateKeyError);
        expect((error as JsonDuplicateKeyError).key).toBe(key);
        // One line: the column is the offset of the appended key's opening quote, plus one.
        const quoted = JSON.stringify(key);
        const column = (error as JsonDuplicateKeyError).column;
        expect(text.slice(column - 1, column - 1 + quoted.length)).toBe(quoted);
        expect(text.lastIndexOf(`,${quoted}:${JSON.stringify(extra)}}`)).toBe(column - 2);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

const HELLO_JOB = {
  role: 'www-data',
  environment: 'devel',
  name: 'hello',
  executor: { name: 'hello-executor' },
  resources: { cpus: 0.1, ramMb: 32, diskMb: 32 },
};

describe('a bad clusters.json is bad input (exit 2), not an unreachable scheduler (exit 5)', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['zk_port out of range', [{ name: 'c', zk: 'zk1', scheduler_zk_path: '/aurora/scheduler', zk_port: 70000 }], /\[0\]\.zk_port: expected a port number 1-65535, got 70000$/],
    ['a cluster that is not an object', [5], /\[0\]: a cluster must be an object of key\/value pairs, got number 5$/],
    ['a name that is not a string', [{ name: true }], /\[0\]\.name: expected a string, got boolean true$/],
    ['a string key that is an object', [{ name: 'c', scheduler_uri: {} }], /\[0\]\.scheduler_uri: expected a string, got an object$/],
    ['the file is not a list or object', 7, /expected a list or an object of clusters, got number 7$/],
    ['a bad policy value', [{ name: 'c', scheduler_uri: 'http://a:1', policy: { allow_docker: 1 } }], /\[0\]\.policy\.allow_docker: expected a boolean, got 1$/],
    ['an unknown policy key', [{ name: 'c', scheduler_uri: 'http://a:1', policy: { allow_all: true } }], /\[0\]\.policy\.allow_all: unknown policy setting/],
    ['scheduler_uri not http(s)', [{ name: 'c', scheduler_uri: 'ftp://a' }], /cluster c \(.*clusters\.json\): scheduler_uri must be http\(s\), got "ftp:"$/],
    ['scheduler_uri not a URL', [{ name: 'c', scheduler_uri: 'nope' }], /cluster c \(.*clusters\.json\): scheduler_uri "nope" is not an absolute URL$/],
    ['neither zk nor scheduler_uri', [{ name: 'c' }], /cluster c \(.*\) sets neither zk nor scheduler_uri$/],
    ['zk without scheduler_zk_path', [{ name: 'c', zk: 'zk1' }], /cluster c \(.*\): zk is set but scheduler_zk_path is not/],
    ['a relative scheduler_zk_path', [{ name: 'c', zk: 'zk1', scheduler_zk_path: 'aurora' }], /cluster c \(.*\): scheduler_zk_path: expected an absolute ZooKeeper path/],
    ['zk without hosts', [{ name: 'c', zk: ' , ', scheduler_zk_path: '/aurora' }], /cluster c \(.*\): zk: expected ZooKeeper hosts/],
    // Before: an uncaught RangeError (ERR_SOCKET_BAD_PORT) and a stack trace from the ZooKeeper client, exit 1.
    ['a zk host with a port out of range', [{ name: 'c', zk: 'zk1:99999', scheduler_zk_path: '/aurora' }], /cluster c \(.*\): zk: "zk1:99999" is not host:port with a port 1-65535$/],
    ['a zk host with a space', [{ name: 'c', zk: 'zk 1', scheduler_zk_path: '/aurora' }], /cluster c \(.*\): zk: "zk 1:2181" is not host:port with a port 1-65535$/],
  ];
  it.each(cases)('%s', async (_label, content, message) => {
    const env = cleanEnv();
    mkdirSync(join(env['HOME']!, '.aurora'));
    writeFileSync(join(env['HOME']!, '.aurora', 'clusters.json'), JSON.stringify(content));
    const result = await runBinary(['job', 'status', 'c/www-data/prod/hello'], { env, timeoutMs: QUICK_MS });
    expect(oneErrorLine(result)).toMatch(message);
    expect(result.code).toBe(2);
  });
});
