/**
 * The settings of `scheduler start` beyond where it listens, each named after the Aurora scheduler
 * flag (or Mesos agent flag) that means the same: the flags' specs, the SchedulerOptions they make,
 * and the arguments that pass them on to a `--detach`ed copy. Loaded with the command table, so it
 * imports nothing of the scheduler.
 */
import { camel, options, type OptionSpec, type VerbInput } from '../../spec.js';
import type { SchedulerOptions } from '../../../scheduler/index.js';
import { HOST_NAME_PATTERN } from '../../../util/host-name.js';
import { UsageError } from '../../errors.js';

/** What the flags give the command. */
export type SettingsOptions = VerbInput<{ options: typeof SETTINGS_FLAGS }>;

const DURATION = 'e.g. 30secs, 5mins';

/** The flags, in the order `scheduler start --help` lists them (after --cpus and --ram-mb). */
export const SETTINGS_FLAGS = options([
  { flags: '--disk-mb <n>', description: 'disk in MiB of the single agent (default: unlimited)', parse: 'positiveInteger' },
  { flags: '--hostname <name>', description: "the single agent's host name (default: this machine's); it carries the attribute host:<name>" },
  { flags: '--agents <file>', description: 'the agents to place tasks on: a JSON array of {host, attributes, resources: {cpus, ramMb, diskMb, ports}} (excludes --hostname, --cpus, --ram-mb, --disk-mb)' },
  { flags: '--min-required-instances-for-sla-check <n>', description: 'jobs with fewer active instances skip SLA checks in drains and SLA-aware updates (Aurora\'s default 20)', parse: 'nonNegativeInteger' },
  { flags: '--sla-aware-kill-non-prod <bool>', description: 'apply SLA checks to non-production jobs too (default false)', choices: ['true', 'false'] },
  { flags: '--host-maintenance-polling-interval <duration>', description: `how often draining hosts are looked at (default 5secs; ${DURATION})`, parse: 'duration' },
  { flags: '--sla-coordinator-timeout <duration>', description: `how long an SLA coordinator may take to answer (default 10secs)`, parse: 'duration' },
  { flags: '--sla-aware-kill-retry-min-delay <duration>', description: 'first retry delay of an SLA-aware update kill the SLA refused (default 1mins)', parse: 'duration' },
  { flags: '--sla-aware-kill-retry-max-delay <duration>', description: 'longest retry delay of SLA-aware update kills (default 5mins)', parse: 'duration' },
  { flags: '--max-update-instance-failures <n>', description: 'cap on maxPerInstanceFailures x instances of an update (default 20000)', parse: 'positiveInteger' },
  { flags: '--cron-timezone <zone>', description: 'IANA time zone cron schedules are read in (default UTC)' },
  { flags: '--flapping-task-threshold <duration>', description: 'a task that ran less than this is flapping; its replacement waits THROTTLED (default 5mins)', parse: 'duration' },
  { flags: '--initial-flapping-task-delay <duration>', description: 'first THROTTLED penalty (default 30secs)', parse: 'duration' },
  { flags: '--max-flapping-task-delay <duration>', description: 'longest THROTTLED penalty (default 5mins)', parse: 'duration' },
  { flags: '--allowed-job-environments <regex>', description: 'regex of environments jobs may use (default: prod, devel, test, stagingN)' },
  { flags: '--enable-mesos-fetcher', description: 'accept jobs with fetcher URIs (mesosFetcherUris)' },
  { flags: '--allow-gpu-resource', description: 'accept jobs that ask for GPUs' },
  { flags: '--executor-shutdown-grace-period <duration>', description: 'SIGTERM to SIGKILL grace when killing a task (default 3secs)', parse: 'duration' },
  { flags: '--executor-mode <mode>', description: 'auto: an executor that subscribes to the Mesos executor API is driven by its updates, one that never does is a plain process; mesos: every executor must subscribe (default auto)', choices: ['auto', 'mesos'] },
  { flags: '--executor-registration-timeout <duration>', description: 'with --executor-mode mesos, an executor not subscribed by then is destroyed and its task FAILED (default 1mins)', parse: 'duration' },
  { flags: '--initial-task-kill-retry-interval <duration>', description: 'KILL is sent again to a Mesos executor after this long, then with doubling backoff, while its task stays KILLING (default 15secs)', parse: 'duration' },
  { flags: '--transient-task-state-timeout <duration>', description: 'a task still KILLING, RESTARTING or DRAINING after this long goes LOST and its executor is shut down; also the longest kill retry interval (default 5mins)', parse: 'duration' },
  { flags: '--authenticate-http-executors', description: 'give each executor an authentication token in its environment, as Mesos does, and refuse executor API calls without it (401)' },
  { flags: '--populate-discovery-info', description: 'put DiscoveryInfo (the task\'s ports) in the TaskInfo handed to Mesos executors' },
  { flags: '--zk-session-timeout <duration>', description: 'ZooKeeper session timeout (with --zk; default 10secs)', parse: 'duration' },
  { flags: '--zk-connection-timeout <duration>', description: 'how long to wait for ZooKeeper at start (with --zk; default 10secs)', parse: 'duration' },
  { flags: '--zk-advertise-host <host>', description: 'the host name announced in ZooKeeper (with --zk; default: this machine\'s)' },
  { flags: '--max-body-bytes <n>', description: 'largest /api request body accepted (default 16 MiB)', parse: 'positiveInteger' },
  { flags: '--max-thrift-depth <n>', description: 'deepest Thrift nesting accepted in a request (default 64)', parse: 'positiveInteger' },
  { flags: '--max-thrift-values <n>', description: 'most values a request may hold: structs and other list, set or map elements (binary), JSON values (TJSON) (default 200000)', parse: 'positiveInteger' },
  { flags: '--request-timeout <duration>', description: 'a request must arrive within this long (default 30secs)', parse: 'duration' },
]);

const AGENT_FLAGS = ['hostname', 'cpus', 'ramMb', 'diskMb'] as const;
const ZK_FLAGS = ['zkSessionTimeout', 'zkConnectionTimeout', 'zkAdvertiseHost'] as const;

/** Combinations and values the flag parser cannot check; throws UsageError (exit 2). */
export function checkSettings(options: SettingsOptions & { cpus?: number; ramMb?: number; zk?: string }): void {
  if (options.agents !== undefined) {
    const clash = AGENT_FLAGS.find((k) => options[k] !== undefined);
    if (clash) throw new UsageError(`--agents and --${kebab(clash)} exclude each other`, 'size and name the agents in the agents file');
  }
  if (options.zk === undefined) {
    const orphan = ZK_FLAGS.find((k) => options[k] !== undefined);
    if (orphan) throw new UsageError(`--${kebab(orphan)} needs --zk HOSTS`);
  }
  if (options.hostname !== undefined && !HOST_NAME_PATTERN.test(options.hostname)) {
    throw new UsageError(`--hostname ${JSON.stringify(options.hostname)}: expected a host name (letters, digits, "-" and ".")`);
  }
  if (options.cronTimezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: options.cronTimezone });
    } catch {
      throw new UsageError(`--cron-timezone ${JSON.stringify(options.cronTimezone)}: expected an IANA time zone, e.g. UTC or Europe/Paris`);
    }
  }
  if (options.allowedJobEnvironments !== undefined) {
    try {
      new RegExp(options.allowedJobEnvironments);
    } catch {
      throw new UsageError(`--allowed-job-environments ${JSON.stringify(options.allowedJobEnvironments)}: expected a regular expression`);
    }
  }
  const { initialFlappingTaskDelay: initial, maxFlappingTaskDelay: max } = options;
  if (initial !== undefined && max !== undefined && initial > max) {
    throw new UsageError('--initial-flapping-task-delay must not exceed --max-flapping-task-delay');
  }
}

/** The SchedulerOptions the flags set (agents are loaded by the caller: reading a file is not a flag's job). */
export function schedulerSettings(options: SettingsOptions): Partial<SchedulerOptions> {
  const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  const settings: Partial<SchedulerOptions> = defined({
    hostname: options.hostname,
    diskMb: options.diskMb,
    killGraceMs: options.executorShutdownGracePeriod,
    maxBodyBytes: options.maxBodyBytes,
    maxDepth: options.maxThriftDepth,
    maxValues: options.maxThriftValues,
    bodyTimeoutMs: options.requestTimeout,
    transientTaskStateTimeoutMs: options.transientTaskStateTimeout,
  });
  const maintenance = defined({
    slaMinRequiredInstances: options.minRequiredInstancesForSlaCheck,
    slaAwareKillNonProd: options.slaAwareKillNonProd === undefined ? undefined : options.slaAwareKillNonProd === 'true',
    pollMs: options.hostMaintenancePollingInterval,
    slaCoordinatorTimeoutMs: options.slaCoordinatorTimeout,
  });
  if (Object.keys(maintenance).length > 0) settings.maintenance = maintenance;
  const updates = defined({
    slaKillRetryMinMs: options.slaAwareKillRetryMinDelay,
    slaKillRetryMaxMs: options.slaAwareKillRetryMaxDelay,
    maxUpdateInstanceFailures: options.maxUpdateInstanceFailures,
  });
  if (Object.keys(updates).length > 0) settings.updates = updates;
  if (options.cronTimezone !== undefined) settings.cron = { timeZone: options.cronTimezone };
  const throttle = defined({
    minRunningMs: options.flappingTaskThreshold,
    initialBackoffMs: options.initialFlappingTaskDelay,
    maxBackoffMs: options.maxFlappingTaskDelay,
  });
  if (Object.keys(throttle).length > 0) settings.throttle = throttle;
  const policy = defined({
    allowedEnvironments: options.allowedJobEnvironments,
    allowFetcherUris: options.enableMesosFetcher,
    allowGpus: options.allowGpuResource,
  });
  if (Object.keys(policy).length > 0) settings.policy = policy;
  const mesosExecutors = defined({
    mode: options.executorMode,
    registrationTimeoutMs: options.executorRegistrationTimeout,
    killRetryMs: options.initialTaskKillRetryInterval,
    populateDiscoveryInfo: options.populateDiscoveryInfo,
    authenticateHttpExecutors: options.authenticateHttpExecutors,
  });
  if (Object.keys(mesosExecutors).length > 0) settings.mesosExecutors = mesosExecutors;
  return settings;
}

/** The ZooKeeper settings among the flags, merged into `zk` by the caller. */
export function zkSettings(options: SettingsOptions): { sessionTimeoutMs?: number; connectTimeoutMs?: number; advertiseHost?: string } {
  return Object.fromEntries(
    Object.entries({ sessionTimeoutMs: options.zkSessionTimeout, connectTimeoutMs: options.zkConnectionTimeout, advertiseHost: options.zkAdvertiseHost }).filter(([, v]) => v !== undefined),
  );
}

/** The same settings as arguments for a detached copy of the command (files made absolute by `resolvePath`). */
export function settingsArgs(options: SettingsOptions, resolvePath: (path: string) => string): string[] {
  const args: string[] = [];
  const flags: readonly OptionSpec[] = SETTINGS_FLAGS;
  for (const spec of flags) {
    const flag = spec.flags.split(' ')[0]!;
    const key = camel(flag.slice(2)) as keyof SettingsOptions;
    const value = options[key];
    if (value === undefined || value === false) continue;
    if (value === true) args.push(flag);
    // Durations were parsed to ms; `ms` passes them on unchanged.
    else if (spec.parse === 'duration') args.push(flag, `${value}ms`);
    else if (key === 'agents') args.push(flag, resolvePath(String(value)));
    else args.push(flag, String(value));
  }
  return args;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
