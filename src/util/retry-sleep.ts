import { AuroraAbortError } from '../errors.js';

/**
 * Waits `ms` before the next attempt of `method`; rejects with AuroraAbortError the moment `signal`
 * aborts (at once if it already has), leaving no timer or listener behind.
 */
export function sleepBeforeRetry(ms: number, method: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = (): void => {
      clearTimeout(timer);
      reject(new AuroraAbortError(`${method}: aborted while waiting to retry`, { method }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }, ms);
    if (signal?.aborted) aborted();
    else signal?.addEventListener('abort', aborted, { once: true });
  });
}
