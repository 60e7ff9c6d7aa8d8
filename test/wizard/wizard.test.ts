/**
 * The wizard driven through its Prompter seam, without a terminal: each test answers the questions a
 * user would, and checks the file written (or not written), what was shown, and what the scheduler got.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExitPromptError } from '@inquirer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuroraClient } from '../../src/client/client.js';
import { CliContext } from '../../src/cli/context.js';
import { exitCodeFor, messageFor } from '../../src/cli/errors.js';
import { IO } from '../../src/cli/io.js';
import { run } from '../../src/cli/commands/job/wizard.js';
import { runWizard, type WizardOptions } from '../../src/cli/wizard/wizard.js';
import { parseJobFile } from '../../src/job/file.js';
import { startScheduler, type RunningScheduler } from '../../src/scheduler/index.js';
import { CUSTOM_SERVICE, DEFAULT, script, ScriptedPrompter, THERMOS_ONE_PROCESS, type Step } from './scripted.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EXECUTORS = join(ROOT, 'examples/executors.json');
const temp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

let scheduler: RunningScheduler;
beforeAll(async () => {
  scheduler = await startScheduler({ port: 0, executors: EXECUTORS, cpus: 8, ramMb: 8192, killGraceMs: 300 });
});
afterAll(async () => {
  await scheduler?.close();
});

class Capture {
  text = '';
  isTTY = false;
  write(chunk: string | Uint8Array): boolean {
    this.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }
}

interface Session {
  code: number;
  stdout: string;
  stderr: string;
  prompter: ScriptedPrompter;
  dir: string;
}

/** Runs the wizard with scripted answers in a fresh home (only the built-in `local` cluster). */
async function session(steps: Step[], options: WizardOptions = {}, schedulerUrl?: string, dir = temp('aurora-ts-wizard-')): Promise<Session> {
  const stdout = new Capture();
  const stderr = new Capture();
  const home = temp('aurora-ts-wizard-home-');
  const env = { PATH: process.env['PATH'], HOME: home, XDG_STATE_HOME: join(home, 'state'), AURORA_CONFIG_ROOT: join(home, 'etc') };
  const io = new IO({ stdout, stderr, env });
  const ctx = new CliContext({ io, env, globals: schedulerUrl ? { schedulerUrl } : {} });
  const prompter = new ScriptedPrompter(steps);
  try {
    const code = await runWizard(ctx, options, prompter, { defaultRole: 'www-data', pollMs: 100 });
    return { code, stdout: stdout.text, stderr: stderr.text, prompter, dir };
  } finally {
    ctx.close();
  }
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

function errorsOf(s: Session, question: string): string[] {
  return s.prompter.asked.filter((a) => a.message.includes(question)).flatMap((a) => a.errors);
}

describe('job wizard (scripted answers)', () => {
  it('writes a custom-executor service, showing executor overheads and what Aurora receives', async () => {
    const dir = temp('aurora-ts-wizard-');
    const out = join(dir, 'web.json');
    const s = await session(
      [
        ['Cluster', DEFAULT],
        ['Role', 'www-data'],
        ['Environment', DEFAULT],
        ['Job name', 'web'],
        ['Kind of job', 'service'],
        ['Instances', '2'],
        ['Executor', 'hello-executor'],
        ['Executor data for hello-executor', '{"message": "hi"}'],
        ['CPUs', '0.1'],
        ['RAM', '32'],
        ['Disk', '16'],
        ['Named ports', 'http, admin'],
        ['Constraints', 'host=limit:1'],
        ['Metadata', 'team=web'],
        ['Change the update settings', true],
        ['instances updated at a time', '2'],
        ['stay RUNNING', '5'],
        ['failures allowed per instance', DEFAULT],
        ['failed instances allowed', DEFAULT],
        ['roll back', DEFAULT],
        ['Tier', DEFAULT],
        ['What now', 'save'],
      ],
      { customExecutorConfig: EXECUTORS, output: out },
      undefined,
      dir,
    );
    expect(s.code).toBe(0);
    expect(s.prompter.remaining).toBe(0);
    const executorChoices = s.prompter.asked.find((a) => a.message === 'Executor')!.choices!;
    expect(executorChoices).toEqual([
      'hello-executor  (+0.01 CPU, 16 MiB RAM, 0 MiB disk per task)',
      'ticker-executor  (+0.01 CPU, 16 MiB RAM, 8 MiB disk per task)',
      'Thermos (AuroraExecutor)',
    ]);
    expect(s.prompter.asked.find((a) => a.message.startsWith('CPUs'))!.message).toBe('CPUs per instance (the executor adds 0.01)');

    const file = readJson(out);
    expect(file).toEqual({
      cluster: 'local',
      role: 'www-data',
      environment: 'devel',
      name: 'web',
      instances: 2,
      service: true,
      executor: { name: 'hello-executor', data: { message: 'hi' } },
      resources: { cpus: 0.1, ramMb: 32, diskMb: 16 },
      ports: ['http', 'admin'],
      constraints: { host: 'limit:1' },
      metadata: { team: 'web' },
      update: { batchSize: 2, watchSecs: 5, maxPerInstanceFailures: 0, maxFailedInstances: 0, rollbackOnFailure: true },
    });
    expect(() => parseJobFile(file)).not.toThrow();
    expect(s.stdout).toContain('"executor": {');
    expect(s.stdout).toContain('What Aurora will receive:');
    expect(s.stdout).toMatch(/request\s+createJob/);
    expect(s.stdout).toMatch(/with overhead\s+0\.11 CPU, 48 MiB RAM, 16 MiB disk per instance/);
    expect(s.stdout).toMatch(/updates\s+batch 2, watch 5 s/);
    expect(s.stdout).toContain(`Saved ${out}.`);
    expect(s.stdout).not.toMatch(/\u001b\[/); // not a colour terminal: no escape codes
  });

  it('builds a Thermos batch job with processes in order, saves it and creates it on the scheduler', async () => {
    const dir = temp('aurora-ts-wizard-');
    const s = await session(
      [
        ['Cluster', DEFAULT],
        ['Role', DEFAULT],
        ['Environment', 'test'],
        ['Job name', 'crunch'],
        ['Kind of job', 'batch'],
        ['Instances', DEFAULT],
        ['Executor', 'AuroraExecutor'],
        ['Process 1: name', 'prepare'],
        ['Process 1: command line', 'echo input > input.txt'],
        ['Add another process', true],
        ['Process 2: name', 'compute'],
        ['Process 2: command line', 'wc -c input.txt'],
        ['Run "compute" last', false],
        ['Add another process', true],
        ['Process 3: name', 'cleanup'],
        ['Process 3: command line', 'rm -f input.txt'],
        ['Run "cleanup" last', true],
        ['Add another process', DEFAULT],
        ['Run order', 'sequence'],
        ['CPUs', '0.1'],
        ['RAM', '32'],
        ['Disk', '32'],
        ['Named ports', DEFAULT],
        ['Constraints', DEFAULT],
        ['Metadata', DEFAULT],
        ['Tier', DEFAULT],
        ['What now', 'create'],
        ['Save as', join(dir, 'crunch.json')],
      ],
      { customExecutorConfig: EXECUTORS },
      scheduler.url,
      dir,
    );
    expect(s.stderr).toContain('RUNNING'); // the progress line (plain: not a TTY)
    expect(s.code).toBe(0);
    expect(s.prompter.remaining).toBe(0);
    // No update question for a batch job.
    expect(s.prompter.asked.some((a) => a.message.includes('update settings'))).toBe(false);
    const file = readJson(join(dir, 'crunch.json'));
    expect(file).toEqual({
      cluster: 'local',
      role: 'www-data',
      environment: 'test',
      name: 'crunch',
      instances: 1,
      resources: { cpus: 0.1, ramMb: 32, diskMb: 32 },
      processes: [
        { name: 'prepare', cmdline: 'echo input > input.txt' },
        { name: 'compute', cmdline: 'wc -c input.txt' },
        { name: 'cleanup', cmdline: 'rm -f input.txt', final: true },
      ],
      order: ['prepare', 'compute'],
    });
    expect(s.stdout).toMatch(/executor\s+Thermos \(AuroraExecutor\), 3 processes: prepare, compute, cleanup \(final\)/);
    expect(s.stdout).toMatch(/order\s+prepare → compute/);
    expect(s.stdout).toContain('Created job local/www-data/test/crunch (1 instance)');

    const client = new AuroraClient({ url: scheduler.url });
    try {
      // The batch job may have finished already (then getJobs no longer lists it): read its task, in any state.
      const tasks = (await client.getTasksStatus({ role: 'www-data', environment: 'test', jobName: 'crunch' })).tasks ?? [];
      expect(tasks.length).toBeGreaterThan(0);
      const config = tasks[0]!.assignedTask!.task!;
      expect(config.executorConfig?.name).toBe('AuroraExecutor');
      const payload = JSON.parse(config.executorConfig!.data!) as { task: { constraints: { order: string[] }[] } };
      expect(payload.task.constraints).toEqual([{ order: ['prepare', 'compute'] }]);
    } finally {
      client.close();
    }
  });

  it('writes a cron job, with the schedule shown in words, and schedules it', async () => {
    const dir = temp('aurora-ts-wizard-');
    const out = join(dir, 'report.json');
    const s = await session(
      [
        ['Cluster', DEFAULT],
        ['Role', DEFAULT],
        ['Environment', DEFAULT],
        ['Job name', 'report'],
        ['Kind of job', 'cron'],
        ['Cron schedule', DEFAULT],
        ['previous one still runs', 'CANCEL_NEW'],
        ['Instances', DEFAULT],
        ['Executor', 'AuroraExecutor'],
        ['Process 1: name', 'report'],
        ['Process 1: command line', DEFAULT],
        ['Add another process', false],
        ['CPUs', DEFAULT],
        ['RAM', DEFAULT],
        ['Disk', DEFAULT],
        ['Named ports', DEFAULT],
        ['Constraints', DEFAULT],
        ['Metadata', DEFAULT],
        ['Tier', DEFAULT],
        ['What now', 'create'],
      ],
      { customExecutorConfig: EXECUTORS, output: out },
      scheduler.url,
      dir,
    );
    expect(s.code).toBe(0);
    const cron = s.prompter.asked.find((a) => a.message.startsWith('Cron schedule'))!;
    expect(cron.answer).toBe('*/15 * * * *');
    expect(cron.hint).toBe('every 15 minutes');
    expect(s.stdout).toContain('→ every 15 minutes');
    expect(s.stdout).toMatch(/request\s+scheduleCronJob/);
    expect(s.prompter.asked.find((a) => a.message === 'What now?')!.choices).toContain('save, and schedule the cron job now');
    expect(readJson(out)).toMatchObject({
      name: 'report',
      cron: { schedule: '*/15 * * * *', collisionPolicy: 'CANCEL_NEW' },
      processes: [{ name: 'report', cmdline: 'echo "hello from aurora-ts"' }],
      resources: { cpus: 0.25, ramMb: 128, diskMb: 128 },
    });
    expect(readJson(out)).not.toHaveProperty('service');
    expect(s.stdout).toContain('Scheduled cron job local/www-data/devel/report: every 15 minutes');
  });

  it('re-asks rejected answers, showing the job file\'s and the scheduler\'s reasons', async () => {
    const dir = temp('aurora-ts-wizard-');
    const out = join(dir, 'job.json');
    const s = await session(
      [
        ['Cluster', DEFAULT],
        ['Role', 'web team', 'www-data'],
        ['Environment', 'qa', 'staging2'],
        ['Job name', 'x'.repeat(256), 'ok'],
        ['Kind of job', 'cron'],
        ['Cron schedule', '* * * *', '0 12 * * 7', '0 12 * * MON-FRI'],
        ['previous one still runs', DEFAULT],
        ['Instances', 'many', '0', '1'],
        ['Executor', 'ticker-executor'],
        ['Executor data', '{"interval": 2', '{"interval": 2}'],
        ['CPUs', '-1', 'lots', '0.5'],
        ['RAM', '1.5', '64'],
        ['Disk', DEFAULT],
        ['Named ports', 'http,http', 'http'],
        ['Constraints', 'host', 'host=limit:x', 'rack=!r1'],
        ['Metadata', DEFAULT],
        ['Tier', 'preferred'],
        ['What now', 'save'],
      ],
      { customExecutorConfig: EXECUTORS, output: out },
      undefined,
      dir,
    );
    expect(s.code).toBe(0);
    expect(s.prompter.remaining).toBe(0);
    expect(errorsOf(s, 'Role')).toEqual(['role: expected an identifier: letters, digits, "_", "-" or "." (at most 255 characters), got "web team"']);
    expect(errorsOf(s, 'Environment')).toEqual(["the scheduler would reject this: Job environment qa doesn't match: ^(prod|devel|test|staging\\d*)$"]);
    expect(errorsOf(s, 'Job name')[0]).toMatch(/^name: expected an identifier/);
    const cronErrors = errorsOf(s, 'Cron schedule');
    expect(cronErrors[0]).toContain('has 4 fields; Aurora expects 5');
    expect(cronErrors[1]).toMatch(/^cron\.schedule: Invalid cron schedule: .*day-of-week/);
    expect(errorsOf(s, 'Instances')).toEqual(['instances: expected a positive integer, got "many"', 'instances: expected a positive integer, got 0']);
    expect(errorsOf(s, 'Executor data')[0]).toMatch(/^not valid JSON \(.*\); fix it, or give text that does not start with \{, \[ or "$/);
    expect(errorsOf(s, 'CPUs')).toEqual(['resources.cpus: expected a positive number, got -1', 'resources.cpus: expected a positive number, got "lots"']);
    expect(errorsOf(s, 'RAM')).toEqual(['resources.ramMb: expected a positive integer, got 1.5']);
    expect(errorsOf(s, 'Named ports')).toEqual(['ports[1]: duplicate port "http" (also at index 0)']);
    expect(errorsOf(s, 'Constraints')).toEqual([
      'expected constraints as NAME=VALUE pairs separated by ";", got "host"',
      'constraints.host: expected "limit:N" with N a positive integer, got "limit:x"',
    ]);
    const file = readJson(out);
    expect(file).toMatchObject({
      role: 'www-data',
      environment: 'staging2',
      name: 'ok',
      cron: { schedule: '0 12 * * MON-FRI' },
      executor: { name: 'ticker-executor', data: { interval: 2 } },
      constraints: { rack: '!r1' },
      tier: 'preferred',
    });
    expect(() => parseJobFile(file)).not.toThrow();
  });

  it('Ctrl-C in any prompt exits 130 and writes nothing', async () => {
    const dir = temp('aurora-ts-wizard-');
    const out = join(dir, 'job.json');
    const s = await session(
      [
        ['Cluster', DEFAULT],
        ['Role', DEFAULT],
        ['Environment', DEFAULT],
        ['Job name', new ExitPromptError('User force closed the prompt with SIGINT')],
      ],
      { output: out },
      undefined,
      dir,
    );
    expect(s.code).toBe(130);
    expect(existsSync(out)).toBe(false);
    expect(s.stderr).toContain('Cancelled; nothing was written.');

    // Also at the very last question, with everything answered.
    const late = await session(
      [
        ...script(CUSTOM_SERVICE),
        ['What now', new ExitPromptError('User force closed the prompt with SIGINT')],
      ],
      { output: out, customExecutorConfig: EXECUTORS },
      undefined,
      dir,
    );
    expect(late.code).toBe(130);
    expect(existsSync(out)).toBe(false);
  });

  it('takes every default to a valid job, and the final choice defaults to save', async () => {
    const dir = temp('aurora-ts-wizard-');
    const out = join(dir, 'job.json');
    const s = await session(
      [
        ...script(THERMOS_ONE_PROCESS),
        ['What now', DEFAULT],
      ],
      { output: out },
      undefined,
      dir,
    );
    expect(s.code).toBe(0);
    // Without an executor file: Thermos, or a custom executor typed by name.
    expect(s.prompter.asked.find((a) => a.message === 'Executor')!.choices).toEqual(['Thermos (AuroraExecutor)', 'another custom executor (type its name)']);
    const file = readJson(out);
    expect(file).toMatchObject({ cluster: 'local', role: 'www-data', environment: 'devel', name: 'hello', service: true, instances: 1 });
    expect(() => parseJobFile(file)).not.toThrow();
  });

  it('never overwrites an existing file without asking', async () => {
    const dir = temp('aurora-ts-wizard-');
    const existing = join(dir, 'job.json');
    writeFileSync(existing, '{"keep": "me"}\n');
    // A batch job: no update settings question.
    const defaults: Step[] = [...script(THERMOS_ONE_PROCESS.filter((q) => q !== 'update settings'), { 'Kind of job': 'batch' }), ['What now', 'save']];
    const declined = await session([...defaults, [`${existing} exists. Overwrite it?`, DEFAULT], ['Save as', DEFAULT]], { output: existing }, undefined, dir);
    expect(declined.code).toBe(0);
    expect(readFileSync(existing, 'utf8')).toBe('{"keep": "me"}\n');
    const second = join(dir, 'job-2.json');
    expect(declined.prompter.asked.at(-1)!.answer).toBe(second);
    expect(readJson(second)).toMatchObject({ name: 'hello' });

    const accepted = await session([...defaults, [`${existing} exists. Overwrite it?`, true]], { output: existing }, undefined, dir);
    expect(accepted.code).toBe(0);
    expect(readJson(existing)).toMatchObject({ name: 'hello' });
  });

  it('--from edits an existing job file: Enter keeps each value', async () => {
    const dir = temp('aurora-ts-wizard-');
    const source = join(dir, 'hello-service.json');
    const original = readJson(join(ROOT, 'examples/hello-service.json'));
    writeFileSync(source, JSON.stringify(original));
    const s = await session(
      [
        ...script(CUSTOM_SERVICE, { Instances: '3' }),
        ['What now', 'restart'],
        // Starting over: the answers so far are the defaults.
        ...script(CUSTOM_SERVICE),
        ['What now', 'save'],
        ['Save as', DEFAULT],
        ['exists. Overwrite it?', true],
      ],
      { from: source, customExecutorConfig: EXECUTORS },
      undefined,
      dir,
    );
    expect(s.code).toBe(0);
    expect(s.prompter.remaining).toBe(0);
    expect(s.prompter.asked.find((a) => a.message === 'Executor')!.answer).toBe('hello-executor');
    expect(readJson(source)).toEqual({ ...original, instances: 3 });
  });
});

describe('job wizard --from a running job', () => {
  it('offers "save, and start an update" with the update settings, instead of create, and starts it', async () => {
    const dir = temp('aurora-ts-wizard-');
    const source = join(dir, 'hello-service.json');
    const original = { ...readJson(join(ROOT, 'examples/hello-service.json')), name: 'updated-by-wizard' };
    writeFileSync(source, JSON.stringify(original));
    const client = new AuroraClient({ url: scheduler.url });
    try {
      const { jobFileToConfig } = await import('../../src/job/file.js');
      await client.createJob(jobFileToConfig(original as unknown as Parameters<typeof jobFileToConfig>[0]));
      const s = await session(
        [...script(CUSTOM_SERVICE, { Instances: '3', 'Job name': DEFAULT }), ['What now', 'update'], ['Save as', DEFAULT], ['exists. Overwrite it?', true]],
        { from: source, customExecutorConfig: EXECUTORS },
        scheduler.url,
        dir,
      );
      expect(s.code, s.stderr).toBe(0);
      expect(s.prompter.remaining).toBe(0);
      const choices = s.prompter.asked.find((a) => a.message === 'What now?')!.choices;
      // examples/hello-service.json: "update": { "batchSize": 1, "watchSecs": 5, "maxFailedInstances": 0 }
      expect(choices).toEqual([
        'save the job file',
        'save, and start an update of the running job (1 at a time, watch 5 s, at most 0 failed instances, rollback on failure)',
        'start over (your answers become the defaults)',
      ]);
      expect(readJson(source)).toEqual({ ...original, instances: 3 });
      const key = { role: 'www-data', environment: 'devel', name: 'updated-by-wizard' };
      const updates = (await client.getJobUpdateSummaries({ jobKey: key })).updateSummaries ?? [];
      expect(updates).toHaveLength(1);
      expect(s.stdout).toContain(`Started update ${updates[0]!.key!.id} of local/www-data/devel/updated-by-wizard.`);
    } finally {
      client.close();
    }
  });
});

describe('job wizard without a terminal', () => {
  it('fails at once with exit 2 and a clear line instead of waiting for answers', async () => {
    const io = new IO({ stdout: new Capture(), stderr: new Capture(), env: {} });
    const ctx = new CliContext({ io, env: {} });
    const err = await run(ctx, {}, { stdinIsTTY: false }).catch((e: unknown) => e);
    expect(exitCodeFor(err)).toBe(2);
    expect(messageFor(err)).toMatch(/^job wizard needs an interactive terminal \(stdin and stdout must be a TTY\) \(write the job file yourself/);
  });

  it('fails fast on an unknown --cluster or a bad executor file, before any question', async () => {
    const dir = temp('aurora-ts-wizard-');
    const badExecutors = join(dir, 'executors.json');
    writeFileSync(badExecutors, '[{"executor": {"name": "x"}}]');
    for (const options of [{ cluster: 'nowhere' }, { customExecutorConfig: badExecutors }]) {
      const err = await session([], options).catch((e: unknown) => e);
      expect(exitCodeFor(err)).toBe(2);
      expect(messageFor(err)).toMatch(options.cluster ? /^--cluster: unknown cluster "nowhere" \(known: local\)/ : /task_prefix/);
    }
  });
});
