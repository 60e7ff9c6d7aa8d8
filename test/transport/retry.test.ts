import { describe, expect, it } from 'vitest';
import { AuroraAbortError, AuroraAuthError, AuroraHttpError, AuroraTransportError } from '../../src/errors.js';
import { createHttpTransport, withRetry } from '../../src/transport/index.js';
import type { RetryInfo } from '../../src/transport/index.js';
import { closeAfterEach, closedPort, failure, startServer, type TestServer } from './helpers.js';

const track = closeAfterEach();

const fast = { minDelayMs: 5, maxDelayMs: 20 };

/** Fails the first `n` requests with `fail`, then echoes. */
async function flaky(n: number, fail: 'reset' | number): Promise<TestServer> {
  let seen = 0;
  return startServer((req, res, body) => {
    seen += 1;
    if (seen > n) res.writeHead(200).end(body);
    else if (fail === 'reset') req.socket.destroy();
    else res.writeHead(fail).end('try later');
  });
}

describe('retry policy around a transport', () => {
  it('retries 503 (no leader yet) until the scheduler answers, for writes too', async () => {
    const server = track(await flaky(2, 503));
    const retries: RetryInfo[] = [];
    const transport = track(withRetry(createHttpTransport({ url: server.origin }), { ...fast, onRetry: (r) => retries.push(r) }));
    const reply = await transport.send({ method: 'createJob', body: Uint8Array.of(9), protocol: 'binary' });
    expect([...reply]).toEqual([9]);
    expect(server.seen).toHaveLength(3);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    expect(retries[0].error).toBeInstanceOf(AuroraHttpError);
    expect(transport.url).toBe(`${server.origin}/api`);
  });

  it('retries a reset read-only call but not a reset write, which may have run', async () => {
    const reads = track(await flaky(1, 'reset'));
    const readTransport = track(withRetry(createHttpTransport({ url: reads.origin }), fast));
    expect([...(await readTransport.send({ method: 'getJobs', body: Uint8Array.of(1), protocol: 'binary' }))]).toEqual([1]);

    const writes = track(await flaky(1, 'reset'));
    const writeTransport = track(withRetry(createHttpTransport({ url: writes.origin }), fast));
    const error = await failure(writeTransport.send({ method: 'killTasks', body: Uint8Array.of(1), protocol: 'binary' }));
    expect(error).toBeInstanceOf(AuroraTransportError);
    expect(writes.seen).toHaveLength(1); // sent once, never repeated
  });

  it('does not retry auth failures, and gives up after `retries` with the last error', async () => {
    const denied = track(await flaky(10, 401));
    const t1 = track(withRetry(createHttpTransport({ url: denied.origin }), fast));
    expect(await failure(t1.send({ method: 'getJobs', body: Uint8Array.of(1), protocol: 'binary' }))).toBeInstanceOf(AuroraAuthError);
    expect(denied.seen).toHaveLength(1);

    const port = await closedPort();
    const retries: RetryInfo[] = [];
    const t2 = track(withRetry(createHttpTransport({ url: `http://127.0.0.1:${port}` }), { ...fast, retries: 2, onRetry: (r) => retries.push(r) }));
    const error = await failure(t2.send({ method: 'createJob', body: Uint8Array.of(1), protocol: 'binary' }));
    expect(error.code).toBe('ECONNREFUSED');
    expect(retries).toHaveLength(2);
  });

  it('stops waiting between attempts when the signal aborts', async () => {
    const server = track(await flaky(100, 503));
    const transport = track(withRetry(createHttpTransport({ url: server.origin }), { minDelayMs: 5_000, maxDelayMs: 5_000 }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const error = await failure(transport.send({ method: 'getJobs', body: Uint8Array.of(1), protocol: 'binary', signal: controller.signal }));
    expect(error).toBeInstanceOf(AuroraAbortError);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
