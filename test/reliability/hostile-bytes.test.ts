/**
 * Hostile bytes against a running local scheduler (server side) and from a hostile server (client
 * side): every request is answered quickly with a TApplicationException or a 4xx, nothing allocates
 * in proportion to a claimed length, and the scheduler keeps serving. The decoders' own hostile-input
 * properties (1,500 random inputs per protocol, every truncation) are in test/protocol/hostile.test.ts.
 */
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { AuroraProtocolError, AuroraTimeoutError, AuroraTransportError } from '../../src/errors.js';
import { ResponseCode } from '../../src/gen/types.js';
import { listen } from '../../src/scheduler/api-server.js';
import {
  decodeReply,
  encodeCall,
  encodeReply,
  TApplicationExceptionType,
  ThriftMessageError,
  type WireProtocol,
} from '../../src/protocol/index.js';
import type { RunningScheduler } from '../../src/scheduler/index.js';
import { FUZZ_RUNS, jobConfig, localScheduler, postApi, report, type RawReply } from './helpers.js';

const PROTOCOLS: WireProtocol[] = ['binary', 'json'];
const HEADERS: Record<WireProtocol, Record<string, string>> = {
  binary: { 'Content-Type': 'application/vnd.apache.thrift.binary', Accept: 'application/vnd.apache.thrift.binary' },
  json: { 'Content-Type': 'application/x-thrift', Accept: 'application/vnd.apache.thrift.json' },
};
const MAX_BODY = 1024 * 1024;
const BODY_TIMEOUT = 1000;

let scheduler: RunningScheduler;
let url: string;
const timings: number[] = [];

beforeAll(async () => {
  scheduler = await localScheduler({ maxBodyBytes: MAX_BODY, maxDepth: 32, bodyTimeoutMs: BODY_TIMEOUT });
  url = scheduler.url;
});

afterAll(async () => {
  await scheduler?.close();
  const sorted = [...timings].sort((a, b) => a - b);
  report('hostile requests', { requests: sorted.length, maxMs: Math.round(sorted[sorted.length - 1] ?? 0) });
});

async function post(protocol: WireProtocol, body: Uint8Array | string, headers: Record<string, string> = {}): Promise<RawReply> {
  const reply = await postApi(url, body, { ...HEADERS[protocol], ...headers });
  timings.push(reply.ms);
  return reply;
}

/** The scheduler still answers a normal call. */
async function expectServing(protocol: WireProtocol): Promise<void> {
  const reply = await post(protocol, encodeCall(protocol, 'getJobSummary', 1, { role: 'www-data' }));
  expect(reply.status).toBe(200);
  expect(decodeReply(protocol, 'getJobSummary', reply.body).responseCode).toBe(ResponseCode.OK);
}

/** A 200 carrying a Thrift EXCEPTION message (TApplicationException), as Thrift servers answer bad calls. */
function expectException(protocol: WireProtocol, reply: RawReply, type?: TApplicationExceptionType): ThriftMessageError {
  expect(reply.status).toBe(200);
  let error: unknown;
  try {
    decodeReply(protocol, 'getJobSummary', reply.body);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ThriftMessageError);
  const e = error as ThriftMessageError;
  if (type !== undefined) expect(e.exceptionType).toBe(type);
  return e;
}

function rssMb(): number {
  return process.memoryUsage().rss / (1024 * 1024);
}

describe.each(PROTOCOLS)('%s requests to a running scheduler', (protocol) => {
  it('random bodies get a TApplicationException or a 4xx, quickly, and the scheduler keeps serving', async () => {
    const runs = Math.max(50, Math.floor(FUZZ_RUNS / 2));
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        const reply = await post(protocol, bytes);
        expect(reply.ms).toBeLessThan(1000);
        if (reply.status === 200) {
          // Random bytes can spell a real call (e.g. an empty TJSON getJobSummary): then it is answered.
          try {
            decodeReply(protocol, 'getJobSummary', reply.body);
          } catch (e) {
            expect(e).toBeInstanceOf(AuroraProtocolError);
          }
        } else expect(reply.status).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: runs },
    );
    await expectServing(protocol);
  });

  it('every truncation of a createJob call is refused without creating anything', async () => {
    const call = encodeCall(protocol, 'createJob', 9, { description: jobConfig('truncated') });
    const step = Math.max(1, Math.floor(call.length / 60));
    for (let n = 0; n < call.length; n += step) {
      const reply = await post(protocol, call.subarray(0, n));
      expectException(protocol, reply);
    }
    const tasks = decodeReply(protocol, 'getTasksStatus', (await post(protocol, encodeCall(protocol, 'getTasksStatus', 1, { query: { jobName: 'truncated' } }))).body);
    expect(tasks.result?.scheduleStatusResult?.tasks ?? []).toHaveLength(0);
    await expectServing(protocol);
  });

  it('an unknown method is UNKNOWN_METHOD, naming it', async () => {
    const known = encodeCall(protocol, 'getJobSummary', 5, { role: 'r' });
    const bytes =
      protocol === 'binary'
        ? Buffer.from(known.toString('latin1').replace('getJobSummary', 'getJobSummarX'), 'latin1')
        : Buffer.from(known.toString().replace('getJobSummary', 'dropAllTables'));
    const e = expectException(protocol, await post(protocol, bytes), TApplicationExceptionType.UNKNOWN_METHOD);
    expect(e.message).toMatch(protocol === 'binary' ? /getJobSummarX/ : /dropAllTables/);
    await expectServing(protocol);
  });

  it('a set claiming 2^31 (and 2^31-1) elements is refused without allocating for it', async () => {
    const before = rssMb();
    for (const count of [0x7fffffff, 0x80000000]) {
      let bytes: Buffer;
      if (protocol === 'binary') {
        bytes = encodeCall('binary', 'getTasksStatus', 7, { query: { taskIds: ['x'] } });
        const at = bytes.indexOf(Buffer.from([0x0b, 0, 0, 0, 1, 0, 0, 0, 1, 0x78]));
        expect(at).toBeGreaterThan(0);
        bytes.writeUInt32BE(count, at + 1);
      } else {
        bytes = Buffer.from(encodeCall('json', 'getTasksStatus', 7, { query: { taskIds: ['x'] } }).toString().replace('["str",1,"x"]', `["str",${count},"x"]`));
      }
      const reply = await post(protocol, bytes);
      expect(reply.ms).toBeLessThan(500);
      expect(expectException(protocol, reply).message).toMatch(/taskIds/);
    }
    const growth = rssMb() - before;
    report(`${protocol} 2^31-element claim`, { rssGrowthMb: Math.round(growth) });
    expect(growth).toBeLessThan(64);
    await expectServing(protocol);
  });

  it('50,000-deep nesting stops at the configured depth limit', async () => {
    const depth = 50_000;
    let bytes: Buffer;
    if (protocol === 'binary') {
      // getJobSummary args, unknown field 99 holding struct { 1: struct { 1: ... } }.
      const head = encodeCall('binary', 'getJobSummary', 3, {}).subarray(0, -1);
      bytes = Buffer.concat([head, Buffer.from([12, 0, 99]), Buffer.alloc(3 * depth, Buffer.from([12, 0, 1])), Buffer.alloc(depth + 2, 0)]);
    } else {
      bytes = Buffer.from(`[1,"getJobSummary",1,3,{"1":{"str":"r"},"99":{"rec":${'{"1":{"rec":'.repeat(depth)}{}${'}}'.repeat(depth)}}}]`);
    }
    const reply = await post(protocol, bytes);
    expect(reply.ms).toBeLessThan(1000);
    // Both refuse it, even in an unknown field: binary while skipping, TJSON in its pre-scan before JSON.parse.
    expect(expectException(protocol, reply).message).toMatch(/nesting deeper than the limit of 32/);
    await expectServing(protocol);
  });

  it('a 100 MB string length claim is refused before allocating', async () => {
    const before = rssMb();
    if (protocol === 'binary') {
      const bytes = encodeCall('binary', 'getJobSummary', 4, { role: 'ab' });
      const at = bytes.indexOf(Buffer.from([0x0b, 0, 1, 0, 0, 0, 2]));
      bytes.writeInt32BE(100 * 1024 * 1024, at + 3);
      const reply = await post(protocol, bytes);
      expect(expectException(protocol, reply).message).toMatch(/length 104857600/);
    }
    // A body that claims 100 MB in Content-Length is refused before a byte of it is read.
    const reply = await rawRequest(`POST /api HTTP/1.1\r\nHost: x\r\nContent-Type: ${HEADERS[protocol]['Content-Type']}\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`);
    expect(reply.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
    expect(rssMb() - before).toBeLessThan(64);
    await expectServing(protocol);
  });

  it('a body over maxBodyBytes is 413 even without Content-Length (chunked)', async () => {
    const chunk = 'a'.repeat(64 * 1024);
    const chunks = Array.from({ length: Math.ceil((MAX_BODY * 2) / chunk.length) }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('');
    const reply = await rawRequest(`POST /api HTTP/1.1\r\nHost: x\r\nContent-Type: ${HEADERS[protocol]['Content-Type']}\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`);
    expect(reply.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
    await expectServing(protocol);
  });
});

describe('HTTP-level refusals', () => {
  it('GET is 405, an unknown Content-Type 415, another path 404', async () => {
    expect((await fetch(`${url}/api`)).status).toBe(405);
    expect((await postApi(url, 'x', { 'Content-Type': 'text/html' })).status).toBe(415);
    expect((await fetch(`${url}/api/../etc/passwd`, { method: 'POST' })).status).toBe(404);
    await expectServing('binary');
  });
});

/** Sends raw bytes on a fresh connection; resolves with what came back when the server closes or after the first reply. */
function rawRequest(text: string, trickle?: { every: number; write: string }): Promise<string> {
  return new Promise((resolve) => {
    const port = Number(new URL(url).port);
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(text);
      if (trickle) timer = setInterval(() => socket.write(trickle.write), trickle.every);
    });
    let timer: NodeJS.Timeout | undefined;
    let data = '';
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      if (!trickle && /\r\n\r\n/.test(data)) socket.end();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve(data);
    });
  });
}

describe('slow clients are cut off after bodyTimeoutMs', () => {
  it.each([
    ['headers, then a body trickling one byte every 100 ms', 'POST /api HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n', 'a'],
    ['headers that never end', 'POST /api HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n'],
  ])('%s', async (_what, head, drip) => {
    const t0 = performance.now();
    const reply = await rawRequest(head, { every: 100, write: drip });
    const ms = performance.now() - t0;
    report('slowloris', { case: _what, cutAfterMs: Math.round(ms), bodyTimeoutMs: BODY_TIMEOUT });
    expect(reply.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(ms).toBeLessThan(BODY_TIMEOUT + 1000);
    await expectServing('binary');
  });
});

describe('a hostile server, seen from the client', () => {
  let hostile: Server;
  let hostileUrl: string;
  let answer: (res: import('node:http').ServerResponse) => void = (res) => res.end();

  beforeAll(async () => {
    hostile = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    hostileUrl = await listen(hostile, '127.0.0.1', 0);
  });
  afterAll(async () => {
    hostile.closeAllConnections();
    await new Promise((r) => hostile.close(r));
  });

  function client(protocol: WireProtocol, timeoutMs = 5000): AuroraClient {
    return new AuroraClient({ url: hostileUrl, protocol, retry: false, timeoutMs, netrc: false });
  }

  it.each(PROTOCOLS)('%s: crafted replies (2^31 list, 100 MB string, deep nesting, random bytes) are quick protocol errors', async (protocol) => {
    const valid = encodeReply(protocol, 'getJobSummary', 1, { responseCode: ResponseCode.OK, details: [{ message: 'x' }] });
    const crafted: Buffer[] = [];
    if (protocol === 'binary') {
      const list = Buffer.from(valid);
      const at = list.indexOf(Buffer.from([0x0c, 0, 0, 0, 1]));
      list.writeUInt32BE(0x80000000, at + 1);
      crafted.push(list);
      const str = Buffer.from(valid);
      const s = str.indexOf(Buffer.from([0x0b, 0, 1, 0, 0, 0, 1, 0x78]));
      str.writeInt32BE(100 * 1024 * 1024, s + 3);
      crafted.push(str);
      crafted.push(Buffer.concat([valid.subarray(0, valid.indexOf(Buffer.from([0x0c, 0, 0])) + 3), Buffer.alloc(300_000, Buffer.from([12, 0, 1]))]));
    } else {
      crafted.push(Buffer.from(valid.toString().replace('["rec",1,', '["rec",2147483648,')));
      crafted.push(Buffer.from(`${'['.repeat(200_000)}${']'.repeat(200_000)}`));
    }
    crafted.push(Buffer.from(fc.sample(fc.uint8Array({ minLength: 1, maxLength: 200 }), 1)[0]!));
    const aurora = client(protocol);
    const before = rssMb();
    try {
      for (const bytes of crafted) {
        answer = (res) => res.end(bytes);
        const t0 = performance.now();
        await expect(aurora.getJobSummary('r')).rejects.toBeInstanceOf(AuroraProtocolError);
        expect(performance.now() - t0).toBeLessThan(1000);
      }
    } finally {
      aurora.close();
    }
    expect(rssMb() - before).toBeLessThan(64);
  });

  it('a reply that never ends is cut off by the timeout', async () => {
    answer = (res) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.apache.thrift.binary' });
      const timer = setInterval(() => res.write(Buffer.alloc(16)), 50);
      res.on('close', () => clearInterval(timer));
    };
    const aurora = client('binary', 500);
    const t0 = performance.now();
    try {
      await expect(aurora.getJobSummary('r')).rejects.toBeInstanceOf(AuroraTimeoutError);
    } finally {
      aurora.close();
    }
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it('an endless fast reply is refused once it passes the reply size limit, not buffered until the timeout', async () => {
    const block = Buffer.alloc(1024 * 1024, 0x41);
    answer = (res) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.apache.thrift.binary' });
      const pump = (): void => {
        while (!res.destroyed && res.write(block));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    };
    const aurora = new AuroraClient({ url: hostileUrl, protocol: 'binary', retry: false, timeoutMs: 20_000, netrc: false, maxReplyBytes: 8 * 1024 * 1024 });
    const before = rssMb();
    const t0 = performance.now();
    try {
      await expect(aurora.getJobSummary('r')).rejects.toThrow(/larger than the 8388608-byte limit/);
    } finally {
      aurora.close();
    }
    const growth = rssMb() - before;
    report('endless reply', { ms: Math.round(performance.now() - t0), rssGrowthMb: Math.round(growth) });
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(growth).toBeLessThan(64);
  });

  it('a Content-Length over the limit is refused before the body is read', async () => {
    answer = (res) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.apache.thrift.binary', 'Content-Length': String(2 ** 40) });
      res.write(Buffer.alloc(10));
    };
    const aurora = new AuroraClient({ url: hostileUrl, protocol: 'binary', retry: false, netrc: false });
    try {
      const error = await aurora.getJobSummary('r').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuroraTransportError);
      expect((error as AuroraTransportError).message).toMatch(/Content-Length 1099511627776/);
    } finally {
      aurora.close();
    }
  });
});
