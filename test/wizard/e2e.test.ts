/**
 * The real binary on a pseudo-terminal, answered by keystrokes: a service on a custom executor is
 * written and created on a local scheduler started here, with a spinner until it runs. Needs the
 * built dist/ (`npm run build`; `npm test` builds first).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { ScheduleStatus } from '../../src/gen/types.js';
import { startScheduler, type RunningScheduler } from '../../src/scheduler/index.js';
import { KEYS, ROOT, Terminal, wizardCommand } from './terminal.js';

const EXECUTORS = join(ROOT, 'examples/executors.json');
let scheduler: RunningScheduler;

beforeAll(async () => {
  scheduler = await startScheduler({ port: 0, executors: EXECUTORS, cpus: 8, ramMb: 8192, killGraceMs: 300 });
});
afterAll(async () => {
  await scheduler?.close();
});

function testEnv(): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'aurora-ts-wizard-home-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('AURORA_') || k === 'NO_COLOR' || k === 'FORCE_COLOR' || k === 'NODE_OPTIONS' || k.startsWith('VITEST')) continue;
    env[k] = v;
  }
  return { ...env, HOME: home, XDG_STATE_HOME: join(home, 'state'), AURORA_CONFIG_ROOT: join(home, 'etc'), TERM: 'xterm-256color' };
}

describe('aurora-ts job wizard on a terminal', () => {
  it('is answered by keystrokes, saves the job file and creates the job, with a spinner until RUNNING', async () => {
    const env = testEnv();
    const dir = mkdtempSync(join(tmpdir(), 'aurora-ts-wizard-'));
    const out = join(dir, 'job.json');
    const argv = [...wizardCommand(env), '--scheduler-url', scheduler.url, 'job', 'wizard', '--output', out, '--custom-executor-config', EXECUTORS];
    const term = new Terminal(argv, env);
    try {
      await term.answer('Cluster'); // local
      await term.answer('Role', 'www-data');
      await term.answer('Environment'); // devel
      await term.answer('Job name', 'wizard-e2e');
      await term.answer('Kind of job'); // service
      await term.answer('Instances', '2');
      await term.answer('Executor'); // hello-executor, the first
      await term.answer('Executor data for hello-executor', '{"message": "typed in a terminal"}');
      await term.answer('CPUs per instance', '0.1');
      await term.answer('RAM per instance', '32');
      await term.answer('Disk per instance', '32');
      await term.answer('Named ports', 'http');
      await term.answer('Constraints');
      await term.answer('Metadata');
      await term.answer('Change the update settings'); // no
      await term.answer('Tier');
      await term.expect('What Aurora will receive');
      await term.answer('What now?', KEYS.down); // save, and create the job now
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
    }
    const output = term.output;
    expect(output).toContain('\u001b[36m"executor"\u001b[39m'); // keys highlighted on a colour terminal
    expect(term.text).toMatch(/hello-executor\s+\(\+0\.01 CPU, 16 MiB RAM, 0 MiB disk per task\)/);
    expect(term.text).toContain('Created job local/www-data/devel/wizard-e2e (2 instances)');
    expect(output).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/); // the spinner
    expect(term.text).toMatch(/✔ local\/www-data\/devel\/wizard-e2e: RUNNING 2\/2/);

    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({
      cluster: 'local',
      role: 'www-data',
      environment: 'devel',
      name: 'wizard-e2e',
      instances: 2,
      service: true,
      executor: { name: 'hello-executor', data: { message: 'typed in a terminal' } },
      resources: { cpus: 0.1, ramMb: 32, diskMb: 32 },
      ports: ['http'],
    });
    const client = new AuroraClient({ url: scheduler.url });
    try {
      const tasks = await client.getTasksWithoutConfigs({ jobKeys: [{ role: 'www-data', environment: 'devel', name: 'wizard-e2e' }] });
      expect((tasks.tasks ?? []).map((t) => t.status)).toEqual([ScheduleStatus.RUNNING, ScheduleStatus.RUNNING]);
    } finally {
      client.close();
    }
  });

  it('Ctrl-C ends with 130 and writes nothing; without a terminal it fails at once with exit 2', async () => {
    const env = testEnv();
    const dir = mkdtempSync(join(tmpdir(), 'aurora-ts-wizard-'));
    const out = join(dir, 'job.json');
    const command = wizardCommand(env);
    const term = new Terminal([...command, 'job', 'wizard', '--output', out], env);
    try {
      await term.answer('Cluster');
      await term.expect('Role');
      await term.type(KEYS.ctrlC);
      expect(await term.exited).toBe(130);
    } finally {
      term.kill();
    }
    expect(term.text).toContain('Cancelled; nothing was written.');
    expect(existsSync(out)).toBe(false);

    const { spawnSync } = await import('node:child_process');
    const piped = spawnSync(command[0]!, [...command.slice(1), 'job', 'wizard', '--output', out], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    expect(piped.status).toBe(2);
    expect(piped.stderr.trim()).toMatch(/^aurora-ts: job wizard needs an interactive terminal/);
    expect(piped.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });
});
