/** `aurora-ts job killall KEY`: killTasks for every instance of a job. */
import type { CliContext } from '../../context.js';
import { parseJobKey } from '../../jobkey.js';
import { kill } from './kill.js';
import type { VerbInput } from '../../spec.js';
import type { KILLALL } from './index.js';

export async function run(ctx: CliContext, options: VerbInput<typeof KILLALL>): Promise<number> {
  return kill(ctx, parseJobKey(options.key, 'forbidden'), options);
}
