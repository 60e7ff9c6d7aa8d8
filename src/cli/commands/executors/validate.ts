/** `aurora-ts executors validate FILE`: the scheduler's start-up check of a custom executor file. */
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';

export interface ValidateOptions {
  file: string;
}

export async function run(ctx: CliContext, options: ValidateOptions): Promise<number> {
  const { io } = ctx;
  const { loadExecutorConfig } = await import('../../../executors/index.js');
  const catalog = await loadExecutorConfig(ctx.path(options.file));
  const names = catalog.names();
  if (io.json) io.data({ file: options.file, valid: true, executors: names });
  else io.out(`${options.file}: valid, ${names.length} executor${names.length === 1 ? '' : 's'}${names.length > 0 ? `: ${names.join(', ')}` : ''}`);
  return ExitCode.OK;
}
