/** `aurora-ts job killall KEY`: killTasks for every instance of a job. */
import type { CliContext } from '../../context.js';
import { parseJobKey } from '../../jobkey.js';
import { kill, type KillOptions } from './kill.js';

export type KillAllOptions = KillOptions;

export async function run(ctx: CliContext, options: KillAllOptions): Promise<number> {
  return kill(ctx, parseJobKey(options.key, 'forbidden'), options);
}
