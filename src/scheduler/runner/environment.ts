import os from 'node:os';
import { TASK_MARKER_VAR } from './process-tree.js';
import type { LaunchSpec } from './types.js';

/** Mesos' default PATH for tasks that bring none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_FRAMEWORK_ID = 'aurora-ts-local';

/**
 * The executor's environment: a clean standard base, the Mesos variables, the caller's extras and
 * the task marker. Nothing else is copied from the scheduler's own environment, so its secrets
 * (tokens, passwords, cloud keys) never reach a task.
 */
export function taskEnvironment(spec: Pick<LaunchSpec, 'taskId' | 'executorId' | 'sandboxDir' | 'env'>): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH };
  let user: os.UserInfo<string> | undefined;
  try {
    user = os.userInfo();
  } catch {
    user = undefined;
  }
  const home = process.env.HOME ?? user?.homedir;
  const name = process.env.USER ?? user?.username;
  if (home) env.HOME = home;
  if (name) env.USER = name;
  if (process.env.LANG) env.LANG = process.env.LANG;
  env.MESOS_SANDBOX = spec.sandboxDir;
  env.MESOS_DIRECTORY = spec.sandboxDir;
  env.MESOS_EXECUTOR_ID = spec.executorId;
  env.MESOS_TASK_ID = spec.taskId;
  env.MESOS_FRAMEWORK_ID = DEFAULT_FRAMEWORK_ID;
  Object.assign(env, spec.env ?? {});
  // Set last: the marker is how the runner finds the task's processes, so the caller cannot move it.
  env[TASK_MARKER_VAR] = spec.taskId;
  return env;
}

/** The environment the task's command starts with: `taskEnvironment`, then the task user's own names. */
export function launchEnvironment(spec: Pick<LaunchSpec, 'taskId' | 'executorId' | 'sandboxDir' | 'env' | 'user'>): Record<string, string> {
  const env = taskEnvironment(spec);
  if (spec.user) Object.assign(env, { HOME: spec.user.home, USER: spec.user.name, LOGNAME: spec.user.name });
  return env;
}

/**
 * What a command run in the task's sandbox by an operator (`aurora-ts task run`/`task ssh`) gets: the
 * task's environment without the marker, so the runner never counts that command among the task's processes.
 */
export function operatorEnvironment(spec: Parameters<typeof launchEnvironment>[0]): Record<string, string> {
  const env = launchEnvironment(spec);
  delete env[TASK_MARKER_VAR];
  return env;
}
