/**
 * The Thermos executor entry point: `node dist/scheduler/thermos/main.js <payload.json> [options]`.
 *
 *   --port NAME:PORT   bind {{thermos.ports[NAME]}} (repeatable, like `thermos -P`)
 *   --task-id ID       bind {{thermos.task_id}} (default $MESOS_TASK_ID)
 *   --instance N       bind {{mesos.instance}}
 *   --hostname H       bind {{mesos.hostname}} (default this host)
 *   --user U           bind {{thermos.user}} (default $USER)
 *
 * Progress goes to stdout, one line per event. Exit status: 0 task SUCCESS, 1 FAILED, 2 bad payload
 * or options, 143 killed (SIGTERM/SIGINT: processes are cleaned up and finalizers run first).
 * Like bin/, this is an executable, so it prints and sets the exit code; the logic is in runner.ts.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { STATUS_MESSAGE_FILE } from './command.js';
import { parseThermosPayload, type ThermosBindings } from './payload.js';
import { runThermosTask, type ThermosEvent } from './runner.js';

export const EXIT_SUCCESS = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_KILLED = 143;

function describe(event: ThermosEvent): string {
  switch (event.type) {
    case 'stage':
      return `stage ${event.stage}`;
    case 'started':
      return `process '${event.process}' run ${event.run} started (pid ${event.pid})`;
    case 'exited': {
      const how = event.signal ? `signal ${event.signal}` : `status ${event.exitCode}`;
      return `process '${event.process}' run ${event.run} exited with ${how}: ${event.state}`;
    }
    case 'skipped':
      return `process '${event.process}' skipped: ${event.reason}`;
  }
}

export function parseBindings(values: { port?: string[]; 'task-id'?: string; instance?: string; hostname?: string; user?: string }): ThermosBindings {
  const ports: Record<string, number> = {};
  for (const spec of values.port ?? []) {
    const match = /^([^:]+):(\d{1,5})$/.exec(spec);
    if (!match || Number(match[2]) > 65535) throw new Error(`--port: expected NAME:PORT (e.g. http:8080), got '${spec}'`);
    ports[match[1] as string] = Number(match[2]);
  }
  let instance: number | undefined;
  if (values.instance !== undefined) {
    if (!/^\d+$/.test(values.instance)) throw new Error(`--instance: expected an integer >= 0, got '${values.instance}'`);
    instance = Number(values.instance);
  }
  return {
    ports,
    taskId: values['task-id'] ?? process.env.MESOS_TASK_ID,
    user: values.user ?? process.env.USER,
    hostname: values.hostname ?? os.hostname(),
    ...(instance !== undefined ? { instance } : {}),
  };
}

/** Runs the executor; resolves with the exit status. `out` receives progress lines. */
export async function main(argv: string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const log = (line: string): void => out(`${new Date().toISOString()} thermos: ${line}`);
  let payloadPath: string;
  let bindings: ThermosBindings;
  let payload;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string', multiple: true },
        'task-id': { type: 'string' },
        instance: { type: 'string' },
        hostname: { type: 'string' },
        user: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new Error('usage: main.js <payload.json> [--port NAME:PORT ...]');
    payloadPath = path.resolve(positionals[0] as string);
    bindings = parseBindings(values);
    payload = parseThermosPayload(JSON.parse(await fs.readFile(payloadPath, 'utf8')));
  } catch (err) {
    log(`cannot start: ${(err as Error).message}`);
    return EXIT_USAGE;
  }

  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`received ${sig}: killing processes, then finalizing`);
    abort.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    log(`task '${payload.task.name}' (${payload.task.processes.length} processes) starting`);
    const result = await runThermosTask(payload.task, {
      sandboxDir: process.cwd(),
      bindings,
      signal: abort.signal,
      onEvent: (event) => log(describe(event)),
    });
    log(`${result.message}: ${result.state}`);
    if (result.state === 'FAILED') await fs.writeFile(path.join(process.cwd(), STATUS_MESSAGE_FILE), `${result.message}\n`).catch(() => undefined);
    return result.state === 'SUCCESS' ? EXIT_SUCCESS : result.state === 'KILLED' ? EXIT_KILLED : EXIT_FAILED;
  } catch (err) {
    log(`cannot run: ${(err as Error).message}`);
    return EXIT_FAILED;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
