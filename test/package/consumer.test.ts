/**
 * The package as a user gets it: `npm pack` of this checkout (built by `npm test`), installed with
 * `npm install <tarball>` into a fresh project (install scripts allowed), then imported from ESM,
 * required from CommonJS, and type-checked under `tsc --strict` through the `exports` map.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nonNullAssertions } from '../support/non-null.js';
import { packedConsumer } from '../support/packed.mjs';

const root = resolve(import.meta.dirname, '../..');
let project: string;
let installed: { dir: string; log: string };

beforeAll(() => {
  // @types/node: the published types use Node's, as the README says a TypeScript user needs.
  installed = packedConsumer(['@types/node@20']);
  project = join(installed.dir, 'project');
}, 300_000);

afterAll(() => {
  if (installed !== undefined) rmSync(installed.dir, { recursive: true, force: true });
});

/** The compiler options a careful consumer uses: strict, plus indexed access that may be undefined. */
const STRICT = { strict: true, noUncheckedIndexedAccess: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022' };

/** Every package directory under node_modules (scoped ones included) and the bytes it holds. */
function installedPackages(modules: string): Array<{ name: string; bytes: number; manifest: { scripts?: Record<string, string>; gypfile?: boolean } }> {
  const out: Array<{ name: string; bytes: number; manifest: { scripts?: Record<string, string>; gypfile?: boolean } }> = [];
  const size = (p: string): number => {
    const st = statSync(p);
    if (!st.isDirectory()) return st.size;
    return readdirSync(p).reduce((sum, entry) => sum + size(join(p, entry)), 0);
  };
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith('.')) continue;
    const names = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const name of names) {
      const dir = join(modules, name);
      out.push({ name, bytes: size(dir), manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) });
      if (existsSync(join(dir, 'node_modules'))) out.push(...installedPackages(join(dir, 'node_modules')));
    }
  }
  return out;
}

/** The files (under dist/ as /dist/..., node: built-ins aside) that `import(specifier)` reads. */
function filesLoadedBy(specifier: string): string[] {
  // A load hook lists every ES module the import reads; require's cache, the CommonJS files.
  writeFileSync(
    join(project, 'hooks.mjs'),
    `let port;
     export function initialize(data) { port = data.port; }
     export async function load(url, context, next) { if (url.startsWith('file:')) port.postMessage(url); return next(url, context); }`,
  );
  const out = node(
    'closure.mjs',
    `import { createRequire, register } from 'node:module';
     import { MessageChannel } from 'node:worker_threads';
     const { port1, port2 } = new MessageChannel();
     const loaded = [];
     port1.on('message', (url) => loaded.push(url));
     register('./hooks.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
     await import(${JSON.stringify(specifier)});
     await new Promise((r) => setTimeout(r, 50));
     port1.close();
     for (const file of Object.keys(createRequire(import.meta.url).cache)) loaded.push('file://' + file);
     console.log(JSON.stringify(loaded));`,
  );
  return (JSON.parse(out) as string[]).filter((url) => !url.endsWith('/closure.mjs')).map((url) => (url.includes('/dist/') ? url.slice(url.indexOf('/dist/')) : url));
}

function node(file: string, source: string): string {
  writeFileSync(join(project, file), source);
  return execFileSync(process.execPath, [file], { cwd: project, encoding: 'utf8' }).trim();
}

describe('aurora-ts as a dependency', () => {
  it('installs without a native build, and with a small closure', () => {
    const modules = join(project, 'node_modules');
    const packages = installedPackages(modules).filter((p) => p.name !== '@types/node' && p.name !== 'undici-types');
    const names = packages.map((p) => p.name);
    // better-sqlite3 (native) and the scheduler's archive libraries are optional peers: not installed.
    expect(names).not.toContain('better-sqlite3');
    expect(names).not.toContain('tar');
    expect(names).not.toContain('node-fetch');
    // No installed package has an install step, so nothing was built or downloaded by a script.
    const withScripts = packages.filter((p) => p.manifest.gypfile === true || ['preinstall', 'install', 'postinstall'].some((s) => p.manifest.scripts?.[s] !== undefined));
    expect(withScripts.map((p) => p.name)).toEqual([]);
    expect(installed.log).not.toMatch(/node-gyp|prebuild-install|gyp info/);
    // Target: at most 60 packages and 25 MB with aurora-ts itself (it was 109 packages, 51 MB).
    const megabytes = packages.reduce((sum, p) => sum + p.bytes, 0) / 1e6;
    expect(packages.length).toBeLessThanOrEqual(60);
    expect(megabytes).toBeLessThanOrEqual(25);
  });

  it('ships what the README links to and no source maps pointing at unshipped sources', () => {
    const pkg = join(project, 'node_modules', 'aurora-ts');
    const files = (readdirSync(pkg, { recursive: true }) as string[]).map((f) => f.replaceAll('\\', '/'));
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
    // Every relative link of the README (examples/, docs/) resolves inside the installed package.
    const linked = [...readme.matchAll(/\]\(((?:examples|docs)\/[^)#]+)\)/g)].map((m) => m[1]!);
    expect(linked).toContain('examples/deploy.ts');
    for (const link of linked) expect(files, link).toContain(link);
  });

  it('runs the installed CLI: commander is inside its bundle, not a dependency, and the unbundled CLI is not shipped', () => {
    const pkg = join(project, 'node_modules', 'aurora-ts');
    expect(installedPackages(join(project, 'node_modules')).map((p) => p.name)).not.toContain('commander');
    const shipped = (readdirSync(join(pkg, 'dist/cli'), { recursive: true }) as string[]).map((f) => f.replaceAll('\\', '/'));
    expect(shipped.filter((f) => !f.startsWith('bundle') && f !== 'dynamic-import.cjs')).toEqual([]);
    const bin = join(project, 'node_modules', '.bin', 'aurora-ts');
    const run = (...args: string[]) => spawnSync(bin, args, { cwd: project, encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: join(installed.dir, 'cache') } });
    const version = run('--version');
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string }).version);
    const help = run('job', 'create', '--help');
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/create a job from a job file/);
    // A verb that reads the package's own files (templates/) from the bundle.
    const created = run('executors', 'new', 'my-exec', '--dir', join(installed.dir, 'my-exec'));
    expect(created.status, created.stderr).toBe(0);
    expect(existsSync(join(installed.dir, 'my-exec', 'package.json'))).toBe(true);
  });

  it('runs the local scheduler without its optional peers, and names the one a state directory needs', () => {
    const out = node(
      'scheduler.mjs',
      `import { startScheduler } from 'aurora-ts/scheduler';
       import { AuroraClient, AuroraValidationError } from 'aurora-ts';
       const scheduler = await startScheduler({ port: 0 });
       const client = new AuroraClient({ url: scheduler.url });
       const up = Array.isArray((await client.getRoleSummary()).summaries);
       client.close();
       await scheduler.close();
       const failed = await startScheduler({ port: 0, stateDir: 'state' }).then(
         (s) => s.close().then(() => 'started'),
         (e) => [e instanceof AuroraValidationError, e.message],
       );
       console.log(JSON.stringify([up, failed]));`,
    );
    const [up, [typed, message]] = JSON.parse(out) as [boolean, [boolean, string]];
    expect(up).toBe(true);
    expect(typed).toBe(true);
    expect(message).toMatch(/^stateDir: .*needs the optional package better-sqlite3.*npm install better-sqlite3/);
    expect(message).not.toContain('\n');
  });

  it('imports from ESM', () => {
    const out = node(
      'esm.mjs',
      `import { AuroraClient, Job, ScheduleStatus, ACTIVE_STATES, AURORA_EXECUTOR_NAME } from 'aurora-ts';
       const client = new AuroraClient({ url: 'http://127.0.0.1:1' });
       const job = Job.create('www-data/prod/hello').instances(2).executor('myExecutor', { a: 1 }).cpus(1).ramMb(64).diskMb(64);
       console.log(JSON.stringify([typeof client.getJobs, job.toConfig().instanceCount, ScheduleStatus[ScheduleStatus.RUNNING], ACTIVE_STATES.has(ScheduleStatus.RUNNING), AURORA_EXECUTOR_NAME]));`,
    );
    expect(JSON.parse(out)).toEqual(['function', 2, 'RUNNING', true, 'AuroraExecutor']);
  });

  it('requires from CommonJS', () => {
    const out = node(
      'cjs.cjs',
      `const aurora = require('aurora-ts');
       const client = new aurora.AuroraClient({ url: 'http://127.0.0.1:1', protocol: 'json' });
       const { startScheduler } = require('aurora-ts/scheduler');
       console.log(JSON.stringify([typeof client.killTasks, aurora.ResponseCode.OK, typeof startScheduler, 'startScheduler' in aurora]));`,
    );
    expect(JSON.parse(out)).toEqual(['function', 1, 'function', false]);
  });

  it('loads only the SDK on import: no scheduler, CLI or dependency module', () => {
    const files = filesLoadedBy('aurora-ts');
    // The bundled entry and the error classes it shares with aurora-ts/scheduler and the CLI (CommonJS
    // files); zod, cron-parser, node:https and the rest load when a call needs them.
    expect(files.sort()).toEqual(['/dist/errors.cjs', '/dist/executors/error.cjs', '/dist/sdk/index.js']);
  });

  it('aurora-ts/executor: loads only the kit, says in one line when it is not under an agent, and type-checks a strict executor and the README\'s', () => {
    const outside = node(
      'executor.mjs',
      `import { runExecutor } from 'aurora-ts/executor';
       const exit = await runExecutor({ launch: (task, ctx) => void ctx.run('true') }, { env: {}, log: () => undefined });
       console.log(JSON.stringify(exit));`,
    );
    expect(JSON.parse(outside)).toEqual({
      code: 1,
      reason: 'aurora-ts/executor: MESOS_AGENT_ENDPOINT is not set: run this executor under a Mesos agent or `aurora-ts scheduler start`',
    });
    // The whole output of a bare executor started by hand: the one line, exit code 1.
    writeFileSync(join(project, 'bare.mjs'), `import { runExecutor } from 'aurora-ts/executor';\nrunExecutor({ launch() {} }).then((exit) => { process.exitCode = exit.code; });\n`);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MESOS_')));
    const bare = spawnSync(process.execPath, ['bare.mjs'], { cwd: project, encoding: 'utf8', env });
    expect([bare.status, bare.stdout, bare.stderr]).toEqual([1, '', 'aurora-ts/executor: MESOS_AGENT_ENDPOINT is not set: run this executor under a Mesos agent or `aurora-ts scheduler start`\n']);

    const files = filesLoadedBy('aurora-ts/executor');
    // One bundle (protobufjs inside) and a 1 kB chunk it shares with the Thrift codec (rolldown's runtime
    // and the JSON pre-scan of src/util/json-scan.ts, named after the latter); the codec loads when run.
    expect(files.sort()).toEqual(['/dist/executor/bundle-json-scan.js', '/dist/executor/index.js']);

    writeFileSync(
      join(project, 'my-executor.ts'),
      `import { runExecutor, type ExecutorHandler, type LaunchedTask, type TaskContext, type AssignedTask } from 'aurora-ts/executor';
       interface Config { cmd: string }
       const handler: ExecutorHandler = {
         async launch(task: LaunchedTask, ctx: TaskContext) {
           const assigned: AssignedTask = task.assignedTask();
           await ctx.update('TASK_STARTING', { message: \`instance \${assigned.instanceId ?? 0}\` });
           const { exited } = ctx.run(task.executorJson<Config>().cmd, { env: { GREETING: 'hi' } });
           ctx.signal.addEventListener('abort', () => void exited.then(({ code }) => code));
         },
         message: (data: Uint8Array) => void data.byteLength,
       };
       runExecutor(handler, { contentType: 'application/json' }).then((exit) => { process.exitCode = exit.code; });`,
    );
    // And the README's example, as written there.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const example = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('### Writing an executor in TypeScript')))![1]!;
    writeFileSync(join(project, 'readme-executor.mts'), example);
    writeFileSync(
      join(project, 'tsconfig.executor.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: ['node'] }, files: ['my-executor.ts', 'readme-executor.mts'] }),
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    expect(execFileSync(process.execPath, [tsc, '-p', join(project, 'tsconfig.executor.json')], { cwd: project, encoding: 'utf8' })).toBe('');
  }, 120_000);

  it('exports every public option, outcome and error type by name', () => {
    const values = [
      'AuroraClient', 'AuroraError', 'AuroraResponseError', 'AuroraTimeoutError', 'AuroraTransportError', 'AuroraHttpError',
      'AuroraAuthError', 'AuroraProtocolError', 'AuroraValidationError', 'AuroraRangeError', 'AuroraDiscoveryError',
      'AuroraAbortError', 'AuroraWaitTimeoutError', 'AuroraUpdateFailedError', 'AuroraInstanceFailedError', 'ExecutorConfigError', 'JobFileError',
      'ThriftMessageError', 'TApplicationExceptionType', 'CLIENT_UPDATE_ID_KEY', 'isAmbiguous', 'defaultShouldRetry',
      'isReadOnlyMethod', 'createJobSafely', 'startJobUpdateSafely', 'TaskFiles', 'readTaskFile', 'followTaskFile',
      'TaskFileNotFoundError', 'rollingRestart', 'AuroraRestartFailedError', 'jobUptime', 'taskUpCount', 'latestTasks',
    ];
    const types = [
      'AuroraClientOptions', 'CallOptions', 'RpcOutput', 'RpcMethods', 'ThriftValue', 'ResponseInfo', 'AuroraErrorKind',
      'AuroraErrorOptions', 'RetryOptions', 'RetryInfo', 'TlsOptions', 'Credentials', 'Netrc', 'NetrcEntry',
      'SafeWriteOptions', 'SafeWriteEvent', 'SafeWriteClient', 'CreateJobOutcome', 'StartUpdateOutcome', 'ConnectOptions',
      'ConnectEvent', 'HttpTransportOptions', 'Transport', 'TransportCall', 'TransportEvent', 'FetchLike', 'FetchInit',
      'FetchResponse', 'WireProtocol', 'Cluster', 'Clusters', 'ClusterPolicyOverrides', 'LoadClustersOptions',
      'CustomExecutor', 'ExecutorCatalog', 'ExecutorCommand', 'ExecutorEnvVar', 'ExecutorResource', 'ExecutorUri',
      'CronSchedule', 'JobFile', 'JobFileSchema', 'WaitOptions', 'UpdateProgress', 'InstancesProgress', 'JobRef',
      'ApiSchema', 'StructDef', 'FieldDef', 'TypeRef', 'TaskFilesOptions', 'TaskFileRead', 'TaskFileFollow', 'TaskFileChunk',
      'TaskFileSource', 'TaskRef', 'GetOptions', 'GetReply', 'RollingRestartOptions', 'RollingRestartResult', 'RestartProgress',
      'JobUptime', 'TaskUpCount', 'OneOf', 'JobKeyInput', 'TaskConfigInput', 'ResourceInput', 'AuroraApi',
      'AuroraMethod',
    ];
    const scheduler = ['startScheduler', 'SchedulerListenError'];
    const schedulerTypes = ['SchedulerOptions', 'RunningScheduler', 'CronOptions', 'MaintenanceOptions', 'UpdateOptions', 'ThrottleSettings', 'SchedulerPolicy'];
    // Values at run time, from the installed package.
    const out = node(
      'names.mjs',
      `import * as sdk from 'aurora-ts'; import * as scheduler from 'aurora-ts/scheduler';
       console.log(JSON.stringify([${JSON.stringify(values)}.filter((n) => sdk[n] === undefined), ${JSON.stringify(scheduler)}.filter((n) => scheduler[n] === undefined)]));`,
    );
    expect(JSON.parse(out)).toEqual([[], []]);
    // Types and values by name, through the published .d.ts files.
    writeFileSync(
      join(project, 'names.ts'),
      `import { ${values.join(', ')}, ${types.map((t) => `type ${t}`).join(', ')} } from 'aurora-ts';
       import { ${scheduler.join(', ')}, ${schedulerTypes.map((t) => `type ${t}`).join(', ')} } from 'aurora-ts/scheduler';
       export type All = [${[...types, ...schedulerTypes].map((t) => (['RpcOutput', 'ThriftValue', 'WaitOptions', 'OneOf'].includes(t) ? `${t}<unknown>` : t)).join(', ')}];
       export const all = [${[...values, ...scheduler].join(', ')}];`,
    );
    writeFileSync(
      join(project, 'tsconfig.names.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: [] }, files: ['names.ts'] }),
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    expect(execFileSync(process.execPath, [tsc, '-p', join(project, 'tsconfig.names.json')], { cwd: project, encoding: 'utf8' })).toBe('');
  }, 120_000);

  it('ships the job file JSON Schema', () => {
    const out = node('schema.mjs', `import { createRequire } from 'node:module'; const r = createRequire(import.meta.url); console.log(r.resolve('aurora-ts/job.schema.json'));`);
    expect(out).toMatch(/schema[/\\]job\.schema\.json$/);
  });

  it("type-checks the README's \"Use from code\" example under strict and noUncheckedIndexedAccess, without a non-null assertion", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Use from code'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
    expect(nonNullAssertions(code)).toEqual([]);
    writeFileSync(join(project, 'readme.mts'), `${code}\nexport {};\n`);
    writeFileSync(
      join(project, 'tsconfig.readme.json'),
      JSON.stringify({ compilerOptions: { ...STRICT, noEmit: true, types: [] }, files: ['readme.mts'] }),
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    expect(execFileSync(process.execPath, [tsc, '-p', join(project, 'tsconfig.readme.json')], { cwd: project, encoding: 'utf8' })).toBe('');
  }, 120_000);

  it('type-checks a deploy script without a single non-null assertion under strict and noUncheckedIndexedAccess', () => {
    const source = `import { AuroraClient, AuroraResponseError, Job, JobUpdate, ScheduleStatus, type JobKey, type ScheduledTask } from 'aurora-ts';
       export async function run(): Promise<string[]> {
         const client = new AuroraClient({ url: 'http://127.0.0.1:8081', protocol: 'binary', timeoutMs: 1000 });
         const key: JobKey = { role: 'www-data', environment: 'prod', name: 'hello' };
         const job = Job.create(key).service().instances(3).executor('myExecutor', 'data').cpus(0.5).ramMb(128).diskMb(128);
         const { configs } = await client.getJobs(key.role);
         const exists = configs.some((c) => c.key.environment === key.environment && c.key.name === key.name);
         try {
           if (!exists) await client.createJob(job);
           const { key: update } = await client.startJobUpdate(JobUpdate.for(job).batchSize(2), 'rolling');
           if (update !== undefined) console.log(update.id, update.job.name);
         } catch (e) {
           if (e instanceof AuroraResponseError) return [e.codeName];
           throw e;
         }
         const { tasks } = await client.getTasksWithoutConfigs({ jobKeys: new Set([key]), statuses: [ScheduleStatus.RUNNING] });
         const first: ScheduledTask | undefined = tasks[0];
         const { updateSummaries } = await client.getJobUpdateSummaries({ jobKey: key, limit: 1 });
         console.log(first?.assignedTask.task.job.role, updateSummaries[0]?.state.status);
         await client.killTasks(key, [0, 1], 'done');
         return tasks.map((t) => \`\${t.assignedTask.instanceId} \${t.assignedTask.taskId} \${ScheduleStatus[t.status]} \${t.taskEvents.length}\`);
       }`;
    expect(nonNullAssertions(source)).toEqual([]);
    writeFileSync(join(project, 'deploy.ts'), source);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...STRICT, noEmit: true, types: [] }, files: ['deploy.ts'] }));
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = execFileSync(process.execPath, [tsc, '-p', project], { cwd: project, encoding: 'utf8' });
    expect(result).toBe('');
  }, 120_000);

  it('refuses at compile time a union with two members, or none', () => {
    // Each line marked `// bad` must be a compile error at that line, and nothing else may be.
    const lines = [
      `import { AuroraClient, type Resource, type TaskConstraint, type JobUpdateStrategy } from 'aurora-ts';`,
      `const client = new AuroraClient({ url: 'http://127.0.0.1:8081' });`,
      `export const ok: Resource[] = [{ numCpus: 1 }, { ramMb: 2 }, { namedPort: 'http' }];`,
      `export const okConstraint: TaskConstraint = { limit: { limit: 1 } };`,
      `export const twoResources: Resource = { numCpus: 1, ramMb: 2 }; // bad`,
      `export const noResource: Resource = {}; // bad`,
      `export const twoConstraints: TaskConstraint = { value: { negated: false, values: ['a'] }, limit: { limit: 1 } }; // bad`,
      `export const twoStrategies: JobUpdateStrategy = { queueStrategy: { groupSize: 1 }, batchStrategy: { groupSize: 2 } }; // bad`,
      `export const quota = client.setQuota('www-data', { resources: [{ numCpus: 1, ramMb: 2 }] }); // bad`,
      `export function read(r: Resource): number { return r.numCpus ?? r.ramMb ?? 0; }`,
    ];
    writeFileSync(join(project, 'unions.ts'), lines.join('\n'));
    writeFileSync(join(project, 'tsconfig.unions.json'), JSON.stringify({ compilerOptions: { ...STRICT, noEmit: true, types: [] }, files: ['unions.ts'] }));
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(project, 'tsconfig.unions.json')], { cwd: project, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    const errorLines = [...new Set([...r.stdout.matchAll(/unions\.ts\((\d+),\d+\): error TS/g)].map((m) => Number(m[1])))];
    const bad = lines.flatMap((l, i) => (l.endsWith('// bad') ? [i + 1] : []));
    expect(errorLines, r.stdout).toEqual(bad);
  }, 120_000);
});
