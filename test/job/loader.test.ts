import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AuroraValidationError } from '../../src/errors.js';
import { JobFileError, checkCreateJob, checkCronJob, jobFileJsonSchema, loadJobFile } from '../../src/job/index.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'jobs');
const examples = join(import.meta.dirname, '..', '..', 'examples');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aurora-ts-job-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadError(path: string): Promise<JobFileError> {
  const err = await loadJobFile(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(JobFileError);
  return err as JobFileError;
}

describe('loadJobFile', () => {
  test('a .json job file', async () => {
    const path = join(dir, 'job.json');
    await writeFile(path, JSON.stringify({ cluster: 'local', role: 'r', environment: 'devel', name: 'n', owner: 'o', executor: { name: 'e' }, resources: { cpus: 1, ramMb: 1, diskMb: 1 }, update: { batchSize: 3 } }));
    const loaded = await loadJobFile(path);
    expect(loaded.cluster).toBe('local');
    expect(loaded.config.key).toEqual({ role: 'r', environment: 'devel', name: 'n' });
    expect(loaded.update?.updateGroupSize).toBe(3);
    expect(loaded.file.name).toBe('n');
  });

  test('JSON syntax errors give line and column', async () => {
    const err = await loadError(join(fixtures, 'bad-syntax.json'));
    expect(err.message).toBe("invalid JSON at line 4, column 3: expected ',' or '}' in object, unexpected character \"\\\"\"");
    expect(err.source).toContain('bad-syntax.json');
  });

  test('a typo names the field and the likely key', async () => {
    const err = await loadError(join(fixtures, 'typo.json'));
    expect(err.message).toBe('resources.ramMB: unknown key; did you mean "ramMb"?');
    expect(err.field).toBe('resources.ramMB');
    expect(err).toBeInstanceOf(AuroraValidationError);
  });

  test('a missing file', async () => {
    const err = await loadError(join(dir, 'nope.json'));
    expect(err.message).toBe('cannot read job file: no such file or directory');
  });

  test('an unsupported extension', async () => {
    const err = await loadError(join(dir, 'job.yaml'));
    expect(err.message).toBe('unsupported job file type ".yaml"; use .json, .js, .mjs, .cjs or .ts');
  });

  test('a module exporting a Job builder and an update', async () => {
    const loaded = await loadJobFile(join(fixtures, 'builder-job.mjs'));
    expect(loaded.cluster).toBe('local');
    expect(loaded.config.key?.name).toBe('from-builder');
    expect(loaded.config.taskConfig?.executorConfig).toEqual({ name: 'hello-executor', data: '{"n":1}' });
    expect(loaded.update?.updateGroupSize).toBe(2);
    expect(loaded.file).toMatchObject({ name: 'from-builder', service: true, update: { batchSize: 2 } });
  });

  test('a module exporting a job file object as `job`', async () => {
    const loaded = await loadJobFile(join(fixtures, 'file-object.mjs'));
    expect(loaded.config.taskConfig?.executorConfig?.name).toBe('AuroraExecutor');
  });

  test('a module exporting a JobConfiguration', async () => {
    const loaded = await loadJobFile(join(fixtures, 'config.mjs'));
    expect(loaded.config.instanceCount).toBe(2);
    expect(loaded.file).toMatchObject({ name: 'raw', instances: 2, service: true, executor: { name: 'hello-executor', data: '' } });
  });

  test('a module without a job export', async () => {
    const err = await loadError(join(fixtures, 'no-export.mjs'));
    expect(err.message).toBe('the module has no default export and no "job" export');
  });

  test('a .ts module goes through the TypeScript loader seam', async () => {
    const seen: string[] = [];
    const loaded = await loadJobFile(join(fixtures, 'job.ts'), {
      importTypeScript: async (path) => {
        seen.push(path);
        return { default: { role: 'r', environment: 'devel', name: 'ts', executor: { name: 'e' }, resources: { cpus: 1, ramMb: 1, diskMb: 1 } } };
      },
    });
    expect(seen[0]).toMatch(/job\.ts$/);
    expect(loaded.config.key?.name).toBe('ts');
  });
});

describe('examples', () => {
  const policy = { executors: ['hello-executor', 'ticker-executor'] };
  test.each(['hello-service.json', 'thermos-batch.json', 'docker-job.json'])('%s loads and passes createJob checks', async (name) => {
    const loaded = await loadJobFile(join(examples, name));
    const extra = name === 'docker-job.json' ? { allowDocker: true } : {};
    expect(checkCreateJob(loaded.config, { ...policy, ...extra })).toEqual([]);
  });

  test('hello-service.json runs the custom executor hello-executor as a service', async () => {
    const { config } = await loadJobFile(join(examples, 'hello-service.json'));
    expect(config.taskConfig?.executorConfig?.name).toBe('hello-executor');
    expect(config.taskConfig?.isService).toBe(true);
  });

  test('docker-job.json is refused by a default Aurora', async () => {
    const { config } = await loadJobFile(join(examples, 'docker-job.json'));
    expect(checkCreateJob(config, policy)[0]?.message).toBe('This scheduler is not configured to allow the container type DOCKER');
  });

  test('cron-job.json passes scheduleCronJob checks', async () => {
    const { config } = await loadJobFile(join(examples, 'cron-job.json'));
    expect(checkCronJob(config, policy)).toEqual([]);
    expect(config.cronSchedule).toBe('*/5 * * * *');
  });
});

describe('JSON Schema', () => {
  test('is generated from the zod schema and rejects unknown keys', () => {
    const schema = jobFileJsonSchema() as { properties: Record<string, { properties?: Record<string, unknown>; additionalProperties?: unknown }>; required: string[]; additionalProperties: unknown };
    expect(schema.required).toEqual(['role', 'environment', 'name', 'resources']);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties.resources!.properties!)).toEqual(['cpus', 'ramMb', 'diskMb', 'gpus']);
    expect(schema.properties.resources!.additionalProperties).toBe(false);
  });

  test('scripts/gen-job-schema.mjs writes the committed schema/job.schema.json', async () => {
    const out = join(dir, 'job.schema.json');
    await promisify(execFile)(process.execPath, [join(import.meta.dirname, '..', '..', 'scripts', 'gen-job-schema.mjs'), out]);
    const written = JSON.parse(await readFile(out, 'utf8'));
    expect(written).toEqual(jobFileJsonSchema());
    const committed = JSON.parse(await readFile(join(import.meta.dirname, '..', '..', 'schema', 'job.schema.json'), 'utf8'));
    expect(committed).toEqual(written);
  });
});
