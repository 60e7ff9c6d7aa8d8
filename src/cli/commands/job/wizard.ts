/**
 * `aurora-ts job wizard [--output FILE] [--from FILE] [--custom-executor-config FILE] [--cluster NAME]`:
 * writes a job file by asking questions, then saves it and optionally creates the job. Needs a
 * terminal: without one it fails at once (exit 2) instead of waiting for answers nobody can give.
 */
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import { runWizard } from '../../wizard/wizard.js';
import type { VerbInput } from '../../spec.js';
import type { WIZARD } from './index.js';

export interface TerminalCheck {
  /** Whether answers can be typed (default: the IO's stdin is a TTY). */
  stdinIsTTY?: boolean;
}

export async function run(ctx: CliContext, options: VerbInput<typeof WIZARD>, terminal: TerminalCheck = {}): Promise<number> {
  const stdinIsTTY = terminal.stdinIsTTY ?? ctx.io.stdin.isTTY === true;
  if (!stdinIsTTY || !ctx.io.isTTY) {
    throw new UsageError(
      'job wizard needs an interactive terminal (stdin and stdout must be a TTY)',
      'write the job file yourself (see examples/ and schema/job.schema.json) and run "aurora-ts job create FILE"',
    );
  }
  if (ctx.io.json) throw new UsageError('job wizard is interactive and has no --json output');
  const { inquirerPrompter } = await import('../../wizard/inquirer.js');
  const prompter = await inquirerPrompter({ hintStyle: (t) => ctx.io.style('dim', t), input: ctx.io.stdin, output: ctx.io.stdout as NodeJS.WritableStream });
  return runWizard(ctx, options, prompter);
}
