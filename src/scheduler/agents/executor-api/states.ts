/** Mesos task states as Aurora's base/Conversions.java maps them to ScheduleStatus. */
import { ScheduleStatus } from '../../../gen/types.js';

const MAP: Record<string, ScheduleStatus> = {
  TASK_STAGING: ScheduleStatus.STARTING,
  TASK_STARTING: ScheduleStatus.STARTING,
  TASK_RUNNING: ScheduleStatus.RUNNING,
  TASK_FINISHED: ScheduleStatus.FINISHED,
  TASK_FAILED: ScheduleStatus.FAILED,
  TASK_KILLING: ScheduleStatus.KILLED,
  TASK_KILLED: ScheduleStatus.KILLED,
  TASK_LOST: ScheduleStatus.LOST,
  TASK_ERROR: ScheduleStatus.LOST,
  TASK_DROPPED: ScheduleStatus.LOST,
  TASK_GONE: ScheduleStatus.LOST,
  TASK_GONE_BY_OPERATOR: ScheduleStatus.LOST,
  TASK_UNREACHABLE: ScheduleStatus.PARTITIONED,
  TASK_UNKNOWN: ScheduleStatus.PARTITIONED,
};

export function auroraStatusOf(mesosState: string): ScheduleStatus | undefined {
  return MAP[mesosState];
}
