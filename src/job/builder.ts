/**
 * `Job`: a fluent builder for Aurora's `JobConfiguration`, filled the way Aurora's own client fills
 * it (apache/aurora src/main/python/apache/aurora/config/thrift.py `convert`): the job key and owner
 * both on the job and in the TaskConfig, resources as `set<Resource>` (cpus, ram, disk, named
 * ports, gpus; the scheduler's IDL has no legacy numCpus/ramMb/diskMb fields any more), an empty
 * Mesos container unless another is chosen, cronCollisionPolicy KILL_EXISTING.
 */

import { userInfo } from 'node:os';
import { CronCollisionPolicy, Mode } from '../gen/types.js';
import type {
  Constraint,
  Container,
  DockerParameter,
  Image,
  JobConfigurationInput,
  JobKeyInput,
  MesosFetcherURI,
  Metadata,
  PartitionPolicy,
  Resource,
  SlaPolicy,
  TaskConfigInput,
  Volume,
} from '../gen/types.js';
import { AuroraValidationError } from '../errors.js';
import { DEDICATED_ATTRIBUTE, limitConstraint, parseConstraint, valueConstraint } from './constraints.js';
import { parseJobKeyPath } from './identifiers.js';
import { builderCopy, plainCopy, toArray } from './plain.js';
import { ThermosTask, thermosExecutorConfig, THERMOS_EXECUTOR } from './thermos.js';
import type { ThermosTaskSpec } from './thermos.js';

export type CollisionPolicyName = keyof typeof CronCollisionPolicy;
export type VolumeMode = 'RO' | 'RW';

/** The OS user, which Aurora's client sends as the job owner (getpass.getuser()). */
export function defaultOwner(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? process.env['LOGNAME'] ?? 'nobody';
  }
}

/** The Mesos container of `s`, made one when it is something else. */
function mesosOf(s: JobState): NonNullable<Container['mesos']> {
  if (!s.container?.mesos) s.container = { mesos: {} };
  return s.container.mesos!;
}

interface JobState {
  key: JobKeyInput;
  cluster?: string;
  owner?: string;
  instances: number;
  service: boolean;
  executor?: { name: string; data: string };
  thermos?: ThermosTaskSpec;
  cpus?: number;
  ramMb?: number;
  diskMb?: number;
  gpus?: number;
  ports: string[];
  constraints: Constraint[];
  metadata: Metadata[];
  uris: MesosFetcherURI[];
  container?: Container;
  tier?: string;
  priority: number;
  production: boolean;
  maxTaskFailures: number;
  contactEmail?: string;
  taskLinks: Record<string, string>;
  partitionPolicy?: PartitionPolicy;
  slaPolicy?: SlaPolicy;
  cronSchedule?: string;
  cronCollisionPolicy: CronCollisionPolicy;
}

/**
 * Immutable: every setter returns a new Job and leaves this one as it was, so
 * `JobUpdate.for(job.instances(4))` does not change `job`. Keep the result: `job.cpus(2)` on its own
 * line changes nothing.
 */
export class Job {
  private s: JobState;

  /** `new Job('www-data/prod/hello')` or `new Job({ role, environment, name })`. */
  constructor(key?: string | JobKeyInput) {
    this.s = {
      key: {},
      instances: 1,
      service: false,
      ports: [],
      constraints: [],
      metadata: [],
      uris: [],
      priority: 0,
      production: false,
      maxTaskFailures: 1,
      taskLinks: {},
      cronCollisionPolicy: CronCollisionPolicy.KILL_EXISTING,
    };
    if (key !== undefined) this.s = this.key(key).s;
  }

  static create(key?: string | JobKeyInput): Job {
    return new Job(key);
  }

  /** A builder holding `config`, to inspect or change it; `Job.from(c).toConfig()` equals `c` for builder-made configs. */
  static from(config: JobConfigurationInput): Job {
    const job = new Job();
    const t: TaskConfigInput = config.taskConfig ?? {};
    const s = job.s;
    s.key = { ...(config.key ?? t.job ?? {}) };
    const owner = config.owner?.user ?? t.owner?.user;
    if (owner !== undefined && owner !== null) s.owner = owner;
    if (config.instanceCount !== undefined && config.instanceCount !== null) s.instances = config.instanceCount;
    s.service = t.isService ?? false;
    if (t.executorConfig) s.executor = { name: t.executorConfig.name ?? '', data: t.executorConfig.data ?? '' };
    for (const r of toArray(t.resources)) {
      if (r.numCpus !== undefined && r.numCpus !== null) s.cpus = r.numCpus;
      else if (r.ramMb !== undefined && r.ramMb !== null) s.ramMb = r.ramMb;
      else if (r.diskMb !== undefined && r.diskMb !== null) s.diskMb = r.diskMb;
      else if (r.numGpus !== undefined && r.numGpus !== null) s.gpus = r.numGpus;
      else if (r.namedPort !== undefined && r.namedPort !== null && !s.ports.includes(r.namedPort)) s.ports.push(r.namedPort);
    }
    s.constraints = plainCopy(toArray(t.constraints)) as Constraint[];
    s.metadata = plainCopy(toArray(t.metadata));
    s.uris = plainCopy(toArray(t.mesosFetcherUris));
    if (t.container) s.container = plainCopy(t.container);
    if (t.tier !== undefined && t.tier !== null) s.tier = t.tier;
    if (t.priority !== undefined && t.priority !== null) s.priority = t.priority;
    if (t.production !== undefined && t.production !== null) s.production = t.production;
    if (t.maxTaskFailures !== undefined && t.maxTaskFailures !== null) s.maxTaskFailures = t.maxTaskFailures;
    if (t.contactEmail !== undefined && t.contactEmail !== null) s.contactEmail = t.contactEmail;
    if (t.taskLinks) s.taskLinks = { ...t.taskLinks };
    if (t.partitionPolicy) s.partitionPolicy = plainCopy(t.partitionPolicy);
    if (t.slaPolicy) s.slaPolicy = plainCopy(t.slaPolicy);
    if (config.cronSchedule !== undefined && config.cronSchedule !== null) s.cronSchedule = config.cronSchedule;
    if (config.cronCollisionPolicy !== undefined && config.cronCollisionPolicy !== null) {
      s.cronCollisionPolicy = config.cronCollisionPolicy;
    }
    return job;
  }

  /** A copy; setters return new builders anyway, so this is only needed to keep a builder apart on purpose. */
  clone(): Job {
    const copy = new Job();
    copy.s = structuredClone(this.s);
    return copy;
  }

  /** A new builder (of this one's class, with its other fields) whose state is a changed copy of this one's. */
  private with(change: (s: JobState) => void): this {
    const s = structuredClone(this.s);
    change(s);
    const next = builderCopy(this);
    next.s = s;
    return next;
  }

  // --- identity ---

  key(key: string | JobKeyInput): this {
    return this.with((s) => {
      if (typeof key === 'string') {
        const parsed = parseJobKeyPath(key);
        if (!parsed) throw new AuroraValidationError('key', `expected "role/environment/name", got ${JSON.stringify(key)}`);
        s.key = parsed;
      } else {
        s.key = { role: key.role, environment: key.environment, name: key.name };
      }
    });
  }

  role(role: string): this {
    return this.with((s) => {
      s.key.role = role;
    });
  }

  environment(environment: string): this {
    return this.with((s) => {
      s.key.environment = environment;
    });
  }

  name(name: string): this {
    return this.with((s) => {
      s.key.name = name;
    });
  }

  /** The job key as set so far. */
  get jobKey(): JobKeyInput {
    return { ...this.s.key };
  }

  /** The cluster the job is meant for; only written into Thermos payloads (Aurora's client does the same). */
  cluster(cluster: string | undefined): this {
    return this.with((s) => {
      if (cluster === undefined) delete s.cluster;
      else s.cluster = cluster;
    });
  }

  get clusterName(): string | undefined {
    return this.s.cluster;
  }

  /** Defaults to the OS user, as with Aurora's client. */
  owner(user: string): this {
    return this.with((s) => {
      s.owner = user;
    });
  }

  instances(count: number): this {
    return this.with((s) => {
      // Caught here, where the mistake is made, rather than when the job is sent.
      if (!Number.isSafeInteger(count) || count <= 0) {
        throw new AuroraValidationError('instanceCount', `expected a positive integer, got ${JSON.stringify(count) ?? String(count)}`);
      }
      s.instances = count;
    });
  }

  service(isService = true): this {
    return this.with((s) => {
      s.service = isService;
    });
  }

  // --- executor ---

  /** A custom executor: `data` is sent as is when a string, else as JSON. */
  executor(name: string, data: string | object = ''): this {
    return this.with((s) => {
      s.executor = { name, data: typeof data === 'string' ? data : JSON.stringify(data) };
      delete s.thermos;
    });
  }

  /** Runs the job on Thermos (`AuroraExecutor`); the payload is written by `toConfig()`. */
  thermos(task: ThermosTask | ThermosTaskSpec): this {
    return this.with((s) => {
      s.thermos = task instanceof ThermosTask ? task.toSpec() : structuredClone(task);
      delete s.executor;
    });
  }

  /** No executor at all (only valid with a Docker container). */
  noExecutor(): this {
    return this.with((s) => {
      delete s.executor;
      delete s.thermos;
    });
  }

  // --- resources ---

  cpus(n: number): this {
    return this.with((s) => {
      s.cpus = n;
    });
  }

  ramMb(n: number): this {
    return this.with((s) => {
      s.ramMb = n;
    });
  }

  diskMb(n: number): this {
    return this.with((s) => {
      s.diskMb = n;
    });
  }

  gpus(n: number): this {
    return this.with((s) => {
      s.gpus = n;
    });
  }

  /** Named ports the scheduler assigns (`%port:http%`); adding a name twice keeps one. */
  ports(...names: string[]): this {
    return this.with((s) => {
      for (const n of names) if (!s.ports.includes(n)) s.ports.push(n);
    });
  }

  // --- placement ---

  /** A constraint in Aurora's notation: `"limit:1"`, `"a,b"`, `"!a"`. Replaces one of the same name. */
  constraint(name: string, notation: string): this {
    return this.putConstraint(parseConstraint(name, notation));
  }

  valueConstraint(name: string, values: readonly string[], negated = false): this {
    return this.putConstraint(valueConstraint(name, values, negated));
  }

  limitConstraint(name: string, limit: number): this {
    return this.putConstraint(limitConstraint(name, limit));
  }

  /** Hosts dedicated to a role: `"www-data/hello"` or `"*\/hello"`. */
  dedicated(value: string): this {
    return this.putConstraint(valueConstraint(DEDICATED_ATTRIBUTE, [value]));
  }

  removeConstraint(name: string): this {
    return this.with((s) => {
      s.constraints = s.constraints.filter((c) => c.name !== name);
    });
  }

  private putConstraint(c: Constraint): this {
    return this.with((s) => {
      const i = s.constraints.findIndex((x) => x.name === c.name);
      if (i >= 0) s.constraints[i] = c;
      else s.constraints.push(c);
    });
  }

  /** A metadata label shown in the UI; setting a key again replaces its value. */
  metadata(key: string, value: string): this {
    return this.with((s) => {
      const i = s.metadata.findIndex((m) => m.key === key);
      if (i >= 0) s.metadata[i] = { key, value };
      else s.metadata.push({ key, value });
    });
  }

  /** Same as `metadata` (gorealis calls them labels). */
  label(key: string, value: string): this {
    return this.metadata(key, value);
  }

  /** A URI for the Mesos fetcher; adding the same value again replaces it. */
  uri(value: string, options: { extract?: boolean; cache?: boolean; outputFile?: string } = {}): this {
    return this.with((s) => {
      const u: MesosFetcherURI = { value };
      if (options.extract !== undefined) u.extract = options.extract;
      if (options.cache !== undefined) u.cache = options.cache;
      if (options.outputFile !== undefined) u.outputFile = options.outputFile;
      const i = s.uris.findIndex((x) => x.value === value);
      if (i >= 0) s.uris[i] = u;
      else s.uris.push(u);
    });
  }

  // --- containers ---

  /** A Docker container; parameters as `{name: value}` or a list (Docker allows repeats). */
  docker(image: string, parameters: Record<string, string> | readonly DockerParameter[] = []): this {
    return this.with((s) => {
      const list = Array.isArray(parameters)
        ? (parameters as readonly DockerParameter[]).map((p) => ({ name: p.name, value: p.value }))
        : Object.entries(parameters).map(([name, value]) => ({ name, value }));
      s.container = { docker: { image, parameters: list } };
    });
  }

  dockerParameter(name: string, value: string): this {
    return this.with((s) => {
      const docker = s.container?.docker;
      if (!docker) throw new AuroraValidationError('container.docker', 'set a Docker image with docker(image) before adding parameters');
      (docker.parameters ??= []).push({ name, value });
    });
  }

  /** A Mesos (unified) container running an image: `{ docker: { name, tag } }` or `{ appc: { name, imageId } }`. */
  mesosImage(image: Image): this {
    return this.with((s) => {
      mesosOf(s).image = plainCopy(image);
    });
  }

  /** A host path mounted into the Mesos container; a second volume at the same containerPath replaces the first. */
  volume(containerPath: string, hostPath: string, mode: VolumeMode = 'RO'): this {
    const v: Volume = { containerPath, hostPath, mode: Mode[mode] };
    return this.with((s) => {
      const volumes = (mesosOf(s).volumes ??= []);
      const i = volumes.findIndex((x) => x.containerPath === containerPath);
      if (i >= 0) volumes[i] = v;
      else volumes.push(v);
    });
  }


  // --- scheduling policy ---

  tier(tier: string): this {
    return this.with((s) => {
      s.tier = tier;
    });
  }

  priority(priority: number): this {
    return this.with((s) => {
      s.priority = priority;
    });
  }

  /** Deprecated by Aurora in favour of tier, still sent. */
  production(production = true): this {
    return this.with((s) => {
      s.production = production;
    });
  }

  maxTaskFailures(n: number): this {
    return this.with((s) => {
      s.maxTaskFailures = n;
    });
  }

  contactEmail(email: string): this {
    return this.with((s) => {
      s.contactEmail = email;
    });
  }

  /** A dashboard link; `url` may use `%host%`, `%port:http%`, `%shard_id%`. */
  taskLink(name: string, url: string): this {
    return this.with((s) => {
      s.taskLinks[name] = url;
    });
  }

  partitionPolicy(reschedule: boolean, delaySecs?: number): this {
    return this.with((s) => {
      s.partitionPolicy = delaySecs === undefined ? { reschedule } : { reschedule, delaySecs };
    });
  }

  /** Keep at least `percentage`% of instances RUNNING for `durationSecs` during maintenance. */
  slaPercentage(percentage: number, durationSecs: number): this {
    return this.with((s) => {
      s.slaPolicy = { percentageSlaPolicy: { percentage, durationSecs } };
    });
  }

  /** Keep at least `count` instances RUNNING for `durationSecs` during maintenance. */
  slaCount(count: number, durationSecs: number): this {
    return this.with((s) => {
      s.slaPolicy = { countSlaPolicy: { count, durationSecs } };
    });
  }

  /** Ask an external coordinator before draining. */
  slaCoordinator(coordinatorUrl: string, statusKey = 'drain'): this {
    return this.with((s) => {
      s.slaPolicy = { coordinatorSlaPolicy: { coordinatorUrl, statusKey } };
    });
  }

  /** Makes this a cron job. */
  cron(schedule: string, collisionPolicy?: CollisionPolicyName | CronCollisionPolicy): this {
    const next = this.with((s) => {
      s.cronSchedule = schedule;
    });
    return collisionPolicy === undefined ? next : next.collisionPolicy(collisionPolicy);
  }

  collisionPolicy(policy: CollisionPolicyName | CronCollisionPolicy): this {
    return this.with((s) => {
      const value = typeof policy === 'string' ? CronCollisionPolicy[policy] : policy;
      if (value === undefined || CronCollisionPolicy[value] === undefined) {
        throw new AuroraValidationError('cronCollisionPolicy', `expected KILL_EXISTING or CANCEL_NEW, got ${JSON.stringify(policy)}`);
      }
      s.cronCollisionPolicy = value;
    });
  }

  // --- output ---

  /** What AuroraClient sends when given this builder (createJob, scheduleCronJob, populateJobConfig). */
  toThrift(): JobConfigurationInput {
    return this.toConfig();
  }

  /**
   * The JobConfiguration as plain data (arrays for sets, no undefined members). Typed as an input:
   * the key holds only the parts set so far (`validateJob` checks them before a request is sent).
   */
  toConfig(): JobConfigurationInput {
    const s = this.s;
    const key: JobKeyInput = plainCopy(s.key);
    const owner = { user: s.owner ?? defaultOwner() };
    const resources: Resource[] = [];
    if (s.cpus !== undefined) resources.push({ numCpus: s.cpus });
    if (s.ramMb !== undefined) resources.push({ ramMb: s.ramMb });
    if (s.diskMb !== undefined) resources.push({ diskMb: s.diskMb });
    for (const p of s.ports) resources.push({ namedPort: p });
    if (s.gpus !== undefined && s.gpus !== 0) resources.push({ numGpus: s.gpus });

    const task: TaskConfigInput = {
      job: { ...key },
      owner: { ...owner },
      isService: s.service,
      priority: s.priority,
      maxTaskFailures: s.maxTaskFailures,
      production: s.production,
      resources,
      constraints: plainCopy(s.constraints),
    };
    if (s.tier !== undefined) task.tier = s.tier;
    if (s.uris.length > 0) task.mesosFetcherUris = plainCopy(s.uris);
    if (Object.keys(s.taskLinks).length > 0) task.taskLinks = { ...s.taskLinks };
    if (s.contactEmail !== undefined) task.contactEmail = s.contactEmail;
    if (s.thermos) {
      task.executorConfig = thermosExecutorConfig(s.thermos, {
        role: key.role ?? '',
        environment: key.environment ?? '',
        name: key.name ?? '',
        ...(s.cluster === undefined ? {} : { cluster: s.cluster }),
        service: s.service,
        cpus: s.cpus ?? 0,
        ramMb: s.ramMb ?? 0,
        diskMb: s.diskMb ?? 0,
        gpus: s.gpus ?? 0,
      });
    } else if (s.executor) {
      task.executorConfig = { ...s.executor };
    }
    if (s.metadata.length > 0) task.metadata = plainCopy(s.metadata);
    if (s.partitionPolicy) task.partitionPolicy = plainCopy(s.partitionPolicy);
    if (s.slaPolicy) task.slaPolicy = plainCopy(s.slaPolicy);
    task.container = s.container ? plainCopy(s.container) : { mesos: {} };

    const config: JobConfigurationInput = {
      key,
      owner,
      cronCollisionPolicy: s.cronCollisionPolicy,
      taskConfig: task,
      instanceCount: s.instances,
    };
    if (s.cronSchedule !== undefined) config.cronSchedule = s.cronSchedule;
    return config;
  }

  /** True when the executor is Thermos (set through `thermos()` or by name). */
  get usesThermos(): boolean {
    return this.s.thermos !== undefined || this.s.executor?.name === THERMOS_EXECUTOR;
  }
}
