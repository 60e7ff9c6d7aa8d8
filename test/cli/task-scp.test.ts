/**
 * `task scp` through the CLI (in-process): on the local scheduler (files copied with node:fs into and out of
 * the sandboxes of running tasks, real processes reading and writing them), escapes refused, and on a
 * "Mesos cluster" (a clusters.json entry with slave_root) through the system scp to a real OpenSSH
 * server on loopback, the sandboxes laid out as a Mesos agent's work directory, as task-run.test.ts does.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scpFromSshOptions } from '../../src/cli/commands/task/scp.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { cleanEnv, executorsFile, json, oneErrorLine, runCli, tempDir, useLocalScheduler, withNobodyTask } from './helpers.js';

const dir = tempDir();
// Each instance writes a marker, then keeps answering what `inbox` holds once it appears.
const web = `echo "web $AURORA_INSTANCE_ID" > marker; mkdir -p logs; echo one > logs/a.log; echo two > logs/b.log; exec sleep 600`;
const local = useLocalScheduler(() => ({ executors: executorsFile(dir, { web }) }));
const me = userInfo().username;
const KEY = 'local/www-data/prod/web';

interface Task {
  instance: number;
  taskId: string;
}

async function tasks(role = 'www-data'): Promise<Task[]> {
  return json<{ tasks: (Task & { state: string })[] }>(await runCli(['--json', 'task', 'list', `local/${role}/prod/web`], { env: local.env })).tasks.filter((t) => t.state === 'RUNNING');
}

async function sandboxOf(taskId: string): Promise<string> {
  const response = await fetch(`${local.scheduler.url}/sandbox/${encodeURIComponent(taskId)}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { sandbox: string }).sandbox;
}

async function createWeb(role: string): Promise<void> {
  const file = join(dir, `web-${role}.json`);
  writeFileSync(file, JSON.stringify({ role, environment: 'prod', name: 'web', instances: 2, service: true, executor: { name: 'web' }, resources: { cpus: 0.1, ramMb: 32, diskMb: 32 } }));
  expect(await runCli(['job', 'create', file, '--wait-until', 'RUNNING'], { env: local.env })).toMatchObject({ code: 0 });
  // Running, and the markers written: the task's own files are there.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const running = await tasks(role);
    if (running.length === 2 && (await Promise.all(running.map(async (t) => existsSync(join(await sandboxOf(t.taskId), 'logs', 'b.log'))))).every(Boolean)) return;
    if (Date.now() > deadline) throw new Error('the tasks did not start in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

let byInstance: Map<number, { taskId: string; sandbox: string }>;

beforeAll(async () => {
  await createWeb('www-data');
  byInstance = new Map(await Promise.all((await tasks()).map(async (t) => [t.instance, { taskId: t.taskId, sandbox: await sandboxOf(t.taskId) }] as const)));
}, 40_000);

describe('task scp on the local scheduler', () => {
  it('copies a file out of a sandbox, into one (the task reads it), and between instances', { timeout: 30_000 }, async () => {
    const out = join(dir, 'marker-0.txt');
    expect(await runCli(['task', 'scp', `${KEY}/0:marker`, out], { env: local.env })).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(out, 'utf8')).toBe('web 0\n');

    const note = join(dir, 'note.txt');
    writeFileSync(note, 'hello task\n');
    expect(await runCli(['task', 'scp', note, `${KEY}/1:logs/`], { env: local.env })).toMatchObject({ code: 0, stderr: '' });
    // The task's own shell finds it where it was copied to.
    const seen = await runCli(['task', 'run', `${KEY}/1`, 'cat logs/note.txt'], { env: local.env });
    expect(seen).toMatchObject({ code: 0 });
    expect(seen.stdout).toMatch(/^\[1\] \S+:  hello task\n$/);

    // Two sources into the sandbox itself (an empty PATH), one of them another instance's file.
    expect(await runCli(['task', 'scp', `${KEY}/0:marker`, note, `${KEY}/1:`], { env: local.env })).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(join(byInstance.get(1)!.sandbox, 'marker'), 'utf8')).toBe('web 0\n');
    expect(readFileSync(join(byInstance.get(1)!.sandbox, 'note.txt'), 'utf8')).toBe('hello task\n');
  });

  it('copies a directory with -r, and refuses it without', { timeout: 30_000 }, async () => {
    const out = join(dir, 'logs-0');
    const refused = await runCli(['task', 'scp', `${KEY}/0:logs`, out], { env: local.env });
    expect(refused.code).toBe(2);
    expect(oneErrorLine(refused)).toBe(`aurora-ts: "${KEY}/0:logs": is a directory (copy it with -r)`);
    expect(await runCli(['task', 'scp', '-r', `${KEY}/0:logs`, out], { env: local.env })).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(join(out, 'a.log'), 'utf8')).toBe('one\n');
    expect(readFileSync(join(out, 'b.log'), 'utf8')).toBe('two\n');
  });

  it('refuses every way out of the sandbox with one line, exit 2, and copies nothing', { timeout: 40_000 }, async () => {
    const { sandbox } = byInstance.get(0)!;
    const privateFile = join(dir, 'private');
    writeFileSync(privateFile, 'not the task\'s\n');
    const outside = join(dir, 'outside');
    mkdirSync(outside, { recursive: true });
    // Links the task could have made: to a file and to a directory out of its sandbox.
    symlinkSync(privateFile, join(sandbox, 'to-file'));
    symlinkSync(outside, join(sandbox, 'to-outside'));
    const got = join(dir, 'got');
    const cases: [string[], string][] = [
      [[`${KEY}/0:../../etc/hosts`, got], `"${KEY}/0:../../etc/hosts": the path leads out through ..; a task path is relative to its sandbox and stays in it`],
      [[`${KEY}/0:logs/../../x`, got], `"${KEY}/0:logs/../../x": the path leads out through ..; a task path is relative to its sandbox and stays in it`],
      [[`${KEY}/0:/etc/hosts`, got], `"${KEY}/0:/etc/hosts": the path is absolute; a task path is relative to its sandbox and stays in it`],
      [[`${KEY}/0:~/x`, got], `"${KEY}/0:~/x": the path starts with ~; a task path is relative to its sandbox and stays in it`],
      [[`${KEY}/0:to-file`, got], `"${KEY}/0:to-file": a symlink leads out of the task's sandbox; a task path stays in it`],
      [[`${KEY}/0:to-outside/x`, got], `"${KEY}/0:to-outside/x": a symlink leads out of the task's sandbox; a task path stays in it`],
      [[privateFile, `${KEY}/0:to-file`], `"${KEY}/0:to-file": a symlink leads out of the task's sandbox; a task path stays in it`],
      [[privateFile, `${KEY}/0:to-outside/planted`], `"${KEY}/0:to-outside/planted": a symlink leads out of the task's sandbox; a task path stays in it`],
      [[privateFile, `${KEY}/0:to-outside`], `"${KEY}/0:to-outside": a symlink leads out of the task's sandbox; a task path stays in it`],
    ];
    for (const [args, line] of cases) {
      const result = await runCli(['task', 'scp', ...args], { env: local.env });
      expect({ args, code: result.code, line: oneErrorLine(result) }).toEqual({ args, code: 2, line: `aurora-ts: ${line}` });
    }
    expect(existsSync(got)).toBe(false);
    expect(existsSync(join(outside, 'planted'))).toBe(false);
    expect(existsSync(join(outside, 'private'))).toBe(false);
    expect(readFileSync(privateFile, 'utf8')).toBe('not the task\'s\n');

    // -r does not follow a link out either: the walk checks each name it meets.
    const walked = await runCli(['task', 'scp', '-r', `${KEY}/0:`, join(dir, 'whole')], { env: local.env });
    expect(walked.code).toBe(2);
    expect(oneErrorLine(walked)).toMatch(/^aurora-ts: "local\/www-data\/prod\/web\/0:": a symlink leads out of the task's sandbox; a task path stays in it$/);
    rmSync(join(sandbox, 'to-file'));
    rmSync(join(sandbox, 'to-outside'));
  });

  it('refuses bad keys, a missing task and ssh flags on a cluster without ssh, one line each', async () => {
    const bad: [string[], number, RegExp][] = [
      [[`${KEY}/0:marker`], 2, /^aurora-ts: task scp: expected SOURCE\.\.\. DEST, at least two paths/],
      [[`${KEY}/0-1:marker`, 'x'], 2, /^aurora-ts: "local\/www-data\/prod\/web\/0-1:marker": name one instance/],
      [[`${KEY}/7:marker`, 'x'], 1, /^aurora-ts: "local\/www-data\/prod\/web\/7:marker": local\/www-data\/prod\/web\/7 has no live task/],
      [['--ssh-user', 'x', `${KEY}/0:marker`, join(dir, 'x')], 2, /^aurora-ts: --ssh-user: the tasks of this scheduler are reached without ssh/],
      [['--scp-options', '-C', `${KEY}/0:marker`, join(dir, 'x')], 2, /^aurora-ts: --scp-options: no path here is on a cluster reached over ssh/],
    ];
    for (const [args, code, line] of bad) {
      const result = await runCli(['task', 'scp', ...args], { env: local.env });
      expect({ args, code: result.code }).toEqual({ args, code });
      expect(oneErrorLine(result)).toMatch(line);
    }
  });
});

describe("a scheduler's --task-user", () => {
  it("what is copied into the sandbox belongs to the task's user; a hard-linked file there is not overwritten", { timeout: 40_000 }, async () => {
    await withNobodyTask(dir, async (env, scheduler) => {
      const conf = join(dir, 'conf');
      mkdirSync(join(conf, 'sub'), { recursive: true });
      writeFileSync(join(conf, 'sub', 'app.ini'), 'x=1\n');
      expect(await runCli(['task', 'scp', '-r', conf, 'local/www-data/prod/nap/0:'], { env })).toMatchObject({ code: 0, stderr: '' });
      // The task's own shell, as nobody, owns and can replace what was copied in.
      const owned = await runCli(['task', 'run', 'local/www-data/prod/nap', '--', 'stat -c %U conf conf/sub conf/sub/app.ini; echo y=2 > conf/sub/app.ini && cat conf/sub/app.ini'], { env });
      expect(owned.stdout).toMatch(/^\[0\] \S+:  nobody\n\[0\] \S+:  nobody\n\[0\] \S+:  nobody\n\[0\] \S+:  y=2\n$/);
      // A hard link in the sandbox to a file outside (made here by root: nobody could not link root's file).
      const [t] = json<{ tasks: { taskId: string }[] }>(await runCli(['--json', 'task', 'list', 'local/www-data/prod/nap'], { env })).tasks;
      const response = await fetch(`${scheduler.url}/sandbox/${encodeURIComponent(t!.taskId)}`);
      const { sandbox } = (await response.json()) as { sandbox: string };
      const rootFile = join(dir, 'root-only');
      writeFileSync(rootFile, 'root\n', { mode: 0o600 });
      linkSync(rootFile, join(sandbox, 'linked'));
      const refused = await runCli(['task', 'scp', join(conf, 'sub', 'app.ini'), 'local/www-data/prod/nap/0:linked'], { env });
      expect(refused.code).toBe(2);
      expect(oneErrorLine(refused)).toBe(`aurora-ts: "local/www-data/prod/nap/0:linked": ${join(sandbox, 'linked')} has other hard links; it is not overwritten for the task's user`);
      expect(readFileSync(rootFile, 'utf8')).toBe('root\n');
    });
  });
});

describe("task run's ssh options in scp's spelling", () => {
  it('-p PORT is -P PORT, -l USER is -o User=USER; what scp shares passes; the rest is refused', () => {
    expect(scpFromSshOptions(['-F', '/dev/null', '-p', '2222', '-i', 'key', '-oBatchMode=yes', '-l', 'bob', '-C', '-p22'])).toEqual(['-F', '/dev/null', '-P', '2222', '-i', 'key', '-o', 'BatchMode=yes', '-o', 'User=bob', '-C', '-P', '22']);
    expect(() => scpFromSshOptions(['-t'])).toThrow(/--ssh-options "-t": scp has no such option/);
    expect(() => scpFromSshOptions(['-i'])).toThrow(/--ssh-options "-i": a value must follow/);
  });
});

describe('task scp over a real sshd (a cluster with slave_root)', () => {
  let sshd: Sshd;
  let env: NodeJS.ProcessEnv;
  const root = join(dir, 'mesos');

  beforeAll(async () => {
    sshd = await startSshd();
    env = { ...cleanEnv(), AURORA_TS_SSH_OPTIONS: sshd.sshOptions };
    mkdirSync(join(env['HOME']!, '.aurora'), { recursive: true });
    writeFileSync(join(env['HOME']!, '.aurora', 'clusters.json'), JSON.stringify([{ name: 'mesos', scheduler_uri: local.scheduler.url, slave_root: root, slave_run_directory: 'latest' }]));
    if (me !== 'www-data') await createWeb(me);
    for (const role of new Set(['www-data', me])) {
      for (const t of await tasks(role)) {
        const runs = join(root, 'slaves', 'agent-0', 'frameworks', 'aurora-ts-local', 'executors', `web-${t.taskId}`, 'runs');
        mkdirSync(runs, { recursive: true });
        symlinkSync(await sandboxOf(t.taskId), join(runs, 'latest'));
      }
    }
  }, 40_000);
  afterAll(async () => sshd?.close());

  it("copies out of and into a sandbox on the agent with the system scp, as the job's role", { timeout: 30_000 }, async () => {
    const mine = `mesos/${me}/prod/web/0`;
    const out = join(dir, 'ssh-marker');
    expect(await runCli(['task', 'scp', `${mine}:marker`, out], { env })).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(out, 'utf8')).toBe('web 0\n');
    const note = join(dir, 'ssh-note');
    writeFileSync(note, 'over ssh\n');
    expect(await runCli(['task', 'scp', note, `${mine}:logs/from-ssh`], { env })).toMatchObject({ code: 0, stderr: '' });
    const [t] = (await tasks(me)).filter((x) => x.instance === 0);
    expect(readFileSync(join(await sandboxOf(t!.taskId), 'logs', 'from-ssh'), 'utf8')).toBe('over ssh\n');
    // -r and a glob in the source path (scp's SFTP mode expands it on the agent).
    const logs = join(dir, 'ssh-logs');
    mkdirSync(logs);
    expect(await runCli(['task', 'scp', `${mine}:logs/*.log`, logs], { env })).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(join(logs, 'b.log'), 'utf8')).toBe('two\n');
    expect(await runCli(['task', 'scp', '-r', '--scp-options', '-q', `${mine}:logs`, join(dir, 'ssh-tree')], { env })).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(join(dir, 'ssh-tree', 'a.log'), 'utf8')).toBe('one\n');
  });

  it('a path out of the sandbox is refused before ssh; a role the key cannot log in as fails with one line', { timeout: 30_000 }, async () => {
    const escape = await runCli(['task', 'scp', `mesos/${me}/prod/web/0:../x`, join(dir, 'x')], { env });
    expect(escape.code).toBe(2);
    expect(oneErrorLine(escape)).toBe(`aurora-ts: "mesos/${me}/prod/web/0:../x": the path leads out through ..; a task path is relative to its sandbox and stays in it`);
    if (me !== 'www-data') {
      const denied = await runCli(['task', 'scp', 'mesos/www-data/prod/web/0:marker', join(dir, 'x')], { env });
      expect(denied.code).toBe(1);
      expect(oneErrorLine(denied)).toMatch(/^aurora-ts: task \S+: cannot find its sandbox on \S+ over ssh \(exit 255\)(: .+)?$/);
    }
  });
});
