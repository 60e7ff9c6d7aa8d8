/**
 * What `aurora-ts` exit statuses mean. Scripts branch on these, so they never change meaning;
 * `exitCodeFor()` is the one place an error becomes one of them.
 */
export const ExitCode = {
  /** The command did what was asked. */
  OK: 0,
  /** Something else went wrong (a task failed, a wait ended badly, a local error). */
  FAILURE: 1,
  /** Bad usage or bad input: flags, job key, job file, executor file, clusters.json, state directory. Nothing was sent. */
  USAGE: 2,
  /** The scheduler answered and refused the request (a non-OK ResponseCode). */
  REJECTED: 3,
  /** Authentication or authorization failed. */
  AUTH: 4,
  /** The scheduler did not answer in time, or could not be reached. */
  UNREACHABLE: 5,
  /** Interrupted (Ctrl-C / SIGINT). */
  INTERRUPTED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit status table, as printed at the end of `aurora-ts --help`. */
export const EXIT_CODES_HELP = `Exit status:
  0    success
  1    failure (a task failed, a wait did not succeed, a local error)
  2    bad usage or bad input (flags, key, files, clusters.json, state dir)
  3    the scheduler rejected the request
  4    authentication or authorization failed
  5    the scheduler timed out or could not be reached
  130  interrupted`;
