/** `aurora-ts job status KEY[/instances]`: one row per task (instance, state, task id, host, ports, age). */
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import { formatAge, formatPorts, jobTaskRows, shortTaskId, styleState, type TaskRow } from '../../tasks.js';
import type { VerbInput } from '../../spec.js';
import type { STATUS } from './index.js';

const INACTIVE = new Set(['FINISHED', 'FAILED', 'KILLED', 'LOST']);

export async function run(ctx: CliContext, options: VerbInput<typeof STATUS>): Promise<number> {
  const { io } = ctx;
  const { label, tasks } = await jobTaskRows(ctx, options.key);
  const shown = options.all ? tasks : tasks.filter((t) => !INACTIVE.has(t.state));
  if (io.json) {
    io.data({ job: label, tasks: shown });
    return ExitCode.OK;
  }
  if (shown.length === 0) {
    io.out(`Job ${label} has no active tasks (${tasks.length} inactive; use --all to see them).`);
    return ExitCode.OK;
  }
  const now = Date.now();
  io.out(`${io.style('bold', label)}: ${shown.length} task${shown.length === 1 ? '' : 's'}`);
  io.table<TaskRow>(shown, [
    { header: 'INSTANCE', value: (t) => String(t.instance), right: true },
    { header: 'STATE', value: (t) => styleState(ctx, t.state) },
    { header: 'TASK', value: (t) => shortTaskId(t.taskId), wide: (t) => t.taskId },
    { header: 'HOST', value: (t) => t.host || '-', shrink: true },
    { header: 'PORTS', value: (t) => formatPorts(t.ports), shrink: true },
    { header: 'AGE', value: (t) => formatAge(t.createdMs, now), right: true },
  ]);
  return ExitCode.OK;
}
