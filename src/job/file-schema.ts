/**
 * The job file (`job.json`): a flat, friendly JSON form of an Aurora job. This zod schema is the
 * single source of both the loader's checks and the published JSON Schema (`jobFileJsonSchema()`),
 * so it holds only what JSON Schema can say; rules that span fields live in file.ts.
 * Every object is strict: an unknown key is an error, because a typo must never drop a setting.
 */

import { createRequire } from 'node:module';
import type { z as Zod } from 'zod';
import { GOOD_IDENTIFIER_PATTERN } from '../gen/types.js';

const IDENT = new RegExp(GOOD_IDENTIFIER_PATTERN);
const IDENT_RULE = 'an identifier: letters, digits, "_", "-" or "." (at most 255 characters)';

const e = (text: string) => ({ error: text });

/** Levenshtein distance, for did-you-mean hints on unknown keys. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The known key a typo most likely meant (case, `_`/`-` and small edits forgiven). */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.replace(/[_\-\s]/g, '').toLowerCase();
  const exact = known.find((k) => norm(k) === norm(key));
  if (exact !== undefined) return exact;
  // Abbreviations: `params` for `parameters`, `env` for `environment`.
  const lcp = (a: string, b: string) => {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return i;
  };
  const n = norm(key);
  const prefixed = known.filter((k) => {
    const common = lcp(n, norm(k));
    return common >= 3 && common >= n.length - 1;
  });
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestD = Math.max(1, Math.min(3, Math.floor(key.length / 3)));
  for (const k of known) {
    const d = distance(norm(key), norm(k));
    if (d <= bestD && (best === undefined || d < bestD)) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const guess = didYouMean(key, known);
  return guess !== undefined ? `unknown key; did you mean "${guess}"?` : `unknown key; allowed keys: ${known.join(', ')}`;
}
type Z = typeof Zod;

/**
 * Builds every schema from `z`. Loading zod costs an SDK import about 45 ms and most programs never
 * read a job file, so it is loaded (synchronously, its CommonJS build) on the first job file.
 */
function build(z: Z) {
  function strict<T extends Zod.ZodRawShape>(shape: T, what: string) {
    const known = Object.keys(shape);
    return z.strictObject(shape, {
      error: (iss) => (iss.code === 'unrecognized_keys' ? unknownKeyMessage(String(iss.keys[0]), known) : `expected ${what}`),
    });
  }

  const str = (what = 'a string') => z.string(e(`expected ${what}`));
  const nonEmpty = (what = 'a non-empty string') => z.string(e(`expected ${what}`)).min(1, e(`expected ${what}`));
  const ident = () => z.string(e(`expected ${IDENT_RULE}`)).regex(IDENT, e(`expected ${IDENT_RULE}`)).max(255, e(`expected ${IDENT_RULE}`));
  const bool = () => z.boolean(e('expected true or false'));
  const int = (what: string, min?: number, max = 2147483647) => {
    let s = z.number(e(`expected ${what}`)).int(e(`expected ${what}`)).max(max, e(`expected ${what}`));
    if (min !== undefined) s = s.min(min, e(`expected ${what}`));
    return s;
  };
  const posInt = () => int('a positive integer', 1);
  const nonNegInt = () => int('a non-negative integer', 0);
  const posNumber = () => z.number(e('expected a positive number')).positive(e('expected a positive number'));
  const stringMap = (what: string) =>
    z.record(z.string(), z.string(e(`expected a string value in ${what}`)), e(`expected an object of string values`));

  const processSchema = strict(
    {
      name: nonEmpty('a process name').describe('Process name, unique in the task.'),
      cmdline: nonEmpty('a command line').describe('Shell command line.'),
      maxFailures: nonNegInt().optional().describe('Failed runs before the process fails; 0 retries forever. Default 1.'),
      daemon: bool().optional().describe('Restart even after success. Default false.'),
      ephemeral: bool().optional().describe('The task does not wait for it. Default false.'),
      minDuration: nonNegInt().optional().describe('Seconds between restarts. Default 5.'),
      final: bool().optional().describe('Run after all other processes (cleanup). Default false.'),
    },
    'a process object { name, cmdline }',
  );

  const processNames = z.array(nonEmpty('a process name'), e('expected a list of process names'));

  const updateSchema = strict(
    {
      batchSize: posInt().optional().describe('Instances updated at a time. Default 1.'),
      watchSecs: nonNegInt().optional().describe('Seconds an instance must stay RUNNING. Default 45.'),
      maxPerInstanceFailures: nonNegInt().optional().describe('Default 0.'),
      maxFailedInstances: nonNegInt().optional().describe('Default 0.'),
      rollbackOnFailure: bool().optional().describe('Default true.'),
      strategy: z.enum(['queue', 'batch', 'variable'], e('expected one of "queue", "batch", "variable"')).optional(),
      groupSizes: z
        .array(posInt(), e('expected a list of positive integers'))
        .min(1, e('expected a non-empty list of positive integers'))
        .optional()
        .describe('Batch sizes for strategy "variable".'),
      autopause: bool().optional().describe('Pause after each batch (batch and variable strategies).'),
      pulseIntervalSecs: posInt().optional().describe('Pause the update unless pulsed this often.'),
      slaAware: bool().optional(),
    },
    'an update object',
  );

  const dockerImage = strict({ name: nonEmpty(), tag: nonEmpty() }, 'a Docker image { name, tag }');
  const appcImage = strict({ name: nonEmpty(), imageId: nonEmpty() }, 'an AppC image { name, imageId }');

  const containerSchema = strict(
    {
      docker: strict(
        {
          image: nonEmpty('a Docker image name'),
          parameters: z
            .array(strict({ name: nonEmpty(), value: str() }, 'a parameter { name, value }'), e('expected a list of { name, value }'))
            .optional(),
        },
        'a Docker container { image, parameters }',
      ).optional(),
      mesos: strict(
        {
          image: strict({ docker: dockerImage.optional(), appc: appcImage.optional() }, 'an image { docker } or { appc }').optional(),
          volumes: z
            .array(
              strict(
                {
                  containerPath: nonEmpty(),
                  hostPath: nonEmpty(),
                  mode: z.enum(['RO', 'RW'], e('expected "RO" or "RW"')),
                },
                'a volume { containerPath, hostPath, mode }',
              ),
              e('expected a list of volumes'),
            )
            .optional(),
        },
        'a Mesos container { image, volumes }',
      ).optional(),
    },
    'a container { docker } or { mesos }',
  );

  const jobFileSchema = strict(
    {
      $schema: z.string(e('expected a string')).optional().describe('Path or URL of this JSON Schema (ignored).'),
      cluster: nonEmpty('a cluster name').optional().describe('Cluster from clusters.json.'),
      role: ident().describe('Aurora role (usually the user the task runs as).'),
      environment: ident().describe('Environment, e.g. prod, devel, test, staging1.'),
      name: ident().describe('Job name.'),
      owner: ident().optional().describe('Job owner; defaults to the OS user.'),
      instances: posInt().optional().describe('Number of instances. Default 1.'),
      service: bool().optional().describe('Restart tasks whatever their exit status. Default false.'),
      executor: strict(
        {
          name: nonEmpty('an executor name').describe('A custom executor the cluster defines, or AuroraExecutor.'),
          data: z
            .union([z.string(), z.record(z.string(), z.unknown())], e('expected a string or a JSON object'))
            .optional()
            .describe('Executor payload: a string, or an object sent as JSON.'),
        },
        'an executor { name, data }',
      )
        .optional()
        .describe('A custom executor. Leave out to run "processes" on Thermos.'),
      resources: strict(
        {
          cpus: posNumber().describe('CPU cores (fractions allowed).'),
          ramMb: posInt().describe('RAM in MiB.'),
          diskMb: posInt().describe('Disk in MiB.'),
          gpus: nonNegInt().optional().describe('GPUs. Default 0.'),
        },
        'a resources object { cpus, ramMb, diskMb }',
      ),
      ports: z.array(nonEmpty('a port name'), e('expected a list of port names')).optional().describe('Named ports to assign.'),
      constraints: z
        .record(z.string(), z.string(e('expected a constraint string: "limit:N", "value,value" or "!value"')), e('expected an object of constraint strings'))
        .optional()
        .describe('Aurora notation: {"host": "limit:1", "zone": "a,b", "rack": "!r1"}.'),
      dedicated: nonEmpty('a dedicated value like "role/name"').optional().describe('Dedicated hosts, e.g. "www-data/hello".'),
      metadata: stringMap('metadata').optional().describe('Labels shown in the UI.'),
      uris: z
        .array(
          strict(
            {
              value: nonEmpty('a URI'),
              extract: bool().optional(),
              cache: bool().optional(),
              outputFile: nonEmpty('a file name').optional(),
              executable: bool().optional().describe('Not supported by Aurora (no such field in MesosFetcherURI); only false is accepted.'),
            },
            'a URI object { value }',
          ),
          e('expected a list of URI objects'),
        )
        .optional()
        .describe('Files for the Mesos fetcher (the cluster must enable it).'),
      container: containerSchema.optional(),
      tier: ident().optional().describe('preemptible (default), preferred or revocable.'),
      priority: int('an integer').optional(),
      production: bool().optional(),
      maxTaskFailures: int('an integer >= -1 (-1: unlimited)', -1).optional().describe('Default 1.'),
      contactEmail: nonEmpty('an email address').optional(),
      taskLinks: stringMap('taskLinks').optional(),
      partitionPolicy: strict(
        { reschedule: bool().optional(), delaySecs: nonNegInt().optional() },
        'a partition policy { reschedule, delaySecs }',
      ).optional(),
      slaPolicy: strict(
        {
          percentage: z
            .number(e('expected a percentage between 0 and 100'))
            .gt(0, e('expected a percentage between 0 and 100'))
            .lt(100, e('expected a percentage between 0 and 100'))
            .optional(),
          count: posInt().optional(),
          durationSecs: nonNegInt().optional(),
          coordinatorUrl: nonEmpty('a URL').optional(),
          statusKey: nonEmpty().optional(),
        },
        'an SLA policy: { percentage, durationSecs }, { count, durationSecs } or { coordinatorUrl }',
      ).optional(),
      cron: strict(
        {
          schedule: str('a cron schedule like "0 * * * *"'),
          collisionPolicy: z.enum(['KILL_EXISTING', 'CANCEL_NEW'], e('expected "KILL_EXISTING" or "CANCEL_NEW"')).optional(),
        },
        'a cron object { schedule, collisionPolicy }',
      ).optional(),
      update: updateSchema.optional(),
      processes: z
        .array(processSchema, e('expected a list of processes'))
        .min(1, e('expected at least one process'))
        .optional()
        .describe('Thermos processes (for jobs without a custom executor).'),
      order: z
        .union([processNames, z.array(processNames)], e('expected a list of process names, or a list of such lists'))
        .optional()
        .describe('Run order: ["a", "b"] runs a before b; [["a", "b"], ["c", "d"]] gives two chains.'),
      finalizationWait: nonNegInt().optional().describe('Seconds allowed for final processes. Default 30.'),
      maxConcurrency: nonNegInt().optional().describe('Cap on concurrent processes; 0 is unlimited.'),
    },
    'a job object',
  );
  return { processSchema, updateSchema, containerSchema, jobFileSchema };
}

type Schemas = ReturnType<typeof build>;
let built: (Schemas & { z: Z }) | undefined;

/** zod and the job-file schemas, built on first use (one zod instance: its CommonJS build). */
export function jobFileZod(): Schemas & { z: Z } {
  if (built === undefined) {
    const z = (createRequire(import.meta.url)('zod') as { z: Z }).z;
    built = { ...build(z), z };
  }
  return built;
}

/** The zod schema of a job file. */
export type JobFileSchema = ReturnType<typeof build>['jobFileSchema'];

/** The zod schema of the job file (built on first call). */
export function jobFileSchema(): JobFileSchema {
  return jobFileZod().jobFileSchema;
}

export type JobFile = Zod.infer<ReturnType<typeof build>['jobFileSchema']>;
export type JobFileProcess = Zod.infer<ReturnType<typeof build>['processSchema']>;
export type JobFileContainer = Zod.infer<ReturnType<typeof build>['containerSchema']>;
export type JobFileUpdate = Zod.infer<ReturnType<typeof build>['updateSchema']>;

/** Top-level keys of the job file, in schema order (the type below fails to compile when one is missing). */
export const JOB_FILE_KEYS = [
  '$schema', 'cluster', 'role', 'environment', 'name', 'owner', 'instances', 'service', 'executor',
  'resources', 'ports', 'constraints', 'dedicated', 'metadata', 'uris', 'container', 'tier',
  'priority', 'production', 'maxTaskFailures', 'contactEmail', 'taskLinks', 'partitionPolicy',
  'slaPolicy', 'cron', 'update', 'processes', 'order', 'finalizationWait', 'maxConcurrency',
] as const satisfies readonly (keyof JobFile)[];
// A key added to the schema but not to JOB_FILE_KEYS makes this line fail to compile.
type MissingKeys = Exclude<keyof JobFile, (typeof JOB_FILE_KEYS)[number]>;
true satisfies [MissingKeys] extends [never] ? true : MissingKeys;
