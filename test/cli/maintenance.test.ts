/**
 * `maintenance start|drain|sla-drain|status|end` through the CLI (in-process) against a local scheduler,
 * on this machine (the local scheduler's only host): tasks drained off it wait, and come back after.
 */
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { json, jobFile, tempDir, useLocalScheduler } from './helpers.js';

const dir = tempDir();
const HOST = hostname();

const { cli } = useLocalScheduler(() => ({ maintenance: { pollMs: 100 } }));

interface Tasks {
  tasks: { instance: number; state: string; taskId: string }[];
}
interface Hosts {
  hosts: { host: string; mode: string }[];
}

async function until<T>(what: string, poll: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await poll();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('maintenance', () => {
  it('schedules, drains and ends maintenance of this host; tasks move off and come back', async () => {
    const key = 'local/www-data/prod/web';
    // A host no agent has is left out of the reply, as Aurora leaves out hosts it has no attributes for.
    const none = await cli('maintenance', 'status', 'local', 'spare.example.com');
    expect(none.stdout).toBe('No hosts known.\n');

    expect((await cli('job', 'create', jobFile(dir, 'web'), '--wait-until', 'RUNNING')).code).toBe(0);
    // Without HOSTS: every host tasks ran on.
    expect(json<Hosts>(await cli('--json', 'maintenance', 'status', 'local'))).toEqual({ hosts: [{ host: HOST, mode: 'NONE' }] });

    const started = await cli('maintenance', 'start', 'local', HOST);
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(new RegExp(`^HOST +MODE\\n${HOST} +SCHEDULED\\n$`));

    const drained = json<Hosts>(await cli('--json', 'maintenance', 'drain', 'local', HOST));
    expect(drained.hosts).toEqual([{ host: HOST, mode: 'DRAINING' }]);
    await until('host drained', async () => json<Hosts>(await cli('--json', 'maintenance', 'status', 'local', HOST)).hosts[0]!.mode, (m) => m === 'DRAINED');
    // The drained tasks were replaced, and the replacements wait for a host.
    const waiting = json<Tasks>(await cli('--json', 'job', 'status', key)).tasks;
    expect(waiting.map((t) => t.state)).toEqual(['PENDING', 'PENDING']);
    expect((await cli('maintenance', 'status', 'local')).stdout).toMatch(new RegExp(`^${HOST} +DRAINED$`, 'm'));

    const ended = await cli('maintenance', 'end', 'local', HOST);
    expect(ended.stdout).toMatch(new RegExp(`^${HOST} +NONE$`, 'm'));
    await until('tasks running again', async () => json<Tasks>(await cli('--json', 'job', 'status', key)).tasks.map((t) => t.state), (s) => s.every((x) => x === 'RUNNING'));
  });

  it('sla-drain keeps the SLA named by --count', async () => {
    const result = await cli('--json', 'maintenance', 'sla-drain', 'local', HOST, '--count', '1', '--duration', '0');
    expect(result.code).toBe(0);
    expect(json<Hosts>(result).hosts).toEqual([{ host: HOST, mode: 'DRAINING' }]);
    expect(json<Hosts>(await cli('--json', 'maintenance', 'end', 'local', HOST)).hosts).toEqual([{ host: HOST, mode: 'NONE' }]);
  });
});
