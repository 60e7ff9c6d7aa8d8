/**
 * What every command gets: the IO object, the global flags, and a way to reach a scheduler.
 * The library (client, discovery) is imported lazily here, so commands that never talk to a
 * scheduler, and `--help`, never load the Thrift code.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AuroraClient } from '../client/client.js';
import type { ConnectEvent } from '../client/connect.js';
import type { Cluster } from '../discovery/clusters.js';
import { AuroraTransportError } from '../errors.js';
import { UsageError } from './errors.js';
import { IO } from './io.js';
import { DEFAULT_PORT, runningSchedulers } from './scheduler-state.js';

export type Protocol = 'json' | 'binary';

export interface GlobalOptions {
  /** `--scheduler-url` or AURORA_SCHEDULER_URL: used as is, clusters are then not looked up. */
  schedulerUrl?: string;
  protocol?: Protocol;
  json?: boolean;
  /** `--wide`: tables show everything. */
  wide?: boolean;
  verbose?: boolean;
  /** Per-call timeout in seconds. */
  timeout?: number;
}

/** Where calls go: an explicit URL, or a clusters.json cluster the client resolves (ZooKeeper, ~/.netrc). */
export type SchedulerTarget = { url: string; cluster?: undefined } | { url?: undefined; cluster: Cluster };

/** Finds a cluster by name; the default reads clusters.json (plus the built-in `local`). */
export type ClusterResolver = (cluster: string, env: NodeJS.ProcessEnv) => Promise<Cluster>;

export interface ContextOptions {
  io?: IO;
  globals?: GlobalOptions;
  env?: NodeJS.ProcessEnv;
  /** Where relative paths on the command line start (job files, --dir, --state-dir, ...). Default `process.cwd()`. */
  cwd?: string;
  resolveCluster?: ClusterResolver;
}

export class CliContext {
  readonly io: IO;
  readonly globals: GlobalOptions;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  private readonly controller = new AbortController();
  /** Drops the CLI's default SIGINT/SIGTERM handling, for a command that handles them itself. */
  releaseSignals: () => void = () => {};
  private readonly resolveCluster: ClusterResolver;
  private readonly clients = new Map<string, AuroraClient>();
  /** Set once a call goes to the built-in `local` cluster, so a refused connection can say how to start it. */
  private usedBuiltInLocal = false;

  constructor(options: ContextOptions = {}) {
    this.env = options.env ?? process.env;
    this.cwd = options.cwd ?? process.cwd();
    this.globals = options.globals ?? {};
    this.io = options.io ?? new IO({ env: this.env, json: this.globals.json, verbose: this.globals.verbose, wide: this.globals.wide });
    this.resolveCluster = options.resolveCluster ?? (async (cluster, env) => (await import('./discovery.js')).findCluster(cluster, env));
  }

  /** A path the user typed, absolute: relative ones start at {@link cwd}, not at the process's directory. */
  path(typed: string): string {
    return resolve(this.cwd, typed);
  }

  /** Aborted when the user interrupts the command. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(): void {
    this.controller.abort();
  }

  /** The explicit scheduler URL (flag, then environment), if any. */
  get explicitSchedulerUrl(): string | undefined {
    const url = this.globals.schedulerUrl ?? this.env['AURORA_SCHEDULER_URL'];
    return url === undefined || url === '' ? undefined : url;
  }

  /** Where to send calls for `cluster`; an explicit scheduler URL wins and the cluster is not looked up. */
  async target(cluster: string | undefined): Promise<SchedulerTarget> {
    const explicit = this.explicitSchedulerUrl;
    if (explicit !== undefined) {
      checkUrl(explicit);
      return { url: explicit };
    }
    if (cluster === undefined) {
      throw new UsageError('no scheduler to talk to', 'pass --scheduler-url URL, set AURORA_SCHEDULER_URL, or name a cluster');
    }
    const resolved = await this.resolveCluster(cluster, this.env);
    if (resolved.source === 'built-in') this.usedBuiltInLocal = true;
    return { cluster: resolved };
  }

  /** What to add to `error`'s line: how to start the built-in local scheduler when it refused the connection. */
  hintFor(error: unknown): string | undefined {
    if (!this.usedBuiltInLocal || !(error instanceof AuroraTransportError) || error.code !== 'ECONNREFUSED') return undefined;
    const other = runningSchedulers(this.env).find((s) => s.port !== DEFAULT_PORT);
    const start = 'start it with `aurora-ts scheduler start`';
    return other === undefined ? start : `${start}, or use the one on port ${other.port} with --scheduler-url ${other.url}`;
  }

  /** A client for `cluster` (or the explicit scheduler URL), built once per command. */
  async client(cluster: string | undefined): Promise<AuroraClient> {
    const target = await this.target(cluster);
    const id = target.url ?? `cluster:${target.cluster.name}`;
    const cached = this.clients.get(id);
    if (cached) return cached;
    const { AuroraClient } = await import('../client/client.js');
    const home = this.env['HOME'] || undefined;
    // Credentials written into the URL win; then AURORA_USERNAME/AURORA_PASSWORD; then ~/.netrc per host (the client's default).
    const auth = target.url !== undefined && hasCredentials(target.url) ? undefined : this.envCredentials();
    const timeoutMs = this.globals.timeout === undefined ? undefined : Math.round(this.globals.timeout * 1000);
    const client = new AuroraClient({
      ...(target.url !== undefined ? { url: target.url } : { cluster: target.cluster }),
      home,
      env: this.env,
      ...(auth ? { auth } : {}),
      protocol: this.globals.protocol ?? 'binary',
      timeoutMs,
      // --timeout bounds reaching ZooKeeper and each of its reads too, not only the scheduler calls.
      zkTimeoutMs: timeoutMs,
      onEvent: (e) => {
        if (e.type === 'warning') this.io.warn(e.message);
        else if (this.globals.verbose) this.io.debug(describeEvent(e));
      },
    });
    this.clients.set(id, client);
    return client;
  }

  /** Basic credentials from AURORA_USERNAME and AURORA_PASSWORD, when both are set (one alone is a usage error). */
  envCredentials(): { username: string; password: string } | undefined {
    const username = this.env['AURORA_USERNAME'] ?? '';
    const password = this.env['AURORA_PASSWORD'] ?? '';
    if (username === '' && password === '') return undefined;
    if (username === '') throw new UsageError('AURORA_PASSWORD is set but AURORA_USERNAME is not', 'set both, or neither to use ~/.netrc');
    if (password === '') throw new UsageError('AURORA_USERNAME is set but AURORA_PASSWORD is not', 'set both, or neither to use ~/.netrc');
    if (username.includes(':')) throw new UsageError('AURORA_USERNAME may not contain ":" (Basic credentials cannot carry it)');
    return { username, password };
  }

  /** The scheduler's base URL (without `/api` or credentials), for the local scheduler's other endpoints. */
  baseUrl(client: AuroraClient): string {
    const parsed = new URL(client.url);
    parsed.username = '';
    parsed.password = '';
    parsed.pathname = parsed.pathname.replace(/\/api\/?$/, '/');
    parsed.search = '';
    return parsed.href.replace(/\/$/, '');
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}

function hasCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return false;
  }
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`scheduler URL ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//***@'))} is not a URL`, 'expected e.g. http://127.0.0.1:8081');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`scheduler URL must be http:// or https://, got ${parsed.protocol}//...`);
  }
}

function describeEvent(e: ConnectEvent): string {
  switch (e.type) {
    case 'request':
      return `-> ${e.method} ${e.url} (${e.protocol}, ${e.bytes} bytes)`;
    case 'redirect':
      return `<- ${e.status} redirect to ${e.location}`;
    case 'response':
      return `<- ${e.method} ${e.status} (${e.bytes} bytes, ${e.ms} ms)`;
    case 'error':
      return `!! ${e.method} ${e.kind}${e.code ? ` ${e.code}` : ''}: ${e.message} (${e.ms} ms)`;
    case 'leader':
      return `leader: ${e.url}`;
    case 'retry':
      return `retry ${e.method} #${e.attempt} in ${e.delayMs} ms after ${e.kind}: ${e.message}`;
    case 'warning':
      return `warning: ${e.message}`;
  }
}

/** `$XDG_STATE_HOME/aurora-ts`, else `~/.local/state/aurora-ts`: where the local scheduler's pid file lives. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_STATE_HOME'];
  if (xdg !== undefined && xdg !== '' && xdg.startsWith('/')) return join(xdg, 'aurora-ts');
  return join(env['HOME'] || homedir(), '.local', 'state', 'aurora-ts');
}
