/** `aurora-ts admin force-state CLUSTER TASK_ID STATE`: forceTaskState, of a task the scheduler knows. */
import { ScheduleStatus } from '../../../gen/types.js';
import type { CliContext } from '../../context.js';
import { CliFailure, UsageError } from '../../errors.js';
import type { VerbInput } from '../../spec.js';
import type { FORCE_STATE } from './index.js';
import { clusterOnly, done } from './shared.js';

const STATES = Object.keys(ScheduleStatus).filter((k) => Number.isNaN(Number(k)));

export async function run(ctx: CliContext, input: VerbInput<typeof FORCE_STATE>): Promise<number> {
  const state = input.state.toUpperCase();
  const status = (ScheduleStatus as unknown as Record<string, number | undefined>)[state];
  if (status === undefined || !STATES.includes(state)) throw new UsageError(`STATE: ${JSON.stringify(input.state)} is not a task state (one of ${STATES.join(', ')})`);
  const client = await ctx.client(clusterOnly(input.cluster));
  // The scheduler answers OK for a task it does not know, so look first: a typo must not look like success.
  const found = await client.getTasksWithoutConfigs({ taskIds: [input.taskId] });
  const task = (found.tasks ?? [])[0];
  if (!task) throw new CliFailure(`no task ${JSON.stringify(input.taskId)} on this scheduler`);
  const from = ScheduleStatus[task.status ?? ScheduleStatus.INIT] ?? '?';
  await client.forceTaskState(input.taskId, status);
  return done(ctx, `Forced task ${input.taskId} from ${from} to ${state}.`, { taskId: input.taskId, from, state });
}
