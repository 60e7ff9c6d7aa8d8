/**
 * The local Aurora-compatible scheduler: Aurora's Thrift API over HTTP, tasks run as local processes
 * with Mesos command-executor semantics. `startScheduler()` is what `aurora-ts scheduler start`,
 * the examples and the tests run.
 */
import { mkdtempSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { hostname as osHostname, cpus as osCpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { loadExecutorConfig, type ExecutorCatalog } from '../executors/index.js';
import type { AuroraMethod } from '../gen/api.js';
import { ResponseCode } from '../gen/types.js';
import { createApiServer, listen } from './api-server.js';
import { createBasicAuth, exposureWarning, loadUsersFile, resolveTaskUser } from './auth/index.js';
import { advertisedHost, leaderRedirect, startLeadership, type Endpoint, type Leadership } from './leader/index.js';
import { SchedulerCore } from './core.js';
import { buildLaunchSpec, taskDemand } from './launch-spec.js';
import { TaskLifecycle, type StoredProcess, type ThrottleSettings } from './lifecycle.js';
import { FEATURES } from './features.js';
import type { CronOptions } from './cron/index.js';
import type { MaintenanceOptions } from './maintenance/index.js';
import type { UpdateOptions } from './updates/index.js';
import { jobHandlers } from './rpc/jobs.js';
import { sandboxRoutes } from './sandbox-http.js';
import { sanitizeJob, type SchedulerPolicy } from './sanitize.js';
import { SchedulerState } from './store/state.js';
import { persistTasks } from './store/tasks.js';
import type { RpcHandlers } from './api-server.js';

export interface SchedulerOptions {
  /** Interface to bind (default 127.0.0.1: loopback only). */
  host?: string;
  /** Port (default 8081, Aurora's; 0 picks a free one). */
  port?: number;
  clusterName?: string;
  /** The scheduler's -custom_executor_config: a path, or an already loaded catalog. */
  executors?: string | ExecutorCatalog;
  /** Capacity offered to tasks (default: this machine's CPUs and memory). */
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
   */
  stateDir?: string;
  /** SIGTERM → SIGKILL grace when killing a task (default 3000 ms, Mesos' command executor). */
  killGraceMs?: number;
  throttle?: Partial<ThrottleSettings>;
  policy?: Partial<SchedulerPolicy>;
  /** Messages worth a log line (failed launches, warnings). The library itself never prints. */
  onLog?: (message: string) => void;
  /** Leader election over ZooKeeper (`--zk HOSTS --zk-path PATH`): only the leader announces itself and serves /api. */
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
  /** A request (headers and body) must arrive within this many ms (default 30 s), so slow clients cannot hold sockets. */
  bodyTimeoutMs?: number;
}

export interface RunningScheduler {
  /** Base URL, e.g. `http://127.0.0.1:8081` (the API is at `<url>/api`). */
  readonly url: string;
  readonly core: SchedulerCore;
  readonly workDir: string;
  /** The ZooKeeper election, when `zk` is set. */
  readonly leadership: Leadership | undefined;
  /** Whether this scheduler serves /api itself (always, without `zk`). */
  isLeader(): boolean;
  /** Kills every task, waits for their processes and stops serving. */
  close(): Promise<void>;
}

/** Recovery RPCs operate on Aurora's replicated log backups, which a local scheduler does not have. */
const RECOVERY = new Set<AuroraMethod>(['stageRecovery', 'queryRecovery', 'deleteRecoveryTasks', 'commitRecovery', 'unloadRecovery']);

export async function startScheduler(options: SchedulerOptions = {}): Promise<RunningScheduler> {
  const executors = typeof options.executors === 'string' ? await loadExecutorConfig(options.executors) : options.executors;
  const ownWorkDir = options.workDir === undefined && options.stateDir === undefined;
  const workDir = options.stateDir ?? options.workDir ?? mkdtempSync(join(tmpdir(), 'aurora-ts-scheduler-'));
  const sandboxRoot = join(workDir, 'sandboxes');
  await mkdir(sandboxRoot, { recursive: true });
  const taskUser = options.taskUser !== undefined ? await resolveTaskUser(options.taskUser) : undefined;
  // The task user must reach its own sandbox, but not list or write the scheduler's directories.
  if (taskUser) for (const dir of [workDir, sandboxRoot]) await chmod(dir, 0o711);
  const users = options.basicAuthFile !== undefined ? await loadUsersFile(options.basicAuthFile) : undefined;
  // Before anything runs: a state directory that cannot be opened (or is in use) stops the start.
  const state = options.stateDir !== undefined ? new SchedulerState(options.stateDir, { onError: options.onLog }) : undefined;
  const hostname = osHostname();
  const clusterName = options.clusterName ?? 'local';
  const policy: SchedulerPolicy = {
    allowDocker: false,
    allowDockerParameters: false,
    allowFetcherUris: false,
    allowGpus: false,
    allowContainerVolumes: false,
    allowedEnvironments: '^(prod|devel|test|staging\\d*)$',
    ...options.policy,
  };
  const killGraceMs = options.killGraceMs ?? 3000;

  const lifecycle = new TaskLifecycle({
    capacity: {
      cpus: options.cpus ?? osCpus().length,
      ramMb: options.ramMb ?? Math.floor(totalmem() / (1024 * 1024)),
      diskMb: options.diskMb ?? Number.MAX_SAFE_INTEGER,
    },
    throttle: { minRunningMs: 5 * 60_000, initialBackoffMs: 30_000, maxBackoffMs: 5 * 60_000, ...options.throttle },
    hostname,
    demand: (task) => taskDemand(task, executors),
    launchSpec: (task) => ({
      ...buildLaunchSpec(task, { executors, sandboxRoot, killGraceMs, allowFetcherUris: policy.allowFetcherUris }),
      ...(taskUser ? { user: taskUser } : {}),
      // Tasks outlive the scheduler only when a restarted one can find them again.
      supervised: state !== undefined,
    }),
    onError: options.onLog,
    beforeLaunch: state ? () => state.flush() : undefined,
  });
  const core = new SchedulerCore({
    clusterName,
    executors,
    capacity: { cpus: 0, ramMb: 0, diskMb: 0 },
    throttle: { minRunningMs: 0, initialBackoffMs: 0, maxBackoffMs: 0 },
    hostname,
    lifecycle,
    sanitize: (job) => sanitizeJob(job, { policy, executors }),
  });
  let storedProcesses: ReadonlyMap<string, StoredProcess> = new Map();
  if (state) {
    const tasks = persistTasks(state, lifecycle);
    lifecycle.restore(tasks.stored.tasks);
    storedProcesses = tasks.stored.processes;
    core.state = state;
    core.reconcileTasks = () => tasks.reconcile();
  }
  const auth = users ? createBasicAuth({ users, respond: (code, message) => core.responses.make(code, message), onLog: options.onLog }) : undefined;
  if (auth) core.callerName = () => auth.caller() ?? 'UNSECURE';

  // Set once the scheduler has joined the ZooKeeper election (after listening, when its port is known).
  let leadership: Leadership | undefined;
  let self: Endpoint | undefined;
  const features = FEATURES.map((create) => create(core, options));
  const handlers = durable(core, Object.assign({}, jobHandlers(core), ...features.map((f) => f.handlers ?? {})));
  // Before serving: survivors adopted, the dead settled or rescheduled, orphans killed, updates resumed.
  if (state) await lifecycle.recover(storedProcesses, sandboxRoot);
  core.recovered();
  core.persist();
  const server: Server = createApiServer({
    handlers,
    maxBodyBytes: options.maxBodyBytes,
    maxDepth: options.maxDepth,
    bodyTimeoutMs: options.bodyTimeoutMs,
    unimplemented: (method) =>
      RECOVERY.has(method)
        ? core.responses.make(ResponseCode.INVALID_REQUEST, `${method} is not supported: the aurora-ts local scheduler keeps no replicated log backups to recover from.`)
        : core.responses.make(ResponseCode.INVALID_REQUEST, `${method} is not implemented by the aurora-ts local scheduler yet.`),
    routes: sandboxRoutes(lifecycle.store, sandboxRoot),
    filter: auth?.filter,
    intercept: options.zk ? leaderRedirect(() => (leadership && self ? { leadership, self } : undefined)) : undefined,
  });
  let url: string;
  try {
    url = await listen(server, options.host ?? '127.0.0.1', options.port ?? 8081);
  } catch (error) {
    // The tasks just recovered keep running for the next attempt.
    for (const feature of features) await feature.close?.();
    await lifecycle.close(undefined, { detach: state !== undefined });
    state?.close();
    if (ownWorkDir) await rm(workDir, { recursive: true, force: true });
    throw error;
  }
  const warning = exposureWarning(options.host ?? '127.0.0.1', auth !== undefined);
  if (warning) options.onLog?.(warning);
  if (options.zk) {
    self = { host: options.zk.advertiseHost ?? advertisedHost(options.host ?? '127.0.0.1', hostname), port: Number(new URL(url).port) };
    try {
      leadership = await startLeadership({ ...options.zk, ...self, onLog: options.onLog });
    } catch (error) {
      server.close();
      for (const feature of features) await feature.close?.();
      await lifecycle.close(undefined, { detach: state !== undefined });
      state?.close();
      if (ownWorkDir) await rm(workDir, { recursive: true, force: true });
      throw error;
    }
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    core,
    workDir,
    leadership,
    isLeader: () => leadership?.isLeader() ?? true,
    close() {
      closing ??= (async () => {
        // Withdraw the announcement first, so callers are sent elsewhere before anything stops.
        await leadership?.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        for (const feature of features) await feature.close?.();
        // With a state directory the tasks keep running for the next scheduler to adopt.
        await lifecycle.close(undefined, { detach: state !== undefined });
        state?.close();
        if (ownWorkDir) await rm(workDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
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
