/**
 * Finding the leading scheduler in ZooKeeper, as Aurora's Python client does: the leader holds an
 * ephemeral sequential `member_` node under the serverset path (Curator's latch nodes live there
 * too and are ignored); the first member by sequence number is the leader, and its JSON names
 * `additionalEndpoints.https`, else `.http`, else `serviceEndpoint`.
 */
import type { Socket } from 'node:net';
import type zookeeper from 'node-zookeeper-client';
import { AuroraConfigError, AuroraDiscoveryError } from '../errors.js';
import { zkConnectString, zkHostsProblem } from './clusters.js';

export interface ServersetEndpoint {
  host: string;
  port: number;
}

export interface ServersetMember {
  /** The node name, e.g. `member_0000000007`. */
  node: string;
  serviceEndpoint: ServersetEndpoint;
  additionalEndpoints: Readonly<Record<string, ServersetEndpoint>>;
  /** `ALIVE` for a serving scheduler; undefined when the payload has none. */
  status: string | undefined;
}

export interface Leader {
  /** `{scheme}://host:port/api` */
  url: string;
  member: ServersetMember;
}

export interface ZooKeeperDiscoveryOptions {
  /** ZooKeeper hosts, `h1,h2` or `h1:2181,h2:2181` (a clusters.json `zk`). */
  zk: string;
  /** Port for hosts that name none. Default 2181. */
  zkPort?: number;
  /** The serverset path (clusters.json `scheduler_zk_path`), e.g. `/aurora/scheduler`. */
  path: string;
  /** Bound on connecting and on each ZooKeeper read. Default 10 000, the Python client's. */
  timeoutMs?: number;
  /** Session timeout asked of ZooKeeper. Default 10 000. */
  sessionTimeoutMs?: number;
  /**
   * Keep the session and watch the serverset, so a leader change is noticed before a call fails.
   * Default true. With false each lookup connects, reads and disconnects, and the leader found is
   * kept until `invalidate()` (a failed call) asks for another lookup.
   */
  watch?: boolean;
  /** Called when the leader URL becomes known or changes. A throwing listener is ignored. */
  onLeader?: (url: string, previous: string | undefined) => void;
}

const MEMBER_PREFIX = 'member_';
/** ZooKeeper's NONODE error code (node-zookeeper-client's Exception.NO_NODE). */
const NO_NODE = -101;
const DEFAULT_TIMEOUT_MS = 10_000;

type ZooKeeperLibrary = typeof zookeeper;
/**
 * node-zookeeper-client (and its dependencies) is loaded on the first lookup, not with this module:
 * it is a large share of the client's start-up, and a client given a URL never needs it.
 */
let library: ZooKeeperLibrary | undefined;
async function loadLibrary(): Promise<ZooKeeperLibrary> {
  library ??= (await import('node-zookeeper-client')).default;
  return library;
}

/** Looks the leader up once and disconnects. */
export async function findLeader(options: Omit<ZooKeeperDiscoveryOptions, 'watch'>): Promise<Leader> {
  const resolver = new ZooKeeperLeaderResolver({ ...options, watch: false });
  try {
    return await resolver.resolve();
  } finally {
    resolver.close();
  }
}

/**
 * Resolves and caches the leader. Concurrent callers share one lookup; a watch (or `invalidate()`
 * after a failed call) makes the next `resolve()` look again.
 */
export class ZooKeeperLeaderResolver {
  readonly connectString: string;
  readonly path: string;
  private readonly timeoutMs: number;
  private readonly sessionTimeoutMs: number;
  private readonly watch: boolean;
  private readonly onLeader: ZooKeeperDiscoveryOptions['onLeader'];
  private client: zookeeper.Client | undefined;
  private connecting: Promise<zookeeper.Client> | undefined;
  private cached: Leader | undefined;
  private lookup: Promise<Leader> | undefined;
  private lastUrl: string | undefined;
  private closed = false;
  /** Bumped by every watch event and invalidation, so a lookup that started earlier is not cached. */
  private generation = 0;
  private readonly watcher = (): void => {
    this.generation += 1;
    this.cached = undefined;
  };

  constructor(options: ZooKeeperDiscoveryOptions) {
    if (typeof options.path !== 'string' || !options.path.startsWith('/')) {
      throw new AuroraConfigError(`scheduler_zk_path: expected an absolute ZooKeeper path like /aurora/scheduler, got ${JSON.stringify(options.path)}`);
    }
    this.connectString = zkConnectString(options.zk ?? '', options.zkPort ?? 2181);
    const problem = zkHostsProblem(this.connectString);
    if (problem !== undefined) throw new AuroraConfigError(`zk: ${problem}`);
    this.path = options.path.length > 1 ? options.path.replace(/\/+$/, '') : options.path;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.watch = options.watch ?? true;
    this.onLeader = options.onLeader;
  }

  /** The last leader URL found, if any (it may be stale). */
  get current(): string | undefined {
    return this.cached?.url ?? this.lastUrl;
  }

  async resolve(): Promise<Leader> {
    if (this.closed) throw new AuroraDiscoveryError(`ZooKeeper discovery of ${this.path} was closed`);
    if (this.cached) return this.cached;
    this.lookup ??= this.lookUp().finally(() => {
      this.lookup = undefined;
    });
    return this.lookup;
  }

  /** Forgets the cached leader, so the next `resolve()` asks ZooKeeper; with `url`, only if that is still the one cached. */
  invalidate(url?: string): void {
    if (url !== undefined && this.cached !== undefined && this.cached.url !== url) return;
    this.watcher();
  }

  close(): void {
    this.closed = true;
    this.cached = undefined;
    this.disconnect();
  }

  private async lookUp(): Promise<Leader> {
    const generation = this.generation;
    try {
      const client = await this.session();
      const member = await this.readLeader(client);
      const leader = { url: memberUrl(member), member };
      if (generation === this.generation && !this.closed) this.cached = leader;
      if (leader.url !== this.lastUrl) {
        const previous = this.lastUrl;
        this.lastUrl = leader.url;
        try {
          this.onLeader?.(leader.url, previous);
        } catch {
          // a listener's failure is not the lookup's
        }
      }
      return leader;
    } finally {
      if (!this.watch) this.disconnect();
    }
  }

  private async readLeader(client: zookeeper.Client): Promise<ServersetMember> {
    const watcher = this.watch ? this.watcher : undefined;
    // A member may vanish between listing and reading it (the leader just died): list again.
    for (let attempt = 1; ; attempt += 1) {
      let children: string[];
      try {
        children = await this.op<string[]>(`list ${this.path}`, (cb) =>
          watcher ? client.getChildren(this.path, watcher, cb) : client.getChildren(this.path, cb),
        );
      } catch (e) {
        if (zkCode(e) === NO_NODE) {
          throw new AuroraDiscoveryError(
            `ZooKeeper path ${this.path} does not exist on ${this.connectString}; check scheduler_zk_path`,
          );
        }
        throw e;
      }
      const members = leaderOrder(children);
      if (members.length === 0) {
        throw new AuroraDiscoveryError(
          `no leading scheduler: ${this.path} on ${this.connectString} has no member_ nodes` +
            (children.length > 0 ? ` (only ${children.length} other node(s))` : ''),
          { retryable: true },
        );
      }
      let vanished = false;
      for (const node of members) {
        const nodePath = `${this.path === '/' ? '' : this.path}/${node}`;
        let data: Buffer | undefined;
        try {
          data = await this.op<Buffer>(`read ${nodePath}`, (cb) =>
            watcher ? client.getData(nodePath, watcher, cb) : client.getData(nodePath, cb),
          );
        } catch (e) {
          if (zkCode(e) !== NO_NODE) throw e;
          vanished = true;
          break;
        }
        const member = parseServersetMember(node, data ?? Buffer.alloc(0), this.path);
        if (member.status === undefined || member.status === 'ALIVE') return member;
      }
      if (!vanished) {
        throw new AuroraDiscoveryError(`no leading scheduler: no member_ node under ${this.path} is ALIVE`, { retryable: true });
      }
      if (attempt >= 3) {
        throw new AuroraDiscoveryError(`no leading scheduler: the member_ nodes under ${this.path} keep changing`, { retryable: true });
      }
    }
  }

  /** The connected client, connecting when there is none; fails after `timeoutMs` instead of retrying forever. */
  private session(): Promise<zookeeper.Client> {
    if (this.client && library && this.client.getState() === library.State.SYNC_CONNECTED) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<zookeeper.Client> {
    const zk = await loadLibrary();
    if (this.closed) throw new AuroraDiscoveryError(`ZooKeeper discovery of ${this.path} was closed`);
    this.disconnect();
    const client = zk.createClient(this.connectString, {
      sessionTimeout: this.sessionTimeoutMs,
      spinDelay: 200,
      retries: 0,
    });
    this.client = client;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        client.removeListener('connected', connected);
        if (this.client === client) this.disconnect();
        reject(
          // Not retryable: the client already tried every host for the whole bound.
          new AuroraDiscoveryError(`cannot reach ZooKeeper at ${this.connectString} within ${this.timeoutMs} ms`),
        );
      }, this.timeoutMs);
      const connected = (): void => {
        clearTimeout(timer);
        resolve(client);
      };
      client.once('connected', connected);
      client.on('connected', () => unrefSocket(client));
      // A lost connection would be retried forever by a socket that holds the process open; drop the
      // session instead. The cached leader stays usable, and a failed call still invalidates it.
      client.on('disconnected', () => {
        if (this.client === client) this.disconnect();
      });
      client.on('expired', () => {
        this.watcher();
        if (this.client === client) this.disconnect();
      });
      client.connect();
    });
  }

  private disconnect(): void {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    client.removeAllListeners();
    client.close();
    // close() only queues a close request; a client still trying servers would go on trying.
    internalSocket(client)?.destroy();
  }

  /** One ZooKeeper request, bounded by `timeoutMs`. */
  private op<T>(what: string, start: (cb: (error: unknown, value: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new AuroraDiscoveryError(`ZooKeeper at ${this.connectString} did not answer (${what}) within ${this.timeoutMs} ms`, { retryable: true }));
      }, this.timeoutMs);
      start((error, value) => {
        clearTimeout(timer);
        if (!error) {
          resolve(value);
          return;
        }
        if (zkCode(error) === NO_NODE) {
          reject(error);
          return;
        }
        reject(new AuroraDiscoveryError(`ZooKeeper at ${this.connectString}: ${what} failed: ${String(error)}`, { retryable: true, cause: error }));
      });
    });
  }
}

/** `member_` children, leader first (lowest sequence number). */
export function leaderOrder(children: readonly string[]): string[] {
  const seq = (name: string): number => {
    const digits = /(\d+)$/.exec(name);
    return digits ? Number(digits[1]) : Number.MAX_SAFE_INTEGER;
  };
  return children.filter((c) => c.startsWith(MEMBER_PREFIX)).sort((a, b) => seq(a) - seq(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Parses a serverset member's JSON; an AuroraDiscoveryError names the node when it is not one. */
export function parseServersetMember(node: string, data: Buffer | string, path = ''): ServersetMember {
  const where = `${path.replace(/\/+$/, '')}/${node}`;
  const bad = (why: string): never => {
    throw new AuroraDiscoveryError(`malformed serverset member ${where}: ${why}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    bad('not JSON');
  }
  if (!isObject(doc)) return bad('expected a JSON object');
  const endpoint = (value: unknown, field: string): ServersetEndpoint => {
    if (!isObject(value)) return bad(`${field} is missing or not an object`);
    const { host, port } = value;
    if (typeof host !== 'string' || host === '') return bad(`${field}.host must be a non-empty string`);
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return bad(`${field}.port must be a port number`);
    return { host, port };
  };
  const serviceEndpoint = endpoint(doc.serviceEndpoint, 'serviceEndpoint');
  const additionalEndpoints: Record<string, ServersetEndpoint> = {};
  if (doc.additionalEndpoints !== undefined && doc.additionalEndpoints !== null) {
    if (!isObject(doc.additionalEndpoints)) bad('additionalEndpoints must be an object');
    for (const [name, value] of Object.entries(doc.additionalEndpoints as Record<string, unknown>)) {
      additionalEndpoints[name] = endpoint(value, `additionalEndpoints.${name}`);
    }
  }
  const status = typeof doc.status === 'string' ? doc.status : undefined;
  return { node, serviceEndpoint, additionalEndpoints, status };
}

/** The API URL of a member: https endpoint, else http, else the service endpoint over http. */
export function memberUrl(member: ServersetMember): string {
  const https = member.additionalEndpoints.https;
  const http = member.additionalEndpoints.http;
  const [scheme, ep] = https ? ['https', https] : http ? ['http', http] : ['http', member.serviceEndpoint];
  const host = ep.host.includes(':') && !ep.host.startsWith('[') ? `[${ep.host}]` : ep.host;
  return `${scheme}://${host}:${ep.port}/api`;
}

function zkCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return library !== undefined && error instanceof library.Exception && typeof code === 'number' ? code : undefined;
}

function internalSocket(client: zookeeper.Client): Socket | undefined {
  // node-zookeeper-client does not expose its socket; reach for it defensively.
  return (client as unknown as { connectionManager?: { socket?: Socket } }).connectionManager?.socket;
}

/**
 * An idle watching session must not keep the process alive (a script that forgets close() would
 * never exit). Lookups in flight are held open by their own timers.
 */
function unrefSocket(client: zookeeper.Client): void {
  internalSocket(client)?.unref?.();
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
