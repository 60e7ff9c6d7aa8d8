/**
 * clusters.json, read the way Aurora's Python client reads it (apache/aurora/common/clusters.py):
 * `$AURORA_CONFIG_ROOT/clusters.json` (default /etc/aurora), then `~/.aurora/clusters.json`; a
 * cluster defined in the later file replaces the earlier one whole. A file is a list of objects or
 * an object of objects; entries without `name` are skipped; keys nobody knows are kept.
 */
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { AuroraConfigError } from '../errors.js';
import { JsonSyntaxError, parseJsonWithPosition } from '../util/json-syntax.js';
import { CONFIG_FILE_MAX_BYTES, UserFileError, readUserFile, readUserFileSync } from '../util/user-file.js';

/**
 * Settings this project adds to a cluster entry under `policy`. Each mirrors an Aurora scheduler
 * flag (in brackets) and defaults to what a default-configured Aurora does, except
 * `requireDockerUseExecutor`.
 */
export interface ClusterPolicyOverrides {
  /** Docker containers [-allowed_container_types=MESOS,DOCKER]. Default false. */
  allowDocker?: boolean;
  /** Docker parameters [-allow_docker_parameters]. Default false. */
  allowDockerParameters?: boolean;
  /** Per-job Mesos fetcher URIs [-enable_mesos_fetcher]. Default false. */
  allowFetcherUris?: boolean;
  /** The GPU resource [-allow_gpu_resource]. Default false. */
  allowGpus?: boolean;
  /** Volumes in Mesos containers [-allow_container_volumes]. Default false. */
  allowContainerVolumes?: boolean;
  /**
   * Docker tasks need an executor too [-require_docker_use_executor]. Aurora's flag defaults to
   * true, but it only matters once Docker is allowed; here it defaults to false so that a Docker
   * container can replace the executor, as the API allows.
   */
  requireDockerUseExecutor?: boolean;
  /** Regular expression for environments [-allowed_job_environments]. */
  allowedEnvironments?: string;
  /** [-max_tasks_per_job], default 4000. */
  maxTasksPerJob?: number;
  defaultTier?: string;
  /** [-sla_min_required_instances], default 20. */
  minRequiredInstances?: number;
  /** [-max_sla_duration_secs], default 7200. */
  maxSlaDurationSecs?: number;
  /** [-sla_aware_kill_non_prod], default false. */
  slaAwareKillNonProd?: boolean;
  /** Whether the cluster runs Thermos (`AuroraExecutor`). Default true. */
  thermos?: boolean;
}

export interface Cluster {
  name: string;
  /** Comma-separated ZooKeeper hosts; when set the scheduler is found through ZooKeeper. */
  zk?: string;
  /** Default 2181. */
  zkPort: number;
  schedulerZkPath?: string;
  /** Base URL of the scheduler as written; the API is at `new URL('api', schedulerUri)`. */
  schedulerUri?: string;
  /** Only rewrites web links (as in the Python client); never used for API calls. */
  proxyUrl?: string;
  /** Default `UNAUTHENTICATED`. */
  authMechanism: string;
  slaveRoot?: string;
  slaveRunDirectory?: string;
  /**
   * Port of the cluster's Mesos agents (`agent_port`, an aurora-ts key; default 5051), where task
   * files are read from (`/files/read`).
   */
  agentPort?: number;
  dockerRegistry?: string;
  /** The scheduler's `-custom_executor_config` file, resolved against the clusters.json directory. */
  customExecutorConfig?: string;
  policy?: ClusterPolicyOverrides;
  /** Keys this library does not interpret, kept as written. */
  extra: Readonly<Record<string, unknown>>;
  /** The file that defined this cluster, or `built-in`. */
  source: string;
}

export interface Clusters {
  /** Throws an AuroraConfigError naming the known clusters when `name` is not one of them. */
  get(name: string): Cluster;
  has(name: string): boolean;
  /** In definition order; the built-in `local` first unless a file redefines it. */
  list(): Cluster[];
  /** The clusters.json files that were read, in order. */
  readonly files: readonly string[];
}

export interface LoadClustersOptions {
  /** Replaces `$AURORA_CONFIG_ROOT` (default /etc/aurora). */
  configRoot?: string;
  /** The home directory holding `.aurora/clusters.json`. Default `os.homedir()`. */
  home?: string;
  /** Where AURORA_CONFIG_ROOT is read from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The cluster every installation has: the local scheduler on its default port. */
export const LOCAL_CLUSTER: Readonly<Cluster> = Object.freeze({
  name: 'local',
  zkPort: 2181,
  schedulerUri: 'http://127.0.0.1:8081',
  authMechanism: 'UNAUTHENTICATED',
  extra: Object.freeze({}),
  source: 'built-in',
});

/** The files searched, earliest first. */
export function clustersFiles(options: LoadClustersOptions = {}): string[] {
  const env = options.env ?? process.env;
  // Python: `os.environ.get('AURORA_CONFIG_ROOT') or '/etc/aurora'`, so an empty value means the default.
  const root = options.configRoot || env.AURORA_CONFIG_ROOT || '/etc/aurora';
  const home = options.home ?? homedir();
  return [join(root, 'clusters.json'), join(home, '.aurora', 'clusters.json')];
}

export async function loadClusters(options: LoadClustersOptions = {}): Promise<Clusters> {
  const texts: Array<[string, string | undefined]> = [];
  for (const file of clustersFiles(options)) texts.push([file, await readOptional(file)]);
  return build(texts, options.home);
}

/** The same as `loadClusters`, for constructors that cannot wait. */
export function loadClustersSync(options: LoadClustersOptions = {}): Clusters {
  return build(clustersFiles(options).map((file) => [file, readOptionalSync(file)]), options.home);
}

/** A key as a path step: `.name` when it is a plain word, else quoted (a key may hold any character, line breaks too), at most 60 characters. */
function pathKey(key: string): string {
  const short = key.length > 60 ? `${key.slice(0, 57)}...` : key;
  return /^[\w.-]+$/.test(short) ? `.${short}` : `[${JSON.stringify(short)}]`;
}

/**
 * Parses one clusters.json text; `file` is used in messages and to resolve relative paths, `home`
 * (default `os.homedir()`) for paths starting with `~`.
 */
export function parseClustersFile(text: string, file: string, home?: string): Cluster[] {
  let document: unknown;
  try {
    // Python's json keeps the last of two equal keys; a repeated key is a setting lost, so it is refused.
    document = parseJsonWithPosition(text, { rejectDuplicateKeys: true });
  } catch (e) {
    const why = e instanceof JsonSyntaxError ? e.message : String(e);
    throw new AuroraConfigError(`${file}: ${why}`);
  }
  let entries: Array<[string, unknown]>;
  if (Array.isArray(document)) entries = document.map((v, i) => [`[${i}]`, v]);
  else if (isObject(document)) entries = Object.entries(document).map(([k, v]) => [pathKey(k), v]);
  else throw new AuroraConfigError(`${file}: expected a list or an object of clusters, got ${kindOf(document)}`);
  const out: Cluster[] = [];
  for (const [where, entry] of entries) {
    if (!isObject(entry)) {
      throw new AuroraConfigError(`${file}${where}: a cluster must be an object of key/value pairs, got ${kindOf(entry)}`);
    }
    if (!('name' in entry)) continue; // Python skips these silently
    out.push(toCluster(entry, `${file}${where}`, file, home));
  }
  return out;
}

/** `http(s)://host:port/.../api` for a cluster with scheduler_uri, joined as Python's urljoin(uri, 'api'). */
export function schedulerApiUrl(cluster: Pick<Cluster, 'name' | 'schedulerUri'> & { source?: string }): string {
  const which = cluster.source === undefined || cluster.source === 'built-in' ? `cluster ${cluster.name}` : `cluster ${cluster.name} (${cluster.source})`;
  if (cluster.schedulerUri === undefined) {
    throw new AuroraConfigError(`${which}: scheduler_uri is not set`);
  }
  let url: URL;
  try {
    url = new URL('api', cluster.schedulerUri);
  } catch {
    throw new AuroraConfigError(`${which}: scheduler_uri "${cluster.schedulerUri}" is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AuroraConfigError(`${which}: scheduler_uri must be http(s), got "${url.protocol}"`);
  }
  return url.href;
}

/**
 * Why a connect string from `zkConnectString` cannot be used, or undefined when it can. The ZooKeeper
 * client splits each entry at ':' and hands the port to net.connect, which throws (uncaught, from a
 * timer) for a port out of range, so every entry must be `host:port` with a port 1-65535.
 */
export function zkHostsProblem(connectString: string): string | undefined {
  if (connectString === '') return 'expected ZooKeeper hosts like zk1:2181,zk2:2181';
  for (const entry of connectString.split(',')) {
    const m = /^([A-Za-z0-9._-]+):(\d{1,5})$/.exec(entry);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      const shown = JSON.stringify(entry.length > 60 ? `${entry.slice(0, 57)}...` : entry);
      const ipv6 = entry.includes('[') || entry.split(':').length > 2 ? ' (the ZooKeeper client takes no IPv6 addresses)' : '';
      return `${shown} is not host:port with a port 1-65535${ipv6}`;
    }
  }
  return undefined;
}

/**
 * The ZooKeeper connect string `h1:2181,h2:2181`. Python appends zk_port to every host; a host that
 * already names its port keeps it (Python would produce `h:2181:2181` there).
 */
export function zkConnectString(zk: string, zkPort = 2181): string {
  return zk
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '')
    .map((h) => (/:\d+$/.test(h) && !/^\[.*\]$/.test(h) ? h : `${h}:${zkPort}`))
    .join(',');
}

function build(texts: Array<[string, string | undefined]>, home: string | undefined): Clusters {
  const byName = new Map<string, Cluster>([[LOCAL_CLUSTER.name, LOCAL_CLUSTER]]);
  const files: string[] = [];
  for (const [file, text] of texts) {
    if (text === undefined) continue;
    files.push(file);
    for (const cluster of parseClustersFile(text, file, home)) {
      // A later definition replaces the earlier one whole (Python's dict assignment), keeping its place.
      byName.set(cluster.name, cluster);
    }
  }
  return {
    files,
    has: (name) => byName.has(name),
    list: () => [...byName.values()],
    get(name) {
      const cluster = byName.get(name);
      if (cluster) return cluster;
      const known = [...byName.keys()].join(', ');
      const where = files.length > 0 ? files.join(', ') : 'no clusters.json found';
      throw new AuroraConfigError(`unknown cluster "${name}"; known clusters: ${known} (from ${where})`);
    },
  };
}

const STRING_KEYS = {
  zk: 'zk',
  scheduler_zk_path: 'schedulerZkPath',
  scheduler_uri: 'schedulerUri',
  proxy_url: 'proxyUrl',
  auth_mechanism: 'authMechanism',
  slave_root: 'slaveRoot',
  slave_run_directory: 'slaveRunDirectory',
  docker_registry: 'dockerRegistry',
  custom_executor_config: 'customExecutorConfig',
} as const;

const POLICY_KEYS: Record<string, { field: keyof ClusterPolicyOverrides; type: 'boolean' | 'string' | 'integer' }> = {
  allow_docker: { field: 'allowDocker', type: 'boolean' },
  allow_docker_parameters: { field: 'allowDockerParameters', type: 'boolean' },
  allow_fetcher_uris: { field: 'allowFetcherUris', type: 'boolean' },
  allow_gpus: { field: 'allowGpus', type: 'boolean' },
  allow_container_volumes: { field: 'allowContainerVolumes', type: 'boolean' },
  require_docker_use_executor: { field: 'requireDockerUseExecutor', type: 'boolean' },
  allowed_environments: { field: 'allowedEnvironments', type: 'string' },
  max_tasks_per_job: { field: 'maxTasksPerJob', type: 'integer' },
  default_tier: { field: 'defaultTier', type: 'string' },
  min_required_instances: { field: 'minRequiredInstances', type: 'integer' },
  max_sla_duration_secs: { field: 'maxSlaDurationSecs', type: 'integer' },
  sla_aware_kill_non_prod: { field: 'slaAwareKillNonProd', type: 'boolean' },
  thermos: { field: 'thermos', type: 'boolean' },
};

function toCluster(entry: Record<string, unknown>, where: string, file: string, home: string | undefined): Cluster {
  // pystachio's String takes numbers too (it stringifies them); anything else is a mistake.
  const str = (key: string): string | undefined => {
    const v = entry[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    throw new AuroraConfigError(`${where}.${key}: expected a string, got ${kindOf(v)}`);
  };
  const name = str('name');
  if (name === undefined || name === '') throw new AuroraConfigError(`${where}.name: expected a non-empty string`);
  const cluster: Cluster = { name, zkPort: 2181, authMechanism: 'UNAUTHENTICATED', extra: {}, source: file };
  for (const [key, field] of Object.entries(STRING_KEYS)) {
    const v = str(key);
    if (v !== undefined) cluster[field] = v;
  }
  const portOf = (key: string): number | undefined => {
    const port = entry[key];
    if (port === undefined || port === null) return undefined;
    const n = typeof port === 'string' && /^\s*\d+\s*$/.test(port) ? Number(port) : port;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
      throw new AuroraConfigError(`${where}.${key}: expected a port number 1-65535, got ${preview(port)}`);
    }
    return n;
  };
  cluster.zkPort = portOf('zk_port') ?? cluster.zkPort;
  const agentPort = portOf('agent_port');
  if (agentPort !== undefined) cluster.agentPort = agentPort;
  if (cluster.customExecutorConfig !== undefined) {
    cluster.customExecutorConfig = resolvePath(cluster.customExecutorConfig, dirname(file), home);
  }
  if (entry.policy !== undefined && entry.policy !== null) cluster.policy = toPolicy(entry.policy, `${where}.policy`);
  const known = new Set<string>(['name', 'zk_port', 'agent_port', 'policy', ...Object.keys(STRING_KEYS)]);
  cluster.extra = Object.fromEntries(Object.entries(entry).filter(([k]) => !known.has(k)));
  return cluster;
}

function toPolicy(value: unknown, where: string): ClusterPolicyOverrides {
  if (!isObject(value)) throw new AuroraConfigError(`${where}: expected an object, got ${kindOf(value)}`);
  const policy: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const spec = POLICY_KEYS[key];
    if (!spec) {
      throw new AuroraConfigError(`${where}${pathKey(key)}: unknown policy setting; allowed: ${Object.keys(POLICY_KEYS).join(', ')}`);
    }
    const ok = spec.type === 'integer' ? Number.isInteger(v) && (v as number) >= 0 : typeof v === spec.type;
    if (!ok) {
      const expected = spec.type === 'integer' ? 'a non-negative integer' : `a ${spec.type}`;
      throw new AuroraConfigError(`${where}.${key}: expected ${expected}, got ${preview(v)}`);
    }
    policy[spec.field] = v;
  }
  return policy as ClusterPolicyOverrides;
}

function resolvePath(path: string, base: string, home: string | undefined): string {
  if (path === '~' || path.startsWith('~/')) return join(home ?? homedir(), path.slice(1));
  return isAbsolute(path) ? path : resolve(base, path);
}

const READ_LIMITS = { what: 'clusters.json', maxBytes: CONFIG_FILE_MAX_BYTES };

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readUserFile(file, READ_LIMITS);
  } catch (e) {
    return missingOrThrow(e, file);
  }
}

function readOptionalSync(file: string): string | undefined {
  try {
    return readUserFileSync(file, READ_LIMITS);
  } catch (e) {
    return missingOrThrow(e, file);
  }
}

function missingOrThrow(e: unknown, file: string): undefined {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
  const why = e instanceof UserFileError ? e.reason : `cannot read: ${code ?? String(e)}`;
  throw new AuroraConfigError(`${file}: ${why}`, { cause: e });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${preview(v)}`;
}

/** A value as JSON, cut short: an error line quotes what was wrong, not the whole file. */
function preview(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
