/**
 * The package as a separate project sees it: installed under node_modules (a symlink to this
 * checkout, built by `npm test`), imported from ESM, required from CommonJS, and type-checked
 * under `tsc --strict` through the `exports` map.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'aurora-ts-consumer-'));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(root, join(project, 'node_modules', 'aurora-ts'), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
});

afterAll(() => {
  rmSync(project, { recursive: true, force: true });
});

function node(file: string, source: string): string {
  writeFileSync(join(project, file), source);
  return execFileSync(process.execPath, [file], { cwd: project, encoding: 'utf8' }).trim();
}

describe('aurora-ts as a dependency', () => {
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
    // A load hook lists every file the import reads (node: built-ins aside).
    writeFileSync(
      join(project, 'hooks.mjs'),
      `let port;
       export function initialize(data) { port = data.port; }
       export async function load(url, context, next) { if (url.startsWith('file:')) port.postMessage(url); return next(url, context); }`,
    );
    const out = node(
      'closure.mjs',
      `import { register } from 'node:module';
       import { MessageChannel } from 'node:worker_threads';
       const { port1, port2 } = new MessageChannel();
       const loaded = [];
       port1.on('message', (url) => loaded.push(url));
       register('./hooks.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
       await import('aurora-ts');
       await new Promise((r) => setTimeout(r, 50));
       port1.close();
       console.log(JSON.stringify(loaded));`,
    );
    const files = (JSON.parse(out) as string[]).filter((url) => !url.endsWith('/closure.mjs')).map((url) => (url.includes('/dist/') ? url.slice(url.indexOf('/dist/')) : url));
    // The bundled entry and the error classes it shares with aurora-ts/scheduler; zod, cron-parser,
    // node:https and the rest load when a call needs them.
    expect(files.sort()).toEqual(['/dist/errors.js', '/dist/executors/error.js', '/dist/sdk/index.js']);
  });

  it('ships the job file JSON Schema', () => {
    const out = node('schema.mjs', `import { createRequire } from 'node:module'; const r = createRequire(import.meta.url); console.log(r.resolve('aurora-ts/job.schema.json'));`);
    expect(out).toMatch(/schema[/\\]job\.schema\.json$/);
  });

  it("type-checks the README's \"Use from code\" example", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Use from code'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
    writeFileSync(join(project, 'readme.mts'), `${code}\nexport {};\n`);
    writeFileSync(
      join(project, 'tsconfig.readme.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: [] }, files: ['readme.mts'] }),
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    expect(execFileSync(process.execPath, [tsc, '-p', join(project, 'tsconfig.readme.json')], { cwd: project, encoding: 'utf8' })).toBe('');
  }, 120_000);

  it('type-checks a consumer under tsc --strict', () => {
    writeFileSync(
      join(project, 'deploy.ts'),
      `import { AuroraClient, AuroraResponseError, Job, JobUpdate, ScheduleStatus, type JobKey, type ScheduledTask } from 'aurora-ts';
       export async function run(): Promise<number> {
         const client = new AuroraClient({ url: 'http://127.0.0.1:8081', protocol: 'binary', timeoutMs: 1000 });
         const key: JobKey = { role: 'www-data', environment: 'prod', name: 'hello' };
         const job = Job.create(key).service().instances(3).executor('myExecutor', 'data').cpus(0.5).ramMb(128).diskMb(128);
         try {
           await client.createJob(job);
           await client.startJobUpdate(JobUpdate.for(job).batchSize(2), 'rolling');
         } catch (e) {
           if (e instanceof AuroraResponseError) return e.code;
           throw e;
         }
         const { tasks = [] } = await client.getTasksWithoutConfigs({ jobKeys: new Set([key]), statuses: [ScheduleStatus.RUNNING] });
         const first: ScheduledTask | undefined = tasks[0];
         await client.killTasks(key, [0, 1], 'done');
         return first?.assignedTask?.instanceId ?? -1;
       }`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: [] }, files: ['deploy.ts'] }),
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = execFileSync(process.execPath, [tsc, '-p', project], { cwd: project, encoding: 'utf8' });
    expect(result).toBe('');
  }, 120_000);
});
