/**
 * `aurora-ts task scp SOURCE... DEST`: copies files into, out of and between task sandboxes, as Aurora's
 * `task scp` (client/cli/task.py, ScpCommand). Each path is a local path or `KEY/INSTANCE:PATH`, PATH
 * relative to the task's sandbox (empty: the sandbox itself). Unlike Aurora's, PATH stays inside the
 * sandbox: an absolute PATH, `~`, or `..` leading out is bad input (exit 2), and so is, on the local
 * scheduler, a symlink leading out.
 *
 * - Local scheduler: the sandbox comes from `GET /sandbox/<taskId>` (sandbox.ts) and the files are copied
 *   here with node:fs. Each sandbox path is resolved with realpath and checked to lie in the sandbox's real
 *   directory, then opened with O_NOFOLLOW, so no link swapped in after the check is followed either.
 *   Files written into a sandbox of a task that runs as another user (the scheduler's --task-user) are
 *   given to that user.
 * - A Mesos cluster (clusters.json with slave_root): the sandbox's path on the agent holds wildcards
 *   (`slaves/* /frameworks/*`), so it is first resolved there over ssh (`cd SANDBOX && pwd -P`); the system
 *   `scp` then copies to and from `USER@HOST:/that/path/PATH` in its default (SFTP) mode, with the ssh
 *   options of `task run` translated to scp's spelling and `--scp-options` (Aurora's flag) added.
 */
import { spawn } from 'node:child_process';
import { chownSync, closeSync, constants, fstatSync, ftruncateSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, realpathSync, statSync, writeSync } from 'node:fs';
import { basename, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { LIVE_STATES, type ScheduledTask } from '../../../gen/types.js';
import type { CliContext } from '../../context.js';
import { CliFailure, UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { formatJobKey, parseJobKey, thriftJobKey } from '../../jobkey.js';
import { collect, exitStatus, localSandbox, mesosSandbox, remoteCommand, sshDestination, sshOptionList, taskHost } from './sandbox.js';
import type { VerbInput } from '../../spec.js';
import type { SCP } from './index.js';

/** A path as given: here, or in a task's sandbox. */
type Endpoint = { text: string; path: string } & ({ task?: undefined } | { task: { key: string; instance: number } });

/** Where an endpoint is once resolved: a path on this machine (with the sandbox it must stay in), or an scp remote. */
type Place = { kind: 'here'; text: string; path: string; sandbox?: { root: string; uid?: number; gid?: number } } | { kind: 'remote'; text: string; spec: string };

export async function run(ctx: CliContext, options: VerbInput<typeof SCP>): Promise<number> {
  const endpoints = options.paths.map(parseEndpoint);
  if (endpoints.length < 2) throw new UsageError('task scp: expected SOURCE... DEST, at least two paths', 'a task path is CLUSTER/ROLE/ENV/NAME/INSTANCE:PATH');
  for (const e of endpoints) if (e.task) sandboxRelative(e);
  const places: Place[] = [];
  for (const endpoint of endpoints) places.push(await resolve(ctx, endpoint, options));
  const here = places.filter((p): p is Here => p.kind === 'here');
  if (here.length < places.length) return runScp(ctx, places, options);
  if (options.scpOptions !== undefined) throw new UsageError('--scp-options: no path here is on a cluster reached over ssh; the copy is made without scp');
  copyHere(here.slice(0, -1), here[here.length - 1]!, options.recursive === true);
  return ExitCode.OK;
}

/** `KEY/INSTANCE:PATH` (the part before the first `:` with four `/`), else a local path, as Aurora's client splits them. */
function parseEndpoint(text: string): Endpoint {
  const colon = text.indexOf(':');
  const prefix = colon < 0 ? '' : text.slice(0, colon);
  if (prefix.split('/').length !== 5) return { text, path: text };
  const key = parseJobKey(prefix, 'required');
  if (key.instances!.length !== 1) throw new UsageError(`${JSON.stringify(text)}: name one instance, e.g. ${formatJobKey({ ...key, instances: undefined })}/0:PATH`);
  return { text, path: text.slice(colon + 1), task: { key: prefix, instance: key.instances![0]! } };
}

/** The path inside the sandbox, lexically: never absolute, never `~`, never out through `..`. */
function sandboxRelative(endpoint: Endpoint): string {
  const { path, text } = endpoint;
  const normal = normalize(path === '' ? '.' : path);
  const out = isAbsolute(path) ? 'is absolute' : path === '~' || path.startsWith('~/') ? 'starts with ~' : normal === '..' || normal.startsWith(`..${sep}`) ? 'leads out through ..' : undefined;
  if (out) throw new UsageError(`${JSON.stringify(text)}: the path ${out}; a task path is relative to its sandbox and stays in it`);
  return normal;
}

async function resolve(ctx: CliContext, endpoint: Endpoint, flags: VerbInput<typeof SCP>): Promise<Place> {
  if (!endpoint.task) return { kind: 'here', text: endpoint.text, path: ctx.path(endpoint.path) };
  const key = parseJobKey(endpoint.task.key, 'required');
  const host = await taskHost(ctx, key, flags);
  const query = { jobKeys: [thriftJobKey(key)], statuses: [...LIVE_STATES], instanceIds: [endpoint.task.instance] };
  const task: ScheduledTask | undefined = (await host.client.getTasksWithoutConfigs(query)).tasks?.[0];
  if (!task) throw new CliFailure(`${JSON.stringify(endpoint.text)}: ${endpoint.task.key} has no live task (it has no sandbox to copy from or to)`);
  const inside = sandboxRelative(endpoint);
  const taskId = task.assignedTask!.taskId!;
  if (host.kind === 'local') {
    const where = await localSandbox(ctx, host.base, taskId);
    let root: string;
    try {
      root = realpathSync(where.cwd);
    } catch {
      throw new CliFailure(`task ${taskId}: its sandbox ${where.cwd} is gone`);
    }
    return { kind: 'here', text: endpoint.text, path: join(root, inside), sandbox: { root, uid: where.uid, gid: where.gid } };
  }
  const login = sshDestination(task, host.user);
  const found = await collect(ctx, 'ssh', ['-n', '-q', ...host.options, login, remoteCommand(mesosSandbox(task, host, flags.executorSandbox === true), 'pwd -P')], {});
  const lines = found.output.split('\n').filter((line) => line.trim() !== '');
  // What the login may print first aside, the last line is the sandbox.
  const sandbox = lines[lines.length - 1] ?? '';
  if (found.exitCode !== 0 || !sandbox.startsWith('/')) {
    throw new CliFailure(`task ${taskId}: cannot find its sandbox on ${task.assignedTask!.slaveHost} over ssh (exit ${found.exitCode})${lines[0] ? `: ${lines[0]}` : ''}`);
  }
  const at = login.lastIndexOf('@');
  const hostName = login.slice(at + 1);
  // An IPv6 address is bracketed, as scp wants it.
  const spec = `${login.slice(0, at + 1)}${hostName.includes(':') ? `[${hostName}]` : hostName}:${inside === '.' ? sandbox : `${sandbox}/${inside}`}`;
  return { kind: 'remote', text: endpoint.text, spec };
}

/** ssh's options that scp takes as they are (scp -F -i -o -J -c -4 -6 -C -q -v), and those it spells differently. */
const SCP_SAME = new Set(['-F', '-i', '-o', '-J', '-c']);
const SCP_FLAGS = new Set(['-4', '-6', '-C', '-q', '-v']);

/** `task run`'s ssh options in scp's spelling: `-p PORT` is scp's `-P PORT`, `-l USER` its `-o User=USER`. */
export function scpFromSshOptions(options: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < options.length; i++) {
    const flag = options[i]!;
    const attached = /^(-[A-Za-z])(.+)$/.exec(flag);
    const [name, value] = attached && !SCP_FLAGS.has(flag) ? [attached[1]!, attached[2]] : [flag, undefined];
    if (SCP_FLAGS.has(name)) {
      out.push(name);
      continue;
    }
    const takesValue = SCP_SAME.has(name) || name === '-p' || name === '-l';
    if (!takesValue) throw new UsageError(`--ssh-options ${JSON.stringify(flag)}: scp has no such option (scp takes -F -i -o -J -c -p -l -4 -6 -C -q -v of ssh's); give scp's own with --scp-options`);
    const arg = value ?? options[++i];
    if (arg === undefined) throw new UsageError(`--ssh-options ${JSON.stringify(flag)}: a value must follow`);
    if (name === '-p') out.push('-P', arg);
    else if (name === '-l') out.push('-o', `User=${arg}`);
    else out.push(name, arg);
  }
  return out;
}

async function runScp(ctx: CliContext, places: Place[], options: VerbInput<typeof SCP>): Promise<number> {
  // Every remote endpoint got its ssh options from the same flags or environment.
  const sshOptions = scpFromSshOptions(sshOptionList(options.sshOptions ?? ctx.env['AURORA_TS_SSH_OPTIONS']));
  const args = [...(options.recursive ? ['-r'] : []), ...sshOptions, ...sshOptionList(options.scpOptions), ...places.map((p) => (p.kind === 'remote' ? p.spec : localScpPath(p.path)))];
  return new Promise<number>((done, reject) => {
    const stdio = ctx.io.childStdio(false);
    const child = spawn('scp', args, { stdio: stdio.stdio, signal: ctx.signal });
    stdio.attach(child);
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.name !== 'AbortError') reject(new CliFailure(`cannot run scp: ${err.code === 'ENOENT' ? 'not found' : err.message}`));
    });
    child.on('close', (code, signal) => {
      if (ctx.signal.aborted) return done(ExitCode.INTERRUPTED);
      const status = exitStatus(code, signal);
      if (status !== 0) ctx.io.error(`scp exited with status ${status}`);
      done(status === 0 ? ExitCode.OK : ExitCode.FAILURE);
    });
  });
}

/** A local path scp could take for a remote one (`a:b` with no `/` before the `:`) is given as `./a:b`. */
function localScpPath(path: string): string {
  const colon = path.indexOf(':');
  return colon > 0 && !path.slice(0, colon).includes('/') ? `./${path}` : path;
}

// ---- the copy on this machine ----

type Here = Extract<Place, { kind: 'here' }>;

/** The real path of `path` (of its parent, when it does not exist yet), refused unless it lies in the sandbox. */
function contained(place: Here, path: string): string {
  let real: string;
  try {
    real = realpathSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliFailure(`${JSON.stringify(place.text)}: ${(err as Error).message}`);
    let parent: string;
    try {
      parent = realpathSync(join(path, '..'));
    } catch {
      throw new CliFailure(`${JSON.stringify(place.text)}: no such file or directory`);
    }
    real = join(parent, basename(path));
  }
  const root = place.sandbox?.root;
  if (root !== undefined) {
    const rel = relative(root, real);
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw new UsageError(`${JSON.stringify(place.text)}: a symlink leads out of the task's sandbox; a task path stays in it`);
    }
  }
  return real;
}

function copyHere(sources: Here[], dest: Here, recursive: boolean): void {
  const destReal = contained(dest, dest.path);
  const destIsDir = statOrUndefined(destReal)?.isDirectory() === true;
  if (sources.length > 1 && !destIsDir) throw new CliFailure(`${JSON.stringify(dest.text)}: not a directory (copying ${sources.length} sources)`);
  for (const source of sources) {
    const from = contained(source, source.path);
    const stat = statOrUndefined(from);
    if (!stat) throw new CliFailure(`${JSON.stringify(source.text)}: no such file or directory`);
    if (stat.isDirectory() && !recursive) throw new UsageError(`${JSON.stringify(source.text)}: is a directory (copy it with -r)`);
    const to = destIsDir ? contained(dest, join(destReal, basename(from))) : destReal;
    copyEntry(source, from, dest, to);
  }
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Copies a file or (walking it) a directory; every name met is checked against its sandbox again. */
function copyEntry(source: Here, from: string, dest: Here, to: string): void {
  const stat = lstatSync(from);
  if (stat.isDirectory()) {
    if (relative(from, to) === '' || !relative(from, to).startsWith('..')) throw new CliFailure(`${JSON.stringify(source.text)}: cannot copy a directory into itself`);
    if (statOrUndefined(to)?.isDirectory() !== true) {
      mkdirSync(to, { mode: stat.mode & 0o777 });
      give(dest, to);
    }
    for (const name of readdirSync(from)) copyEntry(source, contained(source, join(from, name)), dest, contained(dest, join(to, name)));
    return;
  }
  if (!stat.isFile()) throw new CliFailure(`${JSON.stringify(source.text)}: ${from} is not a regular file`);
  // O_NOFOLLOW: a link put in place after the check above is refused, not followed.
  const input = openOrFail(source, from, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const existed = statOrUndefined(to) !== undefined;
    const output = openOrFail(dest, to, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, fstatSync(input).mode & 0o777);
    try {
      // Written as root for a task of another user: a hard link there may be a file of anyone's.
      if (dest.sandbox?.uid !== undefined && fstatSync(output).nlink > 1) throw new UsageError(`${JSON.stringify(dest.text)}: ${to} has other hard links; it is not overwritten for the task's user`);
      ftruncateSync(output, 0);
      const buffer = Buffer.allocUnsafe(1 << 16);
      for (let n; (n = readSync(input, buffer, 0, buffer.length, null)) > 0; ) writeSync(output, buffer, 0, n);
    } finally {
      closeSync(output);
    }
    if (!existed) give(dest, to);
  } finally {
    closeSync(input);
  }
}

function openOrFail(place: Here, path: string, flags: number, mode?: number): number {
  try {
    return openSync(path, flags, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new UsageError(`${JSON.stringify(place.text)}: ${path} became a symlink; a task path stays in its sandbox`);
    throw new CliFailure(`${JSON.stringify(place.text)}: ${code === 'EACCES' ? `permission denied: ${path}` : (err as Error).message}`);
  }
}

/** What is made in the sandbox of a task running as another user is that user's, as if the task had made it. */
function give(place: Here, path: string): void {
  const sandbox = place.sandbox;
  if (sandbox?.uid !== undefined) chownSync(path, sandbox.uid, sandbox.gid ?? -1);
}
