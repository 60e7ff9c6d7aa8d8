import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchTask, type FetchUri, type LaunchSpec } from '../../src/scheduler/runner/index.js';
import { makeZip, readText, serveFiles, tempDir, type FileServer } from './helpers.js';

let work: string;
let server: FileServer;
let counter = 0;

beforeAll(async () => {
  work = await tempDir('aurora-ts-fetch-');
  // Archive fixtures built from a small tree.
  const tree = path.join(work, 'tree');
  await fs.mkdir(path.join(tree, 'bin'), { recursive: true });
  await fs.writeFile(path.join(tree, 'bin', 'tool.sh'), '#!/bin/sh\necho tool ran\n', { mode: 0o755 });
  await fs.writeFile(path.join(tree, 'README'), 'readme\n');
  await tar.c({ gzip: true, file: path.join(work, 'pkg.tar.gz'), cwd: tree, portable: true }, ['bin', 'README']);
  await tar.c({ file: path.join(work, 'pkg.tar'), cwd: tree, portable: true }, ['bin', 'README']);
  execFileSync('xz', ['-k', '-z', path.join(work, 'pkg.tar')]);
  await fs.writeFile(
    path.join(work, 'pkg.zip'),
    makeZip([
      { name: 'zdir/' },
      { name: 'zdir/hello.sh', data: '#!/bin/sh\necho zip ran\n', mode: 0o100755 },
      { name: 'link', data: 'zdir/hello.sh', mode: 0o120777 },
    ]),
  );
  await fs.writeFile(path.join(work, 'slip.zip'), makeZip([{ name: 'ok.txt', data: 'ok' }, { name: '../evil.txt', data: 'pwned' }]));
  await fs.writeFile(path.join(work, 'symlink-out.zip'), makeZip([{ name: 'etc', data: '/etc', mode: 0o120777 }]));
  const evilTree = path.join(work, 'eviltree');
  await fs.mkdir(evilTree);
  await fs.symlink('../../..', path.join(evilTree, 'up'));
  await tar.c({ gzip: true, file: path.join(work, 'symlink-out.tgz'), cwd: evilTree }, ['up']);
  await fs.writeFile(path.join(work, 'executor.sh'), '#!/bin/sh\necho "executor ran with $1"\n');
  server = await serveFiles({
    '/dist/executor.sh': '#!/bin/sh\necho "executor from http"\n',
    '/dist/pkg.zip': await fs.readFile(path.join(work, 'pkg.zip')),
    '/dist/cached.txt': 'cached body\n',
  });
});

afterAll(async () => {
  await server.close();
  await fs.rm(work, { recursive: true, force: true });
});

function spec(uris: FetchUri[], command = 'ls -a', extra: Partial<LaunchSpec> = {}): LaunchSpec {
  counter += 1;
  const taskId = `fetch-task-${process.pid}-${counter}`;
  return {
    taskId,
    executorId: `my-executor-${taskId}`,
    sandboxDir: path.join(work, 'sandboxes', String(counter)),
    command: { value: command, shell: true },
    uris,
    cacheDir: path.join(work, 'cache'),
    ...extra,
  };
}

const stdoutOf = (s: LaunchSpec): Promise<string> => readText(path.join(s.sandboxDir, 'stdout'));

describe('fetcher', () => {
  it('copies a local path and a file:// URL into the sandbox before the command starts', async () => {
    const s = spec(
      [{ value: path.join(work, 'executor.sh'), extract: false }, { value: pathToFileURL(path.join(work, 'pkg.tar')).href, extract: false, outputFile: 'copy.tar' }],
      'sh executor.sh local && ls copy.tar',
    );
    expect((await launchTask(s).done).state).toBe('FINISHED');
    expect(await stdoutOf(s)).toBe('executor ran with local\ncopy.tar\n');
  });

  it('downloads over HTTP and sets the executable bit, so the executor can be exec\'d by relative name', async () => {
    const s = spec([{ value: `${server.url}/dist/executor.sh`, executable: true }]);
    s.command = { value: 'executor.sh', shell: false, arguments: ['executor.sh'] };
    expect((await launchTask(s).done).state).toBe('FINISHED');
    expect(await stdoutOf(s)).toBe('executor from http\n');
    expect((await fs.stat(path.join(s.sandboxDir, 'executor.sh'))).mode & 0o777).toBe(0o755);
  });

  it('extracts .tar.gz and .tar.xz into the sandbox root, keeping file modes', async () => {
    for (const name of ['pkg.tar.gz', 'pkg.tar.xz']) {
      const s = spec([{ value: path.join(work, name) }], './bin/tool.sh && cat README');
      expect((await launchTask(s).done).state).toBe('FINISHED');
      expect(await stdoutOf(s)).toBe('tool ran\nreadme\n');
      await expect(fs.access(path.join(s.sandboxDir, name))).resolves.toBeUndefined();
    }
  });

  it('extracts a zip fetched over HTTP, including an inside symlink and the executable bit', async () => {
    const s = spec([{ value: `${server.url}/dist/pkg.zip` }], './link && ./zdir/hello.sh');
    expect((await launchTask(s).done).state).toBe('FINISHED');
    expect(await stdoutOf(s)).toBe('zip ran\nzip ran\n');
    expect(await fs.readlink(path.join(s.sandboxDir, 'link'))).toBe('zdir/hello.sh');
  });

  it('extract: false leaves the archive packed', async () => {
    const s = spec([{ value: path.join(work, 'pkg.tar.gz'), extract: false }], 'ls');
    await launchTask(s).done;
    expect((await stdoutOf(s)).split('\n')).toEqual(['pkg.tar.gz', 'stderr', 'stdout', '']);
  });

  it('cache: true downloads once and serves the second launch from the cache', async () => {
    const uri = { value: `${server.url}/dist/cached.txt`, cache: true, outputFile: 'data/cached.txt' };
    const first = spec([uri], 'cat data/cached.txt');
    const second = spec([uri], 'cat data/cached.txt');
    await launchTask(first).done;
    await launchTask(second).done;
    expect(await stdoutOf(first)).toBe('cached body\n');
    expect(await stdoutOf(second)).toBe('cached body\n');
    expect(server.hits.get('/dist/cached.txt')).toBe(1);
  });

  it('output_file names the fetched file, in a sub-directory if asked', async () => {
    const s = spec([{ value: path.join(work, 'executor.sh'), outputFile: 'conf/run.sh', extract: false }], 'sh conf/run.sh x');
    await launchTask(s).done;
    expect(await stdoutOf(s)).toBe('executor ran with x\n');
  });
});

describe('fetcher failures: FAILED, and the executor never starts', () => {
  async function expectFetchFailure(uris: FetchUri[], reason: RegExp): Promise<LaunchSpec> {
    const s = spec(uris, 'touch started');
    const task = launchTask(s);
    await expect(task.started).rejects.toThrow(/^Failed to fetch all URIs/);
    const outcome = await task.done;
    expect(outcome.state).toBe('FAILED');
    expect(outcome.message.startsWith(`Failed to fetch all URIs for container '${s.executorId}': `)).toBe(true);
    expect(outcome.message).toMatch(reason);
    expect(task.pid).toBeUndefined();
    await expect(fs.access(path.join(s.sandboxDir, 'started'))).rejects.toThrow();
    expect(await readText(path.join(s.sandboxDir, 'stderr'))).toContain(outcome.message);
    return s;
  }

  it('HTTP 404', async () => {
    await expectFetchFailure([{ value: `${server.url}/dist/missing.tgz` }], /missing\.tgz': HTTP 404 Not Found$/);
  });

  it('a missing local file, a relative URI and an unsupported scheme', async () => {
    await expectFetchFailure([{ value: path.join(work, 'nope.bin') }], /no such file/);
    await expectFetchFailure([{ value: 'relative/file' }], /relative URI is not allowed/);
    await expectFetchFailure([{ value: 'hdfs://namenode/x' }], /unsupported URI scheme 'hdfs'/);
  });

  it('an output_file that escapes the sandbox', async () => {
    for (const outputFile of ['../escaped', '/tmp/escaped', 'a/../../escaped']) {
      const s = await expectFetchFailure([{ value: path.join(work, 'executor.sh'), outputFile }], /must be a relative path inside the sandbox/);
      await expect(fs.access(path.join(path.dirname(s.sandboxDir), 'escaped'))).rejects.toThrow();
    }
  });

  it('a zip-slip member (../evil.txt) rejects the whole archive', async () => {
    const s = await expectFetchFailure([{ value: path.join(work, 'slip.zip') }], /\.\.\/evil\.txt/);
    await expect(fs.access(path.join(path.dirname(s.sandboxDir), 'evil.txt'))).rejects.toThrow();
    await expect(fs.access(path.join(s.sandboxDir, 'ok.txt'))).rejects.toThrow();
  });

  it('archive symlinks pointing out of the sandbox (zip and tar)', async () => {
    await expectFetchFailure([{ value: path.join(work, 'symlink-out.zip') }], /points outside the sandbox/);
    const s = await expectFetchFailure([{ value: path.join(work, 'symlink-out.tgz') }], /"up" -> "..\/..\/.." points outside the sandbox/);
    await expect(fs.lstat(path.join(s.sandboxDir, 'up'))).rejects.toThrow();
  });

  it('a file that is not the archive its name says', async () => {
    const bogus = path.join(work, 'bogus.tar.gz');
    await fs.writeFile(bogus, 'this is not gzip');
    await expectFetchFailure([{ value: bogus }], /bogus\.tar\.gz'/);
  });
});
