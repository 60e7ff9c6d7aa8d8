/** The local scheduler's task runner: one Mesos-like agent on this machine. */
export { launchTask, resolveInvocation } from './launch.js';
export { killProcessTree, findTaskProcesses, TASK_MARKER_VAR, type ProcessScope } from './process-tree.js';
export { fetchUris, defaultCacheDir, FetchFailure, type FetchOptions, type HttpResponse } from './fetcher.js';
export { archiveKind, extractArchive, type ArchiveKind } from './extract.js';
export { taskEnvironment, DEFAULT_PATH, DEFAULT_FRAMEWORK_ID } from './environment.js';
export type { FetchUri, CommandSpec, LaunchSpec, TaskState, TaskOutcome, LaunchHooks, RunningTask } from './types.js';
