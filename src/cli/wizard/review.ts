/** What the wizard shows before it saves: the job file, highlighted, and what Aurora will receive. */
import type { CustomExecutor } from '../../executors/types.js';
import { describeCron } from '../../job/cron.js';
import { jobFileToConfig } from '../../job/file.js';
import type { JobFile } from '../../job/file-schema.js';
import { THERMOS_EXECUTOR } from '../../job/thermos.js';
import { UPDATE_DEFAULTS } from '../../update/settings.js';
import type { IO } from '../io.js';
import { kindOf } from './draft.js';

type Paint = IO['style'];

// A JSON token: a string (a key when a colon follows), a number, or a literal.
const TOKEN = /("(?:\\.|[^"\\])*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;

/** Pretty JSON with keys cyan, strings green, numbers yellow, literals bold (plain without colour). */
export function highlightJson(value: unknown, paint: Paint): string {
  const text = JSON.stringify(value, null, 2);
  return text.replace(TOKEN, (_m, str: string | undefined, colon: string | undefined, num: string | undefined, lit: string | undefined) => {
    if (str !== undefined) return colon !== undefined ? `${paint('cyan', str)}${colon}` : paint('green', str);
    if (num !== undefined) return paint('yellow', num);
    return paint('bold', lit!);
  });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The rows of "what Aurora will receive": the RPC, the job key and the task as the scheduler sees it. */
export function summaryRows(file: JobFile, overheadOf: (name: string) => CustomExecutor | undefined, defaultTier = 'preemptible'): [string, string][] {
  const config = jobFileToConfig(file);
  const task = config.taskConfig;
  const kind = kindOf(file);
  const rows: [string, string][] = [];
  const key = `${file.cluster ?? 'local'}/${file.role}/${file.environment}/${file.name}`;
  rows.push(['request', kind === 'cron' ? 'scheduleCronJob (a cron job is never created directly)' : 'createJob']);
  rows.push(['job', `${key} (owner ${config.owner?.user ?? '?'})`]);
  rows.push(['kind', `${kind}, ${plural(config.instanceCount ?? 1, 'instance')}`]);
  if (file.cron) {
    rows.push(['schedule', `${file.cron.schedule}: ${describeCron(file.cron.schedule)} (UTC), ${file.cron.collisionPolicy ?? 'KILL_EXISTING'}`]);
  }
  const executor = task?.executorConfig;
  const dataBytes = Buffer.byteLength(executor?.data ?? '');
  if (executor?.name === THERMOS_EXECUTOR) {
    const order = file.order === undefined ? [] : typeof file.order[0] === 'string' ? [file.order as string[]] : (file.order as string[][]);
    const names = (file.processes ?? []).map((p) => (p.final ? `${p.name} (final)` : p.name));
    rows.push(['executor', `Thermos (${THERMOS_EXECUTOR}), ${plural(names.length, 'process')}: ${names.join(', ')}`]);
    if (order.length > 0) rows.push(['order', order.map((c) => c.join(' → ')).join('; ')]);
  } else if (executor) {
    rows.push(['executor', `${executor.name}, data: ${dataBytes === 0 ? 'none' : `${dataBytes} bytes`}`]);
  }
  const r = file.resources;
  rows.push(['resources', `${r.cpus} CPU, ${r.ramMb} MiB RAM, ${r.diskMb} MiB disk per instance`]);
  const custom = executor?.name !== undefined && executor.name !== THERMOS_EXECUTOR ? overheadOf(executor.name) : undefined;
  if (custom) {
    const o = custom.overhead;
    rows.push([
      'with overhead',
      `${round(r.cpus + o.cpus)} CPU, ${round(r.ramMb + o.ramMb)} MiB RAM, ${round(r.diskMb + o.diskMb)} MiB disk per instance (${custom.name} adds ${o.cpus} CPU, ${o.ramMb} MiB RAM, ${o.diskMb} MiB disk)`,
    ]);
  }
  if (file.ports && file.ports.length > 0) rows.push(['ports', file.ports.join(', ')]);
  const constraints = Object.entries(file.constraints ?? {});
  if (constraints.length > 0) rows.push(['constraints', constraints.map(([k, v]) => `${k} ${v}`).join('; ')]);
  const metadata = Object.entries(file.metadata ?? {});
  if (metadata.length > 0) rows.push(['metadata', metadata.map(([k, v]) => `${k}=${v}`).join('; ')]);
  rows.push(['tier', file.tier ?? `${defaultTier} (cluster default)`]);
  if (kind === 'service') {
    const u = { ...UPDATE_DEFAULTS, ...file.update };
    rows.push([
      'updates',
      `batch ${u.batchSize}, watch ${u.watchSecs} s, ${u.maxPerInstanceFailures} failures per instance, ${u.maxFailedInstances} failed instances, ${u.rollbackOnFailure ? 'rollback on failure' : 'no rollback'}`,
    ]);
  }
  return rows;
}

export function formatRows(rows: readonly [string, string][], paint: Paint): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${paint('bold', k.padEnd(width))}  ${v}`).join('\n');
}
