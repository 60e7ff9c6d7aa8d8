/**
 * From "which scheduler" (a URL, a clusters.json name, or a ZooKeeper serverset) to a Transport:
 * the leader is looked up lazily on the first call and again after a call could not reach it or was
 * told there is no leader (HTTP 503, ERROR_TRANSIENT); retries are the `withRetry` policy around
 * that, so a leader change costs a retry, never an error. Basic credentials come from ~/.netrc for
 * the host actually called, as with Aurora's Python client.
 */
import { AuroraConfigError, AuroraDiscoveryError, AuroraError, AuroraHttpError, AuroraTimeoutError, AuroraTransportError, AuroraValidationError } from '../errors.js';
import { ResponseCode } from '../gen/types.js';
import {
  createHttpTransport,
  defaultShouldRetry,
  parseSchedulerUrl,
  withRetry,
  type GetOptions,
  type GetReply,
  type HttpTransportOptions,
  type RetryInfo,
  type RetryOptions,
  type Transport,
  type TransportCall,
  type TransportEvent,
  type WireProtocol,
} from '../transport/index.js';
import {
  loadClustersSync,
  schedulerApiUrl,
  zkHostsProblem,
  zkConnectString,
  type Cluster,
  type ClusterPolicyOverrides,
  type Clusters,
} from '../discovery/clusters.js';
import { loadNetrcSync, netrcCredentials, type Credentials, type Netrc } from '../discovery/netrc.js';
import { ZooKeeperLeaderResolver } from '../discovery/zookeeper.js';

/** What `onEvent` receives: the HTTP transport's events plus discovery and retry ones. */
export type ConnectEvent =
  | TransportEvent
  | { type: 'leader'; url: string; previous: string | undefined }
  | { type: 'retry'; method: string; attempt: number; delayMs: number; kind: string; message: string }
  | { type: 'warning'; message: string };

export interface ConnectOptions {
  /** A scheduler URL; `/api` is appended to a bare origin. */
  url?: string;
  /** A clusters.json cluster, by name or as loaded. */
  cluster?: string | Cluster;
  /** ZooKeeper hosts (`zk1,zk2` or `zk1:2181,...`); needs `zkPath`. */
  zk?: string;
  zkPort?: number;
  /** The scheduler's serverset path, e.g. `/aurora/scheduler`. */
  zkPath?: string;
  /** Clusters to look `cluster` up in; default loaded from the standard files. */
  clusters?: Clusters;
  /** For loading clusters.json and ~/.netrc; defaults as in `loadClusters`. */
  configRoot?: string;
  home?: string;
  /** Where `$NETRC` and `$AURORA_CONFIG_ROOT` are read; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Basic credentials for every host; by default they come from ~/.netrc per host. */
  auth?: Credentials;
  /** A parsed netrc to use, or false to never read ~/.netrc. */
  netrc?: Netrc | false;
  timeoutMs?: number;
  tls?: HttpTransportOptions['tls'];
  userAgent?: string;
  headers?: Record<string, string>;
  fetch?: HttpTransportOptions['fetch'];
  maxRedirects?: number;
  /** Largest reply body accepted (default 256 MiB). */
  maxReplyBytes?: number;
  /** Retry policy; false sends every call once. Defaults: 3 retries, 250 ms base, 5 s cap, full jitter. */
  retry?: RetryOptions | false;
  /** Bound on reaching ZooKeeper and on each of its reads. Default 10 000. */
  zkTimeoutMs?: number;
  /** Watch the serverset while the transport is open. Default true. */
  watch?: boolean;
  onRetry?: (info: RetryInfo) => void;
  /** Requests, responses, leader changes, retries and warnings. Never carries credentials. */
  onEvent?: (event: ConnectEvent) => void;
}

/** What a clusters.json entry means for a client. */
export interface ClusterClientOptions {
  cluster: string;
  /** The API URL, for clusters with scheduler_uri and no zk. */
  url?: string;
  /** ZooKeeper connect string (ports filled in) and serverset path, for clusters with zk. */
  zk?: string;
  zkPath?: string;
  /** ~/.netrc credentials for `url`'s host; leaders found in ZooKeeper get theirs per host at call time. */
  auth?: Credentials;
  authMechanism: string;
  customExecutorConfig?: string;
  policy?: ClusterPolicyOverrides;
}

const SUPPORTED_AUTH = new Set(['UNAUTHENTICATED', 'BASIC']);

export function clusterClientOptions(cluster: Cluster, netrc?: Netrc): ClusterClientOptions {
  const out: ClusterClientOptions = { cluster: cluster.name, authMechanism: cluster.authMechanism };
  if (cluster.zk !== undefined && cluster.zk.trim() !== '') {
    // Python: zk wins over scheduler_uri, and needs scheduler_zk_path.
    if (!cluster.schedulerZkPath) {
      throw new AuroraConfigError(`cluster ${cluster.name} (${cluster.source}): zk is set but scheduler_zk_path is not; add "scheduler_zk_path"`);
    }
    if (!cluster.schedulerZkPath.startsWith('/')) {
      throw new AuroraConfigError(`cluster ${cluster.name} (${cluster.source}): scheduler_zk_path: expected an absolute ZooKeeper path like /aurora/scheduler, got ${JSON.stringify(cluster.schedulerZkPath)}`);
    }
    out.zk = zkConnectString(cluster.zk, cluster.zkPort);
    if (out.zk === '') throw new AuroraConfigError(`cluster ${cluster.name} (${cluster.source}): zk: expected ZooKeeper hosts like zk1,zk2, got ${JSON.stringify(cluster.zk)}`);
    const problem = zkHostsProblem(out.zk);
    if (problem !== undefined) throw new AuroraConfigError(`cluster ${cluster.name} (${cluster.source}): zk: ${problem}`);
    out.zkPath = cluster.schedulerZkPath;
  } else if (cluster.schedulerUri !== undefined && cluster.schedulerUri !== '') {
    out.url = schedulerApiUrl(cluster);
    const auth = netrc ? netrcCredentials(netrc, new URL(out.url).hostname) : undefined;
    if (auth) out.auth = auth;
  } else {
    throw new AuroraConfigError(`cluster ${cluster.name} (${cluster.source}) sets neither zk nor scheduler_uri`);
  }
  if (cluster.customExecutorConfig !== undefined) out.customExecutorConfig = cluster.customExecutorConfig;
  if (cluster.policy !== undefined) out.policy = cluster.policy;
  return out;
}

/**
 * A Transport for a URL, cluster or ZooKeeper serverset. Synchronous: bad options and unknown
 * clusters throw here, while the leader is looked up by the first `send`.
 */
export function resolveTransport(options: ConnectOptions): Transport {
  const emit = safeListener(options.onEvent);
  let cluster: Cluster | undefined;
  if (options.cluster !== undefined && options.url === undefined && options.zk === undefined) {
    cluster =
      typeof options.cluster === 'string'
        ? (options.clusters ?? loadClustersSync({ configRoot: options.configRoot, home: options.home, env: options.env })).get(options.cluster)
        : options.cluster;
    if (!SUPPORTED_AUTH.has(cluster.authMechanism.toUpperCase())) {
      emit({
        type: 'warning',
        message: `cluster ${cluster.name}: auth_mechanism ${cluster.authMechanism} is not supported; calls carry ~/.netrc Basic credentials if there are any`,
      });
    }
  }
  const target = cluster ? clusterClientOptions(cluster) : directTarget(options);

  const credentialsFor = lazyNetrc(options, emit);
  const httpOptions = (url: string): HttpTransportOptions => {
    const parsed = parseSchedulerUrl(url);
    const auth = options.auth ?? (parsed.credentials ? undefined : credentialsFor(parsed.url.hostname));
    // Credentials the caller gave (auth, userinfo) stay on this origin; ~/.netrc names machines, so its
    // entry for a redirect target's host may go there (what the Python client does), but not its
    // `default` entry: the server, not the user, chose that host.
    const fromNetrc = options.auth === undefined && parsed.credentials === undefined;
    return {
      url,
      auth,
      redirectAuth: fromNetrc ? (target: URL) => credentialsFor(target.hostname, false) : undefined,
      timeoutMs: options.timeoutMs,
      tls: options.tls,
      userAgent: options.userAgent,
      headers: options.headers,
      fetch: options.fetch,
      maxRedirects: options.maxRedirects,
      maxReplyBytes: options.maxReplyBytes,
      onEvent: emit,
    };
  };

  const source: LeaderSource =
    target.url !== undefined
      ? staticSource(createHttpTransport(httpOptions(target.url)))
      : zkSource(
          new ZooKeeperLeaderResolver({
            zk: target.zk!,
            path: target.zkPath!,
            timeoutMs: options.zkTimeoutMs,
            watch: options.watch,
            onLeader: (url, previous) => emit({ type: 'leader', url, previous }),
          }),
          (url) => createHttpTransport(httpOptions(url)),
        );

  const discovering = new DiscoveringTransport(source);
  if (options.retry === false) return unwrapTransient(discovering);
  const retry = options.retry ?? {};
  const retrying = withRetry(discovering, {
    retries: retry.retries ?? 3,
    minDelayMs: retry.minDelayMs ?? 250,
    maxDelayMs: retry.maxDelayMs ?? 5_000,
    shouldRetry: retry.shouldRetry ?? shouldRetryWithDiscovery,
    onRetry: (info) => {
      emit({ type: 'retry', method: info.method, attempt: info.attempt, delayMs: info.delayMs, kind: info.error.kind, message: info.error.message });
      retry.onRetry?.(info);
      options.onRetry?.(info);
    },
  });
  return unwrapTransient(retrying);
}

/** The same as `resolveTransport`, under the name the transport layer would give it. */
export const createDiscoveringTransport = resolveTransport;

/**
 * `defaultShouldRetry`, plus: a failed lookup sent nothing, and ERROR_TRANSIENT means the scheduler
 * did not act (its storage was not ready), so both may be repeated even for writes.
 */
export function shouldRetryWithDiscovery(error: AuroraError, call: TransportCall): boolean {
  if (error instanceof AuroraDiscoveryError || error instanceof TransientReplyError) return error.retryable;
  return defaultShouldRetry(error, call);
}

/** Reads the ResponseCode of a reply without decoding it all; undefined when the layout is not the usual one. */
export function peekResponseCode(protocol: WireProtocol, reply: Uint8Array): number | undefined {
  const bytes = Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength);
  if (protocol === 'json') {
    const head = bytes.subarray(0, 512).toString('utf8');
    const m = /^\[\s*1\s*,\s*"(?:[^"\\]|\\.)*"\s*,\s*2\s*,\s*-?\d+\s*,\s*\{\s*"0"\s*:\s*\{\s*"rec"\s*:\s*\{\s*"1"\s*:\s*\{\s*"i32"\s*:\s*(-?\d+)/.exec(head);
    return m ? Number(m[1]) : undefined;
  }
  if (bytes.length < 12) return undefined;
  const header = bytes.readUInt32BE(0);
  if ((header & 0xffff0000) >>> 0 !== 0x80010000 || (header & 0xff) !== 2) return undefined;
  let at = 8 + bytes.readInt32BE(4) + 4; // name, seqid
  // The result struct's field 0 (success, a struct), then Response's field 1 (responseCode, i32).
  if (at + 10 > bytes.length || bytes[at] !== 12 || bytes.readInt16BE(at + 1) !== 0) return undefined;
  at += 3;
  if (bytes[at] !== 8 || bytes.readInt16BE(at + 1) !== 1) return undefined;
  return bytes.readInt32BE(at + 3);
}

interface LeaderSource {
  /** The transport to the current leader, looking it up if needed. */
  current(): Promise<Transport>;
  /** The call through `transport` failed in a way that suggests the leader moved. */
  invalidate(transport: Transport): void;
  url(): string;
  close(): void;
}

function staticSource(transport: Transport): LeaderSource {
  return {
    current: () => Promise.resolve(transport),
    invalidate: () => undefined,
    url: () => transport.url,
    close: () => transport.close(),
  };
}

function zkSource(resolver: ZooKeeperLeaderResolver, connect: (url: string) => Transport): LeaderSource {
  const transports = new Map<string, Transport>();
  return {
    async current() {
      const { url } = await resolver.resolve();
      let transport = transports.get(url);
      if (!transport) {
        // Calls still running on the old leader keep their transport; it is closed with the rest.
        transport = connect(url);
        transports.set(url, transport);
      }
      return transport;
    },
    invalidate(transport) {
      resolver.invalidate(transport.url);
    },
    url: () => resolver.current ?? `zk://${resolver.connectString}${resolver.path}`,
    close() {
      resolver.close();
      for (const t of transports.values()) t.close();
      transports.clear();
    },
  };
}

/** Raised inside the retry loop for an ERROR_TRANSIENT reply; turned back into the reply when retries run out. */
class TransientReplyError extends AuroraError {
  constructor(
    method: string,
    readonly reply: Buffer,
  ) {
    super('response', `${method}: ERROR_TRANSIENT: the scheduler is not ready`, { method, retryable: true });
  }
}

class DiscoveringTransport implements Transport {
  constructor(private readonly source: LeaderSource) {}

  get url(): string {
    return this.source.url();
  }

  async send(call: TransportCall): Promise<Buffer> {
    const transport = await this.source.current();
    let reply: Buffer;
    try {
      reply = await transport.send(call);
    } catch (error) {
      if (suggestsLeaderMoved(error)) this.source.invalidate(transport);
      throw error;
    }
    if (peekResponseCode(call.protocol, reply) === ResponseCode.ERROR_TRANSIENT) {
      this.source.invalidate(transport);
      throw new TransientReplyError(call.method, reply);
    }
    return reply;
  }

  async get(path: string, options?: GetOptions): Promise<GetReply> {
    const transport = await this.source.current();
    if (!transport.get) throw new AuroraValidationError('transport', `the transport to ${transport.url} cannot GET other endpoints`);
    return transport.get(path, options);
  }

  close(): void {
    this.source.close();
  }
}

function unwrapTransient(transport: Transport): Transport {
  return {
    get url() {
      return transport.url;
    },
    close: () => transport.close(),
    ...(transport.get ? { get: transport.get.bind(transport) } : {}),
    async send(call) {
      try {
        return await transport.send(call);
      } catch (error) {
        // The caller decodes the reply and sees ERROR_TRANSIENT as the scheduler's answer.
        if (error instanceof TransientReplyError) return error.reply;
        throw error;
      }
    },
  };
}

function suggestsLeaderMoved(error: unknown): boolean {
  if (error instanceof AuroraTransportError || error instanceof AuroraTimeoutError) return true;
  return error instanceof AuroraHttpError && (error.status === 502 || error.status === 503 || error.status === 504);
}

function directTarget(options: ConnectOptions): { url?: string; zk?: string; zkPath?: string } {
  if (options.url !== undefined) {
    if (options.zk !== undefined) throw new AuroraValidationError('url', 'give either url or zk/zkPath, not both');
    return { url: options.url };
  }
  if (options.zk !== undefined || options.zkPath !== undefined) {
    if (!options.zk) throw new AuroraValidationError('zk', 'ZooKeeper hosts are required with zkPath, e.g. zk1:2181,zk2:2181');
    if (!options.zkPath) throw new AuroraValidationError('zkPath', 'the scheduler serverset path is required with zk, e.g. /aurora/scheduler');
    return { zk: zkConnectString(options.zk, options.zkPort ?? 2181), zkPath: options.zkPath };
  }
  throw new AuroraValidationError('url', 'a scheduler URL, a cluster name or zk + zkPath is required, e.g. http://127.0.0.1:8081');
}

/** Credentials for a host from ~/.netrc, read once on first need; its warnings go to onEvent. */
function lazyNetrc(options: ConnectOptions, emit: (e: ConnectEvent) => void): (host: string, useDefault?: boolean) => Credentials | undefined {
  let netrc: Netrc | undefined | null = null;
  return (host, useDefault = true) => {
    if (options.netrc === false) return undefined;
    if (netrc === null) {
      if (options.netrc) netrc = options.netrc;
      else {
        const file = loadNetrcSync({ home: options.home, env: options.env });
        for (const message of file?.warnings ?? []) emit({ type: 'warning', message });
        netrc = file?.netrc;
      }
    }
    return netrc ? netrcCredentials(netrc, host, { useDefault }) : undefined;
  };
}

function safeListener(listener: ((e: ConnectEvent) => void) | undefined): (e: ConnectEvent) => void {
  return (event) => {
    try {
      listener?.(event);
    } catch {
      // a listener's failure must not fail the call
    }
  };
}
