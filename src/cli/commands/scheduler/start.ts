/**
 * `aurora-ts scheduler start`: the local scheduler in the foreground (Ctrl-C or SIGTERM closes it,
 * killing its tasks), or with --detach a background copy of this same command whose URL is printed
 * once its API answers.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliContext } from '../../context.js';
import { CliFailure, UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { DEFAULT_PORT, isAlive, listSchedulers, logFile, portOf, removeState, schedulerOnPort, schedulersDir, stateFile, writeState, type SchedulerState } from '../../scheduler-state.js';
import { checkSettings, schedulerSettings, settingsArgs, zkSettings } from './settings.js';
import type { VerbInput } from '../../spec.js';
import type { START } from './index.js';

const DEFAULT_ZK_PATH = '/aurora/scheduler';

/** Flag combinations that make no sense are bad input, reported before anything starts. */
function checkOptions(options: VerbInput<typeof START>): void {
  if (options.agentProcesses === true && options.stateDir === undefined) throw new UsageError('--agent-processes needs --state-dir DIR', 'agents keep their state under DIR/agents');
  const needAgents = [['--agent-ping-timeout', options.agentPingTimeout], ['--max-agent-ping-timeouts', options.maxAgentPingTimeouts], ['--partition-aware', options.partitionAware]] as const;
  for (const [flag, value] of needAgents) {
    if (value !== undefined && options.agentProcesses !== true) throw new UsageError(`${flag} needs --agent-processes`);
  }
  if (options.zkPath !== undefined && options.zk === undefined) throw new UsageError('--zk-path needs --zk HOSTS');
  if (options.zk !== undefined && options.zk.trim() === '') throw new UsageError('--zk: expected ZooKeeper hosts, e.g. 127.0.0.1:2181');
  if (options.zkPath !== undefined && !/^\/[^\0]*[^/]$/.test(options.zkPath)) {
    throw new UsageError(`--zk-path ${JSON.stringify(options.zkPath)}: expected an absolute ZooKeeper path without a trailing "/", e.g. ${DEFAULT_ZK_PATH}`);
  }
  if (options.workDir !== undefined && options.stateDir !== undefined) {
    throw new UsageError('--work-dir and --state-dir exclude each other', 'with --state-dir, sandboxes live under DIR/sandboxes');
  }
  checkSettings(options);
}

const START_TIMEOUT_MS = 30_000;

export async function run(ctx: CliContext, options: VerbInput<typeof START>): Promise<number> {
  checkOptions(options);
  // Schedulers on other ports may run beside this one; a second one on the same port may not.
  const port = options.port ?? DEFAULT_PORT;
  const running = port === 0 ? undefined : schedulerOnPort(port, ctx.env);
  if (running && running.pid !== process.pid) {
    throw new CliFailure(
      `a local scheduler is already running on port ${port} (pid ${running.pid}) at ${running.url}; stop it with "aurora-ts scheduler stop --port ${port}", or pick another --port`,
    );
  }
  return options.detach ? detach(ctx, options) : foreground(ctx, options);
}

async function foreground(ctx: CliContext, options: VerbInput<typeof START>): Promise<number> {
  const { io } = ctx;
  const { loadExecutorConfig } = await import('../../../executors/index.js');
  const executorsPath = options.customExecutorConfig === undefined ? undefined : ctx.path(options.customExecutorConfig);
  // Validate first: a bad executor file is bad input (exit 2), reported before anything listens.
  const executors = executorsPath === undefined ? undefined : await loadExecutorConfig(executorsPath);
  const workDir = options.workDir === undefined ? undefined : ctx.path(options.workDir);
  const stateDirectory = options.stateDir === undefined ? undefined : ctx.path(options.stateDir);
  const basicAuthFile = options.basicAuthFile === undefined ? undefined : ctx.path(options.basicAuthFile);
  const zk = options.zk === undefined ? undefined : { hosts: options.zk, path: options.zkPath ?? DEFAULT_ZK_PATH, ...zkSettings(options) };
  const { loadAgentsFile } = await import('../../../scheduler/agents/schema.js');
  const agents = options.agents === undefined ? undefined : await loadAgentsFile(ctx.path(options.agents));

  const { startScheduler } = await import('../../../scheduler/index.js');
  let scheduler;
  try {
    scheduler = await startScheduler({
      ...schedulerSettings(options),
      ...(agents ? { agents } : {}),
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 8081,
      clusterName: options.clusterName ?? 'local',
      executors,
      cpus: options.cpus,
      ramMb: options.ramMb,
      workDir,
      ...(stateDirectory !== undefined ? { stateDir: stateDirectory } : {}),
      ...(options.agentProcesses === true ? { agentProcesses: true } : {}),
      ...(options.agentPingTimeout !== undefined ? { agentPingTimeoutMs: Math.round(options.agentPingTimeout * 1000) } : {}),
      ...(options.maxAgentPingTimeouts !== undefined ? { maxAgentPingTimeouts: options.maxAgentPingTimeouts } : {}),
      ...(options.partitionAware === true ? { partitionAware: true } : {}),
      ...(zk ? { zk } : {}),
      ...(basicAuthFile !== undefined ? { basicAuthFile } : {}),
      ...(options.taskUser !== undefined ? { taskUser: options.taskUser } : {}),
      onLog: (message) => io.note(`scheduler: ${message}`),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliFailure(`port ${options.port ?? 8081} on ${options.host ?? '127.0.0.1'} is already in use; pick another with --port`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new CliFailure(`cannot listen on ${options.host}: no such local address`, ExitCode.USAGE);
    throw err;
  }

  const state: SchedulerState = {
    pid: process.pid,
    url: scheduler.url,
    clusterName: options.clusterName ?? 'local',
    workDir: scheduler.workDir,
    startedAt: new Date().toISOString(),
  };
  if (executorsPath !== undefined) state.executors = executorsPath;
  if (zk) state.zk = `${zk.hosts}${zk.path}`;
  if (basicAuthFile !== undefined) state.basicAuthFile = basicAuthFile;
  if (stateDirectory !== undefined) state.stateDir = stateDirectory;
  const port = portOf(scheduler.url) ?? 0;
  // Set by `--detach` for the child it spawns, so `scheduler status` can say where the log is; a log
  // started before the port was known (--port 0) takes the port's name now (this process keeps writing to it).
  let log = ctx.env['AURORA_TS_SCHEDULER_LOG'];
  if (log) {
    const named = logFile(port, ctx.env);
    if (log !== named) {
      renameSync(log, named);
      log = named;
    }
    state.logFile = log;
  }
  writeState(state, ctx.env);

  const names = executors?.names() ?? [];
  const leading = scheduler.isLeader();
  const { UI_PATH } = await import('../../../scheduler/ui/server.js');
  const ui = `${scheduler.url}${UI_PATH}`;
  if (io.json) {
    io.data({
      url: scheduler.url,
      ui,
      pid: process.pid,
      clusterName: state.clusterName,
      executors: names,
      workDir: scheduler.workDir,
      stateDir: stateDirectory ?? null,
      zk: zk ? { hosts: zk.hosts, path: zk.path, leader: leading } : null,
      basicAuth: basicAuthFile !== undefined,
      taskUser: options.taskUser ?? null,
    });
  } else {
    io.out(`Local Aurora scheduler listening on ${io.style('bold', scheduler.url)} (cluster ${state.clusterName}, pid ${process.pid})`);
    io.out(`Web UI: ${io.style('bold', ui)} (read-only); API: ${scheduler.url}/api`);
    io.out(`Executors: ${names.length > 0 ? names.join(', ') : 'none (pass --custom-executor-config FILE)'}`);
    if (zk) io.out(`ZooKeeper: ${zk.hosts}${zk.path}, ${leading ? 'leading' : 'following (API calls are redirected to the leader)'}`);
    if (basicAuthFile !== undefined) io.out(`Basic auth: write calls need a user from ${basicAuthFile}`);
    if (options.taskUser !== undefined) io.out(`Tasks run as: ${options.taskUser}`);
    if (stateDirectory !== undefined) io.out(`State: ${stateDirectory} (kept across restarts)`);
    io.out(`Sandboxes: ${scheduler.workDir}`);
    io.out('Press Ctrl-C to stop; running tasks are killed.');
  }

  // From here on this command owns SIGINT/SIGTERM: closing the scheduler kills its tasks first.
  ctx.releaseSignals();
  const signal = await untilStopped(ctx.signal);
  io.note(`${signal}: stopping the scheduler and killing its tasks...`);
  // A second signal while closing means "now".
  const force = () => process.exit(ExitCode.INTERRUPTED);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  try {
    await scheduler.close();
  } finally {
    process.off('SIGINT', force);
    process.off('SIGTERM', force);
    removeState({ file: stateFile(port, ctx.env) }, process.pid);
  }
  io.note('scheduler stopped');
  return signal === 'SIGINT' ? ExitCode.INTERRUPTED : ExitCode.OK;
}

/** The first of SIGINT, SIGTERM or the command being aborted (an in-process caller's interrupt, taken as SIGINT); no listener is left behind. */
function untilStopped(abort: AbortSignal): Promise<NodeJS.Signals> {
  return new Promise((done) => {
    const stop = (signal: NodeJS.Signals) => () => {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onTerminate);
      abort.removeEventListener('abort', onAbort);
      done(signal);
    };
    const onInterrupt = stop('SIGINT');
    const onTerminate = stop('SIGTERM');
    const onAbort = stop('SIGINT');
    process.once('SIGINT', onInterrupt);
    process.once('SIGTERM', onTerminate);
    abort.addEventListener('abort', onAbort, { once: true });
    if (abort.aborted) onAbort();
  });
}

async function detach(ctx: CliContext, options: VerbInput<typeof START>): Promise<number> {
  const { io } = ctx;
  const args = ['scheduler', 'start'];
  if (options.host !== undefined) args.push('--host', options.host);
  if (options.port !== undefined) args.push('--port', String(options.port));
  if (options.customExecutorConfig !== undefined) args.push('--custom-executor-config', ctx.path(options.customExecutorConfig));
  if (options.clusterName !== undefined) args.push('--cluster-name', options.clusterName);
  if (options.cpus !== undefined) args.push('--cpus', String(options.cpus));
  if (options.ramMb !== undefined) args.push('--ram-mb', String(options.ramMb));
  if (options.workDir !== undefined) args.push('--work-dir', ctx.path(options.workDir));
  if (options.stateDir !== undefined) args.push('--state-dir', ctx.path(options.stateDir));
  if (options.agentProcesses === true) args.push('--agent-processes');
  if (options.agentPingTimeout !== undefined) args.push('--agent-ping-timeout', String(options.agentPingTimeout));
  if (options.maxAgentPingTimeouts !== undefined) args.push('--max-agent-ping-timeouts', String(options.maxAgentPingTimeouts));
  if (options.partitionAware === true) args.push('--partition-aware');
  if (options.zk !== undefined) args.push('--zk', options.zk);
  if (options.zkPath !== undefined) args.push('--zk-path', options.zkPath);
  if (options.basicAuthFile !== undefined) args.push('--basic-auth-file', ctx.path(options.basicAuthFile));
  if (options.taskUser !== undefined) args.push('--task-user', options.taskUser);
  args.push(...settingsArgs(options, (path) => ctx.path(path)));
  if (ctx.globals.verbose) args.push('--verbose');

  // Check the input files here too, so a bad one is exit 2 with its one line, not a dead child.
  if (options.customExecutorConfig !== undefined) {
    const { loadExecutorConfig } = await import('../../../executors/index.js');
    await loadExecutorConfig(ctx.path(options.customExecutorConfig));
  }
  if (options.basicAuthFile !== undefined) {
    const { loadUsersFile } = await import('../../../scheduler/auth/index.js');
    await loadUsersFile(ctx.path(options.basicAuthFile));
  }
  if (options.agents !== undefined) {
    const { loadAgentsFile } = await import('../../../scheduler/agents/schema.js');
    await loadAgentsFile(ctx.path(options.agents));
  }
  if (options.taskUser !== undefined) {
    const { resolveTaskUser } = await import('../../../scheduler/auth/index.js');
    await resolveTaskUser(options.taskUser);
  }

  mkdirSync(schedulersDir(ctx.env), { recursive: true, mode: 0o700 });
  const port = options.port ?? DEFAULT_PORT;
  // With --port 0 the port is not known yet: the child renames this log once it listens.
  const log = port === 0 ? join(schedulersDir(ctx.env), `starting-${process.pid}.log`) : logFile(port, ctx.env);
  const fd = openSync(log, 'w', 0o600);
  const bin = fileURLToPath(new URL('../../../../bin/aurora-ts.js', import.meta.url));
  const child = spawn(process.execPath, [bin, ...args], {
    detached: true,
    cwd: ctx.cwd,
    stdio: ['ignore', fd, fd],
    env: { ...ctx.env, AURORA_TS_SCHEDULER_LOG: log, NO_COLOR: '1' },
  });
  closeSync(fd);
  let exited: number | string | undefined;
  child.on('exit', (code, signal) => {
    exited = code ?? signal ?? 'unknown';
  });
  const pid = child.pid;
  if (pid === undefined) throw new CliFailure('could not start the scheduler process');

  const progress = await io.progress('starting the local scheduler...');
  const deadline = Date.now() + START_TIMEOUT_MS;
  let started: SchedulerState | undefined;
  try {
    while (started === undefined) {
      if (exited !== undefined) throw new CliFailure(`the scheduler exited during start-up: ${lastLine(log) ?? `exit ${exited}`}`);
      if (Date.now() > deadline) throw new CliFailure(`the scheduler did not start within ${START_TIMEOUT_MS / 1000} s (log: ${log})`, ExitCode.UNREACHABLE);
      const state = listSchedulers(ctx.env).find((s) => s.pid === pid);
      if (state !== undefined && (await answers(state.url))) started = state;
      else await sleep(100);
    }
  } catch (err) {
    progress.stop();
    if (isAlive(pid) && exited === undefined) process.kill(pid, 'SIGTERM');
    throw err;
  }
  progress.stop();
  child.unref();
  const { url } = started;
  const startedLog = started.logFile ?? log;
  const startedPort = portOf(url);
  if (io.json) io.data({ url, pid, log: startedLog });
  else {
    io.out(`Local Aurora scheduler started (pid ${pid}): ${io.style('bold', url)}`);
    io.out(`Log: ${startedLog}`);
    io.out(`Stop it with: aurora-ts scheduler stop${startedPort === DEFAULT_PORT ? '' : ` --port ${startedPort}`}`);
  }
  return ExitCode.OK;
}

/** Whether the API answers a read-only call. */
async function answers(url: string): Promise<boolean> {
  const { AuroraClient } = await import('../../../client/client.js');
  const client = new AuroraClient({ url, timeoutMs: 2000 });
  try {
    await client.getTierConfigs();
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

function lastLine(file: string): string | undefined {
  try {
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    return lines[lines.length - 1];
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
