/** `aurora-ts executors list [FILE]`: names, commands and overhead of the executors in FILE, or of the running local scheduler. */
import type { CustomExecutor } from '../../../executors/index.js';
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { chooseScheduler, runningSchedulers } from '../../scheduler-state.js';
import type { VerbInput } from '../../spec.js';
import type { LIST } from './index.js';

export async function run(ctx: CliContext, options: VerbInput<typeof LIST>): Promise<number> {
  const { io } = ctx;
  let file = options.file;
  if (file === undefined) {
    const state = chooseScheduler(runningSchedulers(ctx.env), undefined, 'pass the executor file of the one you mean');
    if (!state) throw new UsageError('no executor file given and no local scheduler is running', 'pass FILE, e.g. aurora-ts executors list examples/executors.json');
    if (!state.executors) {
      if (io.json) io.data({ file: null, executors: [] });
      else io.out('The local scheduler runs without custom executors.');
      return ExitCode.OK;
    }
    file = state.executors;
  }
  const { loadExecutorConfig } = await import('../../../executors/index.js');
  const catalog = await loadExecutorConfig(ctx.path(file));
  const rows = catalog.executors.map(describe);
  if (io.json) {
    io.data({ file, executors: rows });
    return ExitCode.OK;
  }
  io.table(rows, [
    { header: 'NAME', value: (r) => r.name || '(unnamed)' },
    { header: 'CPUS', value: (r) => String(r.overhead.cpus), right: true },
    { header: 'RAM MB', value: (r) => String(r.overhead.ramMb), right: true },
    { header: 'DISK MB', value: (r) => String(r.overhead.diskMb), right: true },
    { header: 'TASK PREFIX', value: (r) => r.taskPrefix || '-' },
    { header: 'COMMAND', value: (r) => oneLine(r.command), shrink: true },
  ]);
  return ExitCode.OK;
}

function describe(e: CustomExecutor) {
  const c = e.command;
  const command = c.value === undefined ? '(none)' : c.shell ? c.value : [c.value, ...c.arguments.slice(1)].map(quote).join(' ');
  return { name: e.name, command, shell: c.shell, overhead: e.overhead, taskPrefix: e.taskPrefix, uris: c.uris.map((u) => u.value) };
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A multi-line shell command on one table line. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ');
}
