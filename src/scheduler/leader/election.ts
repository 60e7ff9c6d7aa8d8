/**
 * Leader election over ZooKeeper the way Aurora's scheduler does it (CuratorSingletonService):
 * every scheduler sharing a path queues an ephemeral sequential contender node (Curator's protected
 * lock node `_c_<uuid>-lock-NNNNNNNNNN`, so real Aurora schedulers on the same path queue with us);
 * the lowest sequence number leads, each other contender watches only its predecessor. Only the
 * leader announces itself: an ephemeral sequential `member_` node holding the serverset JSON that
 * Aurora's clients read. Only session loss ends leadership, as in Aurora: a connection blip that
 * recovers within the session timeout keeps it.
 */
import { randomUUID } from 'node:crypto';
import zookeeper from 'node-zookeeper-client';
import { zkConnectString, zkHostsProblem } from '../../discovery/clusters.js';
import { leaderOrder, parseServersetMember, type ServersetEndpoint } from '../../discovery/zookeeper.js';
import { AuroraDiscoveryError, AuroraValidationError } from '../../errors.js';

export interface LeadershipOptions {
  /** ZooKeeper hosts, `zk1,zk2` or `zk1:2181,zk2:2181` (a host without a port gets 2181). */
  hosts: string;
  /** The serverset path schedulers share, e.g. `/aurora/scheduler`. */
  path: string;
  /** The endpoint this scheduler announces when it leads. */
  host: string;
  port: number;
  /** ZooKeeper session timeout (default 10 000 ms); leadership ends when the session is lost. */
  sessionTimeoutMs?: number;
  /** How long start-up waits for ZooKeeper (default 10 000 ms). */
  connectTimeoutMs?: number;
  /** Leadership changes and ZooKeeper trouble, one line each. */
  onLog?: (message: string) => void;
  /**
   * Runs when this scheduler is first in the queue, before it announces itself (e.g. to load shared
   * state): no caller is sent here until it resolves. A rejection is logged and retried.
   */
  beforeLeading?: () => Promise<void>;
  /** Runs when the session that ran `beforeLeading` is lost: whatever it set up must stop now. */
  onLeadershipLost?: () => void;
}

export type LeadershipState = 'connecting' | 'following' | 'leading' | 'closed';

export interface Leadership {
  /** Whether this scheduler currently leads (and has announced itself). */
  isLeader(): boolean;
  readonly state: LeadershipState;
  /** The serverset's leader: the endpoint of the one `member_` node, else undefined (none, or several). */
  leader(): ServersetEndpoint | undefined;
  /** Full path of this scheduler's `member_` node while it leads. */
  readonly memberPath: string | undefined;
  /** The serverset JSON this scheduler announces when it leads. */
  readonly announcement: string;
  /** Called after every change of state or of the serverset. Returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
  /** Resolves once `predicate()` holds (checked on every change), rejects after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Withdraws the announcement, then the contender node, and ends the session. */
  close(): Promise<void>;
}

/** The serverset JSON of Aurora's announcer (Gson of ServiceInstance: field order included). */
export function serversetAnnouncement(host: string, port: number): string {
  return JSON.stringify({ serviceEndpoint: { host, port }, additionalEndpoints: { http: { host, port } }, status: 'ALIVE' });
}

const LOCK_MARKER = '-lock-';
const RETRY_MS = 500;

type Client = zookeeper.Client;

function sequenceOf(name: string): number {
  const digits = /(\d{10})$/.exec(name);
  return digits ? Number(digits[1]) : Number.MAX_SAFE_INTEGER;
}

function zkCall<T>(run: (cb: (error: Error | zookeeper.Exception | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value))));
}

function isNoNode(error: unknown): boolean {
  return error instanceof zookeeper.Exception && error.getCode() === zookeeper.Exception.NO_NODE;
}

/** Joins the election at `options.path`; resolves once this scheduler knows whether it leads. */
export async function startLeadership(options: LeadershipOptions): Promise<Leadership> {
  const election = new Election(options);
  await election.start();
  return election;
}

class Election implements Leadership {
  readonly announcement: string;
  private readonly path: string;
  private readonly connectString: string;
  private readonly sessionTimeoutMs: number;
  private readonly token = `_c_${randomUUID()}${LOCK_MARKER}`;
  private readonly listeners = new Set<() => void>();
  private client: Client | undefined;
  /** Bumped for every new session; callbacks of an older session are ignored. */
  private generation = 0;
  private contender: string | undefined;
  private member: string | undefined;
  private members: ServersetEndpoint[] = [];
  private membersRead = 0;
  private lostTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private current: LeadershipState = 'connecting';
  private entered = false;
  /** The session whose serverset watch is armed (one watch per session, however often `enter` retries). */
  private watching = 0;
  private announcing: { generation: number; attempt: Promise<void> } | undefined;
  /** The session in which `beforeLeading` ran (0: none), so that its loss is reported once. */
  private prepared = 0;

  constructor(private readonly options: LeadershipOptions) {
    if (typeof options.path !== 'string' || !/^\/[^\0]*[^/]$|^\/$/.test(options.path) || options.path.includes('//')) {
      throw new AuroraValidationError('zk.path', `must be an absolute ZooKeeper path like /aurora/scheduler, got ${JSON.stringify(options.path)}`);
    }
    if (typeof options.hosts !== 'string' || options.hosts.trim() === '') {
      throw new AuroraValidationError('zk.hosts', 'must name ZooKeeper hosts like zk1:2181,zk2:2181');
    }
    this.path = options.path === '/' ? '' : options.path;
    this.connectString = zkConnectString(options.hosts);
    const problem = zkHostsProblem(this.connectString);
    if (problem !== undefined) throw new AuroraValidationError('zk.hosts', problem);
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.announcement = serversetAnnouncement(options.host, options.port);
  }

  get state(): LeadershipState {
    return this.current;
  }

  get memberPath(): string | undefined {
    return this.current === 'leading' ? this.member : undefined;
  }

  isLeader(): boolean {
    return this.current === 'leading';
  }

  leader(): ServersetEndpoint | undefined {
    // Aurora's LeaderRedirect: several members means no single leader to send callers to.
    return this.members.length === 1 ? this.members[0] : undefined;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new AuroraDiscoveryError(`leadership did not reach the expected state within ${timeoutMs} ms (now ${this.current})`));
      }, timeoutMs);
      const off = this.onChange(() => {
        if (!predicate()) return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  async start(): Promise<void> {
    const connectTimeout = this.options.connectTimeoutMs ?? 10_000;
    this.openSession();
    try {
      await this.until(() => this.current === 'leading' || this.current === 'following', connectTimeout);
    } catch {
      // First in the queue but still preparing (waiting for shared state): joined, it leads once ready.
      if (this.prepared !== 0 && this.prepared === this.generation) return;
      await this.close();
      throw new AuroraDiscoveryError(`cannot join the scheduler election at ZooKeeper ${this.connectString}${this.options.path} within ${connectTimeout} ms`);
    }
  }

  async close(): Promise<void> {
    if (this.current === 'closed') return;
    const client = this.client;
    const member = this.member;
    const contender = this.contender;
    this.setState('closed');
    this.generation += 1;
    clearTimeout(this.lostTimer);
    clearTimeout(this.retryTimer);
    this.client = undefined;
    if (!client) return;
    if (client.getState() === zookeeper.State.SYNC_CONNECTED) {
      // The announcement goes first so callers stop being sent here before anything else stops.
      for (const node of [member, contender && `${this.path}/${contender}`]) {
        if (!node) continue;
        await Promise.race([
          zkCall<void>((cb) => client.remove(node, (e) => cb(e, undefined))).catch(() => undefined),
          new Promise((r) => setTimeout(r, 2000)),
        ]);
      }
    }
    client.close();
  }

  private log(message: string): void {
    try {
      this.options.onLog?.(message);
    } catch {
      // Logging must not break the election.
    }
  }

  private setState(state: LeadershipState): void {
    if (this.current === 'closed') return;
    this.current = state;
    this.changed();
  }

  private changed(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  private openSession(): void {
    const generation = ++this.generation;
    this.entered = false;
    this.contender = undefined;
    this.member = undefined;
    const client = zookeeper.createClient(this.connectString, { sessionTimeout: this.sessionTimeoutMs, spinDelay: 200, retries: 0 });
    this.client = client;
    client.on('state', (state: zookeeper.State) => {
      if (generation !== this.generation) return;
      if (state === zookeeper.State.SYNC_CONNECTED) {
        clearTimeout(this.lostTimer);
        this.lostTimer = undefined;
        if (!this.entered) {
          this.entered = true;
          void this.enter(generation, client);
        }
      } else if (state === zookeeper.State.DISCONNECTED) {
        // Only a lost session ends leadership; ZooKeeper expires it after the session timeout.
        clearTimeout(this.lostTimer);
        this.lostTimer = setTimeout(() => this.sessionLost(generation, 'no connection to ZooKeeper for the whole session timeout'), this.sessionTimeoutMs);
      } else if (state === zookeeper.State.EXPIRED) {
        this.sessionLost(generation, 'the ZooKeeper session expired');
      }
    });
    client.connect();
  }

  private sessionLost(generation: number, why: string): void {
    if (generation !== this.generation || this.current === 'closed') return;
    const wasLeading = this.current === 'leading';
    this.log(`${wasLeading ? 'Lost leadership' : 'Left the scheduler election'}: ${why}; rejoining.`);
    clearTimeout(this.lostTimer);
    clearTimeout(this.retryTimer);
    this.client?.close();
    if (this.prepared === generation) {
      this.prepared = 0;
      // Before the state changes: the leader must stop before anyone can see it as not leading.
      try {
        this.options.onLeadershipLost?.();
      } catch {
        // The hook's failure is its own.
      }
    }
    // Without a session nothing is known about the serverset: answer 503 until elected again.
    this.members = [];
    this.setState('connecting');
    this.openSession();
  }

  private retry(generation: number, what: string, error: unknown): void {
    if (generation !== this.generation || this.current === 'closed') return;
    this.log(`ZooKeeper ${what} failed (${error instanceof Error ? error.message : String(error)}); retrying.`);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      const client = this.client;
      if (generation === this.generation && client) void this.enter(generation, client);
    }, RETRY_MS);
  }

  /** Queues this scheduler's contender node (once per session) and looks at its place in the queue. */
  private async enter(generation: number, client: Client): Promise<void> {
    try {
      await zkCall<string>((cb) => client.mkdirp(this.options.path, cb));
      if (this.watching !== generation) {
        this.watching = generation;
        this.watchMembers(generation, client);
      }
      if (this.contender === undefined) {
        // Protected creation: after a connection loss the node may exist although no reply said so.
        const children = await zkCall<string[]>((cb) => client.getChildren(this.options.path, (e, c) => cb(e, c)));
        this.contender = children.find((c) => c.startsWith(this.token));
        if (this.contender === undefined) {
          const created = await zkCall<string>((cb) =>
            client.create(`${this.path}/${this.token}`, Buffer.from(this.options.host), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, cb),
          );
          this.contender = created.slice(created.lastIndexOf('/') + 1);
        }
      }
      if (generation !== this.generation) return;
      await this.checkTurn(generation, client);
    } catch (error) {
      this.retry(generation, 'election', error);
    }
  }

  private async checkTurn(generation: number, client: Client): Promise<void> {
    const children = await zkCall<string[]>((cb) => client.getChildren(this.options.path, (e, c) => cb(e, c)));
    if (generation !== this.generation) return;
    const queue = children.filter((c) => c.includes(LOCK_MARKER)).sort((a, b) => sequenceOf(a) - sequenceOf(b));
    const place = queue.indexOf(this.contender as string);
    if (place < 0) {
      // Our ephemeral node is gone: the session that owned it is over.
      this.sessionLost(generation, 'our election node disappeared');
      return;
    }
    if (place === 0) {
      await this.lead(generation, client);
      return;
    }
    const predecessor = `${this.path}/${queue[place - 1]}`;
    if (this.current !== 'following') this.setState('following');
    const stat = await zkCall<zookeeper.Stat | undefined>((cb) =>
      client.exists(
        predecessor,
        () => {
          if (generation === this.generation) this.checkTurn(generation, client).catch((e: unknown) => this.retry(generation, 'election', e));
        },
        (e, s) => cb(e, s ?? undefined),
      ),
    );
    // Gone between listing and watching: look again.
    if (!stat && generation === this.generation) await this.checkTurn(generation, client);
  }

  private lead(generation: number, client: Client): Promise<void> {
    // Two checks of the queue may both find us first: announce once.
    if (this.member !== undefined) return Promise.resolve();
    if (this.announcing?.generation !== generation) {
      const attempt = this.announce(generation, client).finally(() => {
        if (this.announcing === current) this.announcing = undefined;
      });
      const current = { generation, attempt };
      this.announcing = current;
    }
    return this.announcing.attempt;
  }

  private async announce(generation: number, client: Client): Promise<void> {
    if (this.options.beforeLeading) {
      this.prepared = generation;
      await this.options.beforeLeading();
      // Lost meanwhile: onLeadershipLost has run, a new session is queueing.
      if (generation !== this.generation) return;
    }
    const created = await zkCall<string>((cb) =>
      client.create(`${this.path}/member_`, Buffer.from(this.announcement), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, cb),
    );
    if (generation !== this.generation) {
      await zkCall<void>((cb) => client.remove(created, (e) => cb(e, undefined))).catch(() => undefined);
      return;
    }
    this.member = created;
    this.log(`Leading the schedulers at ${this.connectString}${this.options.path}; announced ${created}.`);
    this.setState('leading');
  }

  /** Keeps `members` in step with the serverset (for redirects), re-arming the watch on every change. */
  private watchMembers(generation: number, client: Client): void {
    const read = ++this.membersRead;
    client.getChildren(
      this.options.path,
      () => {
        if (generation === this.generation) this.watchMembers(generation, client);
      },
      (error, children) => {
        if (error) {
          if (generation === this.generation) {
            // Re-armed by the next `enter`.
            this.watching = 0;
            this.retry(generation, 'serverset read', error);
          }
          return;
        }
        void this.readMembers(generation, client, read, children);
      },
    );
  }

  private async readMembers(generation: number, client: Client, read: number, children: string[]): Promise<void> {
    const own = this.member?.slice(this.member.lastIndexOf('/') + 1);
    if (own !== undefined && !children.includes(own) && generation === this.generation) {
      // Someone removed our announcement while the session lives: put it back, as Curator's PersistentNode does.
      this.member = undefined;
      this.lead(generation, client).catch((e: unknown) => this.retry(generation, 'announcement', e));
    }
    const endpoints: ServersetEndpoint[] = [];
    for (const node of leaderOrder(children)) {
      try {
        const data = await zkCall<Buffer>((cb) => client.getData(`${this.path}/${node}`, (e, d) => cb(e, d)));
        endpoints.push(parseServersetMember(node, data, this.options.path).serviceEndpoint);
      } catch (error) {
        // A member that vanished meanwhile is simply not there; a malformed one cannot be redirected to.
        if (!isNoNode(error)) this.log(`Ignoring serverset member ${node}: ${(error as Error).message}`);
      }
    }
    // Only the newest read may publish, so a slow older one cannot overwrite it.
    if (generation !== this.generation || read !== this.membersRead) return;
    this.members = endpoints;
    this.changed();
  }
}
