/**
 * `aurora-ts scheduler stop [--port N | --all]`: SIGTERM to a local scheduler, then wait until it has
 * killed its tasks and exited. Without flags: the one on 8081, else the only one running.
 */
import type { CliContext } from '../../context.js';
import { CliFailure, UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { chooseScheduler, isAlive, listSchedulers, removeState, type FoundScheduler } from '../../scheduler-state.js';
import type { VerbInput } from '../../spec.js';
import type { STOP } from './index.js';

/** How long a scheduler may take to kill its tasks and exit before it gets SIGKILL. */
const STOP_TIMEOUT_MS = 30_000;

interface Stopped {
  pid: number;
  port: number;
  url: string;
  forced: boolean;
}

export async function run(ctx: CliContext, options: VerbInput<typeof STOP> = {}): Promise<number> {
  const { io } = ctx;
  if (options.all && options.port !== undefined) throw new UsageError('--port and --all exclude each other');
  const found = listSchedulers(ctx.env);
  // State left by a scheduler that died without cleaning up is removed on the way.
  for (const s of found) if (!isAlive(s.pid)) removeState(s, s.pid);
  const running = found.filter((s) => isAlive(s.pid));
  const targets = options.all ? running : [chooseScheduler(running, options.port, 'name one with --port N, or stop them all with --all')].filter((s) => s !== undefined);
  if (targets.length === 0) {
    if (io.json) io.data({ stopped: false, running: false, schedulers: [] });
    else io.out(options.port === undefined ? 'The local scheduler is not running.' : `No local scheduler is running on port ${options.port}.`);
    return ExitCode.OK;
  }
  const progress = await io.progress(`stopping ${targets.map((s) => `the local scheduler on port ${s.port} (pid ${s.pid})`).join(', ')}...`);
  let stopped: Stopped[];
  try {
    stopped = await Promise.all(targets.map((s) => stop(s, STOP_TIMEOUT_MS)));
  } finally {
    progress.stop();
  }
  if (io.json) {
    // One scheduler keeps the single-scheduler document; `schedulers` lists each one stopped.
    const [first] = stopped;
    io.data({ stopped: true, ...(stopped.length === 1 && first ? { pid: first.pid, url: first.url, forced: first.forced } : {}), schedulers: stopped });
  } else {
    for (const s of stopped) {
      const where = running.length > 1 || options.port !== undefined || options.all ? ` on port ${s.port}` : '';
      io.out(`Stopped the local scheduler${where} (pid ${s.pid})${s.forced ? ' with SIGKILL: it did not stop in time' : ''}.`);
    }
  }
  return ExitCode.OK;
}

async function stop(state: FoundScheduler, timeoutMs: number): Promise<Stopped> {
  try {
    process.kill(state.pid, 'SIGTERM');
  } catch (err) {
    throw new CliFailure(`cannot signal the scheduler on port ${state.port} (pid ${state.pid}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const deadline = Date.now() + timeoutMs;
  let forced = false;
  while (isAlive(state.pid)) {
    if (Date.now() > deadline) {
      process.kill(state.pid, 'SIGKILL');
      forced = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  removeState(state, state.pid);
  return { pid: state.pid, port: state.port, url: state.url, forced };
}
