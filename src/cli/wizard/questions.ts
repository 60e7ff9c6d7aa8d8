/**
 * The wizard's questions, in order, each validated by applying the answer to the draft and checking
 * the draft as a job file (draft.ts). Answers already in the draft (from `--from`, or from a run
 * being started over) are the defaults, so pressing Enter throughout keeps a job as it is.
 */
import type { CustomExecutor, ExecutorCatalog } from '../../executors/types.js';
import { defaultOwner } from '../../job/builder.js';
import { describeCron } from '../../job/cron.js';
import { isGoodIdentifier } from '../../job/identifiers.js';
import type { JobFileProcess } from '../../job/file-schema.js';
import { THERMOS_EXECUTOR } from '../../job/thermos.js';
import { DEFAULT_TIERS, type ClusterPolicy } from '../../job/validate.js';
import { UPDATE_DEFAULTS } from '../../update/settings.js';
import { answerCheck, cloneDraft, kindOf, type Draft, type JobKind } from './draft.js';
import type { Choice, Prompter } from './prompter.js';

export interface ClusterChoice {
  name: string;
  description?: string;
}

export interface ClusterSetup {
  policy: ClusterPolicy;
  /** The cluster's custom executors, when known. */
  catalog?: ExecutorCatalog;
}

export interface WizardSetup {
  clusters: readonly ClusterChoice[];
  /** `--cluster`: the cluster question is not asked. */
  cluster?: string;
  forCluster(name: string): Promise<ClusterSetup>;
  /** A line between questions (e.g. a cron schedule in words). */
  note(text: string): void;
  /** Default role of a new job; the OS user otherwise. */
  defaultRole?: string;
}

export const DEFAULT_RESOURCES = { cpus: 0.25, ramMb: 128, diskMb: 128 } as const;
export const DEFAULT_CRON = '*/15 * * * *';
const SERVICE_CMDLINE = 'while true; do echo "alive at $(date)"; sleep 10; done';
const BATCH_CMDLINE = 'echo "hello from aurora-ts"';
const OTHER_EXECUTOR = '\u0000other';
// Stand-ins while a question is half answered, so the rest of the draft still checks.
const PLACEHOLDER_PROCESS: JobFileProcess = { name: 'main', cmdline: 'true' };

/** Fills what is not asked yet, so that only the question at hand can raise issues. */
function completed(draft: Draft): Draft {
  const d = cloneDraft(draft);
  if (d.executor === undefined && d.processes === undefined && d.container?.docker === undefined) d.processes = [{ ...PLACEHOLDER_PROCESS }];
  d.resources = { ...DEFAULT_RESOURCES, ...d.resources };
  return d;
}

function check(draft: Draft, policy: ClusterPolicy, apply: (d: Draft) => void): true | string {
  return answerCheck(completed(draft), policy, apply);
}

/** `"12"` → 12; anything else stays text, so the schema reports it as given (`got "abc"`). */
export function toNumber(text: string): number | string {
  const t = text.trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : t;
}

function isNone(text: string): boolean {
  const t = text.trim().toLowerCase();
  return t === '' || t === 'none' || t === '-';
}

/** `a=1; b=x,y` → { a: '1', b: 'x,y' }; a string is the error. */
export function parsePairs(text: string, what: string): Record<string, string> | undefined | string {
  if (isNone(text)) return undefined;
  const out: Record<string, string> = {};
  for (const part of text.split(';')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) return `expected ${what} as NAME=VALUE pairs separated by ";", got ${JSON.stringify(item)}`;
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}

function formatPairs(pairs: Record<string, string> | undefined): string {
  return Object.entries(pairs ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

/** Free text, or JSON when it looks like JSON: a JSON object is kept as an object, anything else as text. */
export function parseExecutorData(text: string): { value: string | Record<string, unknown> | undefined } | string {
  const t = text.trim();
  if (t === '') return { value: undefined };
  if (/^[[{"]/.test(t)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(t);
    } catch (err) {
      return `not valid JSON (${(err as Error).message}); fix it, or give text that does not start with {, [ or "`;
    }
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return { value: parsed as Record<string, unknown> };
  }
  return { value: t };
}

function formatOrder(order: Draft['order']): string {
  if (order === undefined || order.length === 0) return '';
  const chains = typeof order[0] === 'string' ? [order as string[]] : (order as string[][]);
  return chains.map((c) => c.join(',')).join('; ');
}

export function parseOrder(text: string): string[] | string[][] | undefined {
  const chains = text
    .split(';')
    .map((c) => c.split(',').map((n) => n.trim()).filter((n) => n !== ''))
    .filter((c) => c.length > 0);
  if (chains.length === 0) return undefined;
  return chains.length === 1 ? chains[0]! : chains;
}

export function describeOverhead(e: CustomExecutor): string {
  const o = e.overhead;
  return `+${o.cpus} CPU, ${o.ramMb} MiB RAM, ${o.diskMb} MiB disk per task`;
}

function setOrDelete<K extends keyof Draft>(d: Draft, key: K, value: Draft[K] | undefined): void {
  if (value === undefined) delete d[key];
  else d[key] = value;
}

function dropThermos(d: Draft): void {
  delete d.processes;
  delete d.order;
  delete d.finalizationWait;
  delete d.maxConcurrency;
}

export async function askJob(p: Prompter, setup: WizardSetup, start: Draft): Promise<Draft> {
  const draft = cloneDraft(start);

  // Where it runs.
  let cluster = setup.cluster;
  if (cluster === undefined) {
    const names = setup.clusters.map((c) => c.name);
    cluster = await p.select({
      message: 'Cluster',
      choices: setup.clusters.map((c) => ({ value: c.name, name: c.name, ...(c.description ? { description: c.description } : {}) })),
      default: draft.cluster !== undefined && names.includes(draft.cluster) ? draft.cluster : names.includes('local') ? 'local' : names[0],
    });
  }
  draft.cluster = cluster;
  const { policy, catalog } = await setup.forCluster(cluster);

  // Identity: the scheduler's identifier and environment rules, as you type.
  const ident = async (field: 'role' | 'environment' | 'name', message: string, fallback: string) => {
    const validate = (v: string) => check(draft, policy, (d) => void (d[field] = v.trim()));
    const answer = await p.input({
      message,
      default: draft[field] ?? fallback,
      validate,
      // Identifiers stay valid while being typed, so a live error means a bad character or length.
      // (An environment is only whole once typed: it is checked on Enter.)
      ...(field !== 'environment' ? { describe: (v: string) => (v === '' || validate(v) === true ? undefined : `✗ ${validate(v)}`) } : {}),
    });
    draft[field] = answer.trim();
  };
  await ident('role', 'Role (the user the tasks run as)', setup.defaultRole ?? defaultRole());
  await ident('environment', 'Environment (prod, devel, test, staging<N>)', 'devel');
  await ident('name', 'Job name', 'hello');

  // What kind of job.
  const kind = await p.select<JobKind>({
    message: 'Kind of job',
    choices: [
      { value: 'service', name: 'service', description: 'runs forever; restarted whenever it exits' },
      { value: 'batch', name: 'batch', description: 'runs once to completion; retried on failure' },
      { value: 'cron', name: 'cron', description: 'a batch job started on a schedule' },
    ],
    default: kindOf(draft),
  });
  if (kind === 'service') {
    draft.service = true;
    delete draft.cron;
  } else {
    delete draft.service;
    if (kind === 'batch') delete draft.cron;
    else draft.cron = { ...(draft.cron ?? { schedule: DEFAULT_CRON }) };
  }
  if (kind !== 'service') delete draft.update;

  if (kind === 'cron') {
    const cron = draft.cron!;
    const schedule = await p.input({
      message: 'Cron schedule (minute hour day-of-month month day-of-week, UTC)',
      default: cron.schedule,
      validate: (v) => check(draft, policy, (d) => void (d.cron = { ...cron, schedule: v.trim() })),
      describe: (v) => {
        try {
          return describeCron(v.trim());
        } catch {
          return undefined;
        }
      },
    });
    cron.schedule = schedule.trim();
    setup.note(`  → ${describeCron(cron.schedule)}`);
    const collision = await p.select<'KILL_EXISTING' | 'CANCEL_NEW'>({
      message: 'When a run is due while the previous one still runs',
      choices: [
        { value: 'KILL_EXISTING', name: 'kill the previous run (KILL_EXISTING)' },
        { value: 'CANCEL_NEW', name: 'skip the new run (CANCEL_NEW)' },
      ],
      default: cron.collisionPolicy ?? 'KILL_EXISTING',
    });
    if (collision === 'CANCEL_NEW' || cron.collisionPolicy !== undefined) cron.collisionPolicy = collision;
  }

  const instances = await p.input({
    message: 'Instances',
    default: String(draft.instances ?? 1),
    validate: (v) => check(draft, policy, (d) => void (d.instances = toNumber(v) as number)),
  });
  draft.instances = toNumber(instances) as number;

  await askExecutor(p, draft, policy, catalog, kind);

  // Resources, per instance; a custom executor's overhead comes on top.
  const overhead = draft.executor !== undefined ? catalog?.get(draft.executor.name)?.overhead : undefined;
  const resource = async (field: 'cpus' | 'ramMb' | 'diskMb', message: string, extra: number | undefined) => {
    const answer = await p.input({
      message: extra ? `${message} (the executor adds ${extra})` : message,
      default: String(draft.resources?.[field] ?? DEFAULT_RESOURCES[field]),
      validate: (v) => check(draft, policy, (d) => void (d.resources = { ...DEFAULT_RESOURCES, ...d.resources, [field]: toNumber(v) })),
    });
    draft.resources = { ...DEFAULT_RESOURCES, ...draft.resources, [field]: toNumber(answer) as number };
  };
  await resource('cpus', 'CPUs per instance', overhead?.cpus);
  await resource('ramMb', 'RAM per instance, MiB', overhead?.ramMb);
  await resource('diskMb', 'Disk per instance, MiB', overhead?.diskMb);

  const ports = await p.input({
    message: 'Named ports (comma-separated, e.g. http,admin; "none" for none)',
    default: (draft.ports ?? []).join(','),
    validate: (v) => check(draft, policy, (d) => setOrDelete(d, 'ports', parsePorts(v))),
  });
  setOrDelete(draft, 'ports', parsePorts(ports));

  const pairs = async (field: 'constraints' | 'metadata', message: string) => {
    const answer = await p.input({
      message,
      default: formatPairs(draft[field]),
      validate: (v) => {
        const parsed = parsePairs(v, field);
        return typeof parsed === 'string' ? parsed : check(draft, policy, (d) => setOrDelete(d, field, parsed));
      },
    });
    setOrDelete(draft, field, parsePairs(answer, field) as Record<string, string> | undefined);
  };
  await pairs('constraints', 'Constraints (e.g. host=limit:1; zone=a,b; rack=!r1; "none" for none)');
  await pairs('metadata', 'Metadata (e.g. team=web; owner=alice; "none" for none)');

  if (kind === 'service') await askUpdate(p, draft, policy);

  const tiers = policy.tiers ?? DEFAULT_TIERS;
  const defaultTier = policy.defaultTier ?? 'preemptible';
  const tierChoices: Choice<string>[] = [
    { value: '', name: `cluster default (${defaultTier})` },
    ...Object.entries(tiers).map(([name, t]) => ({
      value: name,
      name,
      description: !t.preemptible && !t.revocable ? 'production: never preempted; counts against the role\'s quota' : t.revocable ? 'revocable resources: cheapest, may be preempted' : 'may be preempted by production tasks',
    })),
  ];
  const tier = await p.select({ message: 'Tier', choices: tierChoices, default: draft.tier ?? '' });
  setOrDelete(draft, 'tier', tier === '' ? undefined : tier);
  return draft;
}

function parsePorts(text: string): string[] | undefined {
  if (isNone(text)) return undefined;
  return text.split(/[\s,]+/).filter((s) => s !== '');
}

async function askExecutor(p: Prompter, draft: Draft, policy: ClusterPolicy, catalog: ExecutorCatalog | undefined, kind: JobKind): Promise<void> {
  const customs = catalog?.executors.filter((e) => e.name !== '') ?? [];
  const choices: Choice<string>[] = customs.map((e) => ({
    value: e.name,
    name: `${e.name}  (${describeOverhead(e)})`,
    description: `custom executor${e.command.value ? `: ${oneLine(e.command.value)}` : ''}`,
  }));
  if (policy.thermos !== false) {
    choices.push({ value: THERMOS_EXECUTOR, name: `Thermos (${THERMOS_EXECUTOR})`, description: 'runs the processes you list, in the order you choose' });
  }
  // Without the cluster's executor file, any name may be right; the scheduler decides.
  if (catalog === undefined) choices.push({ value: OTHER_EXECUTOR, name: 'another custom executor (type its name)' });
  const current = draft.executor?.name ?? (draft.processes !== undefined ? THERMOS_EXECUTOR : undefined);
  const known = choices.some((c) => c.value === current);
  const chosen = await p.select({
    message: 'Executor',
    choices,
    default: known ? current : current !== undefined && catalog === undefined ? OTHER_EXECUTOR : choices[0]!.value,
  });

  if (chosen === THERMOS_EXECUTOR) {
    delete draft.executor;
    await askProcesses(p, draft, policy, kind);
    return;
  }
  let name = chosen;
  if (chosen === OTHER_EXECUTOR) {
    const typed = await p.input({
      message: 'Custom executor name',
      ...(draft.executor?.name ? { default: draft.executor.name } : {}),
      validate: (v) =>
        check(draft, policy, (d) => {
          dropThermos(d);
          d.executor = { name: v.trim() };
        }),
    });
    name = typed.trim();
  }
  const previous = draft.executor?.name === name ? draft.executor.data : undefined;
  dropThermos(draft);
  draft.executor = { name };
  const data = await p.input({
    message: `Executor data for ${name} (text or JSON; empty for none)`,
    default: previous === undefined ? '' : typeof previous === 'string' ? previous : JSON.stringify(previous),
    validate: (v) => {
      const parsed = parseExecutorData(v);
      return typeof parsed === 'string' ? parsed : check(draft, policy, (d) => void (d.executor = { name, ...(parsed.value !== undefined ? { data: parsed.value } : {}) }));
    },
  });
  const parsed = parseExecutorData(data) as { value: string | Record<string, unknown> | undefined };
  draft.executor = { name, ...(parsed.value !== undefined ? { data: parsed.value } : {}) };
}

async function askProcesses(p: Prompter, draft: Draft, policy: ClusterPolicy, kind: JobKind): Promise<void> {
  const old = draft.processes ?? [];
  const oldOrder = draft.order;
  const done: JobFileProcess[] = [];
  // While processes are being listed, the old order may name some not listed yet: left out until asked.
  const withProcesses = (d: Draft, list: JobFileProcess[]) => {
    delete d.executor;
    delete d.order;
    d.processes = list;
  };
  for (let i = 0; ; i++) {
    const prev = old[i];
    const name = (
      await p.input({
        message: `Process ${i + 1}: name`,
        default: prev?.name ?? (i === 0 ? 'main' : `step${i + 1}`),
        validate: (v) => check(draft, policy, (d) => withProcesses(d, [...done, { ...prev, name: v.trim(), cmdline: prev?.cmdline ?? 'true' }])),
      })
    ).trim();
    const cmdline = await p.input({
      message: `Process ${i + 1}: command line of "${name}"`,
      default: prev?.cmdline ?? (kind === 'service' ? SERVICE_CMDLINE : BATCH_CMDLINE),
      validate: (v) => check(draft, policy, (d) => withProcesses(d, [...done, { ...prev, name, cmdline: v }])),
    });
    const process: JobFileProcess = { ...prev, name, cmdline };
    if (i > 0) {
      const final = await p.confirm({ message: `Run "${name}" last, after the others finish (a final cleanup process)?`, default: prev?.final ?? false });
      if (final) process.final = true;
      else delete process.final;
    }
    done.push(process);
    const more = await p.confirm({ message: 'Add another process?', default: old.length > i + 1 });
    if (!more) break;
  }
  withProcesses(draft, done);

  const regular = done.filter((proc) => proc.final !== true).map((proc) => proc.name);
  if (regular.length < 2) return;
  const sequence = regular.join(',');
  const oldText = formatOrder(oldOrder);
  const how = await p.select<'parallel' | 'sequence' | 'custom'>({
    message: 'Run order',
    choices: [
      { value: 'sequence', name: `one after another: ${regular.join(' → ')}` },
      { value: 'parallel', name: 'all at the same time' },
      { value: 'custom', name: 'custom order (type it)' },
    ],
    default: oldText === '' ? (old.length === 0 ? 'sequence' : 'parallel') : oldText === sequence ? 'sequence' : 'custom',
  });
  if (how === 'sequence') draft.order = [...regular];
  if (how === 'custom') {
    const text = await p.input({
      message: 'Order: names separated by "," run in that order; separate chains with ";" (e.g. fetch,run; log)',
      default: oldText || sequence,
      validate: (v) => check(draft, policy, (d) => setOrDelete(d, 'order', parseOrder(v))),
    });
    setOrDelete(draft, 'order', parseOrder(text));
  }
}

async function askUpdate(p: Prompter, draft: Draft, policy: ClusterPolicy): Promise<void> {
  const u = { ...UPDATE_DEFAULTS, ...draft.update };
  const now =
    `batch ${u.batchSize}, watch ${u.watchSecs} s, ${u.maxPerInstanceFailures} failures per instance, ` +
    `${u.maxFailedInstances} failed instances, ${u.rollbackOnFailure ? 'rollback on failure' : 'no rollback'}`;
  const change = await p.confirm({ message: `Change the update settings? (${now})`, default: false });
  if (!change) return;
  const update = { ...draft.update };
  const num = async (field: 'batchSize' | 'watchSecs' | 'maxPerInstanceFailures' | 'maxFailedInstances', message: string) => {
    const answer = await p.input({
      message,
      default: String(u[field]),
      validate: (v) => check(draft, policy, (d) => void (d.update = { ...update, [field]: toNumber(v) })),
    });
    update[field] = toNumber(answer) as number;
  };
  await num('batchSize', 'Update: instances updated at a time');
  await num('watchSecs', 'Update: seconds an instance must stay RUNNING');
  await num('maxPerInstanceFailures', 'Update: failures allowed per instance');
  await num('maxFailedInstances', 'Update: failed instances allowed');
  update.rollbackOnFailure = await p.confirm({ message: 'Update: roll back when it fails?', default: u.rollbackOnFailure });
  draft.update = update;
}

/** The OS user, as Aurora's roles usually are; `www-data` when that is no valid identifier. */
function defaultRole(): string {
  const user = defaultOwner();
  return isGoodIdentifier(user) ? user : 'www-data';
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
