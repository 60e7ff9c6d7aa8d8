import { Readable } from 'node:stream';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  AuroraAuthError,
  AuroraHttpError,
  AuroraProtocolError,
  AuroraTransportError,
  AuroraValidationError,
} from '../../src/errors.js';
import { contentTypes, createHttpTransport, normalizeSchedulerUrl } from '../../src/transport/index.js';
import type { FetchLike } from '../../src/transport/index.js';
import { allBytes, closeAfterEach, echo, failure, startServer } from './helpers.js';

const track = closeAfterEach();

describe('HTTP transport: requests', () => {
  it('posts binary Thrift with the binary content type both ways, to /api, and returns the body', async () => {
    const server = track(await startServer(echo()));
    const transport = track(createHttpTransport({ url: server.origin }));
    expect(transport.url).toBe(`${server.origin}/api`);

    const reply = await transport.send({ method: 'getJobSummary', body: allBytes(), protocol: 'binary' });

    expect(Buffer.compare(reply, Buffer.from(allBytes()))).toBe(0);
    const [req] = server.seen;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/api');
    expect(req.headers['content-type']).toBe('application/vnd.apache.thrift.binary');
    expect(req.headers.accept).toBe('application/vnd.apache.thrift.binary');
    expect(req.headers['user-agent']).toMatch(/^aurora-ts\/\d+\.\d+\.\d+\S* node\/v\d+/);
    expect(req.headers.authorization).toBeUndefined();
  });

  it('posts TJSON as application/x-thrift and asks for application/vnd.apache.thrift.json', async () => {
    const server = track(await startServer(echo()));
    const transport = track(createHttpTransport({ url: `${server.origin}/`, userAgent: 'deploy-bot/1' }));
    const body = new TextEncoder().encode('[1,"getJobSummary",1,0,{}]');

    const reply = await transport.send({ method: 'getJobSummary', body, protocol: 'json' });

    expect(reply.toString()).toBe('[1,"getJobSummary",1,0,{}]');
    expect(server.seen[0].url).toBe('/api');
    expect(server.seen[0].headers['content-type']).toBe('application/x-thrift');
    expect(server.seen[0].headers.accept).toBe('application/vnd.apache.thrift.json');
    expect(server.seen[0].headers['user-agent']).toBe('deploy-bot/1');
    expect(contentTypes('json')).toEqual({ contentType: 'application/x-thrift', accept: 'application/vnd.apache.thrift.json' });
  });

  it('keeps an explicit path and sends extra headers', async () => {
    const server = track(await startServer(echo()));
    const transport = track(createHttpTransport({ url: `${server.origin}/scheduler/api`, headers: { 'Bypass-Leader-Redirect': 'true' } }));
    await transport.send({ method: 'getQuota', body: Uint8Array.of(1), protocol: 'binary' });
    expect(server.seen[0].url).toBe('/scheduler/api');
    expect(server.seen[0].headers['bypass-leader-redirect']).toBe('true');
    expect(normalizeSchedulerUrl('http://h:8081')).toBe('http://h:8081/api');
  });

  it('sends a subarray body exactly (no bytes outside the view)', async () => {
    const server = track(await startServer(echo()));
    const transport = track(createHttpTransport({ url: server.origin }));
    const whole = allBytes();
    await transport.send({ method: 'getQuota', body: whole.subarray(10, 20), protocol: 'binary' });
    expect([...server.seen[0].body]).toEqual([...whole.subarray(10, 20)]);
  });

  it('takes Basic credentials from the URL userinfo and keeps them out of transport.url', async () => {
    const server = track(await startServer(echo()));
    const transport = track(createHttpTransport({ url: `http://aurora:s3cr%3At@127.0.0.1:${server.port}` }));
    expect(transport.url).toBe(`http://127.0.0.1:${server.port}/api`);
    await transport.send({ method: 'createJob', body: Uint8Array.of(1), protocol: 'binary' });
    const header = server.seen[0].headers.authorization ?? '';
    expect(Buffer.from(header.replace(/^Basic /, ''), 'base64').toString()).toBe('aurora:s3cr:t');
  });

  it('reuses one keep-alive connection for calls in sequence and serves many concurrent calls', async () => {
    const server = track(await startServer(echo()));
    const transport = track(createHttpTransport({ url: server.origin }));
    for (let i = 0; i < 5; i += 1) await transport.send({ method: 'getQuota', body: Uint8Array.of(i), protocol: 'binary' });
    expect(server.connections).toBe(1);

    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        transport.send({ method: 'getJobs', body: Buffer.from(`call-${i}`), protocol: 'json' }),
      ),
    );
    expect(replies.map((r) => r.toString())).toEqual(Array.from({ length: 100 }, (_, i) => `call-${i}`));
    const before = server.connections;
    await Promise.all(Array.from({ length: 20 }, () => transport.send({ method: 'getJobs', body: Uint8Array.of(1), protocol: 'json' })));
    expect(server.connections).toBe(before); // the pooled sockets were reused
  });

  it('uses the fetch passed in, with redirect handling left to the transport', async () => {
    const calls: Array<{ url: string; redirect: unknown; body: unknown }> = [];
    const fake: FetchLike = async (url, init) => {
      calls.push({ url, redirect: init.redirect, body: init.body });
      return { status: 200, statusText: 'OK', headers: { get: () => null }, body: Readable.from([Buffer.from('ok')]) };
    };
    const transport = track(createHttpTransport({ url: 'http://scheduler.example:8081', fetch: fake }));
    const reply = await transport.send({ method: 'getJobs', body: Uint8Array.of(7), protocol: 'binary' });
    expect(reply.toString()).toBe('ok');
    expect(calls).toEqual([{ url: 'http://scheduler.example:8081/api', redirect: 'manual', body: Buffer.of(7) }]);
  });

  it('works with node-fetch passed in as the fetch, redirects and all', async () => {
    const { default: nodeFetch } = await import('node-fetch');
    const target = track(await startServer(echo()));
    const server = track(await startServer((_req, res) => {
      res.writeHead(307, { location: `${target.origin}/api` });
      res.end();
    }));
    const transport = track(createHttpTransport({ url: server.origin, fetch: nodeFetch as unknown as FetchLike }));
    const reply = await transport.send({ method: 'getJobs', body: Uint8Array.of(1, 2, 3), protocol: 'binary' });
    expect([...reply]).toEqual([1, 2, 3]);
    expect(target.seen).toHaveLength(1);
  });

  it('asks for compressed replies and reads gzip, deflate and brotli ones', async () => {
    const payload = Buffer.from('x'.repeat(100_000));
    for (const [encoding, compress] of [['gzip', gzipSync], ['deflate', deflateSync], ['br', brotliCompressSync]] as const) {
      const server = track(await startServer((_req, res) => {
        res.writeHead(200, { 'content-encoding': encoding });
        res.end(compress(payload));
      }));
      const transport = track(createHttpTransport({ url: server.origin }));
      const reply = await transport.send({ method: 'getTasksStatus', body: Uint8Array.of(1), protocol: 'binary' });
      expect(reply.equals(payload), encoding).toBe(true);
      expect(server.seen[0]!.headers['accept-encoding']).toBe('gzip, deflate, br');
    }
  });

  it('refuses a compressed reply that inflates past maxReplyBytes, and a corrupt one, with one line each', async () => {
    const bomb = track(await startServer((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(gzipSync(Buffer.alloc(10_000_000)));
    }));
    const small = track(createHttpTransport({ url: bomb.origin, maxReplyBytes: 1_000_000 }));
    const tooLarge = await failure(small.send({ method: 'getTasksStatus', body: Uint8Array.of(1), protocol: 'binary' }));
    expect(tooLarge.message).toMatch(/larger than the 1000000-byte limit/);

    const corrupt = track(await startServer((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(Buffer.from('not gzip at all'));
    }));
    const transport = track(createHttpTransport({ url: corrupt.origin }));
    const error = await failure(transport.send({ method: 'getTasksStatus', body: Uint8Array.of(1), protocol: 'binary' }));
    expect(error).toBeInstanceOf(AuroraTransportError);
    expect(error.message).toMatch(/^getTasksStatus: the response from 127\.0\.0\.1:\d+ was cut short: /);
    expect(error.message.split('\n')).toHaveLength(1);
  });
});

describe('HTTP transport: status codes', () => {
  it('turns 401 with a challenge into AuroraAuthError naming the URL and the scheme asked for', async () => {
    const server = track(await startServer((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="Apache Aurora Scheduler"' });
      res.end('login required');
    }));
    const transport = track(createHttpTransport({ url: server.origin }));
    const error = await failure(transport.send({ method: 'createJob', body: Uint8Array.of(1), protocol: 'binary' }));
    expect(error).toBeInstanceOf(AuroraAuthError);
    expect(error.status).toBe(401);
    expect(error.method).toBe('createJob');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`${server.origin}/api`);
    expect(error.message).toContain('no credentials were sent');
    expect(error.message).toContain('Basic');
  });

  it('turns 401 for given credentials into an error naming the user only', async () => {
    const server = track(await startServer((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' });
      res.end();
    }));
    const transport = track(createHttpTransport({ url: server.origin, auth: { username: 'alice', password: 'pa55word' } }));
    const error = await failure(transport.send({ method: 'killTasks', body: Uint8Array.of(1), protocol: 'binary' }));
    expect(error).toBeInstanceOf(AuroraAuthError);
    expect(error.message).toContain('"alice"');
    expect(error.message).not.toContain('pa55word');
  });

  it('turns 403 into AuroraAuthError with status 403', async () => {
    const server = track(await startServer(echo(403)));
    const transport = track(createHttpTransport({ url: server.origin, auth: { username: 'bob', password: 'hunter22' } }));
    const error = await failure(transport.send({ method: 'drainHosts', body: Uint8Array.of(1), protocol: 'binary' }));
    expect(error).toBeInstanceOf(AuroraAuthError);
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/HTTP 403 .*user "bob" is not allowed to call drainHosts/);
  });

  it('turns 415 into a non-retryable AuroraHttpError', async () => {
    const server = track(await startServer(echo(415)));
    const transport = track(createHttpTransport({ url: server.origin }));
    const error = await failure(transport.send({ method: 'getJobs', body: Uint8Array.of(1), protocol: 'json' }));
    expect(error).toBeInstanceOf(AuroraHttpError);
    expect(error.status).toBe(415);
    expect(error.retryable).toBe(false);
    expect(error.method).toBe('getJobs');
  });

  it('turns 500 into AuroraHttpError with a short, tag-free snippet of the body', async () => {
    const server = track(await startServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end(`<html><body><h2>HTTP ERROR 500</h2><pre>java.lang.NullPointerException</pre>${'x'.repeat(5000)}</body></html>`);
    }));
    const transport = track(createHttpTransport({ url: server.origin }));
    const error = await failure(transport.send({ method: 'getJobs', body: Uint8Array.of(1), protocol: 'json' }));
    expect(error).toBeInstanceOf(AuroraHttpError);
    expect(error.status).toBe(500);
    expect(error.message).toContain('HTTP ERROR 500 java.lang.NullPointerException');
    expect(error.message).not.toContain('<');
    expect(error.message.length).toBeLessThan(400);
    expect(error.retryable).toBe(false);
  });

  it('marks 502, 503 and 504 retryable (no leader yet)', async () => {
    for (const status of [502, 503, 504]) {
      const server = track(await startServer(echo(status)));
      const transport = track(createHttpTransport({ url: server.origin }));
      const error = await failure(transport.send({ method: 'getJobs', body: Uint8Array.of(1), protocol: 'binary' }));
      expect(error).toBeInstanceOf(AuroraHttpError);
      expect(error.status).toBe(status);
      expect(error.retryable).toBe(true);
    }
  });

  it('treats an empty 200 body as a protocol error', async () => {
    const server = track(await startServer((_req, res) => res.writeHead(200).end()));
    const transport = track(createHttpTransport({ url: server.origin }));
    const error = await failure(transport.send({ method: 'getJobs', body: Uint8Array.of(1), protocol: 'binary' }));
    expect(error).toBeInstanceOf(AuroraProtocolError);
    expect(error.message).toContain('empty body');
  });

  it('rejects calls after close()', async () => {
    const transport = createHttpTransport({ url: 'http://127.0.0.1:9' });
    transport.close();
    const error = await failure(transport.send({ method: 'getJobs', body: Uint8Array.of(1), protocol: 'binary' }));
    expect(error).toBeInstanceOf(AuroraTransportError);
    expect(error.message).toContain('closed');
  });
});

describe('HTTP transport: options', () => {
  it('names the field for bad options, without echoing credentials', () => {
    const bad = (options: Parameters<typeof createHttpTransport>[0]): AuroraValidationError => {
      try {
        createHttpTransport(options);
      } catch (error) {
        return error as AuroraValidationError;
      }
      throw new Error('expected a validation error');
    };
    const e1 = bad({ url: 'u:secretpw@scheduler' });
    expect(e1).toBeInstanceOf(AuroraValidationError);
    expect(e1.field).toBe('url');
    expect(e1.message).not.toContain('secretpw');
    expect(bad({ url: 'ftp://h/' }).message).toContain('use http or https');
    expect(bad({ url: 'http://h', timeoutMs: 0 }).field).toBe('timeoutMs');
    expect(bad({ url: 'http://h', maxRedirects: -1 }).field).toBe('maxRedirects');
    expect(bad({ url: 'http://h', auth: { username: 'a:b', password: 'x' } }).field).toBe('auth.username');
    expect(bad({ url: 'https://h', tls: { cert: 'PEM' } }).field).toBe('tls.key');
  });
});
