import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Transport } from '../../src/transport/index.js';

export interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Which TCP connection carried it, numbered from 1 per server. */
  connection: number;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

export interface TestServer {
  port: number;
  /** `http(s)://127.0.0.1:<port>` */
  origin: string;
  seen: Seen[];
  connections: number;
  close(): Promise<void>;
}

/** A real server on 127.0.0.1, port 0, that records every request it reads in full. */
export async function startServer(handler: Handler, tls?: https.ServerOptions): Promise<TestServer> {
  const seen: Seen[] = [];
  const state = { connections: 0 };
  const ids = new WeakMap<object, number>();
  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method, url: req.url, headers: req.headers, body, connection: ids.get(req.socket) ?? 0 });
      handler(req, res, body);
    });
  };
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  server.on(tls ? 'secureConnection' : 'connection', (socket: object) => {
    state.connections += 1;
    ids.set(socket, state.connections);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    seen,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers every call with `bytes` (default: the request body echoed back). */
export function echo(status = 200, extra: Record<string, string> = {}): Handler {
  return (_req, res, body) => {
    res.writeHead(status, { 'content-type': 'application/vnd.apache.thrift.binary', ...extra });
    res.end(body);
  };
}

/** A port that was just open and is now closed: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every byte value, so binary bodies that a string conversion would mangle are caught. */
export function allBytes(): Uint8Array {
  const out = new Uint8Array(512);
  for (let i = 0; i < out.length; i += 1) out[i] = i % 256;
  return out;
}

export interface Pki {
  ca: Buffer;
  serverCert: Buffer;
  serverKey: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
  /** A second CA that signed nothing here: trusting it alone must fail. */
  otherCa: Buffer;
  cleanup(): void;
}

/** A CA, a server certificate for 127.0.0.1 (IP subjectAltName) and a client certificate, via openssl. */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'aurora-ts-pki-'));
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const ca = (name: string): void => {
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`,
      '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  };
  const leaf = (name: string, ext: string): void => {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(join(dir, `${name}.ext`), ext);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'test-ca.crt', '-CAkey', 'test-ca.key', '-CAcreateserial',
      '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  };
  ca('test-ca');
  ca('other-ca');
  leaf('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'extendedKeyUsage=clientAuth\n');
  const read = (file: string): Buffer => readFileSync(join(dir, file));
  return {
    ca: read('test-ca.crt'),
    otherCa: read('other-ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Awaits a promise that must reject, and returns what it rejected with. */
export async function failure(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/**
 * For a test file: returns `track`, which registers a server or transport to close after each test
 * (`const track = closeAfterEach();` at the top, then `track(await startServer(...))`).
 */
export function closeAfterEach(): <T extends TestServer | Transport>(x: T) => T {
  const open: Array<TestServer | Transport> = [];
  afterEach(async () => {
    for (const x of open.splice(0)) {
      if ('send' in x) x.close();
      else await x.close();
    }
  });
  return (x) => {
    open.push(x);
    return x;
  };
}
