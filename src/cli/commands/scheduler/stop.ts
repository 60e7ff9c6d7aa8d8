/** `aurora-ts scheduler stop`: SIGTERM to the local scheduler, then wait until it has killed its tasks and exited. */
import type { CliContext } from '../../context.js';
import { CliFailure } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { isAlive, readState, removeState } from '../../scheduler-state.js';

export interface StopOptions {
  /** How long to wait before SIGKILL (default 30 s). */
  timeoutMs?: number;
}

export async function run(ctx: CliContext, options: StopOptions = {}): Promise<number> {
  const { io } = ctx;
  const state = readState(ctx.env);
  if (!state || !isAlive(state.pid)) {
    if (state) removeState(state.pid, ctx.env);
    if (io.json) io.data({ stopped: false, running: false });
    else io.out('The local scheduler is not running.');
    return ExitCode.OK;
  }
  try {
    process.kill(state.pid, 'SIGTERM');
  } catch (err) {
    throw new CliFailure(`cannot signal the scheduler (pid ${state.pid}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const progress = await io.progress(`stopping the local scheduler (pid ${state.pid})...`);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let forced = false;
  while (isAlive(state.pid)) {
    if (Date.now() > deadline) {
      process.kill(state.pid, 'SIGKILL');
      forced = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  removeState(state.pid, ctx.env);
  progress.stop();
  if (io.json) io.data({ stopped: true, pid: state.pid, url: state.url, forced });
  else io.out(`Stopped the local scheduler (pid ${state.pid})${forced ? ' with SIGKILL: it did not stop in time' : ''}.`);
  return ExitCode.OK;
}
