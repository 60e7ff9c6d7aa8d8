/**
 * The transport's default FetchLike: one POST over node:http or node:https, nothing else. It does
 * what the transport needs of fetch (status, headers, the body as a stream, abort, compressed
 * replies) without a fetch library: node-fetch and its dependencies cost a CLI command about 30 ms of
 * start-up (see docs/performance.md), for features (WHATWG Request/Response, Blob, FormData) no
 * Thrift call uses. Redirects are the transport's business and are never followed here.
 */
import type http from 'node:http';
import { Readable } from 'node:stream';
import type { FetchInit, FetchLike, FetchResponse } from './types.js';

// node:http, node:https (tls, crypto) and node:zlib load on the first request: importing the SDK
// should not pay for them (about 15 ms).
const zlib = () => process.getBuiltinModule('node:zlib');

/** Content-Encodings the scheduler (Jetty's gzip handler, or a proxy) may use, and their decoders. */
const DECODERS: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: () => zlib().createGunzip(),
  'x-gzip': () => zlib().createGunzip(),
  deflate: () => zlib().createInflate(),
  br: () => zlib().createBrotliDecompress(),
};

export const ACCEPT_ENCODING = 'gzip, deflate, br';

export const nodeHttpFetch: FetchLike = (url, init) =>
  new Promise<FetchResponse>((resolve, reject) => {
    const target = new URL(url);
    const send =
      target.protocol === 'https:'
        ? process.getBuiltinModule('node:https').request
        : target.protocol === 'http:'
          ? process.getBuiltinModule('node:http').request
          : undefined;
    if (send === undefined) {
      reject(Object.assign(new Error(`unsupported URL scheme ${target.protocol}`), { code: 'ERR_INVALID_PROTOCOL' }));
      return;
    }
    const headers: Record<string, string> = { 'accept-encoding': ACCEPT_ENCODING, ...init.headers };
    const body = init.body;
    if (body !== undefined) headers['content-length'] = String(body.byteLength);
    const request = send(target, {
      method: init.method,
      headers,
      agent: agentFor(init, target),
      signal: init.signal,
    });
    request.once('error', reject);
    request.once('response', (response) => {
      // Errors from here on belong to the body, which the caller reads (and sees fail).
      request.off('error', reject);
      request.on('error', () => undefined);
      resolve(toResponse(response));
    });
    request.end(body);
  });

function agentFor(init: FetchInit, target: URL): http.Agent | undefined {
  const agent = init.agent;
  return typeof agent === 'function' ? agent(target) : agent;
}

function toResponse(response: http.IncomingMessage): FetchResponse {
  const encoding = headerValue(response.headers['content-encoding'])?.trim().toLowerCase();
  const decoder = encoding !== undefined && encoding !== '' && encoding !== 'identity' ? DECODERS[encoding] : undefined;
  let body: AsyncIterable<Uint8Array>;
  if (decoder !== undefined) {
    const decoded = decoder();
    // A cut-short or corrupt body fails the decoded stream too, so the reader sees it.
    response.once('error', (error) => (decoded as unknown as Readable).destroy(error));
    response.once('aborted', () => (decoded as unknown as Readable).destroy(prematureClose()));
    body = response.pipe(decoded) as unknown as Readable;
  } else {
    body = response;
  }
  return {
    status: response.statusCode ?? 0,
    statusText: response.statusMessage ?? '',
    headers: { get: (name: string) => headerValue(response.headers[name.toLowerCase()]) ?? null },
    body,
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
