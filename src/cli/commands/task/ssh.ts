/**
 * `aurora-ts task ssh KEY[/INSTANCE] [--command CMD] [-L PORT:NAME]...`: a shell (or one command) in a
 * task's sandbox, with Aurora's `task ssh` semantics. Local scheduler: `bash` (or `sh -c CMD`) here, in
 * the sandbox, with the task's environment, `-L` forwarding 127.0.0.1:PORT to the task's port NAME. A
 * Mesos cluster (clusters.json with slave_root): `ssh -t [--ssh-options] [-L PORT:HOST:PORT]
 * USER@HOST 'cd SANDBOX && CMD'` with USER from --ssh-user or the job's role. Without an instance the
 * job's first instance is used; --command needs one. The exit status is the shell's (or ssh's).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { ACTIVE_STATES, LIVE_STATES } from '../../../gen/types.js';
import type { CliContext } from '../../context.js';
import { CliFailure, UsageError } from '../../errors.js';
import { formatJobKey, parseJobKey } from '../../jobkey.js';
import { latestTasks } from '../../../client/latest-tasks.js';
import { jobTasks } from '../../tasks.js';
import { bindCommand, exitStatus, localSandbox, mesosSandbox, remoteCommand, sshDestination, taskHost, type LocalSandbox } from './sandbox.js';
import type { VerbInput } from '../../spec.js';
import type { SSH } from './index.js';

export async function run(ctx: CliContext, options: VerbInput<typeof SSH>): Promise<number> {
  const key = parseJobKey(options.key, 'optional');
  if (key.instances && key.instances.length > 1) throw new UsageError(`job key ${JSON.stringify(options.key)}: name one instance, e.g. ${formatJobKey({ ...key, instances: undefined })}/0`);
  if (!key.instances && options.command !== undefined) throw new UsageError('--command needs an instance: KEY/INSTANCE', "Aurora's client asks for one too");
  const tunnels = (options.tunnel ?? []).map((text) => {
    const match = /^(\d{1,5}):([^:\s]+)$/.exec(text);
    const port = match ? Number(match[1]) : 0;
    if (!match || port < 1 || port > 65535) throw new UsageError(`-L ${JSON.stringify(text)}: expected PORT:NAME, a local port (1-65535) and a port name of the task`);
    return { port, name: match[2]! };
  });
  const host = await taskHost(ctx, key, options);
  const current = [...latestTasks(await jobTasks(host.client, key)).values()];
  // A live task (it has a sandbox) first, as Aurora's client would find one; else a pending one, else the latest.
  const task = current.find((t) => LIVE_STATES.has(t.status!)) ?? current.find((t) => ACTIVE_STATES.has(t.status!)) ?? current[0];
  if (!task) throw new CliFailure(`no task found for ${formatJobKey(key)}`);
  const assigned = task.assignedTask!;
  const ports = assigned.assignedPorts ?? {};
  for (const tunnel of tunnels) {
    if (ports[tunnel.name] === undefined) throw new UsageError(`-L ${tunnel.port}:${tunnel.name}: task ${assigned.taskId} has no port named ${tunnel.name}`, `its ports: ${Object.keys(ports).join(', ') || 'none'}`);
  }
  const command = await bindCommand(options.command ?? 'bash', task);

  if (host.kind === 'ssh') {
    const forwards = tunnels.flatMap((t) => ['-L', `${t.port}:${assigned.slaveHost}:${ports[t.name]}`]);
    const remote = remoteCommand(mesosSandbox(task, host, options.executorSandbox === true), command);
    return interactive(ctx, 'ssh', ['-t', ...host.options, ...forwards, sshDestination(task, host.user), remote], {}, options.pidFile);
  }
  const where = await localSandbox(ctx, host.base, assigned.taskId!);
  const servers = await Promise.all(tunnels.map((t) => forward(t.port, ports[t.name]!)));
  try {
    // The terminal's type, so that an interactive shell can draw; nothing else of the caller's environment.
    const term: Record<string, string> = ctx.env['TERM'] === undefined ? {} : { TERM: ctx.env['TERM'] };
    const [file, args] = options.command === undefined ? ['bash', []] : ['/bin/sh', ['-c', command]];
    return await interactive(ctx, file, args as string[], { ...where, env: { ...where.env, ...term } }, options.pidFile);
  } finally {
    for (const server of servers) server.close();
  }
}

/** Runs `file` on this terminal; Ctrl-C belongs to it while it runs. */
function interactive(ctx: CliContext, file: string, args: string[], options: Partial<LocalSandbox>, pidFile: string | undefined): Promise<number> {
  ctx.releaseSignals();
  const ignore = () => {};
  process.on('SIGINT', ignore);
  return new Promise<number>((resolve, reject) => {
    const stdio = ctx.io.childStdio(true);
    const child = spawn(file, args, { ...options, stdio: stdio.stdio });
    stdio.attach(child);
    child.on('spawn', () => {
      if (pidFile !== undefined) writeFileSync(ctx.path(pidFile), String(child.pid));
    });
    child.on('error', (err: NodeJS.ErrnoException) => reject(new CliFailure(`cannot run ${file}: ${err.code === 'ENOENT' ? 'not found' : err.message}`)));
    child.on('close', (code, signal) => resolve(exitStatus(code, signal)));
  }).finally(() => process.removeListener('SIGINT', ignore));
}

/** Listens on 127.0.0.1:`port` and carries each connection to the task's port `target` on this machine (where the local scheduler runs every task). */
function forward(port: number, target: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      const upstream = connect(target, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      const end = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', end);
      upstream.on('error', end);
    });
    server.once('error', (err: NodeJS.ErrnoException) => reject(new CliFailure(`-L ${port}: cannot listen on 127.0.0.1:${port}: ${err.code ?? err.message}`)));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
