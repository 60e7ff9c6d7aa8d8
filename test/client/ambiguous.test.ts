/**
 * A failed write says whether it may have been applied: AuroraClient against real HTTP servers on
 * 127.0.0.1 that read the whole request and then stall, cut the connection, or answer bytes that are
 * not a reply. Such a write is `ambiguous` and not `retryable`; a read failing the same way is
 * retryable, and a write that never reached a server (connection refused) is not ambiguous.
 */
import { describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { createJobSafely } from '../../src/client/safe-writes.js';
import { AuroraAbortError, AuroraHttpError, AuroraProtocolError, AuroraTimeoutError, AuroraTransportError, isAmbiguous } from '../../src/errors.js';
import { Job } from '../../src/job/index.js';
import { closeAfterEach, closedPort, failure, startServer } from '../transport/helpers.js';

const track = closeAfterEach();
const key = { role: 'www-data', environment: 'prod', name: 'hello' };
const job = Job.create(key).executor('hello-executor', '{}').cpus(0.1).ramMb(16).diskMb(16);

function client(url: string, timeoutMs = 300): AuroraClient {
  const c = new AuroraClient({ url, timeoutMs });
  track({ url, send: () => Promise.reject(new Error('unused')), close: () => c.close() });
  return c;
}

describe('ambiguous writes', () => {
  it('a write that times out after the server read it is ambiguous and not retryable; a read is retryable', async () => {
    const server = track(await startServer(() => undefined));
    const c = client(server.origin);
    const write = await failure(c.killTasks(key, [0], 'stop'));
    expect(write).toBeInstanceOf(AuroraTimeoutError);
    expect(write.ambiguous).toBe(true);
    expect(write.retryable).toBe(false);
    expect(isAmbiguous(write)).toBe(true);
    expect(write.message).toContain('may have been applied');
    expect(server.seen.filter((s) => s.body.includes('killTasks'))).toHaveLength(1);

    const read = await failure(c.getJobs('www-data'));
    expect(read).toBeInstanceOf(AuroraTimeoutError);
    expect(read.ambiguous).toBe(false);
    expect(read.retryable).toBe(true);
  });

  it('a write whose connection is cut after the request is sent once, ambiguous', async () => {
    const server = track(await startServer((req) => req.socket.destroy()));
    const c = client(server.origin, 5000);
    const error = await failure(c.createJob(job));
    expect(error).toBeInstanceOf(AuroraTransportError);
    expect(error.code).toBe('ECONNRESET');
    expect(error.ambiguous).toBe(true);
    expect(error.retryable).toBe(false);
    expect(server.seen).toHaveLength(1);
  });

  it('a write answered with bytes that are not a reply is ambiguous (the scheduler got it)', async () => {
    const server = track(
      await startServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/vnd.apache.thrift.json' });
        res.end('[1,"startJobUpdate"');
      }),
    );
    const c = client(server.origin, 5000);
    const error = await failure(c.restartShards(key, [0]));
    expect(error).toBeInstanceOf(AuroraProtocolError);
    expect(error.ambiguous).toBe(true);
    expect(error.retryable).toBe(false);
  });

  it('a write the caller aborts in flight is ambiguous; one aborted before it was sent is not', async () => {
    const server = track(await startServer(() => undefined));
    const c = client(server.origin, 5000);
    const inFlight = await failure(c.killTasks(key, [0], 'stop', { signal: AbortSignal.timeout(200) }));
    expect(inFlight).toBeInstanceOf(AuroraAbortError);
    expect(inFlight.ambiguous).toBe(true);
    expect(server.seen).toHaveLength(1);

    const before = await failure(c.killTasks(key, [0], 'stop', { signal: AbortSignal.abort() }));
    expect(before).toBeInstanceOf(AuroraAbortError);
    expect(before.ambiguous).toBe(false);
    expect(server.seen).toHaveLength(1);
  });

  it('createJobSafely aborted in flight stops there: the abort, ambiguous, with no lookup and no second send', async () => {
    const server = track(await startServer(() => undefined));
    const c = client(server.origin, 5000);
    const error = await failure(createJobSafely(c, job, { signal: AbortSignal.timeout(200) }));
    expect(error).toBeInstanceOf(AuroraAbortError);
    expect(error.ambiguous).toBe(true);
    expect(server.seen).toHaveLength(1);
  });

  it('a write that never reached a scheduler is not ambiguous: refused, or 503 (no leader)', async () => {
    const port = await closedPort();
    const refused = await failure(new AuroraClient({ url: `http://127.0.0.1:${port}`, retry: false }).killTasks(key, [0], 'stop'));
    expect(refused).toBeInstanceOf(AuroraTransportError);
    expect(refused.ambiguous).toBe(false);
    expect(refused.retryable).toBe(true);
    expect(isAmbiguous(refused)).toBe(false);

    const server = track(
      await startServer((_req, res) => {
        res.writeHead(503);
        res.end('no leader');
      }),
    );
    const unavailable = await failure(new AuroraClient({ url: server.origin, retry: false }).killTasks(key, [0], 'stop'));
    expect(unavailable).toBeInstanceOf(AuroraHttpError);
    expect(unavailable.ambiguous).toBe(false);
    expect(unavailable.retryable).toBe(true);
  });
});
