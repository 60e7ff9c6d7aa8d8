/**
 * `loadJobFile(path)`: a `.json` job file (or a pipe holding one, as `<(cat job.json)` names), or a
 * `.js`/`.mjs`/`.cjs` module whose default export (or `job` export) is a job file object, a `Job`
 * builder or a JobConfiguration; `.ts` modules load through `tsx` when it is installed (or Node's own
 * type stripping where available). Files are read through src/util/user-file.ts (16 MiB cap).
 */

import { statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JobConfiguration, JobConfigurationInput, JobUpdateSettings, JobUpdateSettingsInput } from '../gen/types.js';
import { AuroraValidationError } from '../errors.js';
import { JsonSyntaxError, parseJsonWithPosition } from '../util/json-syntax.js';
import { JOB_FILE_MAX_BYTES, UserFileError, checkUserFileSync, readUserFile } from '../util/user-file.js';
import { JobFileError } from './file-errors.js';
import { configToJobFile, parseJobFile } from './file.js';
import type { LoadedJob, ParseJobFileOptions } from './file.js';
import { plainCopy } from './plain.js';

export interface LoadJobFileOptions extends ParseJobFileOptions {
  /** Imports a TypeScript module (tests and hosts with their own loader); default: tsx if installed. */
  importTypeScript?: (path: string) => Promise<Record<string, unknown>>;
  /** Where a relative `path` starts (default the process's directory); messages still name `path` as given. */
  cwd?: string;
}

const fail = (source: string, message: string, cause?: unknown): JobFileError => {
  const err = new JobFileError([{ field: '', message }], source);
  if (cause !== undefined) Object.defineProperty(err, 'cause', { value: cause });
  return err;
};

export async function loadJobFile(path: string, options: LoadJobFileOptions = {}): Promise<LoadedJob> {
  const ext = extname(path).toLowerCase();
  const file = resolve(options.cwd ?? '', path);
  // A pipe has no extension (`job inspect <(cat job.json)` names /dev/fd/63): it can only be JSON.
  if (ext === '.json' || (ext === '' && isPipe(file))) {
    let text: string;
    try {
      text = await readUserFile(file, { what: 'job file', maxBytes: JOB_FILE_MAX_BYTES });
    } catch (err) {
      throw fail(path, `cannot read job file: ${err instanceof UserFileError ? err.reason : (err as Error).message}`, err);
    }
    let data: unknown;
    try {
      data = parseJsonWithPosition(text, { rejectDuplicateKeys: true });
    } catch (err) {
      if (err instanceof JsonSyntaxError) throw fail(path, err.message, err);
      throw err;
    }
    return parseJobFile(data, path, options);
  }
  if (ext === '.js' || ext === '.mjs' || ext === '.cjs') {
    checkModuleFile(file, path);
    return fromModule(await importModule(file, path), path, options);
  }
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') {
    checkModuleFile(file, path);
    const load = options.importTypeScript ?? importTypeScript;
    return fromModule(await load(file), path, options);
  }
  if (ext === '.aurora') {
    // Aurora's own configs are Pystachio (Python); reading them would mean running Python.
    throw fail(path, 'Aurora .aurora configs (Pystachio) are not read; write the job as .json (aurora-ts job wizard writes one) or as a .js/.ts module');
  }
  throw fail(path, `unsupported job file type "${ext || '(none)'}"; use .json, .js, .mjs, .cjs or .ts`);
}

function isPipe(path: string): boolean {
  try {
    return statSync(path).isFIFO();
  } catch {
    return false;
  }
}

/** Node reads a module whole, by path: refuse a device, a pipe or a huge file before it tries. */
function checkModuleFile(file: string, path: string): void {
  try {
    checkUserFileSync(file, { what: 'job module', maxBytes: JOB_FILE_MAX_BYTES, allowPipe: false });
  } catch (err) {
    // A missing file keeps the module loader's own message.
    if (err instanceof UserFileError && err.code !== 'ENOENT') throw fail(path, `cannot load job module: ${err.reason}`, err);
  }
}

async function importModule(file: string, path: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const detail = code === 'ERR_MODULE_NOT_FOUND' ? 'file not found' : (err as Error).message.split('\n')[0];
    throw fail(path, `cannot load job module: ${detail}`, err);
  }
}

/** tsx when installed, else Node's own TypeScript support (Node >= 22.18 / 23.6); a clear error otherwise. */
async function importTypeScript(path: string): Promise<Record<string, unknown>> {
  let tsx: { tsImport?: (specifier: string, parent: string) => Promise<unknown> } | undefined;
  try {
    const specifier = 'tsx/esm/api';
    tsx = (await import(specifier)) as typeof tsx;
  } catch {
    tsx = undefined;
  }
  if (tsx?.tsImport) {
    try {
      return (await tsx.tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
    } catch (err) {
      throw fail(path, `cannot load job module: ${(err as Error).message.split('\n')[0]}`, err);
    }
  }
  try {
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw fail(path, 'loading a .ts job file needs the "tsx" package (npm install --save-dev tsx), or compile it to .js first', err);
    }
    throw fail(path, `cannot load job module: ${(err as Error).message.split('\n')[0]}`, err);
  }
}

interface BuilderLike {
  toConfig(): JobConfiguration;
  clusterName?: string;
}

interface UpdateLike {
  toSettings(): JobUpdateSettings;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fromModule(mod: Record<string, unknown>, source: string, options: ParseJobFileOptions): LoadedJob {
  const value = mod['default'] ?? mod['job'];
  if (value === undefined) throw fail(source, 'the module has no default export and no "job" export');
  const update = updateFrom(mod['update'], source);
  if (isObject(value) && typeof value['toConfig'] === 'function') {
    const builder = value as unknown as BuilderLike;
    let config: JobConfiguration;
    try {
      config = builder.toConfig();
    } catch (err) {
      if (err instanceof AuroraValidationError) throw new JobFileError([{ field: err.field, message: stripField(err) }], source);
      throw err;
    }
    const cluster = typeof builder.clusterName === 'string' ? builder.clusterName : undefined;
    return loaded(config, cluster, update);
  }
  if (isObject(value) && isObject(value['taskConfig'])) {
    return loaded(plainCopy(value as JobConfigurationInput) as JobConfiguration, undefined, update);
  }
  const result = parseJobFile(value, source, options);
  if (update !== undefined) result.update = update;
  return result;
}

function loaded(config: JobConfiguration, cluster: string | undefined, update: JobUpdateSettings | undefined): LoadedJob {
  const out: LoadedJob = {
    config,
    file: configToJobFile(config, {
      ...(cluster === undefined ? {} : { cluster }),
      ...(update === undefined ? {} : { update }),
    }),
  };
  if (cluster !== undefined) out.cluster = cluster;
  if (update !== undefined) out.update = update;
  return out;
}

function updateFrom(value: unknown, source: string): JobUpdateSettings | undefined {
  if (value === undefined) return undefined;
  if (isObject(value) && typeof value['toSettings'] === 'function') return (value as unknown as UpdateLike).toSettings();
  if (isObject(value)) return plainCopy(value as JobUpdateSettingsInput) as JobUpdateSettings;
  throw fail(source, 'the "update" export must be a JobUpdate builder or JobUpdateSettings');
}

function stripField(err: AuroraValidationError): string {
  const prefix = `${err.field}: `;
  return err.field && err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}
