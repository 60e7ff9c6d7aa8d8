/** `aurora-ts scheduler status`: whether the local scheduler runs (exit 0) or not (exit 1), and where. */
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import { readState, runningScheduler } from '../../scheduler-state.js';

export type StatusOptions = Record<string, never>;

export async function run(ctx: CliContext, _options: StatusOptions = {}): Promise<number> {
  const { io } = ctx;
  const state = runningScheduler(ctx.env);
  if (!state) {
    const stale = readState(ctx.env);
    if (io.json) io.data({ running: false });
    else io.out(`The local scheduler is not running${stale ? ` (stale state for pid ${stale.pid})` : ''}. Start it with: aurora-ts scheduler start`);
    return ExitCode.FAILURE;
  }
  const { AuroraClient } = await import('../../../client/client.js');
  const client = new AuroraClient({ url: state.url, timeoutMs: 5000 });
  let jobs: number | undefined;
  let error: string | undefined;
  try {
    const summary = await client.getJobSummary('');
    jobs = (summary.summaries ?? []).length;
  } catch (err) {
    error = (err as Error).message;
  } finally {
    client.close();
  }
  const uptimeMs = Date.now() - Date.parse(state.startedAt);
  if (io.json) {
    io.data({ running: true, answering: error === undefined, pid: state.pid, url: state.url, clusterName: state.clusterName, executors: state.executors ?? null, workDir: state.workDir, stateDir: state.stateDir ?? null, zk: state.zk ?? null, basicAuthFile: state.basicAuthFile ?? null, logFile: state.logFile ?? null, startedAt: state.startedAt, jobs: jobs ?? null });
  } else {
    io.out(`The local scheduler is ${io.style('green', 'running')} (pid ${state.pid}) at ${io.style('bold', state.url)}`);
    io.out(`  cluster:   ${state.clusterName}`);
    io.out(`  up:        ${formatDuration(uptimeMs)}`);
    if (jobs !== undefined) io.out(`  jobs:      ${jobs}`);
    io.out(`  executors: ${state.executors ?? 'none'}`);
    io.out(`  sandboxes: ${state.workDir}`);
    if (state.stateDir) io.out(`  state:     ${state.stateDir}`);
    if (state.zk) io.out(`  zookeeper: ${state.zk}`);
    if (state.basicAuthFile) io.out(`  users:     ${state.basicAuthFile}`);
    if (state.logFile) io.out(`  log:       ${state.logFile}`);
  }
  if (error !== undefined) {
    io.warn(`its API does not answer: ${error}`);
    return ExitCode.UNREACHABLE;
  }
  return ExitCode.OK;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 > 0 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60 > 0 ? `${m % 60}m` : ''}`;
  const d = Math.floor(h / 24);
  return `${d}d${h % 24 > 0 ? `${h % 24}h` : ''}`;
}
