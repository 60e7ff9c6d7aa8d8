/**
 * The environment a Mesos agent gives an executor (executorEnvironment in Mesos' src/slave/slave.cpp),
 * read and checked as Mesos' own v1 executor library does: the ids, the sandbox, and with
 * checkpointing the recovery timeout and re-subscription backoff, durations in Mesos' text form.
 */

export interface ExecutorEnvironment {
  /** `host:port` of the agent's executor API. */
  agentEndpoint: string;
  frameworkId: string;
  executorId: string;
  sandbox: string;
  checkpoint: boolean;
  /** How long a checkpointing executor keeps trying to re-subscribe (MESOS_RECOVERY_TIMEOUT). */
  recoveryTimeoutMs: number;
  /** The longest wait between re-subscription attempts (MESOS_SUBSCRIPTION_BACKOFF_MAX). */
  subscriptionBackoffMaxMs: number;
  /** How long the agent lets the executor shut down before it kills it (default 5 s). */
  shutdownGraceMs: number;
  /** MESOS_EXECUTOR_AUTHENTICATION_TOKEN, sent as a Bearer token. */
  token?: string;
}

export const NO_AGENT = 'MESOS_AGENT_ENDPOINT is not set: run this executor under a Mesos agent or `aurora-ts scheduler start`';

/** Mesos' defaults (src/slave/constants.hpp) for what an agent may leave unset. */
const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;
const DEFAULT_RECOVERY_TIMEOUT_MS = 15 * 60_000;
const DEFAULT_BACKOFF_MAX_MS = 2_000;

export class ExecutorEnvironmentError extends Error {
  override name = 'ExecutorEnvironmentError';
}

/** Reads the environment; throws ExecutorEnvironmentError with one line naming the variable. */
export function readEnvironment(env: NodeJS.ProcessEnv): ExecutorEnvironment {
  const agentEndpoint = env.MESOS_AGENT_ENDPOINT;
  if (!agentEndpoint) throw new ExecutorEnvironmentError(NO_AGENT);
  if (!/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/.test(agentEndpoint)) {
    throw new ExecutorEnvironmentError(`MESOS_AGENT_ENDPOINT must be host:port, not ${JSON.stringify(agentEndpoint)}`);
  }
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new ExecutorEnvironmentError(`${name} is not set (the agent sets it for every executor)`);
    return value;
  };
  const frameworkId = required('MESOS_FRAMEWORK_ID');
  const executorId = required('MESOS_EXECUTOR_ID');
  const sandbox = env.MESOS_SANDBOX || env.MESOS_DIRECTORY;
  if (!sandbox) throw new ExecutorEnvironmentError('MESOS_SANDBOX (or MESOS_DIRECTORY) is not set (the agent sets it for every executor)');
  const checkpointText = env.MESOS_CHECKPOINT ?? '0';
  if (checkpointText !== '0' && checkpointText !== '1') throw new ExecutorEnvironmentError(`MESOS_CHECKPOINT must be 0 or 1, not ${JSON.stringify(checkpointText)}`);
  const duration = (name: string, fallback: number): number => {
    const text = env[name];
    return text === undefined || text === '' ? fallback : parseDurationOf(name, text);
  };
  const token = env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN;
  return {
    agentEndpoint,
    frameworkId,
    executorId,
    sandbox,
    checkpoint: checkpointText === '1',
    recoveryTimeoutMs: duration('MESOS_RECOVERY_TIMEOUT', DEFAULT_RECOVERY_TIMEOUT_MS),
    subscriptionBackoffMaxMs: duration('MESOS_SUBSCRIPTION_BACKOFF_MAX', DEFAULT_BACKOFF_MAX_MS),
    shutdownGraceMs: duration('MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD', DEFAULT_SHUTDOWN_GRACE_MS),
    ...(token ? { token } : {}),
  };
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  ms: 1,
  secs: 1_000,
  mins: 60_000,
  hrs: 3_600_000,
  days: 86_400_000,
  weeks: 7 * 86_400_000,
};

/**
 * A duration in Mesos' text form (stout's Duration::parse: a non-negative decimal number and one of
 * ns, us, ms, secs, mins, hrs, days, weeks, e.g. `5secs`, `1.5mins`, `2ns`), in milliseconds;
 * undefined when the text is not one.
 */
export function parseMesosDuration(text: string): number | undefined {
  const match = /^([0-9]+(?:\.[0-9]+)?)(ns|us|ms|secs|mins|hrs|days|weeks)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

function parseDurationOf(name: string, text: string): number {
  const ms = parseMesosDuration(text);
  if (ms === undefined) {
    throw new ExecutorEnvironmentError(`${name} must be a Mesos duration (a number and one of ns, us, ms, secs, mins, hrs, days, weeks, e.g. 5secs), not ${JSON.stringify(text)}`);
  }
  return ms;
}
