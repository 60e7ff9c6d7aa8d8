import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraTransportError } from '../../src/errors.js';
import { createHttpTransport } from '../../src/transport/index.js';
import { closeAfterEach, echo, failure, makePki, type Pki, startServer } from './helpers.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki?.cleanup());

const track = closeAfterEach();

const call = { method: 'getJobs', body: Uint8Array.of(4, 5, 6), protocol: 'binary' as const };

describe('HTTPS transport', () => {
  it('talks to a server whose certificate the given CA signed (IP subjectAltName)', async () => {
    const server = track(await startServer(echo(), { cert: pki.serverCert, key: pki.serverKey }));
    const transport = track(createHttpTransport({ url: server.origin, tls: { ca: pki.ca } }));
    expect(transport.url).toBe(`${server.origin}/api`);
    const reply = await transport.send(call);
    expect([...reply]).toEqual([4, 5, 6]);
  });

  it('fails with a clear TLS error when the CA is not trusted', async () => {
    const server = track(await startServer(echo(), { cert: pki.serverCert, key: pki.serverKey }));
    for (const tls of [{ ca: pki.otherCa }, {}]) {
      const transport = track(createHttpTransport({ url: server.origin, tls }));
      const error = await failure(transport.send(call));
      expect(error).toBeInstanceOf(AuroraTransportError);
      expect(error.message).toContain(`TLS connection to 127.0.0.1:${server.port} failed`);
      expect(error.message).toContain('tls.ca');
      expect(String(error.code)).toMatch(/CERT|SIGNATURE|ISSUER/);
      expect(error.retryable).toBe(false);
    }
    expect(server.seen).toHaveLength(0);
  });

  it('skips verification with insecure: true', async () => {
    const server = track(await startServer(echo(), { cert: pki.serverCert, key: pki.serverKey }));
    const transport = track(createHttpTransport({ url: server.origin, tls: { insecure: true } }));
    expect([...(await transport.send(call))]).toEqual([4, 5, 6]);
  });

  it('authenticates with a client certificate when the server requires one', async () => {
    const server = track(await startServer(
      (req, res, body) => {
        const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
        res.writeHead(200).end(Buffer.concat([Buffer.from(`${peer.subject.CN}:`), body]));
      },
      { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, requestCert: true, rejectUnauthorized: true },
    ));
    const withCert = track(createHttpTransport({
      url: server.origin,
      tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey },
    }));
    const reply = await withCert.send(call);
    expect(reply.subarray(0, 7).toString()).toBe('client:');

    const withoutCert = track(createHttpTransport({ url: server.origin, tls: { ca: pki.ca }, timeoutMs: 3000 }));
    const error = await failure(withoutCert.send(call));
    expect(error).toBeInstanceOf(AuroraTransportError);
    expect(error.message).toContain(`127.0.0.1:${server.port}`);
    expect(server.seen).toHaveLength(1);
  });
});
