/**
 * Writes that are never applied twice. When a createJob or startJobUpdate gets no answer (timeout,
 * connection reset after the request went out) the scheduler may or may not have acted; sending it
 * again blindly could start a second update. These helpers first ask the scheduler whether the
 * write took effect, and only send it again when it did not.
 *
 * startJobUpdate carries `org.apache.aurora.client.update_id` = a fresh UUID in its metadata, as
 * Aurora's Python client does (client/cli/update.py), so the update can be recognised afterwards:
 * in getJobUpdateSummaries, or in the INVALID_REQUEST a repeated start gets while it is active.
 * Kills and restarts need none of this: repeating them is harmless.
 */
import { AuroraError, AuroraHttpError, AuroraTransportError, AuroraValidationError, isAmbiguous, NOT_DELIVERED } from '../errors.js';
import {
  ResponseCode,
  type JobConfiguration,
  type JobConfigurationInput,
  type JobKey,
  type JobKeyInput,
  type JobUpdateKey,
  type JobUpdateRequestInput,
  type JobUpdateSummary,
  type Metadata,
} from '../gen/types.js';
import type { AuroraClient, ThriftValue } from './client.js';
import { AuroraResponseError, type ResponseInfo } from './errors.js';
import { sleepBeforeRetry } from '../util/retry-sleep.js';

/** The metadata key Aurora's Python client tags its updates with. */
export const CLIENT_UPDATE_ID_KEY = 'org.apache.aurora.client.update_id';

export type SafeWriteClient = Pick<AuroraClient, 'createJob' | 'getJobSummary' | 'startJobUpdate' | 'getJobUpdateSummaries'>;

export interface SafeWriteOptions {
  /** Sends in all, the first included. Default 4. */
  attempts?: number;
  /** Backoff between sends: a random wait up to min(maxDelayMs, minDelayMs * 2^(n-1)). Defaults 250 and 5 000. */
  minDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  onEvent?: (event: SafeWriteEvent) => void;
}

export type SafeWriteEvent =
  /** The reply was lost; the scheduler is being asked whether the write happened. */
  | { type: 'ambiguous'; method: string; attempt: number; message: string }
  /** The write had happened: no second send. */
  | { type: 'confirmed'; method: string; attempt: number }
  /** The write had not happened (or surely was not received): sending again. */
  | { type: 'retry'; method: string; attempt: number; delayMs: number; message: string };

export interface CreateJobOutcome {
  /** Sends made. */
  attempts: number;
  /** True when a lost reply was recovered by finding the job on the scheduler. */
  recovered: boolean;
  /** The scheduler's reply, when one arrived. */
  response: ResponseInfo | undefined;
}

export interface StartUpdateOutcome {
  /** The update started (or found started); undefined when Aurora answered "Job is unchanged by proposed update.". */
  key: JobUpdateKey | undefined;
  updateSummary: JobUpdateSummary | undefined;
  /** The `org.apache.aurora.client.update_id` this update carries. */
  clientUpdateId: string;
  attempts: number;
  recovered: boolean;
  response: ResponseInfo | undefined;
}

/** createJob that, after a lost reply, checks whether the job now exists with this configuration before sending again. */
export async function createJobSafely(
  client: SafeWriteClient,
  job: JobConfigurationInput | ThriftValue<unknown>,
  options: SafeWriteOptions = {},
): Promise<CreateJobOutcome> {
  const config = plain(job) as JobConfiguration;
  const key = requireKey(config.key, 'key');
  const method = 'createJob';
  let uncertain = false;
  return loop<CreateJobOutcome>(method, options, async (attempt) => {
    try {
      const out = await client.createJob(config, { signal: options.signal });
      return { done: { attempts: attempt, recovered: false, response: out.$response } };
    } catch (error) {
      // After a lost reply, "job already exists" may be our own first send.
      const maybeOurs = uncertain && error instanceof AuroraResponseError && error.code === ResponseCode.INVALID_REQUEST;
      // Aborted by the caller: no checking, no resend; the error says whether it may have been applied.
      if (options.signal?.aborted) return { error, final: true };
      if (!maybeOurs && !isAmbiguous(error)) return { error };
      uncertain = true;
      emit(options, { type: 'ambiguous', method, attempt, message: (error as Error).message });
      const found = await check(method, error, () => findJob(client, key, config, options.signal));
      if (found) {
        emit(options, { type: 'confirmed', method, attempt });
        return { done: { attempts: attempt, recovered: true, response: undefined } };
      }
      return maybeOurs ? { error, final: true } : { error, safe: true };
    }
  });
}

/**
 * startJobUpdate tagged with a client update id; after a lost reply it looks for an update with that
 * id before starting again, and a repeated start refused because our update is active is success.
 */
export async function startJobUpdateSafely(
  client: SafeWriteClient,
  request: JobUpdateRequestInput | ThriftValue<unknown>,
  message?: string,
  options: SafeWriteOptions = {},
): Promise<StartUpdateOutcome> {
  const plainRequest = plain(request) as JobUpdateRequestInput;
  const jobKey = requireKey(plainRequest.taskConfig?.job, 'taskConfig.job');
  const metadata = [...(plainRequest.metadata ?? [])] as Metadata[];
  const clientUpdateId = metadata.find((m) => m.key === CLIENT_UPDATE_ID_KEY)?.value ?? globalThis.crypto.randomUUID();
  const tagged: JobUpdateRequestInput = {
    ...plainRequest,
    metadata: [...metadata.filter((m) => m.key !== CLIENT_UPDATE_ID_KEY), { key: CLIENT_UPDATE_ID_KEY, value: clientUpdateId }],
  };
  const method = 'startJobUpdate';
  const outcome = (attempts: number, recovered: boolean, summary: JobUpdateSummary | undefined, key: JobUpdateKey | undefined, response?: ResponseInfo): { done: StartUpdateOutcome } => ({
    done: { key: key ?? summary?.key, updateSummary: summary, clientUpdateId, attempts, recovered, response },
  });
  return loop<StartUpdateOutcome>(method, options, async (attempt) => {
    try {
      const out = await client.startJobUpdate(tagged, message ?? '', { signal: options.signal });
      return outcome(attempt, false, out.updateSummary, out.key, out.$response);
    } catch (error) {
      if (error instanceof AuroraResponseError && error.code === ResponseCode.INVALID_REQUEST) {
        // Python's _is_update_already_in_progress: refused because *our* update is the active one.
        const active = error.result?.startJobUpdateResult;
        if (active?.updateSummary && carriesId(active.updateSummary, clientUpdateId)) {
          emit(options, { type: 'confirmed', method, attempt });
          return outcome(attempt, attempt > 1, active.updateSummary, active.key);
        }
        return { error };
      }
      if (options.signal?.aborted) return { error, final: true };
      if (!isAmbiguous(error)) return { error };
      emit(options, { type: 'ambiguous', method, attempt, message: (error as Error).message });
      const summary = await check(method, error, () => findUpdate(client, jobKey, clientUpdateId, options.signal));
      if (summary) {
        emit(options, { type: 'confirmed', method, attempt });
        return outcome(attempt, true, summary, summary.key);
      }
      return { error, safe: true };
    }
  });
}

/** Failures after which the write surely was not applied. */
function surelyNotApplied(error: unknown): boolean {
  if (error instanceof AuroraResponseError) return error.code === ResponseCode.ERROR_TRANSIENT;
  if (error instanceof AuroraHttpError) return error.status === 503;
  if (error instanceof AuroraTransportError) return NOT_DELIVERED.has(error.code ?? '');
  return error instanceof AuroraError && error.kind === 'discovery' && error.retryable;
}

type Step<T> = { done: T } | { error: unknown; safe?: boolean; final?: boolean };

async function loop<T>(method: string, options: SafeWriteOptions, attempt: (n: number) => Promise<Step<T>>): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 4);
  const minDelayMs = options.minDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  for (let n = 1; ; n += 1) {
    const step = await attempt(n);
    if ('done' in step) return step.done;
    const again = !step.final && (step.safe === true || surelyNotApplied(step.error));
    if (!again || n >= attempts) throw step.error;
    const delayMs = Math.round(Math.random() * Math.min(maxDelayMs, minDelayMs * 2 ** (n - 1)));
    emit(options, { type: 'retry', method, attempt: n, delayMs, message: (step.error as Error).message });
    await sleepBeforeRetry(delayMs, method, options.signal);
  }
}

/** Runs a lookup; if it fails too, the caller learns that the outcome of the write is unknown. */
async function check<T>(method: string, original: unknown, lookup: () => Promise<T>): Promise<T> {
  try {
    return await lookup();
  } catch (lookupError) {
    const why = lookupError instanceof Error ? lookupError.message : String(lookupError);
    const first = original instanceof Error ? original.message : String(original);
    throw new AuroraTransportError(`${method}: ${first}; whether the scheduler applied it is unknown, because checking failed: ${why}`, {
      method,
      code: original instanceof AuroraTransportError ? original.code : undefined,
      cause: original,
    });
  }
}

/** Whether the scheduler has this job with this configuration (its executor, instance count, cron schedule). */
async function findJob(client: SafeWriteClient, key: JobKey, ours: JobConfiguration, signal?: AbortSignal): Promise<boolean> {
  const { summaries = [] } = await client.getJobSummary(key.role, { signal });
  const theirs = summaries.map((s) => s.job).find((j) => sameKey(j?.key, key));
  return theirs !== undefined && sameJob(ours, theirs);
}

/**
 * The scheduler fills in defaults (tier, resources, owner), so configurations are compared on what
 * identifies the job the caller meant: executor name and payload, service flag, instances, cron.
 */
export function sameJob(ours: JobConfiguration, theirs: JobConfiguration): boolean {
  const a = ours.taskConfig ?? {};
  const b = theirs.taskConfig ?? {};
  if (ours.instanceCount !== undefined && theirs.instanceCount !== undefined && ours.instanceCount !== theirs.instanceCount) return false;
  if ((ours.cronSchedule || undefined) !== (theirs.cronSchedule || undefined)) return false;
  if (Boolean(a.isService) !== Boolean(b.isService)) return false;
  if (a.executorConfig) {
    if (a.executorConfig.name !== b.executorConfig?.name) return false;
    if ((a.executorConfig.data ?? '') !== (b.executorConfig?.data ?? '')) return false;
  }
  return true;
}

async function findUpdate(client: SafeWriteClient, jobKey: JobKey, id: string, signal?: AbortSignal): Promise<JobUpdateSummary | undefined> {
  // Every state, not only active ones: an update that already finished must not be started twice.
  const { updateSummaries = [] } = await client.getJobUpdateSummaries({ jobKey, limit: 100 }, { signal });
  return updateSummaries.find((s) => carriesId(s, id));
}

function carriesId(summary: JobUpdateSummary, id: string): boolean {
  const values = [...(summary.metadata ?? [])].filter((m) => m.key === CLIENT_UPDATE_ID_KEY).map((m) => m.value);
  return values.length === 1 && values[0] === id;
}

function sameKey(a: JobKeyInput | undefined, b: JobKey): boolean {
  return a?.role === b.role && a?.environment === b.environment && a?.name === b.name;
}

function requireKey(key: JobKeyInput | undefined, field: string): JobKey {
  if (!key?.role || !key.environment || !key.name) {
    throw new AuroraValidationError(field, 'a job key with role, environment and name is required to check for a lost write');
  }
  return { role: key.role, environment: key.environment, name: key.name };
}

function plain(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as Partial<ThriftValue<unknown>>).toThrift === 'function') {
    return (value as ThriftValue<unknown>).toThrift();
  }
  return value;
}

function emit(options: SafeWriteOptions, event: SafeWriteEvent): void {
  try {
    options.onEvent?.(event);
  } catch {
    // a listener's failure is not the write's
  }
}
