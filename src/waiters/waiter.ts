/**
 * One polling loop for every long wait (updates, instances, maintenance, a job going away), in the
 * shape of AWS SDK waiters: poll, decide, back off, and end with a value, a typed timeout carrying
 * the last observed state, or an abort. Never a hang, never an unhandled rejection.
 */
import { AuroraAbortError, AuroraError, AuroraTimeoutError } from '../errors.js';

export interface WaitOptions<P> {
  /** Give up after this long (default 10 minutes). */
  timeoutMs?: number;
  /** First delay between polls (default 500 ms), growing by `backoff` up to `maxIntervalMs`. */
  intervalMs?: number;
  maxIntervalMs?: number;
  /** Growth factor of the delay between polls (default 1.5; 1 keeps it constant). */
  backoff?: number;
  signal?: AbortSignal;
  /** Called with what a UI can show (counts, states): after the first poll, then only when it changed. */
  onProgress?: (progress: P) => void;
}

export type Verdict<T, P> =
  | { done: true; value: T; progress: P }
  | { done: false; progress: P }
  | { failed: true; error: AuroraError; progress: P };

/** A wait that ran out of time: `lastProgress` is what the last poll saw. */
export class AuroraWaitTimeoutError<P = unknown> extends AuroraTimeoutError {
  readonly lastProgress: P | undefined;
  constructor(message: string, lastProgress: P | undefined, timeoutMs: number) {
    super(message, { timeoutMs });
    this.lastProgress = lastProgress;
  }
}

/**
 * Polls `check` until it reports done (resolves with its value) or failed (rejects with its error).
 * Errors thrown by `check` that are retryable (transient transport failures) are absorbed and polled
 * again; others end the wait.
 */
export async function waitUntil<T, P>(what: string, check: () => Promise<Verdict<T, P>>, options: WaitOptions<P> = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const maxInterval = options.maxIntervalMs ?? 5_000;
  const backoff = options.backoff ?? 1.5;
  let interval = options.intervalMs ?? 500;
  const deadline = Date.now() + timeoutMs;
  let last: P | undefined;
  let reported: string | undefined;
  for (;;) {
    if (options.signal?.aborted) throw new AuroraAbortError(`${what}: aborted`);
    try {
      const verdict = await check();
      last = verdict.progress;
      // Progress is plain data (counts, states, summaries): equal JSON means nothing changed.
      const seen = JSON.stringify(verdict.progress);
      if (seen !== reported) {
        reported = seen;
        options.onProgress?.(verdict.progress);
      }
      if ('failed' in verdict) throw verdict.error;
      if (verdict.done) return verdict.value;
    } catch (error) {
      if (!(error instanceof AuroraError) || !error.retryable || error instanceof AuroraWaitTimeoutError) throw error;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new AuroraWaitTimeoutError(`${what}: not done after ${Math.round(timeoutMs / 1000)} s`, last, timeoutMs);
    }
    await sleep(Math.min(interval, remaining), options.signal);
    interval = Math.min(interval * backoff, maxInterval);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AuroraAbortError('aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AuroraAbortError('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
