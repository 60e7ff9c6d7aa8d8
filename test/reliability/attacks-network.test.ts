/**
 * Attacks on the network side, each run against real servers on loopback (issue 18): credentials
 * sent to another port by a redirect, deep and large request bodies, a password-guessing flood, and
 * a long CLI wait that leaked abort listeners. Each test fails without its fix.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { AuroraAuthError } from '../../src/errors.js';
import { decodeReply, encodeCall } from '../../src/protocol/index.js';
import { startScheduler } from '../../src/scheduler/index.js';
import { EXECUTORS as CLI_EXECUTORS, cleanEnv, runBinary } from '../cli/helpers.js';
import { makePki, startServer } from '../transport/helpers.js';
import { hashPassword } from '../../src/scheduler/auth/password.js';
import { ROOT, jobConfig, report, tempDir, writeExecutors } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Recorder {
  url: string;
  port: number;
  seen: http.IncomingHttpHeaders[];
}

/** A real HTTP server on port 0 that records each request's headers and answers with `answer`. */
async function recorder(answer: (res: http.ServerResponse) => void): Promise<Recorder> {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => answer(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, seen };
}

const challenge = (res: http.ServerResponse): void => {
  res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="Apache Aurora Scheduler"', 'Content-Type': 'text/plain' });
  res.end('Authentication required\n');
};

describe('item 4: Basic credentials and a redirect to another port', () => {
  const PASSWORD = 'pw-Redirect-7f3a';

  it('userinfo credentials stay on the origin the user named: port B, same host, receives no Authorization', async () => {
    const b = await recorder(challenge);
    const a = await recorder((res) => {
      res.writeHead(307, { Location: `http://127.0.0.1:${b.port}/api` });
      res.end();
    });
    const client = new AuroraClient({ url: `http://bob:${PASSWORD}@127.0.0.1:${a.port}/`, netrc: false, retry: false });
    cleanups.push(() => client.close());

    const error = await client.killTasks({ role: 'www-data', environment: 'prod', name: 'hello' }, [0], 'x').then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(a.seen).toHaveLength(1);
    expect(a.seen[0]!.authorization).toMatch(/^Basic /);
    expect(b.seen).toHaveLength(1);
    expect(b.seen[0]!.authorization).toBeUndefined();
    // B asked for credentials and got none: the error says so, and holds no secret.
    expect(error).toBeInstanceOf(AuroraAuthError);
    expect((error as Error).message).toContain('no credentials were sent');
    expect((error as Error).message).toContain(`the credentials for ${a.url} are not sent to another origin a redirect names: call ${b.url} directly`);
    expect((error as Error).message).not.toContain(PASSWORD);
  });

  it('explicit auth stays on its origin too; ~/.netrc credentials go to the redirect target its host entry names', async () => {
    const b = await recorder(challenge);
    const a = await recorder((res) => {
      res.writeHead(307, { Location: `${b.url}/api` });
      res.end();
    });
    const explicit = new AuroraClient({ url: a.url, auth: { username: 'bob', password: PASSWORD }, netrc: false, retry: false });
    cleanups.push(() => explicit.close());
    await explicit.getJobs('www-data').catch(() => undefined);
    expect(b.seen.at(-1)!.authorization).toBeUndefined();

    // netrc names a machine, not a port: what Aurora's Python client (requests) sends on a redirect.
    const home = tempDir('aurora-ts-rel-netrc-');
    writeFileSync(join(home, '.netrc'), `machine 127.0.0.1 login carol password netrc-${PASSWORD}\n`, { mode: 0o600 });
    const viaNetrc = new AuroraClient({ url: a.url, home, retry: false });
    cleanups.push(() => viaNetrc.close());
    await viaNetrc.getJobs('www-data').catch(() => undefined);
    expect(b.seen.at(-1)!.authorization).toBe(`Basic ${Buffer.from(`carol:netrc-${PASSWORD}`).toString('base64')}`);

    // netrc's `default` entry goes to hosts the user calls, not to one a redirect chose.
    const other = tempDir('aurora-ts-rel-netrc-');
    writeFileSync(join(other, '.netrc'), `default login dave password default-${PASSWORD}\n`, { mode: 0o600 });
    const viaDefault = new AuroraClient({ url: a.url, home: other, retry: false });
    cleanups.push(() => viaDefault.close());
    await viaDefault.getJobs('www-data').catch(() => undefined);
    expect(a.seen.at(-1)!.authorization).toBe(`Basic ${Buffer.from(`dave:default-${PASSWORD}`).toString('base64')}`);
    expect(b.seen.at(-1)!.authorization).toBeUndefined();
  });
});

describe('redirects from https: no downgrade, and the target\'s certificate is verified', () => {
  it('https → http on another port gets no credentials, not even ~/.netrc\'s; https → an untrusted certificate is refused before anything is sent', async () => {
    const pki = makePki();
    const untrusted = makePki(); // its server certificate is signed by a CA the client does not trust
    cleanups.push(() => pki.cleanup(), () => untrusted.cleanup());
    const plain = await recorder(challenge);
    const impostor = await startServer((_req, res) => challenge(res), { cert: untrusted.serverCert, key: untrusted.serverKey });
    cleanups.push(() => impostor.close());
    let target = `${plain.url}/api`;
    const leader = await startServer((_req, res) => {
      res.writeHead(307, { Location: target });
      res.end();
    }, { cert: pki.serverCert, key: pki.serverKey });
    cleanups.push(() => leader.close());
    const home = tempDir('aurora-ts-rel-netrc-');
    writeFileSync(join(home, '.netrc'), 'machine 127.0.0.1 login carol password tls-Secret-9\n', { mode: 0o600 });

    const client = new AuroraClient({ url: `https://127.0.0.1:${leader.port}/`, home, tls: { ca: pki.ca }, retry: false });
    cleanups.push(() => client.close());
    await client.getJobs('www-data').catch(() => undefined);
    expect(leader.seen[0]!.headers.authorization).toMatch(/^Basic /);
    expect(plain.seen).toHaveLength(1);
    expect(plain.seen[0]!.authorization).toBeUndefined();

    target = `${impostor.origin}/api`;
    const error = await client.getJobs('www-data').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/certificate/i);
    expect(error?.message).not.toContain('Secret');
    expect(impostor.seen).toHaveLength(0);
  }, 20_000);
});

describe('item 12: a long CLI wait leaks no abort listeners', () => {
  it('job create --wait-until RUNNING on a task that stays PENDING polls ~14 times without MaxListenersExceededWarning', async () => {
    const scheduler = await startScheduler({ port: 0, executors: CLI_EXECUTORS, cpus: 1, ramMb: 4096, killGraceMs: 200 });
    cleanups.push(() => scheduler.close());
    const dir = tempDir('aurora-ts-rel-wait-');
    const file = join(dir, 'big.json');
    // 8 CPUs on a 1-CPU scheduler: PENDING for as long as the wait lasts.
    writeFileSync(
      file,
      JSON.stringify({
        role: 'www-data',
        environment: 'prod',
        name: 'big',
        instances: 1,
        service: true,
        executor: { name: 'hello-executor', data: { greeting: 'hi' } },
        resources: { cpus: 8, ramMb: 32, diskMb: 32 },
      }),
    );
    const started = Date.now();
    const result = await runBinary(['--scheduler-url', scheduler.url, 'job', 'create', file, '--wait-until', 'RUNNING', '--wait-timeout', '7'], {
      env: cleanEnv(),
    });
    const ms = Date.now() - started;
    report('item 12: long CLI wait', { ms, code: result.code, warning: result.stderr.includes('MaxListenersExceededWarning') });
    expect(ms).toBeGreaterThan(6_500); // the wait really ran its 7 s of 500 ms polls
    expect(result.code, result.stderr).toBe(1); // gave up waiting, as --wait-timeout says
    expect(result.stderr).toContain('gave up waiting');
    expect(result.stderr).not.toContain('MaxListenersExceededWarning');
    expect(result.stderr).not.toContain('abort listeners');
  }, 20_000);
});

/**
 * A scheduler in its own process (the built dist/), so its memory is its own: `peakMb()` is the
 * kernel's high-water mark of its RSS, `stallMs()` the longest its event loop went without running
 * a 10 ms timer since the last call (ticks are measured inside it).
 */
async function childScheduler(options: Record<string, unknown> = {}): Promise<{ url: string; port: number; rssMb(): number; peakMb(): number; fds(): number; stallMs(): Promise<number> }> {
  const all = { port: 0, executors: writeExecutors(tempDir()), cpus: 10, ramMb: 10_000, diskMb: 10_000, ...options };
  const script = `const { startScheduler } = await import(${JSON.stringify(join(ROOT, 'dist/scheduler/index.js'))});
const s = await startScheduler(${JSON.stringify(all)});
let last = performance.now(), stall = 0;
setInterval(() => { const now = performance.now(); stall = Math.max(stall, now - last - 10); last = now; }, 10);
process.stdin.on('data', () => { process.stdout.write(JSON.stringify({ stall: Math.round(stall) }) + '\\n'); stall = 0; });
process.stdout.write(JSON.stringify({ url: s.url }) + '\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  cleanups.push(() => {
    child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      const next = waiting.shift();
      if (next) next(line);
      else lines.push(line);
    }
  });
  const nextLine = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const ready = lines.shift();
      if (ready !== undefined) return resolve(ready);
      waiting.push(resolve);
      child.once('exit', (code) => reject(new Error(`scheduler exited with ${code}: ${stderr.slice(-2000)}`)));
    });
  const url = (JSON.parse(await nextLine()) as { url: string }).url;
  const status = (field: string): number => Math.round(Number(/\d+/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(field))!)![0]) / 1024);
  return {
    url,
    port: Number(new URL(url).port),
    rssMb: () => status('VmRSS'),
    peakMb: () => status('VmHWM'),
    fds: () => readdirSync(`/proc/${child.pid}/fd`).length,
    stallMs: async () => {
      child.stdin.write('\n');
      return (JSON.parse(await nextLine()) as { stall: number }).stall;
    },
  };
}

interface Posted {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  ms: number;
}

/**
 * POSTs `body` to /api on its own connection. `hold` sends all but its last byte and keeps the
 * request open (a slow client); `chunked` sends no Content-Length. Resolves when the answer is read
 * (a held request may be answered early) or the connection fails.
 */
function post(port: number, body: Buffer, opts: { contentType?: string; hold?: boolean; chunked?: boolean; headers?: Record<string, string>; from?: string } = {}): { done: Promise<Posted | { error: string; ms: number }>; written: Promise<void>; abort(): void } {
  const t0 = performance.now();
  const headers: Record<string, string> = {
    'content-type': opts.contentType ?? 'application/vnd.apache.thrift.binary',
    accept: 'application/vnd.apache.thrift.binary',
    ...opts.headers,
  };
  if (!opts.chunked) headers['content-length'] = String(body.length);
  const request = http.request({ host: '127.0.0.1', port, path: '/api', method: 'POST', headers, agent: false, localAddress: opts.from });
  const done = new Promise<Posted | { error: string; ms: number }>((resolve) => {
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks), ms: performance.now() - t0 }));
      response.on('error', (e) => resolve({ error: e.message, ms: performance.now() - t0 }));
    });
    request.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, ms: performance.now() - t0 }));
  });
  const written = new Promise<void>((resolve) => {
    const part = opts.hold ? body.subarray(0, body.length - 1) : body;
    request.write(part, () => resolve());
    request.on('error', () => resolve());
    if (!opts.hold) request.end();
  });
  return { done, written, abort: () => request.destroy() };
}

const READ = encodeCall('binary', 'getJobs', 1, { ownerRole: 'www-data' });
const SIXTEEN_MIB = 16 * 1024 * 1024 - 1024;

/** A read answered in full by the scheduler: status 200 and an OK getJobs reply. */
async function timedRead(port: number): Promise<number> {
  const reply = await post(port, READ).done;
  expect('status' in reply && reply.status, JSON.stringify('error' in reply ? reply : { status: reply.status })).toBe(200);
  expect(decodeReply('binary', 'getJobs', (reply as Posted).body).responseCode).toBe(1);
  return Math.round(reply.ms);
}

describe('item 5: a deep TJSON body is refused before it is parsed', () => {
  it('one and then ten concurrent 16 MiB bodies of "[" are refused quickly, with bounded memory and event-loop stall', async () => {
    // A body budget large enough for all ten, so each reaches the decoder (the cap is item 6's subject).
    const scheduler = await childScheduler({ maxBufferedBytes: 256 * 1024 * 1024 });
    await timedRead(scheduler.port);
    await scheduler.stallMs();
    const base = scheduler.rssMb();
    const deep = Buffer.alloc(SIXTEEN_MIB, '[');

    const one = await post(scheduler.port, deep, { contentType: 'application/x-thrift' }).done;
    const oneStall = await scheduler.stallMs();
    const onePeak = scheduler.peakMb() - base;

    // From ten addresses, so the per-client share of the body budget turns none away unread.
    const ten = Array.from({ length: 10 }, (_, i) => post(scheduler.port, deep, { contentType: 'application/x-thrift', from: `127.0.2.${i + 1}` }));
    await new Promise((r) => setTimeout(r, 100));
    const readMs = await timedRead(scheduler.port);
    const answers = await Promise.all(ten.map((t) => t.done));
    const tenStall = await scheduler.stallMs();
    const tenPeak = scheduler.peakMb() - base;
    report('item 5: deep TJSON bodies', { oneMs: Math.round(one.ms), oneStall, onePeakGrowthMb: onePeak, tenStall, tenPeakGrowthMb: tenPeak, readDuringTenMs: readMs, tenStatuses: answers.map((a) => ('status' in a ? a.status : a.error)) });
    // Before the pre-scan: one body stalled the loop 2.8 s at +690 MB; ten stalled it 14.5 s at +970 MB.
    expect(oneStall).toBeLessThan(1_000);
    expect(onePeak).toBeLessThan(200);
    expect(tenStall).toBeLessThan(1_500);
    expect(tenPeak).toBeLessThan(400); // 10 x 16 MiB of bodies are held meanwhile
    expect(readMs).toBeLessThan(2_000);
    expect('status' in one && one.status).toBe(200);
    expect((one as Posted).body.toString()).toContain('nesting deeper than the limit of 64');
    for (const a of answers) {
      // Each refused by the pre-scan: never parsed, never a crash.
      expect('status' in a && a.status).toBe(200);
      expect((a as Posted).body.toString()).toContain('nesting deeper than the limit of 64');
    }
  }, 20_000);
});

describe('item 5, other shapes: flat TJSON and empty binary structs are counted before they are built', () => {
  /** 16 MiB of getTasksWithoutConfigs whose TaskQuery.jobKeys holds as many empty JobKeys as fit. */
  function emptyKeys(protocol: 'binary' | 'json'): Buffer {
    if (protocol === 'json') {
      const n = Math.floor((SIXTEEN_MIB - 100) / 3);
      return Buffer.from(`[1,"getTasksWithoutConfigs",1,1,{"1":{"rec":{"11":{"set":["rec",${n},${'{},'.repeat(n - 1)}{}]}}}}]`);
    }
    const head = encodeCall('binary', 'getTasksWithoutConfigs', 1, { query: { jobKeys: [] } }).subarray(0, -2);
    const n = SIXTEEN_MIB - head.length - 2;
    head.writeInt32BE(n, head.length - 4); // an empty JobKey is its stop byte: one byte each
    return Buffer.concat([head, Buffer.alloc(n, 0), Buffer.from([0, 0])]);
  }

  it.each(['binary', 'json'] as const)('%s: a 16 MiB call of empty structs is refused in milliseconds, with bounded memory and event-loop stall', async (protocol) => {
    const scheduler = await childScheduler();
    await timedRead(scheduler.port);
    await scheduler.stallMs();
    const base = scheduler.rssMb();
    const contentType = protocol === 'json' ? 'application/x-thrift' : 'application/vnd.apache.thrift.binary';
    const answer = await post(scheduler.port, emptyKeys(protocol), { contentType }).done;
    const stall = await scheduler.stallMs();
    const peak = scheduler.peakMb() - base;
    const readMs = await timedRead(scheduler.port);
    report(`item 5, ${protocol} empty structs`, { ms: Math.round(answer.ms), stall, peakGrowthMb: peak, readAfterMs: readMs });
    // Before maxValues: binary 17 s and +2.9 GB (the call was even served), TJSON 1.8 s and +540 MB.
    expect('status' in answer && answer.status).toBe(200);
    expect((answer as Posted).body.toString()).toMatch(/values than the limit of 200000/);
    expect(stall).toBeLessThan(1_000);
    expect(peak).toBeLessThan(200);
  }, 30_000);
});

describe('item 6: buffered request bodies are capped', () => {
  it('80 slow clients each holding a 16 MiB body: RSS growth stays bounded, the rest get 503 + Retry-After, a read is still answered', async () => {
    const scheduler = await childScheduler();
    await timedRead(scheduler.port);
    const base = scheduler.rssMb();
    const big = Buffer.alloc(SIXTEEN_MIB, ' ');
    // Half declare their length, half stream chunked (no Content-Length to refuse up front); each from
    // its own address, so the total cap is what holds them back, not the per-client one.
    const slow = Array.from({ length: 80 }, (_, i) => post(scheduler.port, big, { hold: true, chunked: i % 2 === 1, from: `127.0.1.${i + 1}` }));
    cleanups.push(() => slow.forEach((s) => s.abort()));
    await Promise.race([Promise.all(slow.map((s) => s.written)), new Promise((r) => setTimeout(r, 8_000))]);
    await new Promise((r) => setTimeout(r, 500));
    const readMs = await timedRead(scheduler.port);
    const held = scheduler.rssMb() - base;
    const peak = scheduler.peakMb() - base;
    const answered = (await Promise.all(slow.map((s) => Promise.race([s.done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 200))])))).filter(
      (a): a is Posted => a !== undefined && 'status' in a,
    );
    report('item 6: 80 slow 16 MiB bodies', { heldGrowthMb: held, peakGrowthMb: peak, readMs, refused503: answered.filter((a) => a.status === 503).length });
    // Before the cap: +1,310 MB held for the 30 s body timeout.
    expect(held).toBeLessThan(250);
    expect(peak).toBeLessThan(400);
    expect(readMs).toBeLessThan(2_000);
    expect(answered.filter((a) => a.status === 503).length).toBeGreaterThanOrEqual(60);
    for (const a of answered.filter((x) => x.status === 503)) expect(a.headers['retry-after']).toBe('1');
  }, 20_000);
});

describe('go further: one client cannot take the whole body budget', () => {
  it('4 slow 16 MiB bodies from one address: 3 are refused, and a write from another client is not', async () => {
    const scheduler = await childScheduler();
    // Four bodies of exactly maxBodyBytes, all but one byte sent: without a per-client limit they fill
    // the 64 MiB budget to within 4 bytes and every other client gets 503.
    const big = Buffer.alloc(16 * 1024 * 1024, ' ');
    const slow = Array.from({ length: 4 }, () => post(scheduler.port, big, { hold: true, from: '127.0.0.2' }));
    cleanups.push(() => slow.forEach((s) => s.abort()));
    await Promise.race([Promise.all(slow.map((s) => s.written)), new Promise((r) => setTimeout(r, 5_000))]);
    await new Promise((r) => setTimeout(r, 300));
    // A ~1 KiB createJob from 127.0.0.1 while 127.0.0.2 holds what it may.
    const write = await post(scheduler.port, encodeCall('binary', 'createJob', 5, { description: jobConfig('budget') })).done;
    const answered = (await Promise.all(slow.map((s) => Promise.race([s.done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 200))])))).filter(
      (a): a is Posted => a !== undefined && 'status' in a,
    );
    report('go further: per-client body budget', { writeStatus: 'status' in write ? write.status : write.error, refused503: answered.filter((a) => a.status === 503).length });
    expect('status' in write && write.status).toBe(200);
    expect(decodeReply('binary', 'createJob', (write as Posted).body).responseCode).toBe(1);
    expect(answered.filter((a) => a.status === 503)).toHaveLength(3);
  }, 20_000);
});

describe('item 8: a password-guessing flood', () => {
  it('300 concurrent wrong passwords from one client leave a valid write from another fast and reads untouched', async () => {
    const dir = tempDir('aurora-ts-rel-flood-');
    const users = join(dir, 'security.ini');
    writeFileSync(users, ['[users]', `deployer = ${await hashPassword('right-Pa55')}, deploy`, '[roles]', 'deploy = *'].join('\n'));
    const scheduler = await childScheduler({ basicAuthFile: users });
    const basic = (password: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`deployer:${password}`).toString('base64')}` });
    const kill = encodeCall('binary', 'killTasks', 1, { job: { role: 'www-data', environment: 'devel', name: 'x' }, instances: [0], message: 'guess' });

    // What one uncached valid write costs here without a flood (from a third address, so no record is shared).
    const calm = await post(scheduler.port, encodeCall('binary', 'createJob', 3, { description: jobConfig('calm') }), { headers: basic('right-Pa55'), from: '127.0.0.3' }).done;
    const calmMs = Math.round(calm.ms);

    // The attacker: 300 requests always in flight, each a new wrong password, from its own address (127.0.0.2).
    let stop = false;
    let guesses = 0;
    const statuses = new Map<number | string, number>();
    const attacker = async (i: number): Promise<void> => {
      while (!stop) {
        const a = await post(scheduler.port, kill, { headers: basic(`wrong-${i}-${guesses++}`), from: '127.0.0.2' }).done;
        const key = 'status' in a ? a.status : a.error;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
      }
    };
    const flood = Array.from({ length: 300 }, (_, i) => attacker(i));
    await new Promise((r) => setTimeout(r, 1_500));

    // The operator, from 127.0.0.1: an uncached valid write, then a read, during the flood.
    const create = encodeCall('binary', 'createJob', 2, { description: jobConfig('flood-proof') });
    const write = await post(scheduler.port, create, { headers: basic('right-Pa55') }).done;
    const readMs = await timedRead(scheduler.port);
    stop = true;
    await Promise.all(flood);
    const writeMs = 'ms' in write ? Math.round(write.ms) : NaN;
    report('item 8: password flood', { calmMs, writeMs, readMs, guesses, statuses: Object.fromEntries(statuses) });
    expect('status' in write && write.status).toBe(200);
    expect(decodeReply('binary', 'createJob', (write as Posted).body).responseCode).toBe(1);
    // Before the gate the valid write queued behind ~300 scrypt runs on 4 threads (~75 checks' time: 5.4 s
    // in the issue, 19.9 s here on a loaded machine); now it waits for none. Relative to a calm write so the
    // bound holds on fast and slow machines alike.
    expect(writeMs).toBeLessThan(Math.max(2_500, 8 * calmMs));
    expect(readMs).toBeLessThan(1_000);
    // The guesses were mostly refused without a check (429), and some were checked and failed (401).
    expect(statuses.get(429) ?? 0).toBeGreaterThan(statuses.get(401) ?? 0);
  }, 20_000);
});

describe('go further: a connection flood', () => {
  it('600 connections sending headers slowly: open descriptors stay under maxConnections, and reads are answered once they time out', async () => {
    const scheduler = await childScheduler({ maxConnections: 300, bodyTimeoutMs: 2_000 });
    await timedRead(scheduler.port);
    const base = scheduler.fds();
    const sockets: net.Socket[] = [];
    cleanups.push(() => sockets.forEach((s) => s.destroy()));
    for (let i = 0; i < 600; i++) {
      const socket = net.connect({ port: scheduler.port, host: '127.0.0.1', localAddress: '127.0.0.2' });
      socket.on('error', () => undefined);
      socket.write(`POST /api HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(1000)}`);
      sockets.push(socket);
    }
    await new Promise((r) => setTimeout(r, 1_000));
    const during = scheduler.fds() - base;
    await new Promise((r) => setTimeout(r, 2_500)); // past the 2 s header deadline
    const readMs = await timedRead(scheduler.port);
    report('go further: connection flood', { extraFds: during, readAfterMs: readMs });
    // Without the cap every connection holds a descriptor until its header deadline (600 here; 5,000 took 5,020 fds and +74 MB).
    expect(during).toBeLessThanOrEqual(310);
    expect(readMs).toBeLessThan(1_000);
  }, 20_000);
});

describe('go further: what a failed login writes to the log', () => {
  it('a 10,000-character user name is quoted by its first 64 characters only, and no password is logged', async () => {
    const dir = tempDir('aurora-ts-rel-logname-');
    const users = join(dir, 'security.ini');
    writeFileSync(users, ['[users]', `deployer = ${await hashPassword('right-Pa55')}, deploy`, '[roles]', 'deploy = *'].join('\n'));
    const logs: string[] = [];
    const scheduler = await startScheduler({ port: 0, executors: writeExecutors(tempDir()), basicAuthFile: users, onLog: (m) => logs.push(m) });
    cleanups.push(() => scheduler.close());
    const name = 'x'.repeat(10_000);
    const kill = encodeCall('binary', 'killTasks', 1, { job: { role: 'www-data', environment: 'devel', name: 'x' }, instances: [0], message: 'm' });
    const reply = await post(Number(new URL(scheduler.url).port), kill, { headers: { authorization: `Basic ${Buffer.from(`${name}:log-Secret-1`).toString('base64')}` } }).done;
    expect('status' in reply && reply.status).toBe(401);
    const line = logs.find((l) => l.startsWith('Authentication failed'));
    expect(line).toBeDefined();
    expect(line!.length).toBeLessThan(200);
    expect(logs.join('\n')).not.toContain('log-Secret-1');
  });
});
