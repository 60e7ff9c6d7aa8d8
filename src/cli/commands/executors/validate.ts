/** `aurora-ts executors validate FILE`: the scheduler's start-up check of a custom executor file. */
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import type { VerbInput } from '../../spec.js';
import type { VALIDATE } from './index.js';

export async function run(ctx: CliContext, options: VerbInput<typeof VALIDATE>): Promise<number> {
  const { io } = ctx;
  const { loadExecutorConfig } = await import('../../../executors/index.js');
  const catalog = await loadExecutorConfig(ctx.path(options.file));
  const names = catalog.names();
  if (io.json) io.data({ file: options.file, valid: true, executors: names });
  else io.out(`${options.file}: valid, ${names.length} executor${names.length === 1 ? '' : 's'}${names.length > 0 ? `: ${names.join(', ')}` : ''}`);
  return ExitCode.OK;
}
