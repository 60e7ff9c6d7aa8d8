/** `aurora-ts task list KEY[/instances]`: every task of a job, active or not, with its latest event. */
import type { CliContext } from '../../context.js';
import { CliFailure } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { formatJobKey, parseJobKey } from '../../jobkey.js';
import { formatAge, jobTasks, styleState, taskRow, type TaskRow } from '../../tasks.js';

export interface TaskListOptions {
  key: string;
}

export async function run(ctx: CliContext, options: TaskListOptions): Promise<number> {
  const { io } = ctx;
  const key = parseJobKey(options.key, 'optional');
  const client = await ctx.client(key.cluster);
  const tasks = (await jobTasks(client, key)).map(taskRow);
  const label = formatJobKey(key);
  if (tasks.length === 0) throw new CliFailure(`no tasks found for job ${label}`);
  if (io.json) {
    io.data({ job: label, tasks });
    return ExitCode.OK;
  }
  const now = Date.now();
  io.table<TaskRow>(tasks, [
    { header: 'INSTANCE', value: (t) => String(t.instance), right: true },
    { header: 'TASK ID', value: (t) => t.taskId },
    { header: 'STATE', value: (t) => styleState(ctx, t.state) },
    { header: 'SINCE', value: (t) => formatAge(t.stateSinceMs, now), right: true },
    { header: 'FAILURES', value: (t) => String(t.failureCount), right: true },
    { header: 'MESSAGE', value: (t) => (t.message ?? '').split('\n')[0]!.slice(0, 80) },
  ]);
  return ExitCode.OK;
}
