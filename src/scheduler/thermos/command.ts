import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuroraValidationError } from '../../errors.js';
import type { CommandSpec } from '../runner/types.js';
import type { ThermosBindings } from './payload.js';

/**
 * Builds the runner command that starts the bundled Thermos executor for one task.
 *
 * The executor must be plain JavaScript. From the build (`dist/scheduler/thermos/command.js`) it is
 * the sibling `main.js`. When this module runs from its TypeScript source (vitest), the compiled
 * `dist/` copy is used if it exists (CI builds on `npm ci`); otherwise pass `mainScript`, e.g. the
 * output of test/runner/thermos-build.ts, which transpiles the executor into a temp dir.
 */
export interface ThermosCommandOptions {
  bindings?: ThermosBindings;
  /** The executor's main.js (default: see {@link thermosMainScript}). */
  mainScript?: string;
  /** Node binary (default: the one running the scheduler). */
  node?: string;
}

export function thermosMainScript(): string {
  const here = fileURLToPath(import.meta.url);
  const dir = path.dirname(here);
  if (here.endsWith('.js')) return path.join(dir, 'main.js');
  const built = path.resolve(dir, '../../../dist/scheduler/thermos/main.js');
  if (existsSync(built)) return built;
  throw new AuroraValidationError('mainScript', `the Thermos executor is not built (looked for ${built}); run \`npm run build\` or pass mainScript`);
}

/**
 * Where the executor leaves a failed task's message, in the sandbox (Thermos's own executor sends it
 * with TASK_FAILED): the scheduler shows it instead of "Command exited with status 1".
 */
export const STATUS_MESSAGE_FILE = '.thermos-status';

/** `{value, shell: false, arguments}` for launchTask; argv[0] is the node binary itself. */
export function thermosCommand(payloadPath: string, options: ThermosCommandOptions = {}): CommandSpec & { shell: false; arguments: string[] } {
  const node = options.node ?? process.execPath;
  const args = [node, options.mainScript ?? thermosMainScript(), payloadPath];
  const b = options.bindings ?? {};
  for (const [name, port] of Object.entries(b.ports ?? {})) args.push('--port', `${name}:${port}`);
  if (b.taskId !== undefined) args.push('--task-id', b.taskId);
  if (b.instance !== undefined) args.push('--instance', String(b.instance));
  if (b.hostname !== undefined) args.push('--hostname', b.hostname);
  if (b.user !== undefined) args.push('--user', b.user);
  return { value: node, shell: false, arguments: args };
}
