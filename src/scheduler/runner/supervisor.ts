/**
 * The per-task Node supervisor, only where no owner can run (owner.ts: no /usr/bin/perl, or an
 * architecture without known syscall numbers). Elsewhere the Perl owner supervises the task itself
 * (~1 MB instead of ~40 MB). The runner starts `node <control>/supervisor.cjs <control>` detached (own
 * session) and writes the command to its stdin (never to its argv, so the task's environment does not
 * show in `ps`, nor to a file, which the sandbox's HTTP listing could serve); the supervisor spawns the
 * executor in its own process group, reports the executor's pid on stdout, stays its parent, and when
 * the executor ends records the exit (exit-record.ts) and reports it on stdout too, for a scheduler
 * that still listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import type { Socket } from 'node:net';
import path from 'node:path';
import { prepareControlDir, readExitSync, type SupervisorReport } from './exit-record.js';

/** Carried by the supervisor (not the task marker, so killing a task's processes leaves it to record the exit). */
export const SUPERVISOR_MARKER_VAR = 'AURORA_TS_SUPERVISOR';
const SCRIPT_FILE = 'supervisor.cjs';

export interface SupervisedCommand {
  file: string;
  args: string[];
  argv0: string;
  cwd: string;
  env: Record<string, string>;
  stdout: string;
  stderr: string;
  uid?: number;
  gid?: number;
}

/**
 * The supervisor's whole program. It runs as a CommonJS script made from this function's source, so it
 * may use only its parameters: no imports, no helpers from this module.
 */
function supervise(controlPath: string, fs: typeof import('node:fs'), childProcess: typeof import('node:child_process'), path: typeof import('node:path')): void {
  // Opened once, without following a link; every path below goes through it.
  const directory = fs.openSync(controlPath, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  const control = `/proc/self/fd/${directory}`;
  const report = (value: SupervisorReport): void => {
    try {
      fs.writeSync(1, `${JSON.stringify(value)}\n`);
    } catch {
      // The scheduler is gone; the exit file is what counts.
    }
  };
  const finish = (value: SupervisorReport): void => {
    const temporary = path.join(control, 'exit.json.tmp');
    fs.writeFileSync(temporary, JSON.stringify(value), { mode: 0o600 });
    fs.renameSync(temporary, path.join(control, 'exit.json'));
  };
  let command: SupervisedCommand;
  try {
    command = JSON.parse(fs.readFileSync(0, 'utf8')) as SupervisedCommand;
  } catch (error) {
    const message = `cannot read the task's command: ${(error as Error).message}`;
    finish({ error: message });
    report({ error: message });
    return;
  }
  // The task's own files, in its sandbox: never opened through a link someone put there.
  const logFlags = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW;
  const out = fs.openSync(command.stdout, logFlags, 0o644);
  const err = fs.openSync(command.stderr, logFlags, 0o644);
  let child: ReturnType<typeof childProcess.spawn>;
  try {
    child = childProcess.spawn(command.file, command.args, {
      argv0: command.argv0,
      cwd: command.cwd,
      env: command.env,
      stdio: ['ignore', out, err],
      // Own process group: killing the task's group leaves the supervisor to record the exit.
      detached: true,
      ...(command.uid !== undefined ? { uid: command.uid, gid: command.gid } : {}),
    });
  } catch (error) {
    const message = (error as Error).message;
    finish({ error: message });
    report({ error: message });
    return;
  }
  fs.closeSync(out);
  fs.closeSync(err);
  child.once('error', (error) => {
    finish({ error: error.message });
    report({ error: error.message });
  });
  child.once('spawn', () => report({ pid: child.pid }));
  child.once('exit', (code, signal) => {
    finish({ pid: child.pid, code, signal });
    report({ pid: child.pid, code, signal });
  });
}

// The compiled function's own source: the script is exactly the code type-checked above.
const SCRIPT = `'use strict';\n(${supervise.toString()})(process.argv[2], require('node:fs'), require('node:child_process'), require('node:path'));\n`;

export interface StartedSupervisor {
  supervisor: ChildProcess;
  /** The executor's pid. */
  pid: number;
  /** Settles when the executor has ended, with the exit the supervisor recorded (undefined if it recorded none). */
  exit: Promise<SupervisorReport | undefined>;
}

/**
 * Writes the script into the sandbox, starts the supervisor and hands it the command. Resolves with the
 * supervisor (a child of this process) and the executor's pid, or with the reason it did not start.
 */
export async function startSupervisor(sandbox: string, taskId: string, command: SupervisedCommand): Promise<StartedSupervisor | { error: string }> {
  const control = await prepareControlDir(sandbox);
  await fs.writeFile(path.join(control, SCRIPT_FILE), SCRIPT, { mode: 0o600, flag: 'wx' });
  const supervisor = spawn(process.execPath, [path.join(control, SCRIPT_FILE), control], {
    cwd: sandbox,
    env: { PATH: process.env.PATH ?? '', [SUPERVISOR_MARKER_VAR]: taskId },
    stdio: ['pipe', 'pipe', 'ignore'],
    detached: true,
  });
  // A supervisor that dies before reading it is reported below, by its exit.
  supervisor.stdin!.on('error', () => undefined);
  supervisor.stdin!.end(JSON.stringify(command));
  // Its reports, one JSON line each: the executor's pid (or why it did not start), then its exit.
  const lines: SupervisorReport[] = [];
  const waiting: Array<() => void> = [];
  const heard = () => waiting.splice(0).forEach((wake) => wake());
  let ended = false;
  let buffered = '';
  supervisor.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        lines.push(JSON.parse(line) as SupervisorReport);
      } catch {
        lines.push({ error: `task supervisor said: ${line}` });
      }
    }
    heard();
  });
  supervisor.once('error', (error) => {
    lines.push({ error: `cannot start the task supervisor: ${error.message}` });
    heard();
  });
  supervisor.once('exit', () => {
    ended = true;
    heard();
  });
  const report = async (index: number): Promise<SupervisorReport | undefined> => {
    while (lines.length <= index && !ended) await new Promise<void>((wake) => waiting.push(wake));
    return lines[index] ?? readExitSync(sandbox);
  };
  // A running task must not keep the scheduler's event loop alive on its own.
  supervisor.unref();
  (supervisor.stdout as Socket).unref();
  const first = (await report(0)) ?? { error: 'the task supervisor exited before starting the task' };
  if (first.pid === undefined || first.code !== undefined) return { error: first.error ?? 'the task supervisor exited before starting the task' };
  return { supervisor, pid: first.pid, exit: report(1) };
}
