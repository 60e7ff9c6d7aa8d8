import { describe, expect, it } from 'vitest';
import { AuroraAbortError, AuroraTimeoutError, AuroraTransportError } from '../../src/errors.js';
import { createHttpTransport } from '../../src/transport/index.js';
import { closeAfterEach, closedPort, failure, startServer } from './helpers.js';

const track = closeAfterEach();

const call = { method: 'getJobUpdateDetails', body: Uint8Array.of(1, 2, 3), protocol: 'binary' as const };

describe('HTTP transport: network failures never leave a call pending', () => {
  it('times out a server that never answers, within the deadline plus slack', async () => {
    const server = track(await startServer(() => undefined));
    const transport = track(createHttpTransport({ url: server.origin, timeoutMs: 300 }));
    const started = Date.now();
    const error = await failure(transport.send(call));
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(AuroraTimeoutError);
    expect(error.timeoutMs).toBe(300);
    expect(error.retryable).toBe(true);
    expect(error.method).toBe('getJobUpdateDetails');
    expect(error.message).toContain(`127.0.0.1:${server.port}`);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
  });

  it('times out a server that sends headers and then stalls mid-body', async () => {
    const server = track(await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(10));
    }));
    const transport = track(createHttpTransport({ url: server.origin, timeoutMs: 300 }));
    const started = Date.now();
    const error = await failure(transport.send(call));
    expect(error).toBeInstanceOf(AuroraTimeoutError);
    expect(error.message).toContain('while reading the response');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('reports a refused connection with ECONNREFUSED and host:port, retryable', async () => {
    const port = await closedPort();
    const transport = track(createHttpTransport({ url: `http://127.0.0.1:${port}` }));
    const error = await failure(transport.send(call));
    expect(error).toBeInstanceOf(AuroraTransportError);
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.retryable).toBe(true);
    expect(error.method).toBe('getJobUpdateDetails');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toContain('connection refused');
  });

  it('reports a reset connection with ECONNRESET, retryable', async () => {
    const server = track(await startServer((req) => req.socket.destroy()));
    const transport = track(createHttpTransport({ url: server.origin }));
    const error = await failure(transport.send(call));
    expect(error).toBeInstanceOf(AuroraTransportError);
    expect(error.code).toBe('ECONNRESET');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`127.0.0.1:${server.port}`);
  });

  it('rejects a body cut short of its Content-Length', async () => {
    const server = track(await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write(Buffer.alloc(10), () => res.socket?.destroy());
    }));
    const transport = track(createHttpTransport({ url: server.origin, timeoutMs: 5000 }));
    const started = Date.now();
    const error = await failure(transport.send(call));
    expect(error).toBeInstanceOf(AuroraTransportError);
    expect(error.message).toContain('cut short');
    expect(error.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('rejects a chunked body whose connection closes before the last chunk', async () => {
    const server = track(await startServer((_req, res) => {
      res.writeHead(200);
      res.write(Buffer.alloc(10), () => res.socket?.destroy());
    }));
    const transport = track(createHttpTransport({ url: server.origin, timeoutMs: 5000 }));
    const started = Date.now();
    const error = await failure(transport.send(call));
    expect(error).toBeInstanceOf(AuroraTransportError);
    expect(error.message).toContain('cut short');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("stops at once when the caller's signal aborts", async () => {
    const server = track(await startServer(() => undefined));
    const transport = track(createHttpTransport({ url: server.origin, timeoutMs: 5000 }));
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(transport.send({ ...call, signal: controller.signal }));
    expect(error).toBeInstanceOf(AuroraAbortError);
    expect(error.method).toBe('getJobUpdateDetails');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('does not send anything when the signal is already aborted', async () => {
    const server = track(await startServer(() => undefined));
    const transport = track(createHttpTransport({ url: server.origin }));
    const error = await failure(transport.send({ ...call, signal: AbortSignal.abort() }));
    expect(error).toBeInstanceOf(AuroraAbortError);
    expect(server.seen).toHaveLength(0);
  });

  it('still works after failures on the same transport', async () => {
    let calls = 0;
    const server = track(await startServer((req, res, body) => {
      calls += 1;
      if (calls === 1) req.socket.destroy();
      else res.writeHead(200).end(body);
    }));
    const transport = track(createHttpTransport({ url: server.origin }));
    await failure(transport.send(call));
    const reply = await transport.send(call);
    expect([...reply]).toEqual([1, 2, 3]);
  });
});
