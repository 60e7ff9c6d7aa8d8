/**
 * `task run` and `task ssh` through the CLI (in-process; the terminal and signal cases run the binary): on the local scheduler as child processes in
 * each sandbox with the task's environment, and on a "Mesos cluster" (a clusters.json entry with
 * slave_root) over a real OpenSSH server on loopback with generated keys. That cluster is the same
 * local scheduler; its sandboxes are reached through a Mesos agent's directory layout
 * (slaves/<agent>/frameworks/<framework>/executors/<executor id>/runs/latest) built of symlinks here,
 * which is what a real agent's work dir looks like to the remote shell.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runTask } from '../../src/cli/commands/task/run.js';
import { mesosSandbox, shellQuote } from '../../src/cli/commands/task/sandbox.js';
import { CliContext } from '../../src/cli/context.js';
import { IO } from '../../src/cli/io.js';
import { freePort, startSshd, type Sshd } from '../support/sshd.js';
import { BIN, cleanEnv, executorsFile, json, oneErrorLine, onTerminal, runCli, tempDir, useLocalScheduler, withNobodyTask } from './helpers.js';

const dir = tempDir();
// A web server on the task's port, answering with its instance; it leaves a marker in its sandbox.
const web = `echo "web $AURORA_INSTANCE_ID" > marker; exec ${process.execPath} -e "require('http').createServer((q, s) => s.end('hello from ' + process.env.AURORA_INSTANCE_ID)).listen(+process.env.AURORA_PORT_HTTP)"`;
const local = useLocalScheduler(() => ({ executors: executorsFile(dir, { web }) }));
const me = userInfo().username;
const KEY = 'local/www-data/prod/web';

interface Described {
  taskId: string;
  host: string;
  sandbox: string;
  env: Record<string, string>;
}

async function tasks(role = 'www-data'): Promise<{ instance: number; taskId: string; host: string; ports: Record<string, number> }[]> {
  return json<{ tasks: { instance: number; taskId: string; host: string; ports: Record<string, number>; state: string }[] }>(
    await runCli(['--json', 'task', 'list', `local/${role}/prod/web`], { env: local.env }),
  ).tasks.filter((t) => t.state === 'RUNNING');
}

async function describeTask(taskId: string): Promise<Described> {
  const response = await fetch(`${local.scheduler.url}/sandbox/${encodeURIComponent(taskId)}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Described;
}

function createWeb(role: string): Promise<void> {
  const file = join(dir, `web-${role}.json`);
  writeFileSync(file, JSON.stringify({ role, environment: 'prod', name: 'web', instances: 2, service: true, executor: { name: 'web' }, ports: ['http'], resources: { cpus: 0.1, ramMb: 32, diskMb: 32 } }));
  return runCli(['job', 'create', file, '--wait-until', 'RUNNING'], { env: local.env }).then((r) => expect(r).toMatchObject({ code: 0 }));
}

async function until(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  await createWeb('www-data');
  // Listening (the marker is written first): the web servers answer.
  await until(async () => (await tasks()).length === 2);
}, 30_000);

describe('task run on the local scheduler', () => {
  it("runs in each task's sandbox with the task's environment and bindings, output prefixed by instance", { timeout: 30_000 }, async () => {
    const running = await tasks();
    const result = await local.cli('task', 'run', KEY, '--', 'echo $AURORA_INSTANCE_ID $AURORA_PORT_HTTP {{thermos.ports[http]}} {{mesos.instance}} {{thermos.task_id}}; pwd; cat marker; echo to-stderr >&2');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const expected: string[] = [];
    for (const t of running) {
      const { sandbox, env } = await describeTask(t.taskId);
      expect(env).toMatchObject({ AURORA_TASK_ID: t.taskId, MESOS_SANDBOX: sandbox, MESOS_EXECUTOR_ID: `web-${t.taskId}`, AURORA_PORT_HTTP: String(t.ports.http) });
      // The runner's marker stays with the task's own processes.
      expect(env['AURORA_TS_TASK']).toBeUndefined();
      const p = `[${t.instance}] ${t.host}:  `;
      expected.push(`${p}${t.instance} ${t.ports.http} ${t.ports.http} ${t.instance} ${t.taskId}`, `${p}${sandbox}`, `${p}web ${t.instance}`, `${p}to-stderr`);
    }
    expect(result.stdout.trimEnd().split('\n')).toEqual(expected);
  });

  it('runs on the named instances, --threads at a time; --json gives each exit status and output', { timeout: 30_000 }, async () => {
    const result = await local.cli('--json', 'task', 'run', '--threads', '2', `${KEY}/0-1`, 'cat', 'marker');
    const body = json<{ instances: { instance: number; exitCode: number; output: string }[] }>(result);
    expect(body.instances.map((i) => [i.instance, i.exitCode, i.output])).toEqual([
      [0, 0, 'web 0\n'],
      [1, 0, 'web 1\n'],
    ]);
  });

  it('runs in-process as a verb function with its own IO, the way tests and wrappers call it', async () => {
    let out = '';
    const io = new IO({ stdout: { write: (t: string | Uint8Array) => ((out += String(t)), true) }, stderr: { write: () => true } });
    const ctx = new CliContext({ io, env: {}, globals: { schedulerUrl: local.scheduler.url } });
    try {
      expect(await runTask(ctx, { key: `${KEY}/1`, command: ['echo', '$AURORA_JOB', '$MESOS_TASK_ID'] })).toBe(0);
    } finally {
      ctx.close();
    }
    const [t] = (await tasks()).filter((x) => x.instance === 1);
    expect(out).toBe(`[1] ${t!.host}:  www-data/prod/web ${t!.taskId}\n`);
  });

  it('exits 1 naming the instances where the command failed', async () => {
    const result = await local.cli('task', 'run', KEY, '--', 'echo instance $AURORA_INSTANCE_ID; exit $((3 + AURORA_INSTANCE_ID))');
    expect(result.code).toBe(1);
    expect(oneErrorLine(result)).toBe('aurora-ts: the command failed on 2 of 2 instances: 0 (exit 3), 1 (exit 4)');
    expect(result.stdout).toMatch(/^\[0\] .*:  instance 0\n\[1\] .*:  instance 1\n$/);
  });

  it('refuses an unknown port binding, ssh flags and a job without live tasks, with one line each', async () => {
    const unbound = await local.cli('task', 'run', KEY, 'echo {{thermos.ports[admin]}}');
    expect(unbound.code).toBe(2);
    expect(oneErrorLine(unbound)).toMatch(/^aurora-ts: command: unbound reference \{\{thermos\.ports\[admin\]\}\} \(task \S+ has ports http\)$/);
    const user = await local.cli('task', 'run', '--ssh-user', 'nobody', KEY, 'true');
    expect(user.code).toBe(2);
    expect(oneErrorLine(user)).toBe('aurora-ts: --ssh-user: the tasks of this scheduler are reached without ssh (its clusters.json entry sets no slave_root)');
    const none = await local.cli('task', 'run', 'local/www-data/prod/nothing', 'true');
    expect(none.code).toBe(1);
    expect(oneErrorLine(none)).toBe('aurora-ts: no live task of local/www-data/prod/nothing to run a command in');
  });
});

describe('GET /sandbox/<taskId>', () => {
  it('answers 404 for a task it does not know and 400 for a malformed escape, one line each', async () => {
    const unknown = await fetch(`${local.scheduler.url}/sandbox/no-such-task`);
    expect([unknown.status, await unknown.text()]).toEqual([404, 'unknown task no-such-task\n']);
    const malformed = await fetch(`${local.scheduler.url}/sandbox/%E0%A4%A`);
    expect(malformed.status).toBe(400);
    expect((await malformed.text()).split('\n').filter((l) => l !== '')).toHaveLength(1);
  });
});

describe('task ssh on the local scheduler', () => {
  it("runs --command in the sandbox with the task's environment and exits with its status", async () => {
    const [first] = await tasks();
    const { sandbox } = await describeTask(first!.taskId);
    const result = await local.cli('task', 'ssh', `${KEY}/0`, '--command', 'pwd; echo $AURORA_TASK_ID {{thermos.ports[http]}}; exit 7');
    expect(result).toMatchObject({ code: 7, stdout: `${sandbox}\n${first!.taskId} ${first!.ports.http}\n`, stderr: '' });
  });

  it("forwards -L PORT:NAME to the task's port while the command runs; the pid file names the shell", async () => {
    const port = await freePort();
    const pidFile = join(dir, 'ssh.pid');
    const fetchIt = `${process.execPath} -e "fetch('http://127.0.0.1:${port}/').then((r) => r.text()).then(console.log)"; echo pid $$`;
    const result = await local.cli('task', 'ssh', `${KEY}/1`, '-L', `${port}:http`, '--pid-file', pidFile, '--command', fetchIt);
    expect(result.code).toBe(0);
    const pid = readFileSync(pidFile, 'utf8');
    expect(result.stdout).toBe(`hello from 1\npid ${pid}\n`);
  });

  it('opens an interactive bash in the sandbox on a terminal and exits with its status', { timeout: 30_000 }, async () => {
    // The binary on a pseudo-terminal: the shell needs a real terminal.
    const [first] = await tasks();
    const { sandbox } = await describeTask(first!.taskId);
    const result = await onTerminal(['task', 'ssh', `${KEY}/0`], local.env, { waitFor: /[#$] $/m, input: ['echo "in $PWD as $AURORA_TASK_ID"; exit 5\r'] });
    expect(result.output).toContain(`in ${sandbox} as ${first!.taskId}`);
    expect(result.code).toBe(5);
  });

  it('leaves SIGINT to the shell: the CLI itself does not end while the shell runs', { timeout: 30_000 }, async () => {
    // The binary: a SIGINT to the CLI's own process is what is tested.
    const child = spawn(process.execPath, [BIN, 'task', 'ssh', `${KEY}/0`, '--command', 'echo started; sleep 1; echo survived'], { env: local.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // Only the CLI's process gets it (a terminal would signal the shell too, which then decides).
      if (out === 'started\n') child.kill('SIGINT');
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, out }).toEqual({ code: 0, out: 'started\nsurvived\n' });
  });

  it('refuses a bad tunnel, a port the task lacks, and --command without an instance', async () => {
    const bad = await local.cli('task', 'ssh', `${KEY}/0`, '-L', 'http:9000', '--command', 'true');
    expect(oneErrorLine(bad)).toBe('aurora-ts: -L "http:9000": expected PORT:NAME, a local port (1-65535) and a port name of the task');
    const missing = await local.cli('task', 'ssh', `${KEY}/0`, '-L', '9000:admin', '--command', 'true');
    expect(oneErrorLine(missing)).toMatch(/^aurora-ts: -L 9000:admin: task \S+ has no port named admin \(its ports: http\)$/);
    const noInstance = await local.cli('task', 'ssh', KEY, '--command', 'true');
    expect(oneErrorLine(noInstance)).toBe("aurora-ts: --command needs an instance: KEY/INSTANCE (Aurora's client asks for one too)");
    for (const r of [bad, missing, noInstance]) expect(r.code).toBe(2);
  });
});

describe("a scheduler's --task-user", () => {
  it('task run and task ssh run as the task\'s user, in its sandbox (the scheduler runs as root to use one)', { timeout: 40_000 }, async () => {
    await withNobodyTask(dir, async (env) => {
      const ran = await runCli(['task', 'run', 'local/www-data/prod/nap', '--', 'id -un; echo $HOME $USER; touch made-here && stat -c %U made-here'], { env });
      expect(ran.stdout).toMatch(/^\[0\] \S+:  nobody\n\[0\] \S+:  \S+ nobody\n\[0\] \S+:  nobody\n$/);
      const shell = await runCli(['task', 'ssh', 'local/www-data/prod/nap/0', '--command', 'id -un'], { env });
      expect(shell).toMatchObject({ code: 0, stdout: 'nobody\n' });
    });
  });
});

describe('the sandbox path on a Mesos agent, as Aurora computes it', () => {
  const task = (executor: string | undefined) => ({ assignedTask: { taskId: 't-1', task: executor ? { executorConfig: { name: executor, data: '' } } : {} } });
  const host = { slaveRoot: '/var/lib/mesos', runDirectory: 'latest' };
  it('Thermos: executors/thermos-<task id>/runs/<run>/sandbox, or the executor sandbox with -e; custom: its executor directory', () => {
    expect(mesosSandbox(task('AuroraExecutor'), host, false)).toBe('/var/lib/mesos/slaves/*/frameworks/*/executors/thermos-t-1/runs/latest/sandbox');
    expect(mesosSandbox(task(undefined), host, true)).toBe('/var/lib/mesos/slaves/*/frameworks/*/executors/thermos-t-1/runs/latest');
    expect(mesosSandbox(task('web'), host, false)).toBe('/var/lib/mesos/slaves/*/frameworks/*/executors/*t-1/runs/latest');
    expect(mesosSandbox(task('web'), { slaveRoot: "/srv/it's here", runDirectory: 'latest' }, false)).toBe(`${shellQuote("/srv/it's here")}/slaves/*/frameworks/*/executors/*t-1/runs/latest`);
  });
});

describe('task run and task ssh over a real sshd (a cluster with slave_root)', () => {
  let sshd: Sshd;
  let env: NodeJS.ProcessEnv;
  const root = join(dir, 'mesos');

  /** The Mesos layout of a task's sandbox: the agent's run directory `latest` is the scheduler's sandbox. */
  async function mesosLayout(taskId: string, executorId: string): Promise<void> {
    const { sandbox } = await describeTask(taskId);
    const runs = join(root, 'slaves', 'agent-0', 'frameworks', 'aurora-ts-local', 'executors', executorId, 'runs');
    mkdirSync(runs, { recursive: true });
    symlinkSync(sandbox, join(runs, 'latest'));
  }

  beforeAll(async () => {
    sshd = await startSshd();
    env = cleanEnv();
    mkdirSync(join(env['HOME']!, '.aurora'), { recursive: true });
    writeFileSync(join(env['HOME']!, '.aurora', 'clusters.json'), JSON.stringify([{ name: 'mesos', scheduler_uri: local.scheduler.url, slave_root: root, slave_run_directory: 'latest' }]));
    if (me !== 'www-data') await createWeb(me);
    await until(async () => (await tasks(me)).length === 2);
    for (const role of new Set(['www-data', me])) for (const t of await tasks(role)) await mesosLayout(t.taskId, `web-${t.taskId}`);
  }, 40_000);
  afterAll(async () => sshd?.close());

  it('task run: ssh to each agent host as --ssh-user, cd into the sandbox, bindings substituted', { timeout: 30_000 }, async () => {
    const result = await runCli(['task', 'run', 'mesos/www-data/prod/web', '--ssh-user', me, '--ssh-options', sshd.sshOptions, '--', 'cat marker; echo {{thermos.ports[http]}} {{mesos.instance}}; whoami'], { env });
    expect(result.stderr).toBe('');
    const expected = (await tasks()).flatMap((t) => [`[${t.instance}] ${t.host}:  web ${t.instance}`, `[${t.instance}] ${t.host}:  ${t.ports.http} ${t.instance}`, `[${t.instance}] ${t.host}:  ${me}`]);
    expect(result).toMatchObject({ code: 0, stdout: `${expected.join('\n')}\n` });
  });

  it("logs in as the job's role without --ssh-user, options from AURORA_TS_SSH_OPTIONS; a missing sandbox fails there, not elsewhere", { timeout: 30_000 }, async () => {
    const withEnv = { ...env, AURORA_TS_SSH_OPTIONS: sshd.sshOptions };
    const result = await runCli(['task', 'run', `mesos/${me}/prod/web/1`, 'pwd'], { env: withEnv });
    const [t] = (await tasks(me)).filter((x) => x.instance === 1);
    expect(result).toMatchObject({ code: 0, stdout: `[1] ${t!.host}:  ${join(root, 'slaves/agent-0/frameworks/aurora-ts-local/executors', `web-${t!.taskId}`, 'runs/latest')}\n` });
    // Without the sandbox (an agent that has not got the task), the command does not run in the login's home instead.
    const runs = join(root, 'slaves/agent-0/frameworks/aurora-ts-local/executors', `web-${t!.taskId}`, 'runs');
    renameSync(join(runs, 'latest'), join(runs, 'moved'));
    try {
      const gone = await runCli(['task', 'run', `mesos/${me}/prod/web/1`, 'echo ran'], { env: withEnv });
      expect(gone.code).toBe(1);
      expect(gone.stdout).toMatch(/^\[1\] \S+:  .*cd: .*(No such file|can't cd).*\n$/);
      expect(gone.stdout).not.toContain('ran');
    } finally {
      renameSync(join(runs, 'moved'), join(runs, 'latest'));
    }
    // www-data's tasks are there, but the key logs in only as the test's user: ssh fails (255), nothing runs.
    if (me !== 'www-data') {
      const denied = await runCli(['task', 'run', 'mesos/www-data/prod/web/0', 'touch', 'ran'], { env: withEnv });
      expect(denied.code).toBe(1);
      expect(oneErrorLine(denied)).toBe('aurora-ts: the command failed on 1 of 1 instances: 0 (exit 255)');
    }
  });

  it("a Thermos task: its sandbox is the run's sandbox/ directory, the executor's with --executor-sandbox", { timeout: 40_000 }, async () => {
    const file = join(dir, 'thermos-svc.json');
    const processes = [{ name: 'serve', cmdline: 'echo "thermos {{mesos.instance}}" > marker; exec sleep 60' }];
    writeFileSync(file, JSON.stringify({ role: 'www-data', environment: 'prod', name: 'thermos-svc', instances: 1, service: true, processes, resources: { cpus: 0.1, ramMb: 32, diskMb: 32 } }));
    expect((await runCli(['job', 'create', file, '--wait-until', 'RUNNING'], { env: local.env })).code).toBe(0);
    const [t] = json<{ tasks: { taskId: string; host: string }[] }>(await runCli(['--json', 'task', 'list', 'local/www-data/prod/thermos-svc'], { env: local.env })).tasks;
    await until(async () => (await runCli(['task', 'run', 'local/www-data/prod/thermos-svc', 'cat marker'], { env: local.env })).code === 0);
    // An agent's run directory for Thermos holds the executor's files and the task's own sandbox/.
    const run = join(root, 'slaves/agent-0/frameworks/aurora-ts-local/executors', `thermos-${t!.taskId}`, 'runs', 'run-1');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'executor.log'), 'thermos executor\n');
    symlinkSync((await describeTask(t!.taskId)).sandbox, join(run, 'sandbox'));
    symlinkSync('run-1', join(run, '..', 'latest'));
    const args = ['--ssh-user', me, '--ssh-options', sshd.sshOptions, 'mesos/www-data/prod/thermos-svc'];
    expect(await runCli(['task', 'run', ...args, 'cat marker'], { env })).toMatchObject({ code: 0, stdout: `[0] ${t!.host}:  thermos 0\n` });
    expect(await runCli(['task', 'run', '-e', ...args, 'cat executor.log'], { env })).toMatchObject({ code: 0, stdout: `[0] ${t!.host}:  thermos executor\n` });
  });

  it('task ssh: --command over ssh in the sandbox, -L forwarding a local port to the named port on the agent', { timeout: 30_000 }, async () => {
    const port = await freePort();
    // The remote command asks the forwarded port from this side: the tunnel is up while it runs.
    const fetchIt = `cat marker; ${process.execPath} -e "fetch('http://127.0.0.1:${port}/').then((r) => r.text()).then(console.log)"`;
    const result = await runCli(['task', 'ssh', 'mesos/www-data/prod/web/0', '-l', me, '--ssh-options', sshd.sshOptions, '-L', `${port}:http`, '--command', fetchIt], { env });
    expect(result.stdout).toBe('web 0\nhello from 0\n');
    expect(result.code).toBe(0);
  });
});
