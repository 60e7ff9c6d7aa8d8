import fs from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { descendantsOf, findTaskProcesses, launchTask, type LaunchSpec } from '../../src/scheduler/runner/index.js';
import { isAlive, readText, tempDir, waitFor } from './helpers.js';

let counter = 0;
const sandboxes: string[] = [];

async function spec(command: LaunchSpec['command'], extra: Partial<LaunchSpec> = {}): Promise<LaunchSpec> {
  const root = await tempDir();
  sandboxes.push(root);
  counter += 1;
  const taskId = `www-data-devel-hello-0-${process.pid}-${counter}`;
  return { taskId, executorId: `thermos-${taskId}`, sandboxDir: path.join(root, 'sandbox'), command, ...extra };
}

afterAll(async () => {
  await Promise.all(sandboxes.map((d) => fs.rm(d, { recursive: true, force: true })));
});

describe('launchTask: command semantics', () => {
  it('shell true runs /bin/sh -c and logs stdout and stderr into the sandbox', async () => {
    const s = await spec({ value: 'echo hello from "$0"; echo oops >&2', shell: true, arguments: ['ignored'] });
    const events: string[] = [];
    const task = launchTask(s, { onStarting: () => events.push('starting'), onRunning: (pid) => events.push(`running ${pid > 0}`) });
    await task.started;
    const outcome = await task.done;
    expect(outcome).toEqual({ state: 'FINISHED', message: 'Command exited with status 0', exitCode: 0 });
    expect(events).toEqual(['starting', 'running true']);
    expect(await readText(path.join(s.sandboxDir, 'stdout'))).toBe('hello from sh\n');
    expect(await readText(path.join(s.sandboxDir, 'stderr'))).toBe('oops\n');
  });

  it('shell false passes argv exactly, with arguments[0] as argv[0] and no word splitting', async () => {
    // The shell prints its own argv (from /proc) and then its positional parameters.
    const script = 'tr "\\0" "|" < /proc/$$/cmdline; echo; echo "[$0] [$1]"';
    const s = await spec({ value: '/bin/sh', shell: false, arguments: ['mysh', '-c', script, 'a;b $(x)', 'two words'] });
    const outcome = await launchTask(s).done;
    expect(outcome.state).toBe('FINISHED');
    expect(await readText(path.join(s.sandboxDir, 'stdout'))).toBe(`mysh|-c|${script}|a;b $(x)|two words|\n[a;b $(x)] [two words]\n`);
  });

  it('shell false with no arguments uses value as argv[0] and finds a relative value in the sandbox', async () => {
    const s = await spec({ value: 'show-args', shell: false });
    // A Node-free way to see argv[0]: the script prints what the kernel and shell give it.
    const script = path.join(path.dirname(s.sandboxDir), 'show-args');
    await fs.writeFile(script, '#!/bin/sh\necho "script ran: $# args"\n', { mode: 0o755 });
    s.uris = [{ value: script, executable: true }];
    const outcome = await launchTask(s).done;
    expect(outcome.state).toBe('FINISHED');
    expect(await readText(path.join(s.sandboxDir, 'stdout'))).toBe('script ran: 0 args\n');
  });

  it('shell false looks a bare name up on the standard PATH', async () => {
    const s = await spec({ value: 'echo', shell: false, arguments: ['echo', 'two  spaces', '*'] });
    await launchTask(s).done;
    expect(await readText(path.join(s.sandboxDir, 'stdout'))).toBe('two  spaces *\n');
  });

  it('an unknown command fails without running anything', async () => {
    const s = await spec({ value: 'no-such-binary-aurora-ts', shell: false });
    const task = launchTask(s);
    await expect(task.started).rejects.toThrow(/not found in the sandbox or on PATH/);
    const outcome = await task.done;
    expect(outcome.state).toBe('FAILED');
    expect(outcome.message).toMatch(/^Failed to launch command 'no-such-binary-aurora-ts'/);
    expect(task.pid).toBeUndefined();
  });

  it('writes the given files into the sandbox before the command starts', async () => {
    const s = await spec({ value: 'cat task.bin config/extra.json', shell: true });
    s.files = { 'task.bin': new Uint8Array([104, 105, 10]), 'config/extra.json': '{"a":1}\n' };
    await launchTask(s).done;
    expect(await readText(path.join(s.sandboxDir, 'stdout'))).toBe('hi\n{"a":1}\n');
  });

  it('rejects a malformed spec with one line naming the field', async () => {
    const s = await spec({ value: 'true', shell: true });
    expect(() => launchTask({ ...s, sandboxDir: 'relative/dir' })).toThrow('sandboxDir: must be an absolute path');
    expect(() => launchTask({ ...s, files: { '../x': 'y' } })).toThrow('files.../x: must be a relative path inside the sandbox');
  });
});

describe('launchTask: outcomes', () => {
  it('exit 3 is FAILED "Command exited with status 3"', async () => {
    const outcome = await launchTask(await spec({ value: 'exit 3', shell: true })).done;
    expect(outcome).toEqual({ state: 'FAILED', message: 'Command exited with status 3', exitCode: 3 });
  });

  it('a signal not sent by the runner is FAILED with the signal name', async () => {
    const outcome = await launchTask(await spec({ value: 'kill -SEGV $$', shell: true })).done;
    expect(outcome).toEqual({ state: 'FAILED', message: 'Command terminated with signal SIGSEGV', signal: 'SIGSEGV' });
  });

  it('kill() is KILLED with the reason, and the process is gone', async () => {
    const task = launchTask(await spec({ value: 'sleep 30', shell: true }));
    await task.started;
    const pid = task.pid as number;
    expect(await isAlive(pid)).toBe(true);
    const outcome = await task.kill('Killed by the update');
    expect(outcome.state).toBe('KILLED');
    expect(outcome.message).toBe('Killed by the update');
    expect(await task.done).toBe(outcome);
    expect(await isAlive(pid)).toBe(false);
  });

  it('kill() before the process starts is KILLED and nothing runs', async () => {
    const s = await spec({ value: 'touch ran', shell: true });
    const task = launchTask(s);
    const outcome = await task.kill();
    expect(outcome).toEqual({ state: 'KILLED', message: 'Killed by request' });
    await expect(fs.access(path.join(s.sandboxDir, 'ran'))).rejects.toThrow();
  });

  it('an executor that ignores SIGTERM is SIGKILLed after the grace period', async () => {
    const s = await spec({ value: "trap '' TERM; echo ready; while :; do sleep 0.05; done", shell: true }, { killGraceMs: 300 });
    const task = launchTask(s);
    await task.started;
    await waitFor(async () => (await readText(path.join(s.sandboxDir, 'stdout'))).includes('ready'));
    const t0 = Date.now();
    const outcome = await task.kill();
    const elapsed = Date.now() - t0;
    expect(outcome.state).toBe('KILLED');
    expect(outcome.signal).toBe('SIGKILL');
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(2500);
    expect(await findTaskProcesses(s.taskId)).toEqual([]);
  });

  it('a double-forked setsid grandchild does not survive a kill', async () => {
    const s = await spec(
      { value: "setsid sh -c 'echo $$ > grandchild.pid; exec sleep 30' & while [ ! -s grandchild.pid ]; do sleep 0.02; done; echo up; sleep 30", shell: true },
      { killGraceMs: 500 },
    );
    const task = launchTask(s);
    await waitFor(async () => (await readText(path.join(s.sandboxDir, 'stdout')).catch(() => '')).includes('up'));
    const grandchild = Number((await readText(path.join(s.sandboxDir, 'grandchild.pid'))).trim());
    expect(await isAlive(grandchild)).toBe(true);
    // Its own session: not reachable through the executor's process group.
    expect(await findTaskProcesses(s.taskId)).toContain(grandchild);
    expect((await task.kill()).state).toBe('KILLED');
    expect(await isAlive(grandchild)).toBe(false);
    expect(await findTaskProcesses(s.taskId)).toEqual([]);
  });

  it('processes left behind when the executor exits are destroyed with it', async () => {
    const s = await spec(
      { value: "setsid sh -c 'echo $$ > orphan.pid; exec sleep 30' & while [ ! -s orphan.pid ]; do sleep 0.02; done", shell: true },
    );
    const outcome = await launchTask(s).done;
    expect(outcome.state).toBe('FINISHED');
    const orphan = Number((await readText(path.join(s.sandboxDir, 'orphan.pid'))).trim());
    expect(await isAlive(orphan)).toBe(false);
    expect(await findTaskProcesses(s.taskId)).toEqual([]);
  });
});

/** Parent pid and state of a live process, from /proc/<pid>/stat; undefined once it is gone. */
async function statOf(pid: number): Promise<{ ppid: number; state: string } | undefined> {
  const text = await fs.readFile(`/proc/${pid}/stat`, 'latin1').catch(() => undefined);
  if (text === undefined) return undefined;
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0]!, ppid: Number(rest[1]) };
}

describe('launchTask: the subreaper owner', () => {
  it('an orphan re-parents to the task\'s owner, not to init, and one that ends is reaped, not left a zombie', async () => {
    const s = await spec({
      value: "( ( env -i sh -c 'echo $$ > orphan.pid; exec sleep 30' & ) & ); ( ( sh -c 'echo $$ > brief.pid' & ) & ); echo $$ > executor.pid; sleep 30",
      shell: true,
    });
    const task = launchTask(s);
    await task.started;
    // The task's pid is its executor's (RUNNING once it has exec'd); its owner is the process that records and reaps.
    const owner = task.identity!.supervisorPid;
    await waitFor(async () => (await Promise.all(['orphan.pid', 'brief.pid', 'executor.pid'].map((f) => readText(path.join(s.sandboxDir, f)).catch(() => '')))).every((t) => t.trim() !== ''));
    const executor = Number((await readText(path.join(s.sandboxDir, 'executor.pid'))).trim());
    const orphan = Number((await readText(path.join(s.sandboxDir, 'orphan.pid'))).trim());
    expect(executor).toBe(task.pid);
    expect((await statOf(executor))?.ppid).toBe(owner);
    expect((await statOf(orphan))?.ppid).toBe(owner);
    expect(await descendantsOf(owner)).toEqual(expect.arrayContaining([executor, orphan]));
    // The brief orphan exited at once: the owner has reaped it (nothing of the owner's is a zombie).
    const brief = Number((await readText(path.join(s.sandboxDir, 'brief.pid'))).trim());
    await waitFor(async () => (await statOf(brief)) === undefined);
    expect((await task.kill()).state).toBe('KILLED');
    expect(await isAlive(orphan)).toBe(false);
    expect(await isAlive(owner)).toBe(false);
  });

  it('RUNNING comes once the executor has exec\'d: the pid it reports is already the command, not its owner', async () => {
    const s = await spec({ value: 'sleep', shell: false, arguments: ['sleep', '30'] });
    let seen: { comm: string; ppid: number | undefined } | undefined;
    const task = launchTask(s, {
      // Read in the hook itself, synchronously: nothing has run in between.
      onRunning: (pid) => (seen = { comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), ppid: undefined }),
    });
    await task.started;
    expect(seen?.comm).toBe('sleep');
    expect((await statOf(task.pid!))?.ppid).toBe(task.identity!.supervisorPid);
    expect((await task.kill()).state).toBe('KILLED');
  });

  it('an exec that fails inside the owner is FAILED with errno\'s words, and never RUNNING', async () => {
    const s = await spec({ value: 'bad-interpreter', shell: false });
    const script = path.join(path.dirname(s.sandboxDir), 'bad-interpreter');
    // Executable, so the runner's own check passes; the kernel refuses the exec (no such interpreter).
    await fs.writeFile(script, '#!/nonexistent/interpreter\n', { mode: 0o755 });
    s.uris = [{ value: script, executable: true }];
    let running = false;
    const outcome = await launchTask(s, { onRunning: () => (running = true) }).done;
    expect(running).toBe(false);
    expect(outcome).toEqual({ state: 'FAILED', message: `Failed to launch command 'bad-interpreter': cannot run ${path.join(s.sandboxDir, 'bad-interpreter')}: No such file or directory` });
  });

  it('supervised, the owner is the supervisor: its own session, the exit recorded beside the sandbox, the environment in no argv', async () => {
    // The executor ends once the test has looked at its owner (which then surely runs).
    const s = await spec({ value: 'echo "$SECRET_VALUE" > /dev/null; while [ ! -e looked ]; do sleep 0.01; done; exit 7', shell: true }, { supervised: true, env: { SECRET_VALUE: 'do-not-show-in-ps' } });
    let cmdline = '';
    let session: string | undefined;
    const task = launchTask(s, {
      onSpawned: () => {
        const owner = task.identity!.supervisorPid;
        cmdline = readFileSync(`/proc/${owner}/cmdline`, 'latin1');
        session = readFileSync(`/proc/${owner}/stat`, 'latin1').split(') ')[1]!.split(' ')[3];
        writeFileSync(path.join(s.sandboxDir, 'looked'), '');
      },
    });
    const owner = await task.started.then(() => task.identity!.supervisorPid);
    expect(await task.done).toEqual({ state: 'FAILED', message: 'Command exited with status 7', exitCode: 7 });
    expect(cmdline).toContain('aurora-ts-owner');
    expect(cmdline).not.toContain('do-not-show-in-ps');
    // Its own session (setsid): the session id is its own pid, not the test's.
    expect(session).toBe(String(owner));
    const record = JSON.parse(await readText(path.join(path.dirname(s.sandboxDir), '.supervisors', 'sandbox', 'exit.json')));
    expect(record).toEqual({ pid: task.pid, code: 7, signal: null });
    expect(await fs.readdir(s.sandboxDir)).toEqual(expect.not.arrayContaining(['exit.json']));
  });

  it('a task that SIGKILLs its own owner (same user) ends, and the marker still finds its orphaned daemon: the owner never reported it reaped', async () => {
    const s = await spec({
      value: "( setsid sh -c 'echo $$ > daemon.pid; exec sleep 30' & ); while [ ! -s daemon.pid ]; do sleep 0.02; done; kill -KILL $PPID; sleep 30",
      shell: true,
    });
    const task = launchTask(s);
    await task.started;
    const owner = task.identity!.supervisorPid;
    const outcome = await task.done;
    expect(outcome.state).toBe('FAILED');
    const daemon = Number((await readText(path.join(s.sandboxDir, 'daemon.pid'))).trim());
    expect(await isAlive(owner)).toBe(false);
    expect(await isAlive(task.pid as number)).toBe(false);
    expect(await isAlive(daemon)).toBe(false);
    expect(await findTaskProcesses(s.taskId)).toEqual([]);
  });

  it('without an owner (subreaper false, as where Perl is missing), the marker still finds a setsid grandchild', async () => {
    const s = await spec(
      { value: "( setsid sh -c 'echo $$ > grandchild.pid; exec sleep 30' & ); while [ ! -s grandchild.pid ]; do sleep 0.02; done; echo up; sleep 30", shell: true },
      { killGraceMs: 500, subreaper: false },
    );
    const task = launchTask(s);
    await waitFor(async () => (await readText(path.join(s.sandboxDir, 'stdout')).catch(() => '')).includes('up'));
    const grandchild = Number((await readText(path.join(s.sandboxDir, 'grandchild.pid'))).trim());
    // No owner: the executor is the runner's own child, and the orphan goes to init (or the nearest subreaper).
    expect((await statOf(task.pid as number))?.ppid).toBe(process.pid);
    expect((await statOf(grandchild))?.ppid).not.toBe(task.pid);
    expect(await findTaskProcesses(s.taskId)).toContain(grandchild);
    expect((await task.kill()).state).toBe('KILLED');
    expect(await isAlive(grandchild)).toBe(false);
  });
});

describe('launchTask: environment', () => {
  it('has the Mesos variables and the caller env, and nothing from the scheduler environment', async () => {
    process.env.AURORA_TS_TEST_SECRET = 'hunter2-do-not-leak';
    try {
      const s = await spec({ value: 'env', shell: true }, { env: { THERMOS_PORT_http: '31337', MESOS_FRAMEWORK_ID: 'fw-1' } });
      await launchTask(s).done;
      const lines = (await readText(path.join(s.sandboxDir, 'stdout'))).trim().split('\n');
      const env = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      expect(env).toMatchObject({
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        MESOS_SANDBOX: s.sandboxDir,
        MESOS_DIRECTORY: s.sandboxDir,
        MESOS_EXECUTOR_ID: s.executorId,
        MESOS_TASK_ID: s.taskId,
        MESOS_FRAMEWORK_ID: 'fw-1',
        THERMOS_PORT_http: '31337',
        AURORA_TS_TASK: s.taskId,
      });
      expect(lines.join('\n')).not.toContain('hunter2');
      expect(env.AURORA_TS_TEST_SECRET).toBeUndefined();
    } finally {
      delete process.env.AURORA_TS_TEST_SECRET;
    }
  });

  it('defaults MESOS_FRAMEWORK_ID to aurora-ts-local', async () => {
    const s = await spec({ value: 'echo "$MESOS_FRAMEWORK_ID"', shell: true });
    await launchTask(s).done;
    expect(await readText(path.join(s.sandboxDir, 'stdout'))).toBe('aurora-ts-local\n');
  });
});
