import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findTaskProcesses, launchTask } from '../../src/scheduler/runner/index.js';
import {
  parseThermosPayload,
  runThermosTask,
  STATUS_MESSAGE_FILE,
  thermosCommand,
  type ThermosEvent,
  type ThermosRunOptions,
} from '../../src/scheduler/thermos/index.js';
import { readText, tempDir, waitFor } from './helpers.js';
import { buildThermosForTests, removeThermosBuild } from './thermos-build.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
  await removeThermosBuild();
});

async function sandbox(): Promise<string> {
  const dir = await tempDir('aurora-ts-thermos-test-');
  dirs.push(dir);
  return dir;
}

/** A process that records its start and end in the shared `trace` file. */
function traced(name: string, extra: Record<string, unknown> = {}, seconds = 0.15): Record<string, unknown> {
  return { name, cmdline: `echo "${name} start" >> trace; sleep ${seconds}; echo "${name} end" >> trace`, min_duration: 0, ...extra };
}

async function run(task: Record<string, unknown>, options: Partial<ThermosRunOptions> = {}) {
  const dir = options.sandboxDir ?? (await sandbox());
  const payload = parseThermosPayload({ name: 'job', role: 'www-data', environment: 'devel', task });
  const events: ThermosEvent[] = [];
  const result = await runThermosTask(payload.task, { sandboxDir: dir, onEvent: (e) => events.push(e), ...options });
  const trace = await readText(path.join(dir, 'trace')).catch(() => '');
  return { dir, result, events, trace: trace.trim().split('\n').filter(Boolean) };
}

describe('Thermos scheduling', () => {
  it('an order constraint a -> b -> c runs them one after another', async () => {
    const { result, trace } = await run({
      name: 'ordered',
      processes: [traced('c'), traced('b'), traced('a')],
      constraints: [{ order: ['a', 'b', 'c'] }],
    });
    expect(result.state).toBe('SUCCESS');
    expect(trace).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });

  it('unordered processes run concurrently, and max_concurrency caps them', async () => {
    const free = await run({ name: 'free', processes: [traced('x', {}, 0.3), traced('y', {}, 0.3)] });
    expect(free.trace.slice(0, 2).sort()).toEqual(['x start', 'y start']);
    const capped = await run({ name: 'capped', max_concurrency: 1, processes: [traced('x'), traced('y')] });
    expect(capped.trace[1]).toMatch(/ end$/);
    expect(capped.trace[2]).toMatch(/ start$/);
  });

  it('a final process runs after all the others', async () => {
    const { result, trace } = await run({
      name: 'with-final',
      processes: [traced('cleanup', { final: true }, 0), traced('main', {}, 0.2), traced('side', {}, 0.1)],
    });
    expect(result.state).toBe('SUCCESS');
    expect(trace.slice(-2)).toEqual(['cleanup start', 'cleanup end']);
    expect(trace.indexOf('cleanup start')).toBeGreaterThan(trace.indexOf('main end'));
  });

  it('a failing process is retried max_failures times, then the task fails (and finalizers still run)', async () => {
    const { dir, result, trace } = await run({
      name: 'failing',
      processes: [
        { name: 'flaky', cmdline: 'echo "try" >> trace; echo "attempt on stdout"; exit 7', max_failures: 3, min_duration: 0 },
        traced('after', {}, 0),
        traced('notify', { final: true }, 0),
      ],
      constraints: [{ order: ['flaky', 'after'] }],
    });
    expect(result.state).toBe('FAILED');
    expect(result.message).toContain('flaky');
    expect(result.processes.find((p) => p.name === 'flaky')).toMatchObject({ state: 'FAILED', runs: 3, failures: 3, lastExitCode: 7 });
    expect(result.processes.find((p) => p.name === 'after')?.state).toBe('SKIPPED');
    expect(trace).toEqual(['try', 'try', 'try', 'notify start', 'notify end']);
    for (const run of ['0', '1', '2']) {
      expect(await readText(path.join(dir, '.logs', 'flaky', run, 'stdout'))).toBe('attempt on stdout\n');
    }
  });

  it('a process that fails once and then succeeds lets the task succeed; min_duration spaces the runs', async () => {
    const t0 = Date.now();
    const { result } = await run({
      name: 'retry',
      processes: [{ name: 'p', cmdline: 'if [ -e marker ]; then exit 0; fi; touch marker; exit 1', max_failures: 2, min_duration: 0.3 }],
    });
    expect(result.state).toBe('SUCCESS');
    expect(result.processes[0]).toMatchObject({ runs: 2, failures: 1, state: 'SUCCESS' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('an ephemeral process is not waited for', async () => {
    const t0 = Date.now();
    const { result } = await run({
      name: 'eph',
      processes: [{ name: 'logsaver', cmdline: 'sleep 30', ephemeral: true }, traced('web', {}, 0.1)],
    });
    expect(result.state).toBe('SUCCESS');
    expect(result.processes.find((p) => p.name === 'logsaver')?.state).toBe('KILLED');
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('aborting kills running processes and still runs the finalizers: KILLED', async () => {
    const abort = new AbortController();
    const pending = run(
      { name: 'killme', processes: [{ name: 'server', cmdline: 'echo up >> trace; sleep 30' }, traced('bye', { final: true }, 0)] },
      { signal: abort.signal, killGraceMs: 500 },
    );
    await new Promise((r) => setTimeout(r, 200));
    abort.abort();
    const { result, trace } = await pending;
    expect(result.state).toBe('KILLED');
    expect(result.processes.find((p) => p.name === 'server')?.state).toBe('KILLED');
    expect(trace).toEqual(['up', 'bye start', 'bye end']);
  });

  it('binds thermos.ports, thermos.task_id and mesos.instance; an unbound port is refused', async () => {
    const task = { name: 'bound', processes: [{ name: 'p', cmdline: 'echo {{thermos.ports[http]}} {{thermos.task_id}} {{mesos.instance}} {{other}} > trace' }] };
    const { trace } = await run(task, { bindings: { ports: { http: 31337 }, taskId: 't-1', instance: 2 } });
    expect(trace).toEqual(['31337 t-1 2 {{other}}']);
    await expect(run(task, { bindings: {} })).rejects.toThrow("process 'p'.cmdline: unbound reference {{thermos.ports[http]}}");
  });
});

describe('Thermos payload', () => {
  it('applies Thermos defaults', () => {
    const payload = parseThermosPayload({ task: { processes: [{ name: 'hello', cmdline: 'echo hi' }] } });
    expect(payload.task).toMatchObject({ name: 'hello', max_failures: 1, max_concurrency: 0, finalization_wait: 30 });
    expect(payload.task.processes[0]).toEqual({
      name: 'hello', cmdline: 'echo hi', max_failures: 1, daemon: false, ephemeral: false, min_duration: 5, final: false,
    });
  });

  it('rejects bad payloads with one line naming the field', () => {
    const p = (name: string, extra = {}) => ({ name, cmdline: 'true', ...extra });
    expect(() => parseThermosPayload({ task: { processes: [] } })).toThrow('task.processes: must be a non-empty list of processes');
    expect(() => parseThermosPayload({ task: { processes: [p('a'), p('a')] } })).toThrow("task.processes[1].name: duplicate process name 'a'");
    expect(() => parseThermosPayload({ task: { processes: [p('a')], constraints: [{ order: ['a', 'zz'] }] } })).toThrow(
      "task.constraints[0].order: names unknown process 'zz'",
    );
    expect(() => parseThermosPayload({ task: { processes: [p('a'), p('b')], constraints: [{ order: ['a', 'b'] }, { order: ['b', 'a'] }] } })).toThrow(
      /task.constraints: order constraints form a cycle: (a -> b -> a|b -> a -> b)/,
    );
    expect(() => parseThermosPayload({ task: { processes: [p('a'), p('f', { final: true })], constraints: [{ order: ['a', 'f'] }] } })).toThrow(
      'may not mix final and ordinary processes',
    );
    expect(() => parseThermosPayload({ task: { processes: [p('a', { max_failures: -1 })] } })).toThrow('task.processes[0].max_failures: must be an integer >= 0');
  });
});

describe('Thermos executor as a real task', () => {
  const payload = (processes: unknown[], extra: Record<string, unknown> = {}) =>
    JSON.stringify({ name: 'hello', role: 'www-data', environment: 'devel', cluster: 'local', task: { name: 'hello', processes, finalization_wait: 5, ...extra } });

  it('runs a payload end to end through launchTask: FINISHED, with Thermos logs in the sandbox', async () => {
    const mainScript = await buildThermosForTests();
    const sandboxDir = path.join(await sandbox(), 'sandbox');
    const task = launchTask({
      taskId: 'www-data-devel-hello-0-thermos1',
      executorId: 'thermos-www-data-devel-hello-0-thermos1',
      sandboxDir,
      files: { 'thermos.json': payload([{ name: 'hello', cmdline: 'echo "hello on port {{thermos.ports[http]}}"', min_duration: 0 }]) },
      command: thermosCommand('thermos.json', { mainScript, bindings: { ports: { http: 8080 } } }),
    });
    const outcome = await task.done;
    expect(outcome).toMatchObject({ state: 'FINISHED', exitCode: 0 });
    expect(await readText(path.join(sandboxDir, '.logs', 'hello', '0', 'stdout'))).toBe('hello on port 8080\n');
    const progress = await readText(path.join(sandboxDir, 'stdout'));
    expect(progress).toContain("process 'hello' run 0 exited with status 0: SUCCESS");
    expect(progress).toContain("Task 'hello' finished: SUCCESS");
  });

  it('a failing Thermos task exits 1; a bad payload exits 2', async () => {
    const mainScript = await buildThermosForTests();
    const failing = await launchTask({
      taskId: 'thermos-fail-1',
      executorId: 'thermos-thermos-fail-1',
      sandboxDir: path.join(await sandbox(), 's'),
      files: { 'p.json': payload([{ name: 'boom', cmdline: 'exit 4', min_duration: 0 }]) },
      command: thermosCommand('p.json', { mainScript }),
    }).done;
    // Without statusMessageFile the runner reports the executor's exit as Mesos' command executor does.
    expect(failing).toMatchObject({ state: 'FAILED', message: 'Command exited with status 1' });
    const named = await launchTask({
      taskId: 'thermos-fail-2',
      executorId: 'thermos-thermos-fail-2',
      sandboxDir: path.join(await sandbox(), 's'),
      files: { 'p.json': payload([{ name: 'boom', cmdline: 'exit 4', min_duration: 0 }]) },
      command: thermosCommand('p.json', { mainScript }),
      statusMessageFile: STATUS_MESSAGE_FILE,
    }).done;
    expect(named).toMatchObject({ state: 'FAILED', exitCode: 1, message: "Task 'hello' failed: process 'boom' exited with status 4 (1 of max_failures 1)" });
    const dir = path.join(await sandbox(), 's');
    const bad = await launchTask({
      taskId: 'thermos-bad-1',
      executorId: 'thermos-thermos-bad-1',
      sandboxDir: dir,
      files: { 'p.json': '{"task": {"processes": []}}' },
      command: thermosCommand('p.json', { mainScript }),
    }).done;
    expect(bad).toMatchObject({ state: 'FAILED', message: 'Command exited with status 2' });
    expect(await readText(path.join(dir, 'stdout'))).toContain('task.processes: must be a non-empty list of processes');
  });

  it('killing the task lets Thermos run its finalizer within the grace, then nothing is left', async () => {
    const mainScript = await buildThermosForTests();
    const sandboxDir = path.join(await sandbox(), 'sandbox');
    const taskId = 'thermos-kill-1';
    const task = launchTask({
      taskId,
      executorId: `thermos-${taskId}`,
      sandboxDir,
      killGraceMs: 3000,
      files: {
        'p.json': payload([
          { name: 'server', cmdline: 'echo up > up; sleep 30', min_duration: 0 },
          { name: 'goodbye', cmdline: 'echo bye > bye', final: true, min_duration: 0 },
        ]),
      },
      command: thermosCommand('p.json', { mainScript }),
    });
    await waitFor(() => fs.access(path.join(sandboxDir, 'up')).then(() => true, () => false));
    const outcome = await task.kill();
    expect(outcome.state).toBe('KILLED');
    expect(await readText(path.join(sandboxDir, 'bye'))).toBe('bye\n');
    expect(await findTaskProcesses(taskId)).toEqual([]);
  });
});
