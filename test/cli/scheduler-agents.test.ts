/**
 * `scheduler start --agents FILE`, `--hostname`, the Aurora-named scheduler flags and `scheduler agents`,
 * through the CLI (in-process; detached schedulers run the built binary): a bad agents file is one line and exit 2 before anything starts; a detached
 * scheduler gets every flag; `scheduler agents` lists the agents with what they use.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { ScheduleStatus } from '../../src/gen/types.js';
import { testJob, waitFor } from '../support/scheduler.js';
import { cleanEnv, EXECUTORS, json, oneErrorLine, runCli, tempDir } from './helpers.js';

const dir = tempDir();

function agentsFile(name: string, content: unknown): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const GOOD = [
  { host: 'localhost', attributes: { host: 'localhost', zone: 'west', rack: 'r1' }, resources: { cpus: 4, ramMb: 8192, diskMb: 20480, ports: '11000-11999' } },
  { host: 'agent-two', attributes: { host: 'agent-two', zone: 'east' }, resources: { cpus: 4, ramMb: 8192, diskMb: 20480, ports: '12000-12999' } },
];
const agent = (changes: Record<string, unknown>) => [{ ...GOOD[0], ...changes }];
const resources = (changes: Record<string, unknown>) => agent({ resources: { ...GOOD[0]!.resources, ...changes } });

interface Agents {
  agents: { host: string; mode: string; reachable: boolean; attributes: Record<string, string>; ports: string | null; tasks: number; resources: Record<'total' | 'used' | 'free', { cpus: number; ramMb: number; diskMb: number | null }> }[];
}

describe('scheduler start --agents', () => {
  it('rejects a bad agents file with one line naming the field, exit 2, before anything starts', async () => {
    const cases: Array<[unknown, string]> = [
      ['{ not json', 'is not JSON'],
      ['[{"host": "a", "host": "b", "resources": {"cpus": 1, "ramMb": 64}}]', 'duplicate key "host" at line 1, column 16 (first at line 1, column 3)'],
      [{ host: 'a' }, 'agents: expected a JSON array of agents'],
      [[], 'agents: expected at least one agent'],
      [[{ resources: GOOD[0]!.resources }], 'agents[0].host: missing; expected a host name'],
      [agent({ host: 'bad host!' }), 'agents[0].host: expected a host name (letters, digits, "-" and "."), got "bad host!"'],
      [[GOOD[0], { ...GOOD[1], host: 'localhost' }], 'agents[1].host: expected a unique host name; "localhost" is taken'],
      [agent({ attributes: { zone: 3 } }), 'agents[0].attributes.zone: expected a text value, got 3'],
      [agent({ attributes: { zone: 'a b' } }), 'agents[0].attributes.zone: expected a text value without spaces or commas, got "a b"'],
      [agent({ resource: {} }), 'agents[0].resource: unknown field; allowed: host, attributes, resources'],
      [resources({ gpus: 1 }), 'agents[0].resources.gpus: unknown field; allowed: cpus, ramMb, diskMb, ports'],
      [resources({ cpus: -1 }), 'agents[0].resources.cpus: expected a number > 0, got -1'],
      [resources({ ramMb: 1.5 }), 'agents[0].resources.ramMb: expected a whole number of MiB > 0, got 1.5'],
      [resources({ diskMb: '10' }), 'agents[0].resources.diskMb: expected a whole number of MiB > 0, got "10"'],
      [resources({ ports: '12000-11000' }), 'agents[0].resources.ports: expected port ranges like "11000-11999" or "11000-11099,12000" (1-65535, not overlapping), got "12000-11000"'],
    ];
    const env = cleanEnv();
    for (const [i, [content, message]] of cases.entries()) {
      const result = await runCli(['scheduler', 'start', '--port', '0', '--agents', agentsFile(`bad-${i}`, content)], { env });
      expect(result.code, message).toBe(2);
      expect(oneErrorLine(result), message).toContain(message);
    }
    // The same check before a detached copy is spawned; and flags that size the default agent clash with --agents.
    const detached = await runCli(['scheduler', 'start', '--detach', '--port', '0', '--agents', agentsFile('bad-detached', resources({ cpus: 0 }))], { env });
    expect(detached.code).toBe(2);
    expect(oneErrorLine(detached)).toContain('agents[0].resources.cpus: expected a number > 0, got 0');
    const clash = await runCli(['scheduler', 'start', '--port', '0', '--agents', agentsFile('good', GOOD), '--cpus', '2'], { env });
    expect(clash.code).toBe(2);
    expect(oneErrorLine(clash)).toContain('--agents and --cpus exclude each other');
    // Only agent processes can be unreachable: Aurora's -partition_aware needs them.
    const partition = await runCli(['scheduler', 'start', '--port', '0', '--partition-aware'], { env });
    expect(partition.code).toBe(2);
    expect(oneErrorLine(partition)).toContain('--partition-aware needs --agent-processes');
    const missing = await runCli(['scheduler', 'start', '--port', '0', '--agents', join(dir, 'nope.json')], { env });
    expect(missing.code).toBe(2);
    expect(oneErrorLine(missing)).toContain('no such file or directory');
  });

  it('rejects bad values of the scheduler flags with one line, exit 2', async () => {
    const env = cleanEnv();
    for (const [flag, value, message] of [
      ['--sla-aware-kill-non-prod', 'yes', "Allowed choices are true, false"],
      ['--host-maintenance-polling-interval', '5', 'expected a duration like 500ms, 30secs'],
      ['--cron-timezone', 'Mars/Olympus', '--cron-timezone "Mars/Olympus": expected an IANA time zone'],
      ['--hostname', 'no such host', '--hostname "no such host": expected a host name'],
      ['--zk-session-timeout', '4secs', '--zk-session-timeout needs --zk HOSTS'],
    ] as const) {
      const result = await runCli(['scheduler', 'start', '--port', '0', flag, value], { env });
      expect(result.code, flag).toBe(2);
      expect(oneErrorLine(result), flag).toContain(message);
    }
  });

  it('runs a detached scheduler with the agents and flags given; scheduler agents lists them', async () => {
    const env = cleanEnv();
    const start = await runCli(
      ['--json', 'scheduler', 'start', '--detach', '--port', '0', '--custom-executor-config', EXECUTORS, '--agents', agentsFile('good', GOOD), '--min-required-instances-for-sla-check', '2', '--sla-aware-kill-non-prod', 'true', '--host-maintenance-polling-interval', '200ms'],
      { env },
    );
    expect(start.code, start.stderr).toBe(0);
    const { url } = json<{ url: string }>(start);
    const withUrl = { ...env, AURORA_SCHEDULER_URL: url };
    const client = new AuroraClient({ url });
    try {
      // Both SLA flags reached the scheduler: a non-production 2-instance job may carry a count SLA
      // (--sla-aware-kill-non-prod true; Aurora's default refuses it, and its default minimum of 20 instances too).
      const job = testJob({ name: 'east', environment: 'devel', executor: 'hello-executor', instances: 2, service: true, task: { slaPolicy: { countSlaPolicy: { count: 1, durationSecs: 0 } }, constraints: [{ name: 'zone', constraint: { value: { values: ['east'] } } }] } });
      await client.createJob(job);
      await waitFor('2 RUNNING', async () => ((await client.getTasksStatus({ jobKeys: [job.key!], statuses: [ScheduleStatus.RUNNING] })).tasks?.length === 2 ? true : undefined));

      // A job no agent fits: `task pending` gives Aurora's veto word for word.
      const north = testJob({ name: 'north', executor: 'hello-executor', task: { constraints: [{ name: 'zone', constraint: { value: { values: ['north'] } } }] } });
      await client.createJob(north);
      const pending = await waitFor('a pending reason', async () => {
        const result = json<{ pending: { reason: string }[] }>(await runCli(['--json', 'task', 'pending', 'local/www-data/devel/north'], { env: withUrl }));
        return result.pending[0]?.reason ? result.pending : undefined;
      });
      expect(pending.map((p) => p.reason)).toEqual(['Constraint not satisfied: zone']);
      expect((await runCli(['task', 'pending', 'local/www-data/devel/north'], { env: withUrl })).stdout).toMatch(/^[0-9a-f]{8} +Constraint not satisfied: zone$/m);
      await client.killTasks(north.key!, [], 'done');

      const listed = json<Agents>(await runCli(['--json', 'scheduler', 'agents'], { env: withUrl }));
      expect(listed.agents.map((a) => [a.host, a.mode, a.reachable, a.ports, a.tasks])).toEqual([
        ['localhost', 'NONE', true, '11000-11999', 0],
        ['agent-two', 'NONE', true, '12000-12999', 2],
      ]);
      expect(listed.agents[0]!.attributes).toEqual({ host: 'localhost', zone: 'west', rack: 'r1' });
      // Per task 0.1 CPU, 16 MiB RAM and disk, plus hello-executor's overhead (0.01 CPU, 16 MiB RAM).
      expect(listed.agents[1]!.resources.used).toEqual({ cpus: 0.22, ramMb: 64, diskMb: 32 });
      expect(listed.agents[1]!.resources.free).toEqual({ cpus: 3.78, ramMb: 8128, diskMb: 20448 });

      // The SLA flags reached the scheduler: an SLA-aware drain of agent-two keeps 1 of the 2 instances up.
      expect((await runCli(['maintenance', 'sla-drain', 'local', 'agent-two', '--count', '1', '--duration', '0', '--force-drain-timeout', '600'], { env: withUrl })).code).toBe(0);
      const table = await runCli(['scheduler', 'agents'], { env: withUrl });
      expect(table.stdout).toMatch(/^HOST +MODE +REACHABLE +CPUS +RAM MIB +DISK MIB +PORTS +TASKS +ATTRIBUTES$/m);
      expect(table.stdout).toMatch(/^agent-two +DRAINING +yes .* 12000-12999 .*host=agent-two zone=east$/m);
      await waitFor('one instance drained', async () => ((await client.getTasksStatus({ jobKeys: [job.key!], statuses: [ScheduleStatus.KILLED] })).tasks?.length === 1 ? true : undefined));
      // Several polls (every 200 ms) later the other still runs: draining it too would break the SLA.
      await new Promise((r) => setTimeout(r, 800));
      const running = (await client.getTasksStatus({ jobKeys: [job.key!], statuses: [ScheduleStatus.RUNNING] })).tasks ?? [];
      expect(running).toHaveLength(1);
      expect(running[0]!.assignedTask!.slaveHost).toBe('agent-two');
    } finally {
      client.close();
      expect((await runCli(['scheduler', 'stop'], { env })).code).toBe(0);
    }
  });

  it('names and sizes the single agent with --hostname, --cpus, --ram-mb and --disk-mb', async () => {
    const env = cleanEnv();
    const start = await runCli(['--json', 'scheduler', 'start', '--detach', '--port', '0', '--hostname', 'node-1', '--cpus', '2', '--ram-mb', '512', '--disk-mb', '1024'], { env });
    expect(start.code, start.stderr).toBe(0);
    const { url } = json<{ url: string }>(start);
    try {
      const listed = json<Agents>(await runCli(['--json', 'scheduler', 'agents'], { env: { ...env, AURORA_SCHEDULER_URL: url } }));
      expect(listed.agents).toEqual([
        {
          host: 'node-1',
          slaveId: 'node-1-aurora-ts-local',
          attributes: { host: 'node-1' },
          mode: 'NONE',
          reachable: true,
          ports: null,
          tasks: 0,
          resources: { total: { cpus: 2, ramMb: 512, diskMb: 1024 }, used: { cpus: 0, ramMb: 0, diskMb: 0 }, free: { cpus: 2, ramMb: 512, diskMb: 1024 } },
        },
      ]);
    } finally {
      expect((await runCli(['scheduler', 'stop'], { env })).code).toBe(0);
    }
  });
});
