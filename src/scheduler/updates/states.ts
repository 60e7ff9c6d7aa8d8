/**
 * Which job update status may follow which, and what pause / resume / pulses do to each status
 * (Aurora's JobUpdateStateMachine).
 */
import { ACTIVE_JOB_UPDATE_STATES, JobUpdateStatus as S } from '../../gen/types.js';

const ALLOWED = new Map<S, ReadonlySet<S>>([
  [S.ROLLING_FORWARD, new Set([S.ROLLING_BACK, S.ROLL_FORWARD_PAUSED, S.ROLL_FORWARD_AWAITING_PULSE, S.ROLLED_FORWARD, S.ABORTED, S.FAILED, S.ERROR])],
  [S.ROLLING_BACK, new Set([S.ROLL_BACK_PAUSED, S.ROLL_BACK_AWAITING_PULSE, S.ROLLED_BACK, S.ABORTED, S.ERROR, S.FAILED])],
  [S.ROLL_FORWARD_PAUSED, new Set([S.ROLLING_BACK, S.ROLLING_FORWARD, S.ROLL_FORWARD_AWAITING_PULSE, S.ABORTED, S.ERROR])],
  [S.ROLL_BACK_PAUSED, new Set([S.ROLLING_BACK, S.ROLL_BACK_AWAITING_PULSE, S.ABORTED, S.ERROR])],
  [S.ROLL_FORWARD_AWAITING_PULSE, new Set([S.ROLLING_BACK, S.ROLLING_FORWARD, S.ROLL_FORWARD_PAUSED, S.ABORTED, S.ERROR])],
  [S.ROLL_BACK_AWAITING_PULSE, new Set([S.ROLLING_BACK, S.ROLL_BACK_PAUSED, S.ABORTED, S.ERROR])],
]);

/** The status name as Aurora prints it; `null` for a missing status, as Java's string concatenation does. */
export function statusName(status: S | undefined): string {
  return status === undefined ? 'null' : (S[status] ?? String(status));
}

/** Aurora's message when a transition is not allowed, or undefined when it is. */
export function transitionProblem(from: S, to: S | undefined): string | undefined {
  if (to !== undefined && ALLOWED.get(from)?.has(to)) return undefined;
  return `Cannot transition update from ${statusName(from)} to ${statusName(to)}`;
}

export function isActiveUpdateStatus(status: S | undefined): boolean {
  return status !== undefined && ACTIVE_JOB_UPDATE_STATES.has(status);
}

/** Rolling forward or back: the statuses in which an updater acts on tasks. */
export function isRolling(status: S | undefined): boolean {
  return status === S.ROLLING_FORWARD || status === S.ROLLING_BACK;
}

export function isAwaitingPulse(status: S | undefined): boolean {
  return status === S.ROLL_FORWARD_AWAITING_PULSE || status === S.ROLL_BACK_AWAITING_PULSE;
}

const PAUSE = new Map<S, S>([
  [S.ROLLING_FORWARD, S.ROLL_FORWARD_PAUSED],
  [S.ROLLING_BACK, S.ROLL_BACK_PAUSED],
  [S.ROLL_FORWARD_AWAITING_PULSE, S.ROLL_FORWARD_PAUSED],
  [S.ROLL_BACK_AWAITING_PULSE, S.ROLL_BACK_PAUSED],
  [S.ROLL_FORWARD_PAUSED, S.ROLL_FORWARD_PAUSED],
  [S.ROLL_BACK_PAUSED, S.ROLL_BACK_PAUSED],
]);

const BLOCK = new Map<S, S>([
  [S.ROLLING_FORWARD, S.ROLL_FORWARD_AWAITING_PULSE],
  [S.ROLLING_BACK, S.ROLL_BACK_AWAITING_PULSE],
  [S.ROLL_FORWARD_AWAITING_PULSE, S.ROLL_FORWARD_AWAITING_PULSE],
  [S.ROLL_BACK_AWAITING_PULSE, S.ROLL_BACK_AWAITING_PULSE],
]);

const UNBLOCK = new Map<S, S>([
  [S.ROLL_FORWARD_AWAITING_PULSE, S.ROLLING_FORWARD],
  [S.ROLL_BACK_AWAITING_PULSE, S.ROLLING_BACK],
  [S.ROLLING_FORWARD, S.ROLLING_FORWARD],
  [S.ROLLING_BACK, S.ROLLING_BACK],
  [S.ROLL_FORWARD_PAUSED, S.ROLL_FORWARD_PAUSED],
  [S.ROLL_BACK_PAUSED, S.ROLL_BACK_PAUSED],
]);

const RESUME_ACTIVE = new Map<S, S>([
  [S.ROLL_FORWARD_PAUSED, S.ROLLING_FORWARD],
  [S.ROLL_BACK_PAUSED, S.ROLLING_BACK],
  [S.ROLLING_FORWARD, S.ROLLING_FORWARD],
  [S.ROLLING_BACK, S.ROLLING_BACK],
]);

const RESUME_BLOCKED = new Map<S, S>([
  [S.ROLL_FORWARD_PAUSED, S.ROLL_FORWARD_AWAITING_PULSE],
  [S.ROLL_BACK_PAUSED, S.ROLL_BACK_AWAITING_PULSE],
  [S.ROLL_FORWARD_AWAITING_PULSE, S.ROLL_FORWARD_AWAITING_PULSE],
  [S.ROLL_BACK_AWAITING_PULSE, S.ROLL_BACK_AWAITING_PULSE],
]);

export const pausedState = (s: S): S | undefined => PAUSE.get(s);
export const blockedState = (s: S): S | undefined => BLOCK.get(s);
export const unblockedState = (s: S): S | undefined => UNBLOCK.get(s);
/** Resuming a coordinated update whose pulses expired waits for a pulse instead of rolling. */
export const resumedState = (s: S, pulseExpired: boolean): S | undefined => (pulseExpired ? RESUME_BLOCKED : RESUME_ACTIVE).get(s);
