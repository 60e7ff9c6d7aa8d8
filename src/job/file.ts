/**
 * Job file ⇄ JobConfiguration. `parseJobFile` checks the shape (zod, file-schema.ts) and the rules
 * that span fields, then builds the config with the `Job` builder, so a file and builder code give
 * identical configs. Cluster policy (Docker allowed? executor defined?) is `validateJob`'s business.
 */

import { AURORA_EXECUTOR_NAME, CronCollisionPolicy, Mode } from '../gen/types.js';
import type { Image, JobConfigurationInput, JobUpdateSettings, JobUpdateSettingsInput } from '../gen/types.js';
import { AuroraValidationError } from '../errors.js';
import { updateSettingsFromSpec, updateSpecFromSettings, checkUpdateSpec } from '../update/settings.js';
import { Job, defaultOwner } from './builder.js';
import { DEDICATED_ATTRIBUTE, formatConstraint, parseConstraint } from './constraints.js';
import { JobFileError, zodIssuesToFileIssues } from './file-errors.js';
import type { JobFileIssue } from './file-errors.js';
import { jobFileSchema } from './file-schema.js';
import type { JobFile } from './file-schema.js';
import { toArray } from './plain.js';
import { checkThermosTask, parseThermosPayload } from './thermos.js';
import type { ThermosTaskSpec } from './thermos.js';
import { checkCronSchedule } from './validate.js';

export interface LoadedJob {
  cluster?: string;
  config: JobConfigurationInput;
  update?: JobUpdateSettings;
  file: JobFile;
}

export interface ParseJobFileOptions {
  /** Owner when the file names none; default the OS user. */
  defaultOwner?: string;
}

/** Shape and cross-field checks; every issue found, in file order. */
export function checkJobFile(data: unknown): JobFileIssue[] {
  const result = jobFileSchema().safeParse(data, { reportInput: true });
  if (!result.success) return zodIssuesToFileIssues(result.error.issues);
  return crossFieldIssues(result.data);
}

/** Validates `data` as a job file and converts it; throws JobFileError (an AuroraValidationError). */
export function parseJobFile(data: unknown, source?: string, options: ParseJobFileOptions = {}): LoadedJob {
  const issues = checkJobFile(data);
  if (issues.length > 0) throw new JobFileError(issues, source);
  const file = data as JobFile;
  const loaded: LoadedJob = { config: buildJob(file, options).toConfig(), file };
  if (file.cluster !== undefined) loaded.cluster = file.cluster;
  if (file.update !== undefined) loaded.update = updateSettingsFromSpec(file.update);
  return loaded;
}

/** A checked job file as a JobConfiguration. */
export function jobFileToConfig(file: JobFile, options: ParseJobFileOptions = {}): JobConfigurationInput {
  return parseJobFile(file, undefined, options).config;
}

/** The update settings a job file asks for (Aurora's client defaults when it has no `update`). */
export function jobFileToUpdateSettings(file: JobFile): JobUpdateSettings {
  return updateSettingsFromSpec(file.update ?? {});
}

/** The job file's `Job` builder, for code that wants to tweak a file before submitting it. */
export function jobFileToBuilder(file: JobFile, options: ParseJobFileOptions = {}): Job {
  const issues = checkJobFile(file);
  if (issues.length > 0) throw new JobFileError(issues);
  return buildJob(file, options);
}

function crossFieldIssues(file: JobFile): JobFileIssue[] {
  const issues: JobFileIssue[] = [];
  const add = (field: string, message: string) => issues.push({ field, message });
  const hasDocker = file.container?.docker !== undefined;
  if (file.executor !== undefined && file.processes !== undefined) {
    add('processes', 'a job runs either a custom executor ("executor") or Thermos processes ("processes"), not both');
  }
  if (file.executor === undefined && file.processes === undefined && !hasDocker) {
    add('executor', 'missing; give "executor" (a custom executor), "processes" (Thermos) or "container.docker"');
  }
  if (file.processes === undefined) {
    for (const key of ['order', 'finalizationWait', 'maxConcurrency'] as const) {
      if (file[key] !== undefined) add(key, 'only used with "processes" (Thermos)');
    }
  } else {
    for (const t of checkThermosTask(thermosSpec(file))) add(t.field, t.message);
  }
  for (const [name, text] of Object.entries(file.constraints ?? {})) {
    try {
      parseConstraint(name, text);
    } catch (err) {
      if (!(err instanceof AuroraValidationError)) throw err;
      add(err.field, err.message.slice(err.field.length + 2));
    }
  }
  if (file.dedicated !== undefined && file.constraints?.[DEDICATED_ATTRIBUTE] !== undefined) {
    add('dedicated', 'set either "dedicated" or constraints.dedicated, not both');
  }
  const firstIndex = new Map<string, number>();
  const dupes = (list: readonly string[], field: (i: number) => string, what: string) => {
    firstIndex.clear();
    list.forEach((v, i) => {
      const j = firstIndex.get(v);
      if (j !== undefined) add(field(i), `duplicate ${what} ${JSON.stringify(v)} (also at index ${j})`);
      else firstIndex.set(v, i);
    });
  };
  dupes(file.ports ?? [], (i) => `ports[${i}]`, 'port');
  dupes((file.uris ?? []).map((u) => u.value), (i) => `uris[${i}].value`, 'URI');
  dupes((file.container?.mesos?.volumes ?? []).map((v) => v.containerPath), (i) => `container.mesos.volumes[${i}].containerPath`, 'containerPath');
  (file.uris ?? []).forEach((u, i) => {
    if (u.executable === true) {
      add(`uris[${i}].executable`, "Aurora's MesosFetcherURI has no executable flag; make the file executable in an archive, or chmod it in the command");
    }
  });
  const c = file.container;
  if (c !== undefined) {
    if ((c.docker === undefined) === (c.mesos === undefined)) add('container', 'expected exactly one of "docker" or "mesos"');
    const image = c.mesos?.image;
    if (image !== undefined && (image.docker === undefined) === (image.appc === undefined)) {
      add('container.mesos.image', 'expected exactly one of "docker" or "appc"');
    }
  }
  const sla = file.slaPolicy;
  if (sla !== undefined) {
    const kinds = (['percentage', 'count', 'coordinatorUrl'] as const).filter((k) => sla[k] !== undefined);
    if (kinds.length !== 1) {
      add('slaPolicy', 'expected exactly one of "percentage", "count" or "coordinatorUrl"');
    } else if (kinds[0] === 'coordinatorUrl') {
      if (sla.durationSecs !== undefined) add('slaPolicy.durationSecs', 'only used with "percentage" or "count"');
    } else {
      if (sla.durationSecs === undefined) add('slaPolicy.durationSecs', `missing; required with "${kinds[0]}"`);
      if (sla.statusKey !== undefined) add('slaPolicy.statusKey', 'only used with "coordinatorUrl"');
    }
  }
  if (file.cron !== undefined) {
    const cronIssue = checkCronSchedule(file.cron.schedule);
    if (cronIssue) add('cron.schedule', cronIssue.message);
    if (file.service === true) add('cron', 'a service job may not have a cron schedule');
  }
  if (file.update !== undefined) {
    try {
      checkUpdateSpec(file.update);
    } catch (err) {
      if (!(err instanceof AuroraValidationError)) throw err;
      add(err.field, err.message.slice(err.field.length + 2));
    }
  }
  return issues;
}

function thermosSpec(file: JobFile): ThermosTaskSpec {
  const spec: ThermosTaskSpec = { processes: (file.processes ?? []).map((p) => ({ ...p })) };
  if (file.order !== undefined && file.order.length > 0) {
    spec.order = typeof file.order[0] === 'string' ? [file.order as string[]] : (file.order as string[][]).map((c) => [...c]);
  }
  if (file.finalizationWait !== undefined) spec.finalizationWait = file.finalizationWait;
  if (file.maxConcurrency !== undefined) spec.maxConcurrency = file.maxConcurrency;
  return spec;
}

function buildJob(file: JobFile, options: ParseJobFileOptions): Job {
  let job = new Job({ role: file.role, environment: file.environment, name: file.name });
  job = job.cluster(file.cluster);
  job = job.owner(file.owner ?? options.defaultOwner ?? defaultOwner());
  if (file.instances !== undefined) job = job.instances(file.instances);
  if (file.service !== undefined) job = job.service(file.service);
  if (file.executor !== undefined) job = job.executor(file.executor.name, file.executor.data ?? '');
  else if (file.processes !== undefined) job = job.thermos(thermosSpec(file));
  job = job.cpus(file.resources.cpus).ramMb(file.resources.ramMb).diskMb(file.resources.diskMb);
  if (file.resources.gpus !== undefined) job = job.gpus(file.resources.gpus);
  if (file.ports) job = job.ports(...file.ports);
  for (const [name, text] of Object.entries(file.constraints ?? {})) job = job.constraint(name, text);
  if (file.dedicated !== undefined) job = job.dedicated(file.dedicated);
  for (const [k, v] of Object.entries(file.metadata ?? {})) job = job.metadata(k, v);
  for (const u of file.uris ?? []) {
    job = job.uri(u.value, {
      ...(u.extract === undefined ? {} : { extract: u.extract }),
      ...(u.cache === undefined ? {} : { cache: u.cache }),
      ...(u.outputFile === undefined ? {} : { outputFile: u.outputFile }),
    });
  }
  const c = file.container;
  if (c?.docker) job = job.docker(c.docker.image, c.docker.parameters ?? []);
  if (c?.mesos) {
    // checkJobFile let through only images with exactly one of docker and appc.
    if (c.mesos.image) job = job.mesosImage(c.mesos.image as Image);
    for (const v of c.mesos.volumes ?? []) job = job.volume(v.containerPath, v.hostPath, v.mode);
  }
  if (file.tier !== undefined) job = job.tier(file.tier);
  if (file.priority !== undefined) job = job.priority(file.priority);
  if (file.production !== undefined) job = job.production(file.production);
  if (file.maxTaskFailures !== undefined) job = job.maxTaskFailures(file.maxTaskFailures);
  if (file.contactEmail !== undefined) job = job.contactEmail(file.contactEmail);
  for (const [k, v] of Object.entries(file.taskLinks ?? {})) job = job.taskLink(k, v);
  if (file.partitionPolicy) job = job.partitionPolicy(file.partitionPolicy.reschedule ?? true, file.partitionPolicy.delaySecs);
  const sla = file.slaPolicy;
  if (sla?.percentage !== undefined) job = job.slaPercentage(sla.percentage, sla.durationSecs!);
  else if (sla?.count !== undefined) job = job.slaCount(sla.count, sla.durationSecs!);
  else if (sla?.coordinatorUrl !== undefined) job = job.slaCoordinator(sla.coordinatorUrl, sla.statusKey);
  if (file.cron) job = job.cron(file.cron.schedule, file.cron.collisionPolicy);
  return job;
}

/**
 * A JobConfiguration (and optional update settings) as a job file: what `aurora-ts job inspect`
 * or the wizard writes. Thermos payloads this library wrote come back as `processes`; any other
 * executor data is kept verbatim. Defaults are left out.
 */
export function configToJobFile(config: JobConfigurationInput, options: { cluster?: string; update?: JobUpdateSettingsInput } = {}): JobFile {
  const t = config.taskConfig ?? {};
  const key = config.key ?? t.job ?? {};
  const file: Record<string, unknown> = {};
  if (options.cluster !== undefined) file['cluster'] = options.cluster;
  file['role'] = key.role;
  file['environment'] = key.environment;
  file['name'] = key.name;
  const owner = config.owner?.user ?? t.owner?.user;
  if (owner !== undefined && owner !== null) file['owner'] = owner;
  if ((config.instanceCount ?? 1) !== 1) file['instances'] = config.instanceCount;
  if (t.isService) file['service'] = true;

  const resources: Record<string, number> = {};
  const ports: string[] = [];
  for (const r of toArray(t.resources)) {
    if (r.numCpus != null) resources['cpus'] = r.numCpus;
    else if (r.ramMb != null) resources['ramMb'] = r.ramMb;
    else if (r.diskMb != null) resources['diskMb'] = r.diskMb;
    else if (r.numGpus != null) resources['gpus'] = r.numGpus;
    else if (r.namedPort != null) ports.push(r.namedPort);
  }

  const ex = t.executorConfig;
  if (ex) {
    const spec =
      ex.name === AURORA_EXECUTOR_NAME
        ? parseThermosPayload(ex.data ?? '', {
            role: key.role ?? '',
            environment: key.environment ?? '',
            name: key.name ?? '',
            service: t.isService ?? false,
            cpus: resources['cpus'] ?? 0,
            ramMb: resources['ramMb'] ?? 0,
            diskMb: resources['diskMb'] ?? 0,
            gpus: resources['gpus'] ?? 0,
          })
        : undefined;
    if (spec && spec.name === undefined && spec.maxFailures === undefined && payloadCluster(ex.data) === options.cluster) {
      file['processes'] = spec.processes;
      if (spec.order) file['order'] = spec.order.length === 1 ? spec.order[0] : spec.order;
      if (spec.finalizationWait !== undefined) file['finalizationWait'] = spec.finalizationWait;
      if (spec.maxConcurrency !== undefined) file['maxConcurrency'] = spec.maxConcurrency;
    } else {
      file['executor'] = { name: ex.name, data: ex.data ?? '' };
    }
  }
  file['resources'] = resources;
  if (ports.length > 0) file['ports'] = ports;

  const constraints: Record<string, string> = {};
  for (const c of toArray(t.constraints)) {
    const text = formatConstraint(c);
    if (c.name == null || text === undefined) continue;
    if (c.name === DEDICATED_ATTRIBUTE && c.constraint?.value && !c.constraint.value.negated && toArray(c.constraint.value.values).length === 1) {
      file['dedicated'] = text;
    } else constraints[c.name] = text;
  }
  if (Object.keys(constraints).length > 0) file['constraints'] = constraints;
  const metadata = Object.fromEntries(toArray(t.metadata).map((m) => [m.key ?? '', m.value ?? '']));
  if (Object.keys(metadata).length > 0) file['metadata'] = metadata;
  const uris = toArray(t.mesosFetcherUris).map((u) => {
    const o: Record<string, unknown> = { value: u.value };
    if (u.extract != null) o['extract'] = u.extract;
    if (u.cache != null) o['cache'] = u.cache;
    if (u.outputFile != null) o['outputFile'] = u.outputFile;
    return o;
  });
  if (uris.length > 0) file['uris'] = uris;

  const container = t.container;
  if (container?.docker) {
    const d: Record<string, unknown> = { image: container.docker.image };
    const params = toArray(container.docker.parameters);
    if (params.length > 0) d['parameters'] = params.map((p) => ({ name: p.name, value: p.value }));
    file['container'] = { docker: d };
  } else if (container?.mesos && (container.mesos.image || toArray(container.mesos.volumes).length > 0)) {
    const m: Record<string, unknown> = {};
    if (container.mesos.image) m['image'] = structuredClone(container.mesos.image);
    const vols = toArray(container.mesos.volumes);
    if (vols.length > 0) {
      m['volumes'] = vols.map((v) => ({ containerPath: v.containerPath, hostPath: v.hostPath, mode: Mode[v.mode ?? Mode.RO] }));
    }
    file['container'] = { mesos: m };
  }
  if (t.tier != null) file['tier'] = t.tier;
  if ((t.priority ?? 0) !== 0) file['priority'] = t.priority;
  if (t.production) file['production'] = true;
  if ((t.maxTaskFailures ?? 1) !== 1) file['maxTaskFailures'] = t.maxTaskFailures;
  if (t.contactEmail != null) file['contactEmail'] = t.contactEmail;
  if (t.taskLinks && Object.keys(t.taskLinks).length > 0) file['taskLinks'] = { ...t.taskLinks };
  if (t.partitionPolicy) {
    const p: Record<string, unknown> = { reschedule: t.partitionPolicy.reschedule ?? true };
    if (t.partitionPolicy.delaySecs != null) p['delaySecs'] = t.partitionPolicy.delaySecs;
    file['partitionPolicy'] = p;
  }
  const sla = t.slaPolicy;
  if (sla?.percentageSlaPolicy) file['slaPolicy'] = { percentage: sla.percentageSlaPolicy.percentage, durationSecs: sla.percentageSlaPolicy.durationSecs };
  else if (sla?.countSlaPolicy) file['slaPolicy'] = { count: sla.countSlaPolicy.count, durationSecs: sla.countSlaPolicy.durationSecs };
  else if (sla?.coordinatorSlaPolicy) {
    const s: Record<string, unknown> = { coordinatorUrl: sla.coordinatorSlaPolicy.coordinatorUrl };
    if (sla.coordinatorSlaPolicy.statusKey != null) s['statusKey'] = sla.coordinatorSlaPolicy.statusKey;
    file['slaPolicy'] = s;
  }
  if (config.cronSchedule != null) {
    const cron: Record<string, unknown> = { schedule: config.cronSchedule };
    const policy = config.cronCollisionPolicy ?? CronCollisionPolicy.KILL_EXISTING;
    if (policy !== CronCollisionPolicy.KILL_EXISTING) cron['collisionPolicy'] = CronCollisionPolicy[policy];
    file['cron'] = cron;
  }
  if (options.update) {
    // Written even when it is all defaults: `update: {}` still says "this job has update settings".
    file['update'] = updateSpecFromSettings(options.update);
  }
  return file as JobFile;
}

function payloadCluster(data: string | undefined): string | undefined {
  try {
    const cluster = (JSON.parse(data ?? '') as { cluster?: unknown }).cluster;
    return typeof cluster === 'string' ? cluster : undefined;
  } catch {
    return undefined;
  }
}
