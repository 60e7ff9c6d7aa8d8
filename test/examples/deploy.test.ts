/**
 * examples/deploy.ts, the "imported in Node deployment tooling" use, run as its user would run it:
 * compiled and executed in a separate project that depends on aurora-ts, against a local scheduler.
 * First run creates the job; second run rolls an update; a third with a failing config rolls back.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { ScheduleStatus } from '../../src/gen/types.js';
import { startScheduler, type RunningScheduler } from '../../src/scheduler/index.js';
import { nonNullAssertions } from '../support/non-null.js';

const root = resolve(import.meta.dirname, '../..');
let project: string;
let scheduler: RunningScheduler;

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'aurora-ts-deploy-'));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(root, join(project, 'node_modules', 'aurora-ts'), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'deploy-tooling', private: true, type: 'module' }));
  const source = readFileSync(join(root, 'examples/deploy.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  writeFileSync(join(project, 'deploy.mjs'), outputText);
  // hello-executor from the examples, plus one whose tasks die at once (the failing release).
  const executors = JSON.parse(readFileSync(join(root, 'examples/executors.json'), 'utf8')) as unknown[];
  scheduler = await startScheduler({ port: 0, executors: writeExecutors(executors), killGraceMs: 300, throttle: { initialBackoffMs: 200, maxBackoffMs: 400, minRunningMs: 1000 } });
});

afterAll(async () => {
  await scheduler?.close();
  rmSync(project, { recursive: true, force: true });
});

function writeExecutors(entries: unknown[]): string {
  const path = join(project, 'executors.json');
  writeFileSync(path, JSON.stringify(entries));
  return path;
}

/** Runs the script without blocking this process: the scheduler under test lives here too. */
function deploy(greeting: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['deploy.mjs', greeting],
      { cwd: project, encoding: 'utf8', timeout: 90_000, env: { ...process.env, AURORA_SCHEDULER_URL: scheduler.url, DEPLOY_WATCH_SECS: '1', HOME: project } },
      (error, stdout, stderr) => done({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('examples/deploy.ts', () => {
  it('creates the job, then rolls an update to a new config', async () => {
    const first = await deploy('hello');
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain('creating www-data/devel/deploy-demo');
    expect(first.stdout).toContain('created: all instances RUNNING');
    expect(first.stdout).toMatch(/instance 0: \S*deploy-demo-0-\S+ RUNNING/);

    const second = await deploy('hello v2');
    expect(second.status, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toContain('updating www-data/devel/deploy-demo to greeting "hello v2"');
    expect(second.stdout).toMatch(/ROLLING_FORWARD: \d\/2 instances/);
    expect(second.stdout).toContain('updated: ROLLED_FORWARD');

    const client = new AuroraClient({ url: scheduler.url });
    const { tasks = [] } = await client.getTasksStatus({ role: 'www-data', jobName: 'deploy-demo', statuses: [ScheduleStatus.RUNNING] });
    expect(tasks).toHaveLength(2);
    for (const t of tasks) expect(JSON.parse(t.assignedTask!.task!.executorConfig!.data!)).toEqual({ greeting: 'hello v2' });

    const again = await deploy('hello v2');
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('nothing to do');
    await client.killTasks({ role: 'www-data', environment: 'devel', name: 'deploy-demo' }, [], 'test done');
  });

  it('type-checks against the published types under strict and noUncheckedIndexedAccess, without a non-null assertion', () => {
    expect(nonNullAssertions(readFileSync(join(root, 'examples/deploy.ts'), 'utf8'))).toEqual([]);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noUncheckedIndexedAccess: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: ['node'], typeRoots: [join(root, 'node_modules/@types')] }, files: ['deploy.ts'] }),
    );
    writeFileSync(join(project, 'deploy.ts'), readFileSync(join(root, 'examples/deploy.ts'), 'utf8'));
    const out = execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: project, encoding: 'utf8' });
    expect(out).toBe('');
  }, 120_000);
});
