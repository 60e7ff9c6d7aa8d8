/**
 * `aurora-ts scheduler status [--port N]`: which local schedulers run (exit 0) or that none does
 * (exit 1), and where. One scheduler (or --port) gets the detailed view, several a table.
 */
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import { DEFAULT_PORT, defaultScheduler, listSchedulers, runningSchedulers, type FoundScheduler } from '../../scheduler-state.js';
import type { VerbInput } from '../../spec.js';
import type { STATUS } from './index.js';

/** What `--json` reports for each scheduler. */
interface SchedulerReport {
  running: true;
  answering: boolean;
  pid: number;
  url: string;
  port: number;
  clusterName: string;
  executors: string | null;
  workDir: string;
  stateDir: string | null;
  zk: string | null;
  basicAuthFile: string | null;
  logFile: string | null;
  startedAt: string;
  jobs: number | null;
  /** Why its API did not answer. */
  error?: string;
}

export async function run(ctx: CliContext, options: VerbInput<typeof STATUS> = {}): Promise<number> {
  const { io } = ctx;
  const all = runningSchedulers(ctx.env);
  const running = options.port === undefined ? all : all.filter((s) => s.port === options.port);
  if (running.length === 0) {
    if (io.json) io.data({ running: false, schedulers: [] });
    else if (options.port !== undefined) io.out(`No local scheduler is running on port ${options.port}.${all.length > 0 ? ` Running: ports ${all.map((s) => s.port).join(', ')}.` : ''}`);
    else {
      const stale = listSchedulers(ctx.env).filter((s) => !all.includes(s));
      const note = stale.length > 0 ? ` (stale state for pid ${stale.map((s) => s.pid).join(', ')})` : '';
      io.out(`The local scheduler is not running${note}. Start it with: aurora-ts scheduler start`);
    }
    return ExitCode.FAILURE;
  }
  const reports = await Promise.all(running.map((s) => report(s)));
  const chosen = defaultScheduler(running);
  if (io.json) {
    // The default scheduler's fields stay at the top level, as with one scheduler; `schedulers` lists every one.
    const main = chosen === undefined ? undefined : reports[running.indexOf(chosen)];
    io.data({ ...(main ?? {}), running: true, schedulers: reports });
  } else if (reports.length === 1) {
    describe(ctx, reports[0]!);
  } else {
    io.table(reports, [
      { header: 'PORT', value: (r) => String(r.port), right: true },
      { header: 'PID', value: (r) => String(r.pid), right: true },
      { header: 'URL', value: (r) => r.url, shrink: true },
      { header: 'CLUSTER', value: (r) => r.clusterName },
      { header: 'UP', value: (r) => formatDuration(Date.now() - Date.parse(r.startedAt)) },
      { header: 'JOBS', value: (r) => (r.jobs === null ? '?' : String(r.jobs)), right: true },
      { header: 'ZOOKEEPER', value: (r) => r.zk ?? '-', shrink: true },
    ]);
    io.out(`Details: aurora-ts scheduler status --port N. The \`local\` cluster is the one on port ${DEFAULT_PORT}${chosen?.port === DEFAULT_PORT ? '' : ' (not running)'}.`);
  }
  const silent = reports.filter((r) => r.error !== undefined);
  for (const r of silent) io.warn(`the scheduler on port ${r.port} (pid ${r.pid}) does not answer: ${r.error}`);
  return silent.length > 0 ? ExitCode.UNREACHABLE : ExitCode.OK;
}

async function report(state: FoundScheduler): Promise<SchedulerReport> {
  const { AuroraClient } = await import('../../../client/client.js');
  const client = new AuroraClient({ url: state.url, timeoutMs: 5000 });
  let jobs: number | null = null;
  let error: string | undefined;
  try {
    const summary = await client.getJobSummary('');
    jobs = (summary.summaries ?? []).length;
  } catch (err) {
    error = (err as Error).message;
  } finally {
    client.close();
  }
  return {
    running: true,
    answering: error === undefined,
    pid: state.pid,
    url: state.url,
    port: state.port,
    clusterName: state.clusterName,
    executors: state.executors ?? null,
    workDir: state.workDir,
    stateDir: state.stateDir ?? null,
    zk: state.zk ?? null,
    basicAuthFile: state.basicAuthFile ?? null,
    logFile: state.logFile ?? null,
    startedAt: state.startedAt,
    jobs,
    ...(error !== undefined ? { error } : {}),
  };
}

function describe(ctx: CliContext, r: SchedulerReport): void {
  const { io } = ctx;
  io.out(`The local scheduler is ${io.style('green', 'running')} (pid ${r.pid}) at ${io.style('bold', r.url)}`);
  io.out(`  cluster:   ${r.clusterName}`);
  io.out(`  up:        ${formatDuration(Date.now() - Date.parse(r.startedAt))}`);
  if (r.jobs !== null) io.out(`  jobs:      ${r.jobs}`);
  io.out(`  executors: ${r.executors ?? 'none'}`);
  io.out(`  sandboxes: ${r.workDir}`);
  if (r.stateDir) io.out(`  state:     ${r.stateDir}`);
  if (r.zk) io.out(`  zookeeper: ${r.zk}`);
  if (r.basicAuthFile) io.out(`  users:     ${r.basicAuthFile}`);
  if (r.logFile) io.out(`  log:       ${r.logFile}`);
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
