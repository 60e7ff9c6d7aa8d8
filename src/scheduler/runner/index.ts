/** The local scheduler's task runner: one Mesos-like agent on this machine. */
export { adoptTask, launchTask, recordedOutcome, resolveInvocation } from './launch.js';
export { killProcessTree, killTreesNowSync, findTaskProcesses, descendantsOf, markedProcesses, processStartTime, isSameProcess, TASK_MARKER_VAR, type ProcessScope, type MarkedProcess } from './process-tree.js';
export { OWNER_MARKER_VAR, ownerUnavailable } from './owner.js';
export { SUPERVISOR_MARKER_VAR } from './supervisor.js';
export { readExit, type SupervisorReport } from './exit-record.js';
export { fetchUris, defaultCacheDir, FetchFailure, type FetchOptions, type HttpResponse } from './fetcher.js';
export { archiveKind, extractArchive, type ArchiveKind } from './extract.js';
export { taskEnvironment, operatorEnvironment, DEFAULT_PATH, DEFAULT_FRAMEWORK_ID } from './environment.js';
export type { FetchUri, CommandSpec, LaunchSpec, TaskState, TaskOutcome, LaunchHooks, RunningTask, ProcessIdentity, AdoptSpec } from './types.js';
