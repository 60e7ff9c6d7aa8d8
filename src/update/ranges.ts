/** Instance id sets as Aurora's Range list: `"0-2,5"` ⇄ `[{first: 0, last: 2}, {first: 5, last: 5}]`. */

import type { Range, RangeInput } from '../gen/types.js';
import { AuroraValidationError } from '../errors.js';

export type InstanceSelection = string | readonly number[] | readonly RangeInput[];

/** Sorted, merged, inclusive ranges. Throws AuroraValidationError('instances', ...) on bad input. */
export function toRanges(selection: InstanceSelection, field = 'instances'): Range[] {
  const ids: number[] = [];
  const bad = (detail: string) => new AuroraValidationError(field, detail);
  if (typeof selection === 'string') {
    for (const part of selection.split(',')) {
      const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
      if (!m) throw bad(`expected instance ids like "0-2,5", got ${JSON.stringify(selection)}`);
      const first = Number(m[1]);
      const last = m[2] === undefined ? first : Number(m[2]);
      if (last < first) throw bad(`range ${part.trim()} ends before it starts`);
      pushRange(ids, first, last, bad);
    }
  } else {
    for (const item of selection) {
      if (typeof item === 'number') pushRange(ids, item, item, bad);
      else pushRange(ids, item.first ?? -1, item.last ?? -1, bad);
    }
  }
  return merge(ids);
}

function pushRange(ids: number[], first: number, last: number, bad: (d: string) => Error): void {
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 0 || last < first || last > 2147483647) {
    throw bad(`expected non-negative instance ids with first <= last, got ${first}-${last}`);
  }
  if (last - first > 100_000) throw bad(`range ${first}-${last} is too large`);
  for (let i = first; i <= last; i++) ids.push(i);
}

function merge(ids: number[]): Range[] {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const out: Range[] = [];
  for (const id of sorted) {
    const last = out[out.length - 1];
    if (last && last.last! + 1 === id) last.last = id;
    else out.push({ first: id, last: id });
  }
  return out;
}

/** Every instance id the ranges name. */
export function rangesToIds(ranges: Iterable<Range> | undefined): Set<number> {
  const ids = new Set<number>();
  for (const r of ranges ?? []) for (let id = r.first!; id <= r.last!; id++) ids.add(id);
  return ids;
}

/** How many instances the ranges name (Aurora's getUpdateInstanceCount: ranges are disjoint). */
export function rangesSize(ranges: Iterable<Range> | undefined): number {
  let n = 0;
  for (const r of ranges ?? []) n += r.last! - r.first! + 1;
  return n;
}

export function formatRanges(ranges: readonly Range[]): string {
  return ranges.map((r) => (r.first === r.last ? `${r.first}` : `${r.first}-${r.last}`)).join(',');
}
