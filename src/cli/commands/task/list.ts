/** `aurora-ts task list KEY[/instances]`: every task of a job, active or not, with its latest event. */
import type { CliContext } from '../../context.js';
import { ExitCode } from '../../exit-codes.js';
import { formatAge, jobTaskRows, shortTaskId, styleState, type TaskRow } from '../../tasks.js';
import type { VerbInput } from '../../spec.js';
import type { LIST } from './index.js';

export async function run(ctx: CliContext, options: VerbInput<typeof LIST>): Promise<number> {
  const { io } = ctx;
  const { label, tasks } = await jobTaskRows(ctx, options.key);
  if (io.json) {
    io.data({ job: label, tasks });
    return ExitCode.OK;
  }
  const now = Date.now();
  io.table<TaskRow>(tasks, [
    { header: 'INSTANCE', value: (t) => String(t.instance), right: true },
    { header: 'TASK', value: (t) => shortTaskId(t.taskId), wide: (t) => t.taskId },
    { header: 'STATE', value: (t) => styleState(ctx, t.state) },
    { header: 'SINCE', value: (t) => formatAge(t.stateSinceMs, now), right: true },
    { header: 'FAILURES', value: (t) => String(t.failureCount), right: true },
    { header: 'MESSAGE', value: (t) => (t.message ?? '').split('\n')[0]!, shrink: true },
  ]);
  return ExitCode.OK;
}
