import { describe, expect, it } from 'vitest';
import { AuroraHttpError, AuroraTransportError } from '../../src/errors.js';
import { createHttpTransport } from '../../src/transport/index.js';
import type { TransportEvent } from '../../src/transport/index.js';
import { allBytes, closeAfterEach, echo, failure, type Handler, startServer } from './helpers.js';

const track = closeAfterEach();

function redirectTo(location: string, status = 307): Handler {
  return (_req, res) => {
    res.writeHead(status, { location });
    res.end('not the leader');
  };
}

const auth = { username: 'ops', password: 'redirect-secret' };

describe('HTTP transport: leader redirects', () => {
  it('re-posts the identical binary bytes to the leader on 307 and keeps Authorization on the same origin', async () => {
    let first = true;
    const server = track(await startServer((req, res, body) => {
      if (first) {
        first = false;
        redirectTo('/leader/api')(req, res, body);
      } else {
        echo()(req, res, body);
      }
    }));
    const events: TransportEvent[] = [];
    const transport = track(createHttpTransport({ url: server.origin, auth, onEvent: (e) => events.push(e) }));

    const reply = await transport.send({ method: 'createJob', body: allBytes(), protocol: 'binary' });

    expect(Buffer.compare(reply, Buffer.from(allBytes()))).toBe(0);
    expect(server.seen).toHaveLength(2);
    const [follower, leader] = server.seen;
    expect(Buffer.compare(leader.body, Buffer.from(allBytes()))).toBe(0);
    expect(leader.method).toBe('POST');
    expect(leader.url).toBe('/leader/api');
    expect(leader.headers['content-type']).toBe('application/vnd.apache.thrift.binary');
    expect(leader.headers.authorization).toBe(follower.headers.authorization);
    expect(leader.headers.authorization).toMatch(/^Basic /);
    expect(events.map((e) => e.type)).toEqual(['request', 'response', 'redirect', 'request', 'response']);
    expect(events[2]).toMatchObject({ type: 'redirect', status: 307, location: `${server.origin}/leader/api` });
  });

  it('drops Authorization when the redirect goes to another port of the same host (another origin)', async () => {
    const leader = track(await startServer(echo()));
    const follower = track(await startServer(redirectTo(`${leader.origin}/api`)));
    const transport = track(createHttpTransport({ url: follower.origin, auth }));

    await transport.send({ method: 'createJob', body: Uint8Array.of(1, 2, 3), protocol: 'binary' });

    expect(follower.seen[0].headers.authorization).toMatch(/^Basic /);
    expect(leader.seen).toHaveLength(1);
    expect(leader.seen[0].headers.authorization).toBeUndefined();
    expect([...leader.seen[0].body]).toEqual([1, 2, 3]);
  });

  it('drops Authorization when the redirect goes to a different host name', async () => {
    const leader = track(await startServer(echo()));
    const follower = track(await startServer(redirectTo(`http://localhost:${leader.port}/api`)));
    const transport = track(createHttpTransport({ url: follower.origin, auth }));

    await transport.send({ method: 'createJob', body: Uint8Array.of(1, 2, 3), protocol: 'binary' });

    expect(follower.seen[0].headers.authorization).toMatch(/^Basic /);
    expect(leader.seen).toHaveLength(1);
    expect(leader.seen[0].headers.authorization).toBeUndefined();
    expect([...leader.seen[0].body]).toEqual([1, 2, 3]);
  });

  it('resolves a relative Location and follows 301, 302 and 308 with POST too', async () => {
    for (const status of [301, 302, 308]) {
      let first = true;
      const server = track(await startServer((req, res, body) => {
        if (first) {
          first = false;
          redirectTo('/leader/api', status)(req, res, body);
        } else {
          echo()(req, res, body);
        }
      }));
      const transport = track(createHttpTransport({ url: server.origin }));
      const reply = await transport.send({ method: 'getJobs', body: Uint8Array.of(status % 256), protocol: 'json' });
      expect([...reply]).toEqual([status % 256]);
      expect(server.seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /api', 'POST /leader/api']);
    }
  });

  it('gives up after maxRedirects hops with "too many redirects"', async () => {
    const loop = track(await startServer(redirectTo('/api')));
    const transport = track(createHttpTransport({ url: loop.origin, maxRedirects: 2 }));
    const error = await failure(transport.send({ method: 'getJobs', body: Uint8Array.of(1), protocol: 'binary' }));
    expect(error).toBeInstanceOf(AuroraTransportError);
    expect(error.message).toContain('too many redirects');
    expect(error.code).toBe('ERR_TOO_MANY_REDIRECTS');
    expect(error.method).toBe('getJobs');
    expect(loop.seen).toHaveLength(3); // the first request and two followed hops
  });

  it('fails a redirect without Location as an HTTP error', async () => {
    const server = track(await startServer(echo(307)));
    const transport = track(createHttpTransport({ url: server.origin }));
    const error = await failure(transport.send({ method: 'getJobs', body: Uint8Array.of(1), protocol: 'binary' }));
    expect(error).toBeInstanceOf(AuroraHttpError);
    expect(error.status).toBe(307);
    expect(error.message).toContain('without a Location');
  });

  it('never forwards userinfo found in a Location, nor uses it as credentials', async () => {
    const leader = track(await startServer(echo()));
    const follower = track(await startServer(redirectTo(`http://evil:loc-secret@127.0.0.1:${leader.port}/api`)));
    const events: TransportEvent[] = [];
    const transport = track(createHttpTransport({ url: follower.origin, onEvent: (e) => events.push(e) }));
    await transport.send({ method: 'getJobs', body: Uint8Array.of(1), protocol: 'binary' });
    expect(leader.seen[0].headers.authorization).toBeUndefined();
    expect(JSON.stringify(events)).not.toContain('loc-secret');
  });
});
