/** Turns zod issues on a job file into one-line messages: `resources.ramMb: expected a positive integer, got "lots"`. */

import type { z } from 'zod';
import { AuroraValidationError } from '../errors.js';

export interface JobFileIssue {
  /** Dotted path in the job file, e.g. `resources.ramMb` or `processes[0].name`; empty for the whole file. */
  field: string;
  message: string;
}

/** A job file that fails to parse; `issues` lists every problem, `message` the first. */
export class JobFileError extends AuroraValidationError {
  readonly issues: JobFileIssue[];
  readonly source: string | undefined;
  constructor(issues: JobFileIssue[], source?: string) {
    const first = issues[0] ?? { field: '', message: 'invalid job file' };
    super(first.field, first.message);
    this.issues = issues;
    this.source = source;
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const s = String(part);
      out += /^[A-Za-z_$][\w$]*$/.test(s) ? (out === '' ? s : `.${s}`) : `[${JSON.stringify(s)}]`;
    }
  }
  return out;
}

export function describeInput(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  return String(value);
}

export function zodIssuesToFileIssues(issues: readonly z.core.$ZodIssue[]): JobFileIssue[] {
  // Unknown keys first: a misspelt key also makes the real key look missing, and the typo is the cause.
  const ordered = [...issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
  return ordered.map((iss) => {
    const path = [...iss.path];
    if (iss.code === 'unrecognized_keys') {
      return { field: formatPath([...path, String(iss.keys[0])]), message: iss.message };
    }
    const field = formatPath(path);
    const input = (iss as { input?: unknown }).input;
    if (iss.code === 'invalid_type' && input === undefined) return { field, message: `missing; ${iss.message}` };
    return { field, message: `${iss.message}, got ${describeInput(input)}` };
  });
}
