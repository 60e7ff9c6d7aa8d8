/**
 * `task logs` for Thermos tasks through the CLI (in-process) against a local scheduler: a process's own
 * stdout/stderr (`.logs/<process>/<run>/`), its latest run, following it into the next run, any
 * sandbox file, and the Thermos runner's log naming a failed process and its real exit status.
 */
import { describe, expect, it } from 'vitest';
import { json, oneErrorLine, runCli, tempDir, useLocalScheduler } from './helpers.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = tempDir();
const local = useLocalScheduler();

function thermosJob(name: string, processes: Record<string, unknown>[], extra: Record<string, unknown> = {}): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ role: 'www-data', environment: 'prod', name, instances: 1, resources: { cpus: 0.1, ramMb: 32, diskMb: 32 }, processes, ...extra }));
  return file;
}

async function until(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('task logs for Thermos processes', () => {
  it("prints a process's own stdout and stderr, a sandbox file, and the runner's log naming the failed process", { timeout: 30_000 }, async () => {
    const file = thermosJob('twostep', [
      { name: 'prepare', cmdline: 'echo prepared; echo warming up >&2; echo data > result.txt' },
      { name: 'compute', cmdline: 'echo computing; echo broken >&2; exit 3', maxFailures: 1 },
    ], { order: [['prepare', 'compute']] });
    const created = await runCli(['job', 'create', file, '--wait-until', 'FINISHED'], { env: local.env });
    expect(created.code).toBe(1);
    // The task's message names the failed process and its real exit status (was "Command exited with status 1").
    const failure = "Task 'twostep' failed: process 'compute' exited with status 3 (1 of max_failures 1)";
    expect(created.stderr.trimEnd().split('\n').pop()).toBe(`aurora-ts: local/www-data/prod/twostep did not reach FINISHED: instance 0 FAILED: ${failure}`);
    const tasks = json<{ tasks: { message: string }[] }>(await runCli(['--json', 'task', 'list', 'local/www-data/prod/twostep'], { env: local.env })).tasks;
    expect(tasks.map((t) => t.message)).toEqual([failure]);
    const key = 'local/www-data/prod/twostep/0';
    expect(await runCli(['task', 'logs', key, '--process', 'prepare'], { env: local.env })).toMatchObject({ code: 0, stdout: 'prepared\n' });
    expect(await runCli(['task', 'logs', key, '--process', 'prepare', '--file', 'stderr'], { env: local.env })).toMatchObject({ code: 0, stdout: 'warming up\n' });
    expect(await runCli(['task', 'logs', key, '--process', 'compute', '--stderr'], { env: local.env })).toMatchObject({ code: 0, stdout: 'broken\n' });
    expect(await runCli(['task', 'logs', key, '--file', 'result.txt'], { env: local.env })).toMatchObject({ code: 0, stdout: 'data\n' });
    // The runner's own log (the sandbox's stdout) says which process failed and how.
    const runner = await runCli(['task', 'logs', key], { env: local.env });
    expect(runner.stdout).toContain("Task 'twostep' failed: process 'compute' exited with status 3 (1 of max_failures 1)");

    const none = await runCli(['task', 'logs', key, '--process', 'nosuch'], { env: local.env });
    expect(none.code).toBe(1);
    expect(oneErrorLine(none)).toMatch(/^aurora-ts: task \S+ has no logs of a process "nosuch" \(yet\): is it a Thermos task with that process\?$/);
    const bad = await runCli(['task', 'logs', key, '--process', 'prepare', '--file', 'result.txt'], { env: local.env });
    expect(bad.code).toBe(2);
    expect(oneErrorLine(bad)).toBe('aurora-ts: --file result.txt: with --process, --file is stdout or stderr (a process\'s own logs)');
  });

  it("reads a restarted process's latest run, and --follow moves on to each next run", { timeout: 30_000 }, async () => {
    // Fails twice (runs 0 and 1), then keeps running in run 2.
    const file = thermosJob('flaky', [
      { name: 'flaky', cmdline: 'n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; echo "attempt $n"; if [ $n -lt 2 ]; then sleep 1; exit 1; fi; sleep 30', maxFailures: 5, minDuration: 1 },
    ], { service: true });
    expect((await runCli(['job', 'create', file, '--wait-until', 'RUNNING'], { env: local.env })).code).toBe(0);
    const key = 'local/www-data/prod/flaky/0';
    const follow = runCli(['task', 'logs', key, '--process', 'flaky', '--follow'], { env: local.env, timeoutMs: 25_000 });
    await until(async () => (await runCli(['task', 'logs', key, '--process', 'flaky'], { env: local.env })).stdout === 'attempt 2\n');
    expect((await runCli(['job', 'killall', key.replace(/\/0$/, ''), '--wait'], { env: local.env })).code).toBe(0);
    const followed = await follow;
    expect(followed.code).toBe(0);
    // Started during run 0 or 1: every later run's output follows, each announced on stderr.
    expect(followed.stdout).toMatch(/(attempt 0\n)?(attempt 1\n)attempt 2\n$/);
    expect(followed.stderr).toContain('--- flaky run 2 ---');
    expect(json<{ tasks: unknown[] }>(await runCli(['--json', 'task', 'list', key], { env: local.env })).tasks.length).toBeGreaterThan(0);
  });
});
