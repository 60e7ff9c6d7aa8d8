/** How values read on the pages: statuses, times, resources, ports, the empty and the failed. */
import type { Resource } from '../../../gen/types.js';
import { enumName } from './tjson.js';
import { html, type Html } from './html.js';

export const TERMINAL = new Set(['FINISHED', 'FAILED', 'KILLED', 'LOST', 'DRAINED']);

export function status(value: number | undefined): string {
  return enumName('ScheduleStatus', value);
}

export function badge(name: string): Html {
  return html`<span class="badge s-${name}">${name}</span>`;
}

export function time(ms: number | undefined): Html {
  if (ms === undefined || ms <= 0) return html`<span class="muted">never</span>`;
  const at = new Date(ms);
  return html`<time datetime="${at.toISOString()}" title="${at.toISOString()}">${at.toLocaleString()}</time>`;
}

/** A time of day (the full date in its tooltip), for timelines. */
export function clock(ms: number | undefined): Html {
  if (ms === undefined || ms <= 0) return html`<span class="muted">never</span>`;
  const at = new Date(ms);
  return html`<time datetime="${at.toISOString()}" title="${at.toLocaleString()}">${at.toLocaleTimeString()}</time>`;
}

/** "3m 12s": how long ago, coarse. */
export function age(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined || ms <= 0) return '';
  let s = Math.max(0, Math.round((now - ms) / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
    if (parts.length === 2) break;
  }
  if (parts.length < 2) parts.push(`${s}s`);
  return parts.join(' ');
}

export function ports(assigned: Record<string, number> | undefined): string {
  const entries = Object.entries(assigned ?? {});
  return entries.length ? entries.map(([name, port]) => `${name}=${port}`).join(', ') : '';
}

/** One Resource union value as "cpus 0.5" / "ram 64 MiB" / "port http". */
export function resource(r: Resource): [string, string] {
  if (r.numCpus !== undefined) return ['CPUs', String(r.numCpus)];
  if (r.ramMb !== undefined) return ['RAM', `${r.ramMb} MiB`];
  if (r.diskMb !== undefined) return ['Disk', `${r.diskMb} MiB`];
  if (r.numGpus !== undefined) return ['GPUs', String(r.numGpus)];
  if (r.namedPort !== undefined) return ['Port', r.namedPort];
  return ['?', JSON.stringify(r)];
}

export function empty(text: string, hint?: Html | string): Html {
  return html`<p class="empty">${text}${hint ? html` <span class="hint">${hint}</span>` : ''}</p>`;
}

export function failure(error: unknown): Html {
  return html`<p class="error" role="alert">${error instanceof Error ? error.message : String(error)}</p>`;
}

/** A table that scrolls sideways on a phone instead of squeezing. */
export function table(head: string[], rows: Html[], label: string): Html {
  return html`<div class="scroll"><table aria-label="${label}"><thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

/**
 * A table of possibly thousands of rows as ARIA rows of CSS grids: each row lays out alone, and rows
 * off screen are skipped (content-visibility), so a 1,000-instance job stays quick. Cells are Html.
 */
export function rowTable(head: string[], rows: Html[][], label: string): Html {
  const row = (cells: Html[]) => html`<div role="row" class="row">${cells.map((c) => html`<div role="cell">${c}</div>`)}</div>`;
  return html`<div class="scroll"><div role="table" class="rows" aria-label="${label}"><div role="rowgroup"><div role="row" class="row head">${head.map((h) => html`<div role="columnheader">${h}</div>`)}</div></div><div role="rowgroup" class="body">${rows.map(row)}</div></div></div>`;
}
