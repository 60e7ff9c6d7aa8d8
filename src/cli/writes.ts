/**
 * The CLI's writes that must not happen twice go through the SDK's safe helpers: a createJob or
 * startJobUpdate whose reply was lost is checked on the scheduler before it is sent again. What the
 * helpers notice (a lost reply, a resend) is shown as a warning; the scheduler's details too.
 */
import type { AuroraClient } from '../client/client.js';
import {
  createJobSafely,
  startJobUpdateSafely,
  type CreateJobOutcome,
  type SafeWriteEvent,
  type SafeWriteOptions,
  type StartUpdateOutcome,
} from '../client/safe-writes.js';
import type { JobConfigurationInput, JobUpdateRequestInput } from '../gen/types.js';
import type { CliContext } from './context.js';

function describe(event: SafeWriteEvent): string {
  switch (event.type) {
    case 'ambiguous':
      return `${event.method}: no reply (${event.message}); asking the scheduler whether it was applied`;
    case 'confirmed':
      return `${event.method}: the scheduler had applied it; not sending it again`;
    case 'retry':
      return `${event.method}: not applied (${event.message}); sending again in ${event.delayMs} ms`;
  }
}

function options(ctx: CliContext): SafeWriteOptions {
  return { signal: ctx.signal, onEvent: (event) => ctx.io.warn(describe(event)) };
}

/** createJobSafely; the scheduler's details are printed as warnings. */
export async function createJob(ctx: CliContext, client: AuroraClient, config: JobConfigurationInput): Promise<CreateJobOutcome> {
  const outcome = await createJobSafely(client, config, options(ctx));
  for (const detail of outcome.response?.details ?? []) ctx.io.warn(detail);
  return outcome;
}

/** startJobUpdateSafely; the scheduler's details are printed as warnings. `key.id` is absent when nothing changed. */
export async function startJobUpdate(ctx: CliContext, client: AuroraClient, request: JobUpdateRequestInput, message: string): Promise<StartUpdateOutcome> {
  const outcome = await startJobUpdateSafely(client, request, message, options(ctx));
  for (const detail of outcome.response?.details ?? []) ctx.io.warn(detail);
  return outcome;
}
