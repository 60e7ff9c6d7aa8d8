// What scripts/gen.mjs adds to the IDL: the fields Aurora always sets in its replies (output types make
// them non-optional; decoding a reply without one throws AuroraProtocolError), and what this client
// adds to each RPC's documentation. Each entry says where in Aurora's source (apache/aurora 11ebaee,
// src/main/java/org/apache/aurora/scheduler/...) the fact comes from.
//
// Two facts carry most entries:
//  [W] Replies built from storage go through the immutable wrappers' `newBuilder()`
//      (src/main/python/apache/aurora/tools/java/thrift_wrapper_codegen.py): it always sets every
//      primitive field (i32, i64, bool, double) and every container (an unset list, set or map becomes
//      an empty one); strings, enums and structs only when stored.
//  [V] Nothing is stored without ConfigurationManager.validateAndPopulate: a job key with role,
//      environment and name (JobKeys.isValid), a taskConfig.
// Left optional though Aurora sets them too: TaskConfig.tier and .production (the scheduler fills them
// in, but they are deprecated or policy-dependent and replies from older schedulers may lack them).

const W = 'always set by the immutable wrappers [W]';

/** Struct -> field -> why Aurora always sets it in replies. */
export const ALWAYS_IN_REPLIES = {
  Response: {
    responseCode: 'thrift/Responses.java: every reply is built by empty()/ok()/error() and given a code',
    details: 'thrift/Responses.java: empty() starts every reply with an empty details list',
  },
  JobKey: {
    role: 'JobKeys.isValid on every stored key [V]',
    environment: 'JobKeys.isValid on every stored key [V]',
    name: 'JobKeys.isValid on every stored key [V]',
  },
  JobUpdateKey: {
    job: 'SchedulerThriftInterface.startJobUpdate builds every key as new JobUpdateKey(job, updateId)',
    id: 'SchedulerThriftInterface.startJobUpdate builds every key as new JobUpdateKey(job, updateId)',
  },
  ScheduledTask: {
    assignedTask: 'state/StateManagerImpl.createTask sets it on every task',
    status: 'state/StateManagerImpl: INIT at createTask, then every transition sets it',
    failureCount: W,
    timesPartitioned: W,
    taskEvents: W,
  },
  AssignedTask: {
    taskId: 'state/StateManagerImpl.createTask sets it from the TaskIdGenerator',
    task: 'state/StateManagerImpl.createTask sets it',
    instanceId: W,
    assignedPorts: W,
  },
  TaskConfig: {
    job: 'ConfigurationManager.validateAndPopulate refuses a config without a valid job key [V]',
    isService: W,
    priority: W,
    maxTaskFailures: W,
    resources: W,
    constraints: W,
  },
  TaskEvent: {
    timestamp: 'state/StateManagerImpl builds every event with setTimestamp and setStatus',
    status: 'state/StateManagerImpl builds every event with setTimestamp and setStatus',
  },
  JobConfiguration: {
    key: 'ConfigurationManager.validateAndPopulate(JobConfiguration) refuses a job without a valid key [V]',
    taskConfig: 'ConfigurationManager.validateAndPopulate(JobConfiguration): "Job configuration must have taskConfig set."',
    instanceCount: W,
  },
  JobStats: { activeTaskCount: W, finishedTaskCount: W, failedTaskCount: W, pendingTaskCount: W },
  JobSummary: {
    job: 'thrift/ReadOnlySchedulerImpl.getJobSummary sets job and stats on every summary',
    stats: 'thrift/ReadOnlySchedulerImpl.getJobSummary sets job and stats on every summary',
  },
  Range: { first: W, last: W },
  ConfigGroup: {
    config: 'thrift/ReadOnlySchedulerImpl TO_GROUP sets config and instances',
    instances: 'thrift/ReadOnlySchedulerImpl TO_GROUP sets config and instances',
  },
  ConfigSummary: {
    key: 'thrift/ReadOnlySchedulerImpl.getConfigSummary: new ConfigSummary(job, groups)',
    groups: 'thrift/ReadOnlySchedulerImpl.getConfigSummary: new ConfigSummary(job, groups)',
  },
  RoleSummary: {
    role: 'thrift/ReadOnlySchedulerImpl.getRoleSummary: new RoleSummary(role, jobCount, cronJobCount)',
    jobCount: 'thrift/ReadOnlySchedulerImpl.getRoleSummary: new RoleSummary(role, jobCount, cronJobCount)',
    cronJobCount: 'thrift/ReadOnlySchedulerImpl.getRoleSummary: new RoleSummary(role, jobCount, cronJobCount)',
  },
  PendingReason: {
    taskId: 'thrift/ReadOnlySchedulerImpl.getPendingReason sets taskId and reason',
    reason: 'thrift/ReadOnlySchedulerImpl.getPendingReason sets taskId and reason',
  },
  JobUpdateState: { status: W, createdTimestampMs: W, lastModifiedTimestampMs: W },
  JobUpdateSummary: {
    key: 'SchedulerThriftInterface.startJobUpdate sets the key of every update it stores',
    state: 'storage/mem/MemJobUpdateStore sets it on every update it returns (synthesizeUpdateState)',
  },
  JobUpdate: {
    summary: 'SchedulerThriftInterface.startJobUpdate stores every update with summary and instructions',
    instructions: 'SchedulerThriftInterface.startJobUpdate stores every update with summary and instructions',
  },
  JobUpdateInstructions: {
    initialState: W,
    settings: 'SchedulerThriftInterface.startJobUpdate sets the settings of every update',
  },
  InstanceTaskConfig: {
    task: 'SchedulerThriftInterface.startJobUpdate builds initialState and desiredState groups with task and instances',
    instances: 'SchedulerThriftInterface.startJobUpdate builds initialState and desiredState groups with task and instances',
  },
  JobUpdateDetails: { update: 'storage: details are fetched with their update', updateEvents: W, instanceEvents: W },
  JobUpdateEvent: { status: 'updater/JobUpdateControllerImpl records every event with a status and a time', timestampMs: W },
  JobInstanceUpdateEvent: { instanceId: W, timestampMs: W, action: 'updater/JobUpdateControllerImpl records every instance event with an action' },
  HostStatus: { host: 'maintenance/MaintenanceController builds every HostStatus with setHost and setMode', mode: 'maintenance/MaintenanceController builds every HostStatus with setHost and setMode' },
  ScheduleStatusResult: { tasks: 'thrift/ReadOnlySchedulerImpl.getTasksStatus/getTasksWithoutConfigs set it' },
  GetJobsResult: { configs: 'thrift/ReadOnlySchedulerImpl.getJobs sets it' },
  RoleSummaryResult: { summaries: 'thrift/ReadOnlySchedulerImpl.getRoleSummary: new RoleSummaryResult(summaries)' },
  JobSummaryResult: { summaries: 'thrift/ReadOnlySchedulerImpl.getJobSummary sets it' },
  ConfigSummaryResult: { summary: 'thrift/ReadOnlySchedulerImpl.getConfigSummary sets it' },
  GetPendingReasonResult: { reasons: 'thrift/ReadOnlySchedulerImpl.getPendingReason: new GetPendingReasonResult(reasons)' },
  PopulateJobResult: { taskConfig: 'thrift/ReadOnlySchedulerImpl.populateJobConfig sets it' },
  GetQuotaResult: { quota: 'thrift/ReadOnlySchedulerImpl.getQuota sets it' },
  ResourceAggregate: { resources: W },
  StartJobUpdateResult: {
    key: 'SchedulerThriftInterface.startJobUpdate: every StartJobUpdateResult it builds has key and updateSummary',
    updateSummary: 'SchedulerThriftInterface.startJobUpdate: every StartJobUpdateResult it builds has key and updateSummary',
  },
  GetJobUpdateSummariesResult: { updateSummaries: 'thrift/ReadOnlySchedulerImpl.getJobUpdateSummaries sets it' },
  GetJobUpdateDiffResult: {
    add: 'thrift/ReadOnlySchedulerImpl.getJobUpdateDiff sets all four groups',
    remove: 'thrift/ReadOnlySchedulerImpl.getJobUpdateDiff sets all four groups',
    update: 'thrift/ReadOnlySchedulerImpl.getJobUpdateDiff sets all four groups',
    unchanged: 'thrift/ReadOnlySchedulerImpl.getJobUpdateDiff sets all four groups',
  },
  TierConfig: { name: 'thrift/ReadOnlySchedulerImpl.getTierConfigs: new TierConfig(name, settings)', settings: 'thrift/ReadOnlySchedulerImpl.getTierConfigs: new TierConfig(name, settings)' },
  GetTierConfigResult: {
    defaultTierName: 'thrift/ReadOnlySchedulerImpl.getTierConfigs: new GetTierConfigResult(defaultTierName, tiers)',
    tiers: 'thrift/ReadOnlySchedulerImpl.getTierConfigs: new GetTierConfigResult(defaultTierName, tiers)',
  },
};

/**
 * RPCs that may answer OK without a result: their payload type also allows every field absent.
 * startJobUpdate: "Job is unchanged by proposed update." is `addMessage(empty(), OK, ...)`.
 */
export const RESULT_MAY_BE_ABSENT = new Set(['startJobUpdate']);

/** What this client adds to an RPC, beyond Aurora's IDL comment. */
export const CLIENT_NOTES = {
  getTasksStatus: 'The query\'s sets take arrays or Sets; `offset` and `limit` page through the tasks.',
  getJobUpdateDetails: 'Pass `key` undefined and a `query`: Aurora answers `detailsList` for a query and `details` (deprecated) for a key.',
  createJob: 'Takes a `JobConfiguration` or the `Job` builder. `createJobSafely` makes it safe to retry after a lost reply.',
  restartShards: '`shardIds` are instance ids (an array or a Set).',
  killTasks: 'An empty `instances` (`[]` or an empty Set) kills every instance of the job (SchedulerThriftInterface.killTasks scopes the kill to the job when the set is empty). Repeating a kill is harmless.',
  startJobUpdate:
    'Takes a `JobUpdateRequest` or the `JobUpdate` builder. Resolves with no `key` when Aurora answers "Job is unchanged by proposed update."; when another update is active it throws an AuroraResponseError (INVALID_REQUEST) whose response carries that update\'s key. `startJobUpdateSafely` makes it safe to retry after a lost reply.',
  pulseJobUpdate: 'The waiters (`waitForUpdate`) do not pulse: call this on a timer for updates with `blockIfNoPulsesAfterMs`.',
  setQuota: 'Each `Resource` of `quota.resources` is a union: exactly one of numCpus, ramMb, diskMb, namedPort, numGpus.',
  slaDrainHosts: '`timeoutSecs` is a number of seconds (an i64, checked to be a safe integer).',
};
