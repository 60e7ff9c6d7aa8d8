// The Apache Aurora scheduler API, as spoken by aurora-ts.
//
// This file mirrors Apache Aurora's own IDL, apache/aurora at commit 11ebaee
// (api/src/main/thrift/org/apache/aurora/gen/api.thrift). Thrift encodes field
// and argument ids, not names, so every id, type, requiredness, default value,
// method name and argument id here must never diverge from Aurora's: a single
// wrong id is a silent wire incompatibility. test/idl/manifest.test.ts checks
// this file against thrift/aurora-manifest.json, which is derived from Aurora's
// file by scripts/idl-manifest.mjs. Comments are ours; declarations are Aurora's.
//
// Regenerate the reference JavaScript with `node scripts/gen-thrift.mjs`.

namespace java org.apache.aurora.gen
namespace py gen.apache.aurora.api

// ---------------------------------------------------------------------------
// Responses and basic identifiers
// ---------------------------------------------------------------------------

// Outcome of every RPC; a result is only set when OK.
enum ResponseCode {
  INVALID_REQUEST = 0,
  OK = 1,
  ERROR = 2,
  WARNING = 3,
  AUTH_FAILED = 4,
  // The job is being updated, so the mutation was refused.
  JOB_UPDATING_ERROR = 5,
  // The scheduler is briefly unavailable; retrying later may succeed.
  ERROR_TRANSIENT = 6
}

// Name under which the Thermos executor is registered.
const string AURORA_EXECUTOR_NAME = 'AuroraExecutor'

// Deprecated owner record; only the user field (id 2) survives.
struct Identity {
  2: string user
}

// One attribute of an agent host.
struct Attribute {
  1: string name
  2: set<string> values
}

enum MaintenanceMode {
  NONE = 1,
  SCHEDULED = 2,
  DRAINING = 3,
  DRAINED = 4
}

struct HostAttributes {
  1: string host
  2: set<Attribute> attributes
  3: optional MaintenanceMode mode
  4: optional string slaveId
}

// ---------------------------------------------------------------------------
// Placement constraints
// ---------------------------------------------------------------------------

// Host must (or, when negated, must not) carry one of the values.
struct ValueConstraint {
  1: bool negated
  2: set<string> values
}

// At most `limit` active tasks per distinct attribute value.
struct LimitConstraint {
  1: i32 limit
}

union TaskConstraint {
  1: ValueConstraint value
  2: LimitConstraint limit
}

// `name` is the agent attribute the constraint applies to.
struct Constraint {
  1: string name
  2: TaskConstraint constraint
}

struct Package {
  1: string role
  2: string name
  3: i32 version
}

// Free-form key/value pairs attached to a task or an update.
struct Metadata {
  1: string key
  2: string value
}

// role/environment/name: the identity of a job.
struct JobKey {
  1: string role
  2: string environment
  3: string name
}

// Deprecated locking API, kept for wire compatibility.
union LockKey {
  1: JobKey job
}

// Deprecated locking API, kept for wire compatibility.
struct Lock {
  1: LockKey key
  2: string token
  3: string user
  4: i64 timestampMs
  5: optional string message
}

// One instance of a job.
struct InstanceKey {
  1: JobKey jobKey
  2: i32 instanceId
}

// ---------------------------------------------------------------------------
// Task configuration: executor, containers, resources, policies
// ---------------------------------------------------------------------------

// A file the Mesos fetcher downloads into the sandbox (CommandInfo.URI).
struct MesosFetcherURI {
  1: string value
  2: optional bool extract
  3: optional bool cache
  4: optional string outputFile
}

// `name` selects the executor (Thermos or a custom one); `data` is its payload.
struct ExecutorConfig {
  1: string name
  2: string data
}

// Volume access mode.
enum Mode {
  RW = 1
  RO = 2
}

struct Volume {
  1: string containerPath
  2: string hostPath
  3: Mode mode
}

struct DockerImage {
  1: string name
  2: string tag
}

struct AppcImage {
  1: string name
  2: string imageId
}

// Filesystem image for the Mesos unified containerizer.
union Image {
  1: DockerImage docker
  2: AppcImage appc
}

struct MesosContainer {
  1: optional Image image
  2: optional list<Volume> volumes
}

// One `docker run` option, e.g. name "volume".
struct DockerParameter {
  1: string name
  2: string value
}

struct DockerContainer {
  1: string image
  2: optional list<DockerParameter> parameters
}

union Container {
  1: MesosContainer mesos
  2: DockerContainer docker
}

// One resource requirement; a task holds a set of these.
union Resource {
  1: double numCpus
  2: i64 ramMb
  3: i64 diskMb
  4: string namedPort
  5: i64 numGpus
}

// What to do with a task whose agent becomes unreachable.
struct PartitionPolicy {
  1: bool reschedule
  2: optional i64 delaySecs
}

struct PercentageSlaPolicy {
  1: double percentage
  2: i64 durationSecs
}

struct CountSlaPolicy {
  1: i64 count
  2: i64 durationSecs
}

// SLA checks delegated to an external HTTP coordinator.
struct CoordinatorSlaPolicy {
  1: string coordinatorUrl
  2: string statusKey
}

union SlaPolicy {
  1: PercentageSlaPolicy percentageSlaPolicy
  2: CountSlaPolicy countSlaPolicy
  3: CoordinatorSlaPolicy coordinatorSlaPolicy
}

// Everything needed to run one task of a job. Ids run 7..35 with gaps.
struct TaskConfig {
  28: JobKey job
  // Deprecated; mirrors job.role.
  17: Identity owner
  7: bool isService
  11: i32 priority
  13: i32 maxTaskFailures
  // Deprecated in favour of tier.
  18: optional bool production
  30: optional string tier
  32: set<Resource> resources
  20: set<Constraint> constraints
  33: optional set<MesosFetcherURI> mesosFetcherUris
  // Dashboard links: anchor text -> URL template.
  22: optional map<string, string> taskLinks
  23: optional string contactEmail
  25: optional ExecutorConfig executorConfig
  27: optional set<Metadata> metadata
  34: optional PartitionPolicy partitionPolicy
  35: optional SlaPolicy slaPolicy
  // Aurora keeps this last on purpose; it defaults to an empty Mesos container.
  29: Container container = { "mesos": {} }
}

struct ResourceAggregate {
  4: set<Resource> resources
}

// What a cron run does when the previous run is still active.
enum CronCollisionPolicy {
  KILL_EXISTING = 0,
  CANCEL_NEW = 1,
  // Deprecated: treated as CANCEL_NEW, refused by createJob.
  RUN_OVERLAP = 2
}

// A job: `instanceCount` copies of `taskConfig`. Note the ids (9, 7, 4, 5, 6, 8).
struct JobConfiguration {
  9: JobKey key
  // Deprecated; mirrors key.role.
  7: Identity owner
  // Set for cron jobs only.
  4: optional string cronSchedule
  5: CronCollisionPolicy cronCollisionPolicy
  6: TaskConfig taskConfig
  8: i32 instanceCount
}

struct JobStats {
  1: i32 activeTaskCount
  2: i32 finishedTaskCount
  3: i32 failedTaskCount
  4: i32 pendingTaskCount
}

struct JobSummary {
  1: JobConfiguration job
  2: JobStats stats
  3: optional i64 nextCronRunMs
}

// Inclusive range of instance ids.
struct Range {
  1: i32 first
  2: i32 last
}

struct ConfigGroup {
  1: TaskConfig config
  3: set<Range> instances
}

struct ConfigSummary {
  1: JobKey key
  2: set<ConfigGroup> groups
}

struct PopulateJobResult {
  2: TaskConfig taskConfig
}

struct GetQuotaResult {
  1: ResourceAggregate quota
  2: optional ResourceAggregate prodSharedConsumption
  3: optional ResourceAggregate nonProdSharedConsumption
  4: optional ResourceAggregate prodDedicatedConsumption
  5: optional ResourceAggregate nonProdDedicatedConsumption
}

// ---------------------------------------------------------------------------
// Task lifecycle
// ---------------------------------------------------------------------------

// Task states; the numbers are historical, not in lifecycle order.
enum ScheduleStatus {
  INIT = 11,
  THROTTLED = 16,
  PENDING = 0,
  ASSIGNED = 9,
  STARTING = 1,
  RUNNING = 2,
  FINISHED = 3,
  PREEMPTING = 13,
  RESTARTING = 12,
  DRAINING = 17,
  FAILED = 4,
  KILLED = 5,
  KILLING = 6,
  LOST = 7,
  PARTITIONED = 18
}

// Non-terminal states. (Aurora's file omits the comma after RESTARTING, which
// Thrift allows; we write it so every parser accepts this file.)
const set<ScheduleStatus> ACTIVE_STATES = [
  ScheduleStatus.ASSIGNED,
  ScheduleStatus.DRAINING,
  ScheduleStatus.KILLING,
  ScheduleStatus.PENDING,
  ScheduleStatus.PREEMPTING,
  ScheduleStatus.RESTARTING,
  ScheduleStatus.RUNNING,
  ScheduleStatus.STARTING,
  ScheduleStatus.PARTITIONED,
  ScheduleStatus.THROTTLED
]

// Non-terminal states of a task placed on an agent.
const set<ScheduleStatus> SLAVE_ASSIGNED_STATES = [
  ScheduleStatus.ASSIGNED,
  ScheduleStatus.DRAINING,
  ScheduleStatus.KILLING,
  ScheduleStatus.PREEMPTING,
  ScheduleStatus.RESTARTING,
  ScheduleStatus.RUNNING,
  ScheduleStatus.PARTITIONED,
  ScheduleStatus.STARTING
]

// States with a live sandbox.
const set<ScheduleStatus> LIVE_STATES = [
  ScheduleStatus.KILLING,
  ScheduleStatus.PREEMPTING,
  ScheduleStatus.RESTARTING,
  ScheduleStatus.DRAINING,
  ScheduleStatus.PARTITIONED,
  ScheduleStatus.RUNNING
]

const set<ScheduleStatus> TERMINAL_STATES = [
  ScheduleStatus.FAILED,
  ScheduleStatus.FINISHED,
  ScheduleStatus.KILLED,
  ScheduleStatus.LOST
]

// Allowed role, environment and job names (the regex ^[\w\-\.]+$).
const string GOOD_IDENTIFIER_PATTERN = "^[\\w\\-\\.]+$"
const string GOOD_IDENTIFIER_PATTERN_JVM = GOOD_IDENTIFIER_PATTERN
const string GOOD_IDENTIFIER_PATTERN_PYTHON = GOOD_IDENTIFIER_PATTERN

struct TaskEvent {
  1: i64 timestamp
  2: ScheduleStatus status
  3: optional string message
  // Host name of the scheduler that recorded the event.
  4: optional string scheduler
}

// A task bound to an agent; Aurora sends it, Thrift-binary, as TaskInfo.data.
struct AssignedTask {
  1: string taskId
  2: string slaveId
  3: string slaveHost
  4: TaskConfig task
  5: map<string, i32> assignedPorts
  6: i32 instanceId
}

struct ScheduledTask {
  1: AssignedTask assignedTask
  2: ScheduleStatus status
  3: i32 failureCount
  6: i32 timesPartitioned
  4: list<TaskEvent> taskEvents
  // Task id of the generation this one replaced.
  5: string ancestorId
}

struct ScheduleStatusResult {
  1: list<ScheduledTask> tasks
}

struct GetJobsResult {
  1: set<JobConfiguration> configs
}

// Task filter; set terms are AND-ed.
struct TaskQuery {
  14: optional string role
  9: optional string environment
  2: optional string jobName
  4: optional set<string> taskIds
  5: optional set<ScheduleStatus> statuses
  7: optional set<i32> instanceIds
  10: optional set<string> slaveHosts
  11: optional set<JobKey> jobKeys
  12: optional i32 offset
  13: optional i32 limit
}

struct HostStatus {
  1: string host
  2: MaintenanceMode mode
}

struct RoleSummary {
  1: string role
  2: i32 jobCount
  3: i32 cronJobCount
}

struct Hosts {
  1: set<string> hostNames
}

struct PendingReason {
  1: string taskId
  2: string reason
}

// ---------------------------------------------------------------------------
// Job updates
// ---------------------------------------------------------------------------

enum JobUpdateStatus {
  ROLLING_FORWARD = 0,
  ROLLING_BACK = 1,
  ROLL_FORWARD_PAUSED = 2,
  ROLL_BACK_PAUSED = 3,
  ROLLED_FORWARD = 4,
  ROLLED_BACK = 5,
  ABORTED = 6,
  ERROR = 7,
  // Failure thresholds hit with no rollback possible.
  FAILED = 8,
  // Blocked until the next pulseJobUpdate.
  ROLL_FORWARD_AWAITING_PULSE = 9,
  ROLL_BACK_AWAITING_PULSE = 10
}

const set<JobUpdateStatus> ACTIVE_JOB_UPDATE_STATES = [
  JobUpdateStatus.ROLLING_FORWARD,
  JobUpdateStatus.ROLLING_BACK,
  JobUpdateStatus.ROLL_FORWARD_PAUSED,
  JobUpdateStatus.ROLL_BACK_PAUSED,
  JobUpdateStatus.ROLL_FORWARD_AWAITING_PULSE,
  JobUpdateStatus.ROLL_BACK_AWAITING_PULSE
]

// The misspelling is Aurora's and is part of the generated names.
const set<JobUpdateStatus> AWAITNG_PULSE_JOB_UPDATE_STATES = [
  JobUpdateStatus.ROLL_FORWARD_AWAITING_PULSE,
  JobUpdateStatus.ROLL_BACK_AWAITING_PULSE
]

// What happened to one instance during an update.
enum JobUpdateAction {
  INSTANCE_UPDATED = 1,
  INSTANCE_ROLLED_BACK = 2,
  INSTANCE_UPDATING = 3,
  INSTANCE_ROLLING_BACK = 4,
  INSTANCE_UPDATE_FAILED = 5,
  INSTANCE_ROLLBACK_FAILED = 6
}

// Answer of pulseJobUpdate.
enum JobUpdatePulseStatus {
  OK = 1,
  FINISHED = 2
}

struct JobUpdateKey {
  1: JobKey job
  2: string id
}

// At most groupSize instances change at once.
struct QueueJobUpdateStrategy {
  1: i32 groupSize
}

// Fixed-size batches; the next starts when the whole batch is done.
struct BatchJobUpdateStrategy {
  1: i32 groupSize
  2: bool autopauseAfterBatch
}

// Batches whose sizes follow groupSizes.
struct VariableBatchJobUpdateStrategy {
  1: list<i32> groupSizes
  2: bool autopauseAfterBatch
}

union JobUpdateStrategy {
  1: QueueJobUpdateStrategy queueStrategy
  2: BatchJobUpdateStrategy batchStrategy
  3: VariableBatchJobUpdateStrategy varBatchStrategy
}

// Update limits. updateGroupSize and waitForBatchCompletion are the
// pre-strategy way of choosing queue or batch updates.
struct JobUpdateSettings {
  1: i32 updateGroupSize
  2: i32 maxPerInstanceFailures
  3: i32 maxFailedInstances
  5: i32 minWaitInInstanceRunningMs
  6: bool rollbackOnFailure
  // Empty means every instance.
  7: set<Range> updateOnlyTheseInstances
  8: bool waitForBatchCompletion
  9: optional i32 blockIfNoPulsesAfterMs
  10: optional bool slaAware
  11: optional JobUpdateStrategy updateStrategy
}

struct JobUpdateEvent {
  1: JobUpdateStatus status
  2: i64 timestampMs
  3: optional string user
  4: optional string message
}

struct JobInstanceUpdateEvent {
  1: i32 instanceId
  2: i64 timestampMs
  3: JobUpdateAction action
  4: optional string message
}

struct InstanceTaskConfig {
  1: TaskConfig task
  2: set<Range> instances
}

struct JobUpdateState {
  1: JobUpdateStatus status
  2: i64 createdTimestampMs
  3: i64 lastModifiedTimestampMs
}

struct JobUpdateSummary {
  5: JobUpdateKey key
  3: string user
  4: JobUpdateState state
  6: optional set<Metadata> metadata
}

struct JobUpdateInstructions {
  1: set<InstanceTaskConfig> initialState
  2: InstanceTaskConfig desiredState
  3: JobUpdateSettings settings
}

struct JobUpdate {
  1: JobUpdateSummary summary
  2: JobUpdateInstructions instructions
}

struct JobUpdateDetails {
  1: JobUpdate update
  2: list<JobUpdateEvent> updateEvents
  3: list<JobInstanceUpdateEvent> instanceEvents
}

// Argument of startJobUpdate and getJobUpdateDiff.
struct JobUpdateRequest {
  1: TaskConfig taskConfig
  2: i32 instanceCount
  3: JobUpdateSettings settings
  4: optional set<Metadata> metadata
}

// Update filter; set terms are AND-ed.
struct JobUpdateQuery {
  2: string role
  8: JobUpdateKey key
  3: JobKey jobKey
  4: string user
  5: set<JobUpdateStatus> updateStatuses
  6: i32 offset
  7: i32 limit
}

struct HostMaintenanceRequest {
  1: string host
  2: SlaPolicy defaultSlaPolicy
  3: i64 timeoutSecs
  4: i64 createdTimestampMs
}

// ---------------------------------------------------------------------------
// RPC results
// ---------------------------------------------------------------------------

struct ListBackupsResult {
  1: set<string> backups
}

struct StartMaintenanceResult {
  1: set<HostStatus> statuses
}

struct DrainHostsResult {
  1: set<HostStatus> statuses
}

struct QueryRecoveryResult {
  1: set<ScheduledTask> tasks
}

struct MaintenanceStatusResult {
  1: set<HostStatus> statuses
}

struct EndMaintenanceResult {
  1: set<HostStatus> statuses
}

struct RoleSummaryResult {
  1: set<RoleSummary> summaries
}

struct JobSummaryResult {
  1: set<JobSummary> summaries
}

struct ConfigSummaryResult {
  1: ConfigSummary summary
}

struct GetPendingReasonResult {
  1: set<PendingReason> reasons
}

// On INVALID_REQUEST because another update is active, key and
// updateSummary describe that active update.
struct StartJobUpdateResult {
  1: JobUpdateKey key
  2: optional JobUpdateSummary updateSummary
}

struct GetJobUpdateSummariesResult {
  1: list<JobUpdateSummary> updateSummaries
}

// `details` is deprecated in favour of detailsList.
struct GetJobUpdateDetailsResult {
  1: JobUpdateDetails details
  2: list<JobUpdateDetails> detailsList
}

struct PulseJobUpdateResult {
  1: JobUpdatePulseStatus status
}

struct GetJobUpdateDiffResult {
  1: set<ConfigGroup> add
  2: set<ConfigGroup> remove
  3: set<ConfigGroup> update
  4: set<ConfigGroup> unchanged
}

struct TierConfig {
  1: string name
  2: map<string, string> settings
}

struct GetTierConfigResult {
  1: string defaultTierName
  2: set<TierConfig> tiers
}

struct ServerInfo {
  1: string clusterName
  3: string statsUrlPrefix
}

// The payload of a Response: one member per kind of RPC result.
union Result {
  1: PopulateJobResult populateJobResult
  3: ScheduleStatusResult scheduleStatusResult
  4: GetJobsResult getJobsResult
  5: GetQuotaResult getQuotaResult
  6: ListBackupsResult listBackupsResult
  7: StartMaintenanceResult startMaintenanceResult
  8: DrainHostsResult drainHostsResult
  9: QueryRecoveryResult queryRecoveryResult
  10: MaintenanceStatusResult maintenanceStatusResult
  11: EndMaintenanceResult endMaintenanceResult
  17: RoleSummaryResult roleSummaryResult
  18: JobSummaryResult jobSummaryResult
  20: ConfigSummaryResult configSummaryResult
  21: GetPendingReasonResult getPendingReasonResult
  22: StartJobUpdateResult startJobUpdateResult
  23: GetJobUpdateSummariesResult getJobUpdateSummariesResult
  24: GetJobUpdateDetailsResult getJobUpdateDetailsResult
  25: PulseJobUpdateResult pulseJobUpdateResult
  26: GetJobUpdateDiffResult getJobUpdateDiffResult
  27: GetTierConfigResult getTierConfigResult
}

struct ResponseDetail {
  1: string message
}

// What every RPC returns; failures come back as a non-OK code plus details.
struct Response {
  1: ResponseCode responseCode
  5: ServerInfo serverInfo
  3: optional Result result
  6: list<ResponseDetail> details
}

// ---------------------------------------------------------------------------
// Services: one processor serves all three at /api, so names go on the wire
// bare. Argument ids are not always 1..n.
// ---------------------------------------------------------------------------

// Calls that need no authentication. The /** */ comments document each RPC
// (after Aurora's own IDL comments); scripts/gen.mjs carries them into
// src/gen/api.ts, where the client's methods take their documentation from.
service ReadOnlyScheduler {
  /** A summary of the jobs of every role: how many jobs and cron jobs each has. */
  Response getRoleSummary()

  /** Summaries (configuration, task counts, next cron run) of the jobs of `role`, or of every role when unset. */
  Response getJobSummary(1: string role)

  /** The tasks matching the query, with their full configuration and event history. */
  Response getTasksStatus(1: TaskQuery query)

  /**
   * Like getTasksStatus, but the tasks' executorConfig.data is left out (smaller replies; the
   * executor payload is usually what makes a task large).
   */
  Response getTasksWithoutConfigs(1: TaskQuery query)

  /**
   * Why the matching PENDING tasks are not placed yet, one reason string per task (e.g. resources
   * no host offers). The query may not filter by host or status.
   */
  Response getPendingReason(1: TaskQuery query)

  /** The configurations the active tasks of a job run, grouped by configuration with their instance ranges. */
  Response getConfigSummary(1: JobKey job)

  /** The configurations of the jobs of `ownerRole`, or of every role when unset. */
  Response getJobs(1: string ownerRole)

  /** The quota allocated to a role and what its production and non-production tasks consume. */
  Response getQuota(1: string ownerRole)

  /**
   * The task configuration as the scheduler would run it (defaults filled in, checks applied),
   * without creating anything: useful to diff against what runs.
   */
  Response populateJobConfig(1: JobConfiguration description)

  /** Summaries of the job updates matching the query, newest first. */
  Response getJobUpdateSummaries(1: JobUpdateQuery jobUpdateQuery)

  /** The details (instructions, events, instance events) of job updates. */
  Response getJobUpdateDetails(
      /** Deprecated: one update by key; use `query`. */
      1: JobUpdateKey key,
      /** The updates to describe. */
      2: JobUpdateQuery query)

  /** What an update with this request would change: instances to add, remove, update, and unchanged. */
  Response getJobUpdateDiff(1: JobUpdateRequest request)

  /** The tiers the scheduler knows (preemptible, revocable, production...) and its default one. */
  Response getTierConfigs()
}

// Job owners' calls.
service AuroraSchedulerManager extends ReadOnlyScheduler {
  /** Creates a job; refused if a job with this key already exists, or for a cron job (see scheduleCronJob). */
  Response createJob(1: JobConfiguration description)

  /**
   * Puts a job on the cron schedule without running it; replaces the schedule entry if the job is
   * scheduled already.
   */
  Response scheduleCronJob(1: JobConfiguration description)

  /** Takes a job off the cron schedule; refused if it was not scheduled with scheduleCronJob. */
  Response descheduleCronJob(4: JobKey job)

  /** Runs a cron job now; refused if the job does not exist or is not a cron job. */
  Response startCronJob(4: JobKey job)

  /** Restarts the given instances (shards) of a job: each task is killed and rescheduled. */
  Response restartShards(5: JobKey job, 3: set<i32> shardIds)

  /** Kills the active tasks of the given instances of a job. */
  Response killTasks(
      4: JobKey job,
      /** Instance ids to kill. */
      5: set<i32> instances,
      /** Recorded with the tasks' state change. */
      6: string message)

  /** Adds `count` instances that copy the TaskConfig of the instance `key` names. */
  Response addInstances(3: InstanceKey key, 4: i32 count)

  /** Replaces the configuration of an existing cron job; refused if there is none. */
  Response replaceCronTemplate(1: JobConfiguration config)

  /** Starts an update of an existing service job. */
  Response startJobUpdate(
      /** How to change the job: the new task configuration, instance count and settings. */
      1: JobUpdateRequest request,
      /** Recorded with the update's state change. */
      3: string message)

  /** Pauses an update; resumeJobUpdate continues it. */
  Response pauseJobUpdate(
      /** The update to pause. */
      1: JobUpdateKey key,
      /** Recorded with the update's state change. */
      3: string message)

  /** Resumes an update that was paused. */
  Response resumeJobUpdate(
      /** The update to resume. */
      1: JobUpdateKey key,
      /** Recorded with the update's state change. */
      3: string message)

  /** Aborts an update for good; its history is kept. */
  Response abortJobUpdate(
      /** The update to abort. */
      1: JobUpdateKey key,
      /** Recorded with the update's state change. */
      3: string message)

  /** Rolls an active update back to the job's state before it. */
  Response rollbackJobUpdate(
      /** The update to roll back. */
      1: JobUpdateKey key,
      /** Recorded with the update's state change. */
      2: string message)

  /**
   * Lets an update with JobUpdateSettings.blockIfNoPulsesAfterMs go on (unblocking it if it was
   * waiting for a pulse). An unknown update key answers INVALID_REQUEST.
   */
  Response pulseJobUpdate(1: JobUpdateKey key)
}

struct ExplicitReconciliationSettings {
  1: optional i32 batchSize
}

// Operators' calls.
service AuroraAdmin extends AuroraSchedulerManager {
  /** Sets a role's quota, replacing the one it had. */
  Response setQuota(1: string ownerRole, 2: ResourceAggregate quota)

  /**
   * Moves a task towards a state through the task state machine: the state is not guaranteed, as
   * the machine must allow the transition.
   */
  Response forceTaskState(1: string taskId, 2: ScheduleStatus status)

  /** Writes a storage snapshot to disk now. */
  Response performBackup()

  /** The backups available for recovery. */
  Response listBackups()

  /** Loads a backup into in-memory storage; every other recovery call needs this first. */
  Response stageRecovery(1: string backupId)

  /** The tasks of the staged recovery that match the query. */
  Response queryRecovery(1: TaskQuery query)

  /** Deletes the matching tasks from the staged recovery. */
  Response deleteRecoveryTasks(1: TaskQuery query)

  /** Commits the staged recovery: it replaces the whole storage state. */
  Response commitRecovery()

  /** Drops (aborts) the staged recovery. */
  Response unloadRecovery()

  /** Puts hosts into maintenance (SCHEDULED): new tasks avoid them. */
  Response startMaintenance(1: Hosts hosts)

  /** Drains hosts: their tasks are moved elsewhere, then the hosts are DRAINED. */
  Response drainHosts(1: Hosts hosts)

  /** The maintenance state of each host. */
  Response maintenanceStatus(1: Hosts hosts)

  /** Takes hosts out of maintenance, back into service. */
  Response endMaintenance(1: Hosts hosts)

  /**
   * Drains hosts while keeping each job's SLA: tasks move off only as their SLA policy allows,
   * `defaultSlaPolicy` standing for tasks without one; after `timeoutSecs` the drain goes on anyway.
   */
  Response slaDrainHosts(1: Hosts hosts, 2: SlaPolicy defaultSlaPolicy, 3: i64 timeoutSecs)

  /** Takes a storage snapshot and waits until it is done. */
  Response snapshot()

  /** Starts an explicit task reconciliation with Mesos with these settings. */
  Response triggerExplicitTaskReconciliation(1: ExplicitReconciliationSettings settings)

  /** Starts an implicit task reconciliation with Mesos. */
  Response triggerImplicitTaskReconciliation()

  /**
   * Removes terminal tasks matching the query from storage. Without statuses in the query, every
   * terminal state matches; statuses given must all be terminal.
   */
  Response pruneTasks(1: TaskQuery query)
}

// Request header that makes a non-leading scheduler answer instead of redirecting.
const string BYPASS_LEADER_REDIRECT_HEADER_NAME = 'Bypass-Leader-Redirect'

// Mount point of a task's image filesystem under the Mesos unified containerizer.
const string TASK_FILESYSTEM_MOUNT_POINT = 'taskfs'
