/**
 * Retry as a policy wrapped around a Transport, not code inside it. By default a call is sent
 * again only when that cannot do harm: read-only RPCs on any retryable failure, and writes only
 * when the scheduler surely never acted on them (connection refused, no leader yet).
 */
import { AuroraError, AuroraHttpError, AuroraTransportError, NOT_DELIVERED } from '../errors.js';
import type { Transport, TransportCall } from './types.js';
import { sleepBeforeRetry } from '../util/retry-sleep.js';

export interface RetryInfo {
  method: string;
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  error: AuroraError;
}

export interface RetryOptions {
  /** Extra attempts after the first. Default 3. */
  retries?: number;
  /** Backoff base; the n-th retry waits a random time up to min(maxDelayMs, minDelayMs * 2^(n-1)). Default 250. */
  minDelayMs?: number;
  /** Default 5 000. */
  maxDelayMs?: number;
  /** Whether this failure may be sent again. Default `defaultShouldRetry`. */
  shouldRetry?: (error: AuroraError, call: TransportCall) => boolean;
  /** Called before each wait, e.g. to log "retrying getJobs in 400 ms". */
  onRetry?: (info: RetryInfo) => void;
}

/** ReadOnlyScheduler's RPCs: repeating them never changes anything. */
const READ_ONLY = new Set([
  'getRoleSummary',
  'getJobSummary',
  'getTasksStatus',
  'getTasksWithoutConfigs',
  'getPendingReason',
  'getConfigSummary',
  'getJobs',
  'getQuota',
  'populateJobConfig',
  'getJobUpdateSummaries',
  'getJobUpdateDetails',
  'getJobUpdateDiff',
  'getTierConfigs',
]);

export function isReadOnlyMethod(method: string): boolean {
  return READ_ONLY.has(method);
}

export function defaultShouldRetry(error: AuroraError, call: TransportCall): boolean {
  if (!error.retryable) return false;
  if (isReadOnlyMethod(call.method)) return true;
  if (error instanceof AuroraTransportError) return error.code !== undefined && NOT_DELIVERED.has(error.code);
  // 503 is Aurora's "no leader known": the call was not run.
  return error instanceof AuroraHttpError && error.status === 503;
}

export function withRetry(transport: Transport, options: RetryOptions = {}): Transport {
  const retries = options.retries ?? 3;
  const minDelayMs = options.minDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  const shouldRetry = options.shouldRetry ?? defaultShouldRetry;
  return {
    get url() {
      return transport.url;
    },
    close: () => transport.close(),
    // A GET reads (a sandbox file, an agent's endpoint): its callers poll, so it is sent once.
    ...(transport.get ? { get: transport.get.bind(transport) } : {}),
    async send(call: TransportCall): Promise<Buffer> {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await transport.send(call);
        } catch (error) {
          if (!(error instanceof AuroraError) || attempt > retries || !shouldRetry(error, call)) throw error;
          const delayMs = Math.round(Math.random() * Math.min(maxDelayMs, minDelayMs * 2 ** (attempt - 1)));
          options.onRetry?.({ method: call.method, attempt, delayMs, error });
          await sleepBeforeRetry(delayMs, call.method, call.signal);
        }
      }
    },
  };
}
