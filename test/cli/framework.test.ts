/**
 * The program itself: version, help, exit codes for bad usage, what start-up loads, and how errors
 * read (one line, no stack trace; detail only with --verbose).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, FIXTURES, json, oneErrorLine, ROOT, runBinary, tempDir } from './helpers.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

async function loadedModules(args: string[]): Promise<string[]> {
  const log = join(tempDir(), 'modules.log');
  const result = await runBinary(args, { env: cleanEnv({ AURORA_TS_MODULE_LOG: log }), nodeArgs: ['--import', join(FIXTURES, 'record-modules.mjs')] });
  expect(result.code).toBe(0);
  try {
    return [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))];
  } catch {
    return [];
  }
}

/**
 * The source modules behind `modules`: a file of the CLI bundle stands for the modules it holds
 * (dist/cli/bundle/modules.json, written by scripts/bundle.mjs), as paths under dist/ like
 * `protocol/codec.js` or `../node_modules/zod/...`; any other file for itself.
 */
function sourceModules(modules: string[]): string[] {
  const bundle = join(ROOT, 'dist/cli/bundle');
  const chunks = JSON.parse(readFileSync(join(bundle, 'modules.json'), 'utf8')) as Record<string, string[]>;
  return modules.flatMap((url) => {
    const path = url.replace(/^file:\/\//, '');
    if (!path.startsWith(`${bundle}/`)) return [relative(join(ROOT, 'dist'), path)];
    const held = chunks[path.slice(bundle.length + 1)];
    expect(held, `${path} is in dist/cli/bundle/modules.json`).toBeDefined();
    return held!;
  });
}

describe('version and help', () => {
  it('prints the package version for --version and -V', async () => {
    for (const flag of ['--version', '-V']) {
      const result = await runBinary([flag]);
      expect(result).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    }
  });

  it('--version loads no module besides the entry point', async () => {
    const modules = await loadedModules(['--version']);
    expect(modules.filter((m) => m.startsWith('file:') && !m.includes('record-modules'))).toEqual([`file://${join(ROOT, 'bin/aurora-ts.js')}`]);
  });

  it('--help lists every noun and the exit codes, and loads no Thrift code, scheduler, ora or inquirer', async () => {
    const result = await runBinary(['--help']);
    expect(result.code).toBe(0);
    for (const noun of ['job', 'task', 'update', 'cron', 'quota', 'sla', 'maintenance', 'admin', 'scheduler', 'executors', 'clusters']) expect(result.stdout).toMatch(new RegExp(`^  ${noun} `, 'm'));
    expect(result.stdout).toContain('Exit status:');
    expect(result.stdout).toMatch(/3 +the scheduler rejected the request/);
    expect(result.stdout).not.toMatch(/\bwizard\b/);

    for (const args of [['--help'], ['job', 'create', '--help'], ['scheduler', 'start', '--help']]) {
      const sources = sourceModules(await loadedModules(args));
      expect(sources).toContain('cli/main.js');
      const heavy = sources.filter((m) => /^(gen|protocol|scheduler|client|transport|job)\/|node_modules\/(ora|@inquirer|thrift|zod)\//.test(m));
      expect(heavy).toEqual([]);
    }
  });

  it('noun verb --help shows arguments, flags, global flags and examples', async () => {
    const result = await runBinary(['job', 'kill', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: aurora-ts job kill [options] <key>');
    expect(result.stdout).toContain('--wait');
    expect(result.stdout).toContain('--scheduler-url <url>');
    expect(result.stdout).toContain('Examples:\n  $ aurora-ts job kill local/www-data/devel/hello/1');
  });
});

describe('bad usage exits 2 with one line', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown noun', ['jobs', 'list', 'local'], /unknown command 'jobs'/],
    ['unknown verb', ['job', 'explode'], /unknown command 'explode'/],
    ['unknown flag', ['job', 'list', 'local', '--bogus'], /unknown option '--bogus'/],
    ['missing argument', ['job', 'status'], /missing required argument 'key'/],
    ['extra argument', ['job', 'status', 'local/a/prod/b', 'extra'], /too many arguments/],
    ['bad --timeout', ['--timeout', 'soon', 'job', 'list', 'local'], /--timeout <seconds>.*'soon' is invalid\. expected a positive number/],
    ['bad --protocol', ['--protocol', 'xml', 'job', 'list', 'local'], /--protocol <protocol>.*'xml' is invalid/],
    ['bad --wait-until', ['job', 'create', 'x.json', '--wait-until', 'DONE'], /'DONE' is invalid/],
    ['bad job key', ['job', 'status', 'local/www-data/hello'], /job key "local\/www-data\/hello": expected cluster\/role\/env\/name\[\/instances\] \(it has 3 parts\)/],
    ['bad identifier', ['job', 'status', 'local/www data/prod/hello'], /role "www data" may contain only letters/],
    ['bad instances', ['job', 'status', 'local/www-data/prod/hello/3-1'], /range "3-1" ends before it starts/],
    ['bad scheduler URL', ['--scheduler-url', 'not a url', 'job', 'list', 'local'], /scheduler URL "not a url" is not a URL/],
    ['unknown cluster', ['job', 'list', 'nowhere'], /unknown cluster "nowhere" \(known: local\)/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const result = await runBinary(args);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(oneErrorLine(result)).toMatch(message);
    });
  }

  it('a noun without a verb prints its help on stderr and exits 2', async () => {
    const result = await runBinary(['job']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: aurora-ts job [options] [command]');
  });
});

describe('scheduler failures', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    // 401 with a challenge for writes, nothing at all for /slow: stand-ins for an auth proxy and a hung scheduler.
    server = http.createServer((req, res) => {
      if (req.url?.startsWith('/slow')) return;
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="aurora"' });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('authentication failure exits 4 and never prints the credentials', async () => {
    const withCredentials = url.replace('http://', 'http://alice:s3cret@');
    for (const extra of [[], ['--verbose']]) {
      const result = await runBinary([...extra, '--scheduler-url', withCredentials, 'job', 'killall', 'local/www-data/prod/hello']);
      expect(result.code).toBe(4);
      expect(result.stderr).not.toContain('s3cret');
      expect(result.stdout).not.toContain('s3cret');
      if (extra.length === 0) oneErrorLine(result);
    }
  });

  it('an unreachable scheduler exits 5; --verbose adds the detail', async () => {
    const refused = await runBinary(['--scheduler-url', 'http://127.0.0.1:1', 'job', 'list', 'local']);
    expect(refused.code).toBe(5);
    expect(oneErrorLine(refused)).toMatch(/cannot reach the scheduler at 127\.0\.0\.1:1/);
    const verbose = await runBinary(['--verbose', '--scheduler-url', 'http://127.0.0.1:1', 'job', 'list', 'local']);
    expect(verbose.code).toBe(5);
    expect(verbose.stderr).toMatch(/-> getJobSummary http:\/\/127\.0\.0\.1:1\/api/);
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });

  it('a scheduler that does not answer within --timeout exits 5', async () => {
    const started = Date.now();
    const result = await runBinary(['--timeout', '0.5', '--scheduler-url', `${url}/slow/api`, 'job', 'list', 'local']);
    expect(result.code).toBe(5);
    expect(oneErrorLine(result)).toMatch(/time/i);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('--json failures print nothing on stdout', async () => {
    const result = await runBinary(['--json', '--scheduler-url', 'http://127.0.0.1:1', 'job', 'list', 'local']);
    expect(result.code).toBe(5);
    expect(result.stdout).toBe('');
  });
});

describe('clusters list', () => {
  it('shows the built-in local cluster and those of clusters.json', async () => {
    const env = cleanEnv();
    const dir = join(env['HOME']!, '.aurora');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(join(dir, 'clusters.json'), JSON.stringify([{ name: 'west', zk: 'zk1,zk2', scheduler_zk_path: '/aurora/scheduler' }, { name: 'east', scheduler_uri: 'https://east.example.com:8081' }])),
    );
    const human = await runBinary(['clusters', 'list'], { env });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^NAME +SCHEDULER +AUTH +DEFINED IN$/m);
    expect(human.stdout).toMatch(/^local +http:\/\/127\.0\.0\.1:8081 +UNAUTHENTICATED +built-in$/m);
    expect(human.stdout).toMatch(/^west +zk:\/\/zk1,zk2\/aurora\/scheduler /m);
    const data = json<{ clusters: { name: string; schedulerUri: string | null }[] }>(await runBinary(['--json', 'clusters', 'list'], { env }));
    expect(data.clusters.map((c) => c.name)).toEqual(['local', 'west', 'east']);
    expect(data.clusters[2]!.schedulerUri).toBe('https://east.example.com:8081');
  });
});

describe('code cache', () => {
  // Node >= 22.1 keeps the cache itself (module.enableCompileCache); Node 20 through src/cli/code-cache.ts.
  const builtIn = typeof (Module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

  /** The cache files and their bytes, by name. */
  function cached(directory: string): Map<string, Buffer> {
    const files = (readdirSync(directory, { recursive: true }) as string[]).map((f) => join(directory, f)).filter((f) => statSync(f).isFile());
    return new Map(files.map((f) => [relative(directory, f), readFileSync(f)]));
  }

  it('the second run compiles the CLI from the bytecode the first wrote; a broken cache is compiled anew, and NODE_DISABLE_COMPILE_CACHE=1 writes none', async () => {
    const cache = tempDir();
    const env = cleanEnv({ XDG_CACHE_HOME: cache });
    const first = await runBinary(['clusters', 'list'], { env });
    expect(first.code).toBe(0);
    const written = cached(join(cache, 'aurora-ts/code-cache'));
    expect(written.size).toBeGreaterThan(0);
    if (!builtIn) {
      // One file per chunk the command loaded: the framework and commander, and the verb.
      expect([...written.keys()].some((f) => f.endsWith('-cli.cjs'))).toBe(true);
      for (const [name, bytes] of written) expect(bytes.toString('utf8'), name).toContain(join(ROOT, 'dist/cli/bundle/'));
    }

    // Accepted: nothing is written again.
    expect(await runBinary(['clusters', 'list'], { env })).toEqual(first);
    expect(cached(join(cache, 'aurora-ts/code-cache'))).toEqual(written);

    if (!builtIn) {
      // Bytecode V8 rejects (the key before it still matches): the same output, and the file is written
      // anew, with bytecode the next run accepts.
      const [name, bytes] = [...written].find(([f]) => f.endsWith('-cli.cjs'))!;
      const file = join(cache, 'aurora-ts/code-cache', name);
      const key = bytes.subarray(0, bytes.indexOf('\n', bytes.indexOf('\n', bytes.indexOf('\n') + 1) + 1) + 1);
      const broken = Buffer.concat([key, Buffer.alloc(4096, 7)]);
      writeFileSync(file, broken);
      expect(await runBinary(['clusters', 'list'], { env })).toEqual(first);
      const rewritten = readFileSync(file);
      expect(rewritten.equals(broken)).toBe(false);
      expect(rewritten.subarray(0, key.length)).toEqual(key);
      expect(await runBinary(['clusters', 'list'], { env })).toEqual(first);
      expect(readFileSync(file)).toEqual(rewritten);
    }

    const off = tempDir();
    expect(await runBinary(['clusters', 'list'], { env: cleanEnv({ XDG_CACHE_HOME: off, NODE_DISABLE_COMPILE_CACHE: '1' }) })).toEqual(first);
    expect(readdirSync(off)).toEqual([]);
  });
});
