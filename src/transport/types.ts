import type { Agent } from 'node:http';

/** How a Thrift message is encoded on the wire; the scheduler picks its codec from the headers. */
export type WireProtocol = 'json' | 'binary';

export interface TlsOptions {
  /** PEM of the CA(s) that signed the scheduler's (or its proxy's) certificate. */
  ca?: string | Buffer;
  /** PEM client certificate, for proxies that require mutual TLS; needs `key`. */
  cert?: string | Buffer;
  /** PEM private key of `cert`. */
  key?: string | Buffer;
  /** Skip certificate verification. For test clusters only. */
  insecure?: boolean;
}

export interface HttpTransportOptions {
  /**
   * Scheduler URL. A URL without a path (or with path '/') gets '/api' appended, as Aurora's
   * Python client does with scheduler_uri. Userinfo (`http://u:p@h/`) is taken as Basic
   * credentials and removed from the URL.
   */
  url: string;
  /** Deadline for one call, covering connect, redirects and the whole body. Default 30 000. */
  timeoutMs?: number;
  /** HTTP Basic credentials; they win over userinfo in `url`. */
  auth?: { username: string; password: string };
  tls?: TlsOptions;
  /** Default `aurora-ts/<version> node/<process.version>`. */
  userAgent?: string;
  /** Redirects (301/302/307/308) followed per call before giving up. Default 3. */
  maxRedirects?: number;
  /** Largest reply body accepted, in bytes (default 256 MiB), so a broken or hostile server cannot fill memory. */
  maxReplyBytes?: number;
  /**
   * A fetch implementation to send with instead of node:http (node-fetch, or a fake in tests). It is
   * called with `redirect: 'manual'` (the transport follows redirects itself) and with `agent`, the
   * transport's keep-alive agents carrying the `tls` options; a fetch that ignores `agent` ignores those.
   */
  fetch?: FetchLike;
  /** Extra headers sent with every call. Authorization/Cookie ones follow redirects only to the same origin. */
  headers?: Record<string, string>;
  /**
   * Basic credentials for a redirect target of another origin (scheme, host or port differ), which
   * otherwise gets none; never asked for an https to http redirect. The client passes ~/.netrc's
   * entry for the target's host, as Aurora's Python client (requests) does on a redirect.
   */
  redirectAuth?: (target: URL) => { username: string; password: string } | undefined;
  /** Debug events. Never carries credentials; a throwing listener is ignored. */
  onEvent?: (e: TransportEvent) => void;
  /** What the server is, in error messages ("cannot reach the scheduler at ..."). Default `the scheduler`. */
  peer?: string;
}

export type TransportEvent =
  | { type: 'request'; method: string; url: string; protocol: WireProtocol; bytes: number; hop: number }
  | { type: 'redirect'; method: string; url: string; status: number; location: string; hop: number }
  | { type: 'response'; method: string; url: string; status: number; bytes: number; ms: number }
  | { type: 'error'; method: string; url: string; kind: string; code: string | undefined; message: string; ms: number };

export interface TransportCall {
  /** The RPC name, used in errors and events. */
  method: string;
  /** The encoded Thrift message. */
  body: Uint8Array;
  protocol: WireProtocol;
  signal?: AbortSignal;
}

/** A GET of another endpoint of the same server (a sandbox file, a Mesos agent's /files/read). */
export interface GetOptions {
  /** Names the read in errors and events, e.g. `read stdout of <task>`. Default `GET <path>`. */
  label?: string;
  /** Default `application/json, text/plain;q=0.9, *\/*;q=0.1`. */
  accept?: string;
  signal?: AbortSignal;
}

/** The reply to a GET: any status but a redirect (followed) or 401/403 (an AuroraAuthError). */
export interface GetReply {
  status: number;
  /** The URL that answered (after redirects), without credentials. */
  url: string;
  headers: { get(name: string): string | null };
  body: Buffer;
}

/** The network seam: bytes in, bytes out. Protocol code never sees HTTP. */
export interface Transport {
  send(call: TransportCall): Promise<Buffer>;
  /**
   * GETs `path` (with its query) on the origin calls go to, under the same rules as `send`: one
   * deadline, the reply size cap, redirects followed with credentials kept on their origin. Optional:
   * a transport without it cannot read sandbox files from the local scheduler.
   */
  get?(path: string, options?: GetOptions): Promise<GetReply>;
  /** The API URL, without credentials. */
  readonly url: string;
  /** Releases pooled connections; later calls fail. */
  close(): void;
}

/** What the transport passes to a fetch implementation (a subset of fetch's RequestInit). */
export interface FetchInit {
  method: 'POST' | 'GET';
  /** Absent for a GET. */
  body?: Buffer;
  headers: Record<string, string>;
  redirect: 'manual';
  signal: AbortSignal;
  /** node-fetch's per-URL agent: the transport's keep-alive agents, with its TLS settings. */
  agent?: Agent | ((url: URL) => Agent);
}

/** What the transport reads of a fetch response (node-fetch's Response has it). */
export interface FetchResponse {
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array | string> | null;
}

/** The fetch seam: node-fetch or a fake fit it; the default is node:http (node-http.ts). */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponse>;
