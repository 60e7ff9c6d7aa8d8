/**
 * `aurora-ts job wizard`, minus the terminal: asks through a Prompter, shows the job file and what
 * Aurora will receive, then saves it (never over an existing file without asking) and, if asked,
 * creates the job (or schedules the cron job) and waits until it runs. Ctrl-C in any prompt ends
 * with 130 and nothing written. The file is checked as `job create` checks it before it is written.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Cluster } from '../../discovery/clusters.js';
import type { ExecutorCatalog } from '../../executors/types.js';
import { describeCron, nextCronRun } from '../../job/cron.js';
import { jobFileToConfig, jobFileToUpdateSettings } from '../../job/file.js';
import type { JobFile } from '../../job/file-schema.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { formatJobKey, type JobKeySpec } from '../jobkey.js';
import { DEFAULT_RESOURCES, askJob, type ClusterSetup, type WizardSetup } from './questions.js';
import { draftIssues, formatIssue, kindOf, orderedFile, type Draft } from './draft.js';
import { isPromptExit, type Prompter } from './prompter.js';
import { formatRows, highlightJson, summaryRows } from './review.js';

export interface WizardOptions {
  /** Where to save; asked (default job.json) when absent. */
  output?: string;
  /** A job file to start from. */
  from?: string;
  /** The cluster's custom executors (Aurora's -custom_executor_config file). */
  customExecutorConfig?: string;
  /** The cluster; its question is then not asked. */
  cluster?: string;
}

export interface WizardDeps {
  /** Default role of a new job (the OS user otherwise). */
  defaultRole?: string;
  /** Poll interval while waiting for RUNNING (ms). */
  pollMs?: number;
}

type FinalChoice = 'save' | 'create' | 'update' | 'restart' | 'quit';

export async function runWizard(ctx: CliContext, options: WizardOptions, prompter: Prompter, deps: WizardDeps = {}): Promise<number> {
  try {
    return await wizard(ctx, options, prompter, deps);
  } catch (err) {
    if (!isPromptExit(err)) throw err;
    ctx.io.stopProgress();
    ctx.io.note('\nCancelled; nothing was written.');
    return ExitCode.INTERRUPTED;
  }
}

async function wizard(ctx: CliContext, options: WizardOptions, prompter: Prompter, deps: WizardDeps): Promise<number> {
  const { io } = ctx;
  const paint = io.style.bind(io);
  const setup = await prepare(ctx, options, deps);

  let start: Draft = options.from !== undefined ? await loadDraft(ctx, options.from) : newDraft();
  if (options.from === undefined) io.out(paint('bold', 'New Aurora job') + paint('dim', ' (Enter takes the default in parentheses; Ctrl-C quits without writing)'));
  else io.out(paint('bold', `Editing ${options.from}`) + paint('dim', ' (Enter keeps the current value; Ctrl-C quits without writing)'));

  for (;;) {
    const draft = await askJob(prompter, setup, start);
    const { policy, catalog } = await setup.forCluster(draft.cluster!);
    const file = orderedFile(draft);
    const issues = draftIssues(file, policy);

    io.out();
    io.out(paint('bold', 'Job file:'));
    io.out(highlightJson(file, paint));
    if (issues.length === 0) {
      io.out();
      io.out(paint('bold', 'What Aurora will receive:'));
      io.out(formatRows(summaryRows(file, (name) => catalog?.get(name), policy.defaultTier), paint));
    } else {
      // Only parts of a --from file the wizard does not ask about can get here.
      io.out();
      for (const issue of issues) io.warn(`${formatIssue(issue)} (the file cannot be saved like this)`);
    }
    io.out();

    const cron = kindOf(file) === 'cron';
    // A job that already runs is changed by an update (creating it again would be refused).
    const running = issues.length === 0 && !cron && (await isRunning(ctx, file));
    const choice = await prompter.select<FinalChoice>({
      message: 'What now?',
      choices:
        issues.length === 0
          ? [
              { value: 'save', name: 'save the job file' },
              running
                ? { value: 'update', name: `save, and start an update of the running job (${describeUpdate(file)})` }
                : { value: 'create', name: cron ? 'save, and schedule the cron job now' : 'save, and create the job now' },
              { value: 'restart', name: 'start over (your answers become the defaults)' },
            ]
          : [
              { value: 'restart', name: 'start over (your answers become the defaults)' },
              { value: 'quit', name: 'quit without saving' },
            ],
      default: issues.length === 0 ? 'save' : 'restart',
    });
    if (choice === 'quit') {
      io.note('Nothing was written.');
      return ExitCode.FAILURE;
    }
    if (choice === 'restart') {
      start = file;
      io.out();
      continue;
    }

    const path = await chooseFile(ctx, prompter, options);
    await writeFile(ctx.path(path.file), `${JSON.stringify(file, null, 2)}\n`, { flag: path.overwrite ? 'w' : 'wx' });
    io.out(`Saved ${paint('bold', path.file)}.`);
    if (choice === 'save') {
      const next = cron ? `aurora-ts cron schedule ${path.file}` : running ? `aurora-ts update start ${path.file} --wait` : `aurora-ts job create ${path.file}`;
      io.out(paint('dim', `${cron ? 'Schedule it' : running ? 'Update the running job' : 'Create it'} with: ${next}`));
      return ExitCode.OK;
    }
    if (choice === 'update') return startUpdate(ctx, file);
    return submit(ctx, file, deps);
  }
}

/** Clusters, and for each the executors and policy answers are checked against. */
async function prepare(ctx: CliContext, options: WizardOptions, deps: WizardDeps): Promise<WizardSetup> {
  const { loadClusters } = await import('../../discovery/clusters.js');
  const clusters = await loadClusters({ env: ctx.env, home: ctx.env['HOME'] || undefined });
  if (options.cluster !== undefined && !clusters.has(options.cluster)) {
    const known = clusters.list().map((c) => c.name);
    throw new UsageError(`--cluster: unknown cluster ${JSON.stringify(options.cluster)} (known: ${known.join(', ')})`, 'define it in clusters.json');
  }
  const { loadExecutorConfig } = await import('../../executors/parse.js');
  // Read before the first question: a bad file fails fast, not after ten answers.
  const flagCatalog = options.customExecutorConfig !== undefined ? await loadExecutorConfig(ctx.path(options.customExecutorConfig)) : undefined;
  const cache = new Map<string, ClusterSetup>();
  const forCluster = async (name: string): Promise<ClusterSetup> => {
    const cached = cache.get(name);
    if (cached) return cached;
    const cluster = clusters.get(name);
    const catalog = flagCatalog ?? (await clusterCatalog(ctx, cluster, loadExecutorConfig));
    const setup: ClusterSetup = { policy: { ...cluster.policy, ...(catalog ? { executors: catalog } : {}) }, ...(catalog ? { catalog } : {}) };
    cache.set(name, setup);
    return setup;
  };
  return {
    clusters: clusters.list().map((c) => ({ name: c.name, description: describeCluster(c) })),
    ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
    forCluster,
    note: (text) => ctx.io.out(ctx.io.style('dim', text)),
    ...(deps.defaultRole !== undefined ? { defaultRole: deps.defaultRole } : {}),
  };
}

/** The cluster's own executor file, else (for `local`) the running local scheduler's. */
async function clusterCatalog(ctx: CliContext, cluster: Cluster, load: (path: string) => Promise<ExecutorCatalog>): Promise<ExecutorCatalog | undefined> {
  if (cluster.customExecutorConfig !== undefined) return load(cluster.customExecutorConfig);
  if (cluster.name !== 'local') return undefined;
  const { localClusterScheduler } = await import('../scheduler-state.js');
  const state = localClusterScheduler(ctx.env);
  return state?.executors !== undefined ? load(state.executors) : undefined;
}

function describeCluster(c: Cluster): string {
  if (c.source === 'built-in') return `the local scheduler (${c.schedulerUri})`;
  return c.zk !== undefined ? `ZooKeeper ${c.zk}` : (c.schedulerUri ?? c.source);
}

function newDraft(): Draft {
  return { environment: 'devel', name: 'hello', service: true, resources: { ...DEFAULT_RESOURCES } };
}

async function loadDraft(ctx: CliContext, path: string): Promise<Draft> {
  const { loadJobFile } = await import('../../job/loader.js');
  return structuredClone((await loadJobFile(path, { cwd: ctx.cwd })).file);
}

async function chooseFile(ctx: CliContext, prompter: Prompter, options: WizardOptions): Promise<{ file: string; overwrite: boolean }> {
  const fromJson = options.from !== undefined && extname(options.from) === '.json' ? options.from : undefined;
  const nonEmpty = (v: string) => v.trim() !== '' || 'give a file name';
  let file = options.output ?? (await prompter.input({ message: 'Save as', default: fromJson ?? 'job.json', validate: nonEmpty })).trim();
  for (;;) {
    if (!existsSync(ctx.path(file))) return { file, overwrite: false };
    if (await prompter.confirm({ message: `${file} exists. Overwrite it?`, default: false })) return { file, overwrite: true };
    file = (await prompter.input({ message: 'Save as', default: freeName(ctx, file), validate: nonEmpty })).trim();
  }
}

/** `job.json` → `job-2.json` (or the next free number). */
function freeName(ctx: CliContext, file: string): string {
  const ext = extname(file);
  const stem = file.slice(0, file.length - ext.length).replace(/-\d+$/, '');
  for (let n = 2; ; n++) {
    const candidate = `${stem}-${n}${ext}`;
    if (!existsSync(ctx.path(candidate))) return candidate;
  }
}

/** Whether the file's job exists on its cluster; a scheduler that cannot be asked counts as no. */
async function isRunning(ctx: CliContext, file: JobFile): Promise<boolean> {
  try {
    const client = await ctx.client(file.cluster ?? 'local');
    const summaries = (await client.getJobSummary(file.role)).summaries ?? [];
    return summaries.some((s) => s.job?.key?.environment === file.environment && s.job?.key?.name === file.name);
  } catch (err) {
    ctx.io.debug(`could not ask whether ${file.role}/${file.environment}/${file.name} runs: ${(err as Error).message}`);
    return false;
  }
}

/** The update settings the file asks for, in words: `batches of 1, watch 5 s, at most 0 failed instances, rollback on failure`. */
function describeUpdate(file: JobFile): string {
  const settings = jobFileToUpdateSettings(file);
  const strategy = settings.updateStrategy;
  const group = strategy?.batchStrategy?.groupSize ?? strategy?.queueStrategy?.groupSize ?? settings.updateGroupSize ?? 1;
  const sizes = strategy?.varBatchStrategy?.groupSizes;
  const how = sizes?.length ? `batches of ${sizes.join(', ')}` : strategy?.batchStrategy ? `batches of ${group}` : `${group} at a time`;
  const watch = (settings.minWaitInInstanceRunningMs ?? 0) / 1000;
  return `${how}, watch ${watch} s, at most ${settings.maxFailedInstances ?? 0} failed instances, ${settings.rollbackOnFailure === false ? 'no rollback' : 'rollback on failure'}`;
}

/** startJobUpdate with the file's settings; the update is followed with `update wait`. */
async function startUpdate(ctx: CliContext, file: JobFile): Promise<number> {
  const { io } = ctx;
  const config = jobFileToConfig(file);
  const label = formatJobKey({ cluster: file.cluster ?? 'local', role: file.role, environment: file.environment, name: file.name });
  const client = await ctx.client(file.cluster ?? 'local');
  const { startJobUpdate } = await import('../writes.js');
  const result = await startJobUpdate(ctx, client, { taskConfig: config.taskConfig, instanceCount: config.instanceCount, settings: jobFileToUpdateSettings(file) }, '');
  const updateKey = result.key;
  if (!updateKey?.id) {
    io.out(`No update started for ${label}: nothing changed.`);
    return ExitCode.OK;
  }
  io.out(`Started update ${io.style('bold', updateKey.id)} of ${label}.`);
  io.out(io.style('dim', `Follow it with: aurora-ts update wait ${label}`));
  return ExitCode.OK;
}

/** createJob (or scheduleCronJob), then a spinner until every instance is RUNNING. */
async function submit(ctx: CliContext, file: JobFile, deps: WizardDeps): Promise<number> {
  const { io } = ctx;
  const cluster = file.cluster ?? 'local';
  const config = jobFileToConfig(file);
  const key: JobKeySpec = { cluster, role: file.role, environment: file.environment, name: file.name };
  const label = formatJobKey(key);
  const client = await ctx.client(cluster);
  if (file.cron !== undefined) {
    const reply = await client.scheduleCronJob(config);
    for (const detail of reply.$response.details) io.warn(detail);
    const next = nextCronRun(file.cron.schedule, new Date());
    io.out(`Scheduled cron job ${io.style('bold', label)}: ${describeCron(file.cron.schedule)}; next run ${next.toISOString()}.`);
    return ExitCode.OK;
  }
  const { createJob } = await import('../writes.js');
  await createJob(ctx, client, config);
  const count = config.instanceCount ?? 1;
  io.out(`Created job ${io.style('bold', label)} (${count} instance${count === 1 ? '' : 's'}) on ${client.url.replace(/\/api$/, '')}.`);
  const { waitForInstances } = await import('../tasks.js');
  const wait = await waitForInstances(ctx, client, key, {
    target: 'RUNNING',
    instances: Array.from({ length: count }, (_, i) => i),
    ...(deps.pollMs !== undefined ? { pollMs: deps.pollMs } : {}),
  });
  // A batch job may finish before it is seen RUNNING: that is success too.
  if (wait.ok || (file.service !== true && (wait.counts['FINISHED'] ?? 0) === count)) return ExitCode.OK;
  io.error(wait.failure ?? wait.summary);
  return ExitCode.FAILURE;
}
