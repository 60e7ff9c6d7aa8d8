/**
 * `aurora-ts executors new`: bad input is refused in one line (exit 2) with nothing written; a new
 * project is what a user gets: installed with the packed aurora-ts (npm pack of this checkout, built
 * by `npm run build`) and its own dev dependencies, type-checked under strict and built by its `npm
 * run build`, and its own `npm test` passes: a local scheduler runs the TypeScript executor's task
 * RUNNING, `task logs` shows its output, after a scheduler crash and a restart on the same
 * --state-dir the executor re-subscribes and the task is still RUNNING, and a kill reaches the
 * executor, which ends it KILLED.
 * Offline: aurora-ts's dependencies come from npm's cache (as test/package does); typescript,
 * @types/node and better-sqlite3 (a native module) are linked from this checkout's node_modules.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packTarball } from '../support/packed.mjs';
import { cleanEnv, json, oneErrorLine, ROOT, runBinary, tempDir } from './helpers.js';

let work: string;
beforeAll(() => {
  work = tempDir('aurora-ts-executors-new-');
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('executors new: bad input', () => {
  it('refuses a NAME that is not a package/directory name, in one line naming the field, exit 2, nothing written', async () => {
    for (const name of ['Hello', '_x', '.hidden', 'a/b', 'two words', '@scope/x']) {
      const r = await runBinary(['executors', 'new', name], { cwd: work });
      expect(r.code, name).toBe(2);
      expect(oneErrorLine(r)).toMatch(/^aurora-ts: NAME: ".*" is not a valid executor name \(use 1-100 lowercase letters/);
    }
    expect(readdirSync(work)).toEqual([]);
  });

  it('refuses an existing non-empty --dir, or a file, in one line naming --dir, exit 2, nothing written', async () => {
    const dir = join(work, 'taken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const r = await runBinary(['executors', 'new', 'hello-exec', '--dir', dir], { cwd: work });
    expect(r.code).toBe(2);
    expect(oneErrorLine(r)).toBe(`aurora-ts: --dir: ${dir} is not empty (name a new or empty directory)`);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    const file = await runBinary(['executors', 'new', 'hello-exec', '--dir', join(dir, 'notes.txt')], { cwd: work });
    expect(file.code).toBe(2);
    expect(oneErrorLine(file)).toContain('--dir: ');
    rmSync(dir, { recursive: true });
  });
});

describe('executors new hello-exec: the project a user gets', () => {
  let project: string;
  let written: string[];
  let testRun: { status: number | null; output: string };

  beforeAll(async () => {
    const made = await runBinary(['--json', 'executors', 'new', 'hello-exec'], { cwd: work });
    expect(made.code, made.stderr).toBe(0);
    ({ dir: project, files: written } = json<{ dir: string; files: string[] }>(made));
    const onDisk = (readdirSync(project, { recursive: true, withFileTypes: true }) as Array<{ isFile(): boolean; parentPath: string; name: string }>)
      .filter((e) => e.isFile())
      .map((e) => relative(project, join(e.parentPath, e.name)));
    expect(onDisk.sort()).toEqual(written);
    const tarball = packTarball(work);
    // Installed as the user's `npm install` does, but with aurora-ts from the packed tarball and the
    // dev dependencies linked from this checkout; the generated package.json is put back afterwards.
    const manifestPath = join(project, 'package.json');
    const manifest = readFileSync(manifestPath, 'utf8');
    const { devDependencies, ...forInstall } = JSON.parse(manifest) as { devDependencies: Record<string, string>; dependencies: Record<string, string> };
    forInstall.dependencies['aurora-ts'] = `file:${tarball}`;
    writeFileSync(manifestPath, JSON.stringify(forInstall));
    const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: project, encoding: 'utf8' });
    writeFileSync(manifestPath, manifest);
    expect(install.status, `${install.stdout}${install.stderr}`).toBe(0);
    for (const name of Object.keys(devDependencies)) {
      mkdirSync(join(project, 'node_modules', name, '..'), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', name), join(project, 'node_modules', name), 'dir');
    }
    symlinkSync('../typescript/bin/tsc', join(project, 'node_modules/.bin/tsc'));
    // `npm test`: `npm run build` (tsc, strict) then `node --test` of the built test.
    const r = spawnSync('npm', ['test'], { cwd: project, encoding: 'utf8', env: cleanEnv(), timeout: 240_000 });
    testRun = { status: r.status, output: `${r.stdout}${r.stderr}` };
  }, 360_000);

  it('writes the files the README names, depending on the published range of this version', async () => {
    expect(written).toEqual(['.gitignore', 'README.md', 'executors.json', 'job.json', 'package.json', 'src/executor.ts', 'test/executor.test.ts', 'tsconfig.json']);
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string> };
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(pkg.name).toBe('hello-exec');
    expect(pkg.dependencies).toEqual({ 'aurora-ts': `^${version}` });
    expect(JSON.parse(readFileSync(join(project, 'tsconfig.json'), 'utf8')).compilerOptions.strict).toBe(true);
    const listed = await runBinary(['--json', 'executors', 'list', join(project, 'executors.json')]);
    expect(listed.code, listed.stderr).toBe(0);
    const [entry] = json<{ executors: Array<{ name: string; command: string; taskPrefix: string; overhead: { cpus: number; ramMb: number } }> }>(listed).executors;
    expect(entry).toMatchObject({ name: 'hello-exec', command: `node ${join(project, 'dist/src/executor.js')}`, taskPrefix: 'hello-exec-', overhead: { cpus: 0.05, ramMb: 64 } });
    const job = JSON.parse(readFileSync(join(project, 'job.json'), 'utf8')) as { name: string; executor: { name: string; data: { command: string } } };
    expect([job.name, job.executor.name, typeof job.executor.data.command]).toEqual(['hello-exec', 'hello-exec', 'string']);
    // The README's commands, exactly.
    const readme = readFileSync(join(project, 'README.md'), 'utf8');
    const commands = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.trim().split('\n'));
    expect(commands).toEqual([
      'npm install && npm run build',
      'npx aurora-ts scheduler start --custom-executor-config executors.json',
      'npx aurora-ts job create job.json --wait-until RUNNING',
      'npx aurora-ts task logs local/www-data/devel/hello-exec/0',
    ]);
  });

  it('the installed package writes the same project (its templates are shipped)', () => {
    const again = join(work, 'from-package');
    const bin = join(project, 'node_modules/aurora-ts/bin/aurora-ts.js');
    const r = spawnSync(process.execPath, [bin, 'executors', 'new', 'hello-exec', '--dir', again], { cwd: work, encoding: 'utf8', env: cleanEnv() });
    expect(r.status, r.stderr).toBe(0);
    for (const file of written) {
      const expected = readFileSync(join(project, file), 'utf8').replaceAll(project, again);
      expect(readFileSync(join(again, file), 'utf8'), file).toBe(expected);
    }
  });

  it('builds under strict and passes its own test on the local scheduler: RUNNING, logs, re-subscription after a restart on --state-dir, KILLED by the executor', () => {
    expect(testRun.status, testRun.output).toBe(0);
    expect(existsSync(join(project, 'dist/src/executor.js'))).toBe(true);
    for (const name of [
      'the job runs on this executor: RUNNING',
      "task logs shows the command's output and the executor's",
      'after a scheduler crash and a restart on the same --state-dir, the executor re-subscribes and the task is still RUNNING',
      'a kill reaches the executor and ends the task KILLED',
    ]) {
      expect(testRun.output, name).toMatch(new RegExp(`^ok \\d+ - ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    }
    expect(testRun.output).toMatch(/^# pass 4$/m);
    expect(testRun.output).toMatch(/^# fail 0$/m);
  });
});
