/**
 * The local Aurora-compatible scheduler: Aurora's Thrift API over HTTP, tasks run as local processes
 * with Mesos command-executor semantics. `startScheduler()` is what `aurora-ts scheduler start`,
 * the examples and the tests run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { hostname as osHostname, cpus as osCpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { loadExecutorConfig, type ExecutorCatalog } from '../executors/index.js';
import type { AuroraMethod } from '../gen/api.js';
import { ResponseCode, type ScheduledTask } from '../gen/types.js';
import { AuroraValidationError } from '../errors.js';
import { createApiServer, listen } from './api-server.js';
import { cleanUpOnExit } from './exit-cleanup.js';
import { createBasicAuth, exposureWarning, loadUsersFile, resolveTaskUser, type BasicAuth, type TaskUser } from './auth/index.js';
import { advertisedHost, leaderRedirect, startLeadership, type Endpoint, type Leadership } from './leader/index.js';
import { LocalAgentDriver } from './agents/driver.js';
import { MesosAgentDriver, type ExecutorMode } from './agents/mesos-driver.js';
import { stateCheckpoint } from './agents/executor-api/checkpoint.js';
import { RemoteAgentDriver } from './agents/remote-driver.js';
import { AgentPool, type AgentSpec } from './agents/pool.js';
import type { Resources } from './placement.js';
import { validateAgents } from './agents/schema.js';
import { agentRoutes } from './agents/http.js';
import { SchedulerCore } from './core.js';
import { buildLaunchSpec, taskDemand } from './launch-spec.js';
import { TaskLifecycle, type StoredProcess, type ThrottleSettings } from './lifecycle.js';
import { FEATURES, type SchedulerFeature } from './features.js';
import type { CronOptions } from './cron/index.js';
import type { MaintenanceOptions } from './maintenance/index.js';
import type { UpdateOptions } from './updates/index.js';
import type { UpdateRpcOptions } from './updates/rpc.js';
import { jobHandlers } from './rpc/jobs.js';
import { sandboxRoutes, type TaskLaunchOf } from './sandbox-http.js';
import { uiRoutes } from './ui/server.js';
import { sanitizeJob, type SchedulerPolicy } from './sanitize.js';
import { SlaManager } from './sla.js';
import { openSchedulerState, prepareSchedulerDir, SchedulerState, StateDirError } from './store/state.js';
import { Responses } from './rpc/responses.js';
import { persistTasks } from './store/tasks.js';
import type { RpcHandlers } from './api-server.js';
import { operatorEnvironment, ownerUnavailable, type LaunchSpec } from './runner/index.js';

export { StateDirError, StateDirInUseError } from './store/state.js';
// The TaskInfo a Mesos executor is handed, built as Aurora builds it, for executor authors' own tests.
export { buildTaskInfo } from './agents/executor-api/task-info.js';
export type { TaskInfoContext } from './agents/executor-api/task-info.js';
export type { MesosJson } from '../mesos/proto.js';
export type { ExecutorMode } from './agents/mesos-driver.js';

export interface SchedulerOptions {
  /** Interface to bind (default 127.0.0.1: loopback only). */
  host?: string;
  /** Port (default 8081, Aurora's; 0 picks a free one). */
  port?: number;
  clusterName?: string;
  /** The scheduler's -custom_executor_config: a path, or an already loaded catalog. */
  executors?: string | ExecutorCatalog;
  /**
   * The agents tasks are placed on (`--agents FILE`): host names, attributes and resources, checked as
   * agents/schema.ts says. Every agent's tasks run as processes of this machine. Default: one agent,
   * named `hostname`, sized by `cpus`, `ramMb` and `diskMb`, with the attribute `host: <hostname>`.
   */
  agents?: AgentSpec[];
  /** The default agent's host name (`--hostname`; default this machine's). Ignored with `agents`. */
  hostname?: string;
  /** The default agent's resources (default: this machine's CPUs and memory, unlimited disk). Ignored with `agents`. */
  cpus?: number;
  ramMb?: number;
  diskMb?: number;
  /** Where sandboxes live (default: a fresh temporary directory, removed on close; `stateDir` when that is set). */
  workDir?: string;
  /**
   * Durable state (`--state-dir`): tasks, cron jobs, updates, quotas and maintenance modes in
   * `<stateDir>/scheduler.db` (SQLite), each write stored before its RPC is answered, and sandboxes under
   * `<stateDir>/sandboxes`. A scheduler restarted on the same directory, even after `kill -9`, adopts the
   * task processes that survived and reschedules those that did not; close() leaves tasks running for it.
   * With `zk` as well, schedulers may share the directory: only the leader holds its lock and its state
   * (a follower loads it, adopting the tasks, when it becomes leader, and only then announces itself).
   */
  stateDir?: string;
  /**
   * With `stateDir`: every agent's tasks run under that agent's own process (`<stateDir>/agents/<host>/`),
   * started by the scheduler and outliving it, which a restarted scheduler reconnects to and reconciles
   * its stored tasks with. Default false: the scheduler starts the tasks itself.
   */
  agentProcesses?: boolean;
  /**
   * With `agentProcesses`, Mesos' `--agent_ping_timeout` (default 15000 ms) and `--max_agent_ping_timeouts`
   * (default 5): an agent that answers none of that many pings in a row is marked unreachable, its
   * tasks become LOST and are rescheduled on other agents; when it answers again, the tasks it still
   * runs are killed (unless `partitionAware`).
   */
  agentPingTimeoutMs?: number;
  maxAgentPingTimeouts?: number;
  /**
   * Aurora's `-partition_aware` (`--partition-aware`, default false), with `agentProcesses`: the tasks
   * of an unreachable agent go PARTITIONED instead of LOST and follow their job's PartitionPolicy
   * (absent: `{ reschedule: true, delaySecs: 0 }`): after `delaySecs` still PARTITIONED, LOST
   * ("Task partitioned for too long.") and rescheduled; with `reschedule: false`, PARTITIONED until the
   * agent answers. A PARTITIONED task whose agent answers again is RUNNING again, its processes untouched.
   */
  partitionAware?: boolean;
  /** SIGTERM → SIGKILL grace when killing a task (default 3000 ms, Mesos' command executor). */
  killGraceMs?: number;
  /**
   * Custom executors and Mesos' v1 executor API (README "Mesos executors"): `mode` auto (default: an
   * executor that subscribes is driven by its updates, one that never does is a plain process) or
   * mesos (every executor must subscribe within `registrationTimeoutMs`, Mesos' default 1 min);
   * `killRetryMs` is Aurora's -initial_task_kill_retry_interval (15 s); `shutdownGraceMs` Mesos'
   * executor shutdown grace (5 s); `populateDiscoveryInfo` Aurora's -populate_discovery_info;
   * `authenticateHttpExecutors` Mesos' --authenticate_http_executors (a per-executor token in
   * MESOS_EXECUTOR_AUTHENTICATION_TOKEN, required as `Authorization: Bearer` on every call).
   */
  mesosExecutors?: {
    mode?: ExecutorMode;
    registrationTimeoutMs?: number;
    killRetryMs?: number;
    shutdownGraceMs?: number;
    populateDiscoveryInfo?: boolean;
    authenticateHttpExecutors?: boolean;
  };
  /**
   * Aurora's -transient_task_state_timeout (default 5 min): a task still KILLING, RESTARTING or
   * DRAINING after this long goes LOST ("Task timed out"); also the longest kill retry interval.
   */
  transientTaskStateTimeoutMs?: number;
  throttle?: Partial<ThrottleSettings>;
  policy?: Partial<SchedulerPolicy>;
  /** Messages worth a log line (failed launches, warnings). The library itself never prints. */
  onLog?: (message: string) => void;
  /**
   * Leader election over ZooKeeper (`--zk HOSTS --zk-path PATH`): only the leader announces itself and serves /api.
   * A leader that loses its session stops serving; with `stateDir` it also leaves its tasks running and
   * releases the directory for the next leader.
   */
  zk?: { hosts: string; path: string; sessionTimeoutMs?: number; connectTimeoutMs?: number; advertiseHost?: string };
  /** Shiro-style users file (`--basic-auth-file`, format in auth/users-file.ts): write RPCs need a permitted user. */
  basicAuthFile?: string;
  /** Run task processes as this local user (`--task-user`); needs the scheduler to run as root. */
  taskUser?: string;
  /** Cron: the time zone schedules are read in (default UTC, Aurora's -cron_timezone), clock and tick. */
  cron?: CronOptions;
  /** Host maintenance: drain polling interval and SLA-check thresholds. */
  maintenance?: MaintenanceOptions;
  /** Job updates: the cap on potential instance failures and the clock. */
  updates?: UpdateOptions;
  /** Largest accepted /api request body in bytes (default 16 MiB); larger ones get HTTP 413. */
  maxBodyBytes?: number;
  /** Deepest accepted Thrift struct/container nesting in a request (default 64). */
  maxDepth?: number;
  /**
   * Most values a request may hold, counted before they are built: in binary each struct and each
   * other list, set or map element, in TJSON each JSON value (default 200,000; Aurora's calls hold
   * hundreds).
   */
  maxValues?: number;
  /** A request (headers and body) must arrive within this many ms (default 30 s), so slow clients cannot hold sockets. */
  bodyTimeoutMs?: number;
  /**
   * When the host process ends without close() (process.exit, the end of its event loop, an uncaught
   * exception, or SIGINT/SIGTERM that the host does not handle itself), the scheduler stops its tasks
   * and removes its temporary directory, then lets the process end as it would have: on a signal it
   * closes as close() does and raises the signal again. `true` leaves both behind, as before. With
   * `stateDir` nothing is stopped (tasks survive for the next scheduler on that directory) and this
   * option has no effect; with `workDir` the tasks are stopped and the directory (yours) kept.
   */
  keepOnExit?: boolean;
  /**
   * Most bytes of /api request bodies buffered at once over all connections (default 64 MiB, at least
   * maxBodyBytes); a body past it gets HTTP 503 with Retry-After: 1, so slow large bodies cannot fill memory.
   */
  maxBufferedBytes?: number;
  /** Most open API connections (default 2048); more are closed at once, keeping file descriptors for tasks and state. */
  maxConnections?: number;
}

/** A start-up failure to listen (busy port, address not on this machine, privileged port): names the option. */
export class SchedulerListenError extends AuroraValidationError {
  /** The system error code: EADDRINUSE, EADDRNOTAVAIL, EACCES, ... */
  readonly code: string | undefined;
  constructor(field: 'host' | 'port', message: string, code: string | undefined, cause: unknown) {
    super(field, message, { cause });
    this.code = code;
  }
}

function listenError(error: unknown, host: string, port: number): SchedulerListenError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new SchedulerListenError('port', `${port} on ${host} is already in use (EADDRINUSE); pick another port, or 0 for a free one`, code, error);
  if (code === 'EACCES') return new SchedulerListenError('port', `${port} on ${host} needs privileges this process lacks (EACCES); use a port above 1023, or 0`, code, error);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new SchedulerListenError('host', `${host} is not an address of this machine (${code})`, code, error);
  return new SchedulerListenError('port', `cannot listen on ${host}:${port}: ${(error as Error).message}`, code, error);
}

export interface RunningScheduler {
  /** Base URL, e.g. `http://127.0.0.1:8081` (the API is at `<url>/api`). */
  readonly url: string;
  /**
   * The shared core. With `zk` and `stateDir` together, that of this scheduler's latest term as leader
   * (reading it before the scheduler has first led throws: its state is not loaded yet).
   */
  readonly core: SchedulerCore;
  readonly workDir: string;
  /** The ZooKeeper election, when `zk` is set. */
  readonly leadership: Leadership | undefined;
  /** Whether this scheduler serves /api itself (always, without `zk`). */
  isLeader(): boolean;
  /** Stops serving; kills every task and waits for their processes (with `stateDir`: leaves them running for the next scheduler). */
  close(): Promise<void>;
}

// Types the options and the running scheduler refer to, so that callers can name them (SchedulerCore
// and Leadership are the scheduler's internals, for tests and tools that look inside).
export type { AgentSpec, Resources, CronOptions, MaintenanceOptions, UpdateOptions, UpdateRpcOptions, ThrottleSettings, SchedulerPolicy, SchedulerCore, Leadership };

/** Recovery RPCs operate on Aurora's replicated log backups, which a local scheduler does not have. */
const RECOVERY = new Set<AuroraMethod>(['stageRecovery', 'queryRecovery', 'deleteRecoveryTasks', 'commitRecovery', 'unloadRecovery']);

export async function startScheduler(options: SchedulerOptions = {}): Promise<RunningScheduler> {
  const executors = typeof options.executors === 'string' ? await loadExecutorConfig(options.executors) : options.executors;
  const ownWorkDir = options.workDir === undefined && options.stateDir === undefined;
  const workDir = options.stateDir ?? options.workDir ?? mkdtempSync(join(tmpdir(), 'aurora-ts-scheduler-'));
  const sandboxRoot = join(workDir, 'sandboxes');
  // A directory the scheduler cannot use is one clear StateDirError, before anything is created in it.
  if (options.stateDir !== undefined) prepareSchedulerDir(options.stateDir, 'state');
  else if (options.workDir !== undefined) prepareSchedulerDir(options.workDir, 'work');
  await mkdir(sandboxRoot, { recursive: true }).catch((error: unknown) => {
    const what = options.stateDir !== undefined ? 'state' : 'work';
    throw new StateDirError(workDir, `cannot create ${sandboxRoot} (${(error as NodeJS.ErrnoException).code ?? String(error)}); make the directory writable for this user`, { cause: error, what });
  });
  const taskUser = options.taskUser !== undefined ? await resolveTaskUser(options.taskUser) : undefined;
  // The task user must reach its own sandbox, but not list or write the scheduler's directories.
  if (taskUser) for (const dir of [workDir, sandboxRoot]) await chmod(dir, 0o711);
  const users = options.basicAuthFile !== undefined ? await loadUsersFile(options.basicAuthFile) : undefined;
  // This machine's name, read here only: the scheduler's own host and the default agent's.
  const hostname = osHostname();
  const agents = options.agents !== undefined ? validateAgents(options.agents) : [defaultAgent(options, hostname)];
  checkAgentProcesses(options);
  const clusterName = options.clusterName ?? 'local';
  const policy: SchedulerPolicy = {
    allowDocker: false,
    allowDockerParameters: false,
    allowFetcherUris: false,
    allowGpus: false,
    allowContainerVolumes: false,
    allowedEnvironments: '^(prod|devel|test|staging\\d*)$',
    // One setting for both, as Aurora's -min_required_instances_for_sla_check and -sla_aware_kill_non_prod:
    // which jobs may have an SLA policy, and which ones the SLA checks of drains and updates apply to.
    minRequiredInstances: options.maintenance?.slaMinRequiredInstances ?? 20,
    slaAwareKillNonProd: options.maintenance?.slaAwareKillNonProd ?? false,
    ...options.policy,
  };
  const responses = new Responses({ clusterName, statsUrlPrefix: '' });
  const auth = users ? createBasicAuth({ users, respond: (code, message) => responses.make(code, message), onLog: options.onLog }) : undefined;
  const settings: EngineSettings = { options, agents, executors, sandboxRoot, hostname, clusterName, policy, taskUser, auth };
  // Schedulers sharing a state directory under one election: only the leader holds its lock and its state.
  const shared = options.zk !== undefined && options.stateDir !== undefined;

  // The engine serving /api: opened now, or (shared state) each time this scheduler becomes leader.
  let engine: Engine | undefined;
  let lastCore: SchedulerCore | undefined;
  let closed = false;
  // Taking over and stepping down run one at a time, in order.
  let transitions: Promise<unknown> = Promise.resolve();
  const serially = <T>(step: () => Promise<T>): Promise<T> => {
    const run = transitions.then(step);
    transitions = run.catch(() => undefined);
    return run;
  };
  if (!shared) {
    // Before anything runs: a state directory that cannot be opened (or is in use) stops the start.
    const state = options.stateDir !== undefined ? new SchedulerState(options.stateDir, { onError: options.onLog }) : undefined;
    engine = await openEngine(settings, state);
    lastCore = engine.core;
  }
  const takeOver = () =>
    serially(async () => {
      if (engine || closed) return;
      const zk = options.zk!;
      // A previous leader still alive is detaching (its session ended moments ago): wait for its lock, boundedly.
      const state = await openSchedulerState(options.stateDir!, {
        onError: options.onLog,
        waitMs: Math.max(10_000, 2 * (zk.sessionTimeoutMs ?? 10_000)),
        cancelled: () => closed,
      });
      if (closed) {
        state.close();
        return;
      }
      engine = await openEngine(settings, state);
      lastCore = engine.core;
      options.onLog?.(`Loaded the shared state in ${options.stateDir}; ${engine.lifecycle.store.all().length} tasks.`);
    });
  const stepDown = () =>
    serially(async () => {
      const leaving = engine;
      engine = undefined;
      // Detached, not killed: the next leader adopts the tasks; the lock goes with the state.
      await leaving?.close(true);
    });

  const routesByEngine = new WeakMap<Engine, ReturnType<typeof sandboxRoutes>>();
  const ui = uiRoutes();
  const server: Server = createApiServer({
    handlers: currentHandlers(() => engine, responses),
    maxBodyBytes: options.maxBodyBytes,
    maxDepth: options.maxDepth,
    maxValues: options.maxValues,
    bodyTimeoutMs: options.bodyTimeoutMs,
    maxBufferedBytes: options.maxBufferedBytes,
    maxConnections: options.maxConnections,
    unimplemented: (method) =>
      RECOVERY.has(method)
        ? responses.make(ResponseCode.INVALID_REQUEST, `${method} is not supported: the aurora-ts local scheduler keeps no replicated log backups to recover from.`)
        : responses.make(ResponseCode.INVALID_REQUEST, `${method} is not implemented by the aurora-ts local scheduler yet.`),
    routes: async (request, response) => {
      if (await ui(request, response)) return true;
      const current = engine;
      if (!current) return false;
      let routes = routesByEngine.get(current);
      if (!routes) {
        const sandboxes = sandboxRoutes(current.lifecycle.store, sandboxRoot, current.launchOf);
        const agentsRoute = agentRoutes(current.core.agents, current.lifecycle);
        routes = async (request, response) => (await agentsRoute(request, response)) || sandboxes(request, response);
        routesByEngine.set(current, routes);
      }
      return routes(request, response);
    },
    filter: auth?.filter,
    intercept: options.zk ? leaderRedirect(() => (leadership && self ? { leadership, self } : undefined)) : undefined,
  });
  const abandon = async () => {
    closed = true;
    // The tasks keep running for the next attempt (or the next leader).
    await serially(async () => {
      await engine?.close(engine.state !== undefined);
      engine = undefined;
    });
    if (ownWorkDir) await rm(workDir, { recursive: true, force: true });
  };
  // Set once the scheduler has joined the ZooKeeper election (after listening, when its port is known).
  let leadership: Leadership | undefined;
  let self: Endpoint | undefined;
  let url: string;
  try {
    url = await listen(server, options.host ?? '127.0.0.1', options.port ?? 8081);
  } catch (error) {
    await abandon();
    throw listenError(error, options.host ?? '127.0.0.1', options.port ?? 8081);
  }
  const warning = exposureWarning(options.host ?? '127.0.0.1', auth !== undefined);
  if (warning) options.onLog?.(warning);
  const noOwner = ownerUnavailable();
  if (noOwner) options.onLog?.(`Warning: tasks run without a subreaper owner (${noOwner}): a process that leaves its task's session and clears its environment survives the task's kill.`);
  if (options.zk) {
    self = { host: options.zk.advertiseHost ?? advertisedHost(options.host ?? '127.0.0.1', hostname), port: Number(new URL(url).port) };
    try {
      leadership = await startLeadership({
        ...options.zk,
        ...self,
        onLog: options.onLog,
        // Announced only once the state is loaded, so no caller reaches a leader without it.
        ...(shared ? { beforeLeading: takeOver, onLeadershipLost: () => void stepDown() } : {}),
      });
    } catch (error) {
      server.close();
      await abandon();
      throw error;
    }
  }

  let closing: Promise<void> | undefined;
  let forget = (): void => undefined;
  const running: RunningScheduler = {
    url,
    get core(): SchedulerCore {
      if (!lastCore) throw new Error('this scheduler has not led yet: with zk and stateDir its state is loaded only once it leads');
      return lastCore;
    },
    workDir,
    leadership,
    isLeader: () => leadership?.isLeader() ?? true,
    close() {
      closing ??= (async () => {
        forget();
        // Withdraw the announcement first, so callers are sent elsewhere before anything stops.
        await leadership?.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await abandon();
      })();
      return closing;
    },
  };
  if (options.keepOnExit !== true && options.stateDir === undefined) {
    forget = cleanUpOnExit({
      close: () => running.close(),
      now: () => {
        engine?.lifecycle.killNow();
        if (ownWorkDir) rmSync(workDir, { recursive: true, force: true });
      },
    });
  }
  return running;
}

interface EngineSettings {
  options: SchedulerOptions;
  agents: AgentSpec[];
  executors: ExecutorCatalog | undefined;
  sandboxRoot: string;
  hostname: string;
  clusterName: string;
  policy: SchedulerPolicy;
  taskUser: TaskUser | undefined;
  auth: BasicAuth | undefined;
}

/** One term of service: the tasks, the features and their state, loaded from `state` when given. */
interface Engine {
  readonly core: SchedulerCore;
  readonly lifecycle: TaskLifecycle;
  readonly handlers: RpcHandlers;
  readonly state: SchedulerState | undefined;
  /** A task's environment and user, rebuilt from its launch spec (GET /sandbox/<taskId>). */
  readonly launchOf: TaskLaunchOf;
  /** Stops the features; kills the tasks, or (detach) leaves them running for whoever opens the state next. */
  close(detach: boolean): Promise<void>;
}

/**
 * Builds the scheduler's engine and, with a state directory, restores it as a restart does: tasks and
 * features read back, survivors adopted, the dead settled or rescheduled, orphans killed, updates resumed.
 */
async function openEngine(settings: EngineSettings, state: SchedulerState | undefined): Promise<Engine> {
  const { options, executors, sandboxRoot, hostname, clusterName, policy, taskUser, auth } = settings;
  const killGraceMs = options.killGraceMs ?? 3000;
  // Each term of service starts from the agents as configured; maintenance modes come back from the state.
  let lifecycleRef: TaskLifecycle | undefined;
  const agents = new AgentPool(settings.agents, { cpus: osCpus().length, ramMb: Math.floor(totalmem() / (1024 * 1024)), diskMb: Number.MAX_SAFE_INTEGER });
  const remote =
    options.agentProcesses === true && options.stateDir !== undefined
      ? new RemoteAgentDriver({
          stateDir: options.stateDir,
          hosts: agents.all().map((a) => a.host),
          pingTimeoutMs: options.agentPingTimeoutMs,
          maxPingTimeouts: options.maxAgentPingTimeouts,
          onReachable: (host, reachable) => agents.setReachable(host, reachable),
          ...(options.partitionAware === true
            ? {
                onPartitioned: (taskId: string, message: string) => lifecycleRef?.partitioned(taskId, message) ?? false,
                onReconnected: (taskId: string) => lifecycleRef?.reconnected(taskId) ?? false,
              }
            : {}),
          persist: state ? afterTransitions(state) : undefined,
          onLog: options.onLog,
        })
      : undefined;
  await remote?.start();
  const driver = new MesosAgentDriver(remote ?? new LocalAgentDriver(), {
    ...options.mesosExecutors,
    maxKillRetryMs: options.transientTaskStateTimeoutMs,
    hostname,
    // With a state directory the executor API keeps its port and its executors across restarts.
    checkpoint: state ? stateCheckpoint(state) : undefined,
    onLog: options.onLog,
    // An executor's update is acknowledged once the state change it made is in the state directory:
    // transitions land in the store a turn later, hence the wait before the flush.
    persist: state ? afterTransitions(state) : undefined,
  });
  await driver.start();
  const lifecycle = (lifecycleRef = new TaskLifecycle({
    throttle: { minRunningMs: 5 * 60_000, initialBackoffMs: 30_000, maxBackoffMs: 5 * 60_000, ...options.throttle },
    schedulerHost: hostname,
    agents,
    driver,
    demand: (task) => taskDemand(task, executors),
    launchSpec,
    onError: options.onLog,
    beforeLaunch: state ? () => state.flush() : undefined,
    transientTaskStateTimeoutMs: options.transientTaskStateTimeoutMs,
  }));
  function launchSpec(task: ScheduledTask): LaunchSpec {
    return {
      host: task.assignedTask!.slaveHost,
      ...buildLaunchSpec(task, {
        executors,
        sandboxRoot,
        killGraceMs,
        allowFetcherUris: policy.allowFetcherUris,
        populateDiscoveryInfo: options.mesosExecutors?.populateDiscoveryInfo,
        clusterName,
      }),
      ...(taskUser ? { user: taskUser } : {}),
      // Tasks outlive the scheduler only when a restarted one can find them again.
      supervised: state !== undefined,
      // A host that keeps its tasks on exit keeps them past this process, too.
      ...(options.keepOnExit === true ? { endWithScheduler: false } : {}),
    };
  }
  let features: SchedulerFeature[] = [];
  try {
    let storedProcesses: ReadonlyMap<string, StoredProcess> = new Map();
    const tasks = state ? persistTasks(state, lifecycle) : undefined;
    if (tasks) {
      lifecycle.restore(tasks.stored.tasks);
      storedProcesses = tasks.stored.processes;
    }
    const core = new SchedulerCore({
      clusterName,
      executors,
      lifecycle,
      agents,
      // Aurora's scheduler-wide SLA flags, for drains and SLA-aware updates alike.
      sla: new SlaManager(
        { store: lifecycle.store, clusterName },
        {
          minRequiredInstances: options.maintenance?.slaMinRequiredInstances,
          awareKillNonProd: options.maintenance?.slaAwareKillNonProd,
          coordinatorTimeoutMs: options.maintenance?.slaCoordinatorTimeoutMs,
          now: options.maintenance?.now,
        },
      ),
      sanitize: (job) => sanitizeJob(job, { policy, executors }),
      state,
      reconcileTasks: tasks ? () => tasks.reconcile() : undefined,
      callerName: auth ? () => auth.caller() : undefined,
    });
    features = FEATURES.map((create) => create(core, options));
    const handlers = durable(core, Object.assign({}, jobHandlers(core), ...features.map((f) => f.handlers ?? {})));
    // Before serving: survivors adopted, the dead settled or rescheduled, orphans killed, updates resumed.
    if (state) await lifecycle.recover(storedProcesses, sandboxRoot);
    // Executors are answered again (503 until now) and must re-subscribe in time.
    driver.recovered();
    core.recovered();
    core.persist();
    let closing: Promise<void> | undefined;
    return {
      core,
      lifecycle,
      handlers,
      state,
      launchOf: (task) => {
        const spec = launchSpec(task);
        return { env: operatorEnvironment(spec), ...(spec.user ? { user: spec.user } : {}) };
      },
      close(detach) {
        closing ??= (async () => {
          for (const feature of features) await feature.close?.();
          await lifecycle.close(undefined, { detach });
          await driver.close();
          await remote?.close(!detach);
          state?.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    for (const feature of features) await feature.close?.();
    await lifecycle.close(undefined, { detach: state !== undefined });
    await driver.close();
    await remote?.close(false);
    state?.close();
    throw error;
  }
}

/** Stores the state once the transitions a status update caused are in it (they land in the store a turn later). */
function afterTransitions(state: SchedulerState): () => Promise<void> {
  return async () => {
    await new Promise((resolve) => setImmediate(resolve));
    state.flush();
  };
}

/** The agent-process options: bad values are rejected before anything starts. */
function checkAgentProcesses(options: SchedulerOptions): void {
  if (options.agentProcesses === true && options.stateDir === undefined) throw new AuroraValidationError('agentProcesses', 'needs stateDir (agents keep their state under stateDir/agents)');
  if (options.partitionAware === true && options.agentProcesses !== true) throw new AuroraValidationError('partitionAware', 'needs agentProcesses (only agent processes can be unreachable)');
  const { agentPingTimeoutMs: timeout, maxAgentPingTimeouts: max } = options;
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) throw new AuroraValidationError('agentPingTimeoutMs', 'must be a positive number of milliseconds');
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) throw new AuroraValidationError('maxAgentPingTimeouts', 'must be a whole number, at least 1');
}

/** The single agent of a scheduler started without `agents`: this machine, or the `hostname` given. */
function defaultAgent(options: SchedulerOptions, machine: string): AgentSpec {
  const host = options.hostname ?? machine;
  const resources: AgentSpec['resources'] = {};
  if (options.cpus !== undefined) resources.cpus = options.cpus;
  if (options.ramMb !== undefined) resources.ramMb = options.ramMb;
  if (options.diskMb !== undefined) resources.diskMb = options.diskMb;
  // A convenience Aurora leaves to operators: `host` constraints work on the default agent.
  return { host, attributes: { host }, resources };
}

/** /api's handlers, served by whichever engine is current; without one (not leading) every call says so. */
function currentHandlers(current: () => Engine | undefined, responses: Responses): RpcHandlers {
  return new Proxy({} as RpcHandlers, {
    get(_target, method) {
      if (typeof method !== 'string') return undefined;
      const engine = current();
      if (!engine) return () => responses.error('This scheduler does not lead: its state is not loaded. Ask the leader.');
      return engine.handlers[method as AuroraMethod];
    },
  });
}

/**
 * Every RPC's changes are stored, in one transaction, before its Response is sent; a write that cannot
 * be stored is answered with ERROR instead of being acknowledged.
 */
function durable(core: SchedulerCore, handlers: RpcHandlers): RpcHandlers {
  const wrapped: RpcHandlers = {};
  for (const [method, handler] of Object.entries(handlers) as Array<[keyof RpcHandlers, NonNullable<RpcHandlers[keyof RpcHandlers]>]>) {
    wrapped[method] = async (args, context) => {
      const response = await handler(args, context);
      try {
        core.persist();
      } catch (error) {
        return core.responses.error(`The scheduler could not store its state: ${(error as Error).message}`);
      }
      return response;
    };
  }
  return wrapped;
}
