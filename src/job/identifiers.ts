/**
 * Identifier rules shared by the job file, the builders and validation. They are the scheduler's
 * own (UserProvidedStrings.java, ConfigurationManager.java), so the client rejects exactly what
 * Aurora rejects.
 */

import { GOOD_IDENTIFIER_PATTERN } from '../gen/types.js';
import type { JobKey, JobKeyInput } from '../gen/types.js';

/** `^[\w\-\.]+$`: Java's `\w` is ASCII-only, like JavaScript's without the `u` flag. */
export const GOOD_IDENTIFIER = new RegExp(GOOD_IDENTIFIER_PATTERN);
export const MAX_IDENTIFIER_LENGTH = 255;
/** The scheduler's default `-allowed_job_environments`. */
export const DEFAULT_ALLOWED_JOB_ENVIRONMENTS = '^(prod|devel|test|staging\\d*)$';
export const IDENTIFIER_RULE = `letters, digits, "_", "-" or "." (at most ${MAX_IDENTIFIER_LENGTH} characters)`;

export function isGoodIdentifier(value: unknown): value is string {
  return typeof value === 'string' && GOOD_IDENTIFIER.test(value) && value.length <= MAX_IDENTIFIER_LENGTH;
}

/** Java's `JobKey.toString()`, which the scheduler puts into "Job key ... is invalid." messages. */
export function javaJobKeyString(key: JobKeyInput | undefined | null): string {
  if (key === undefined || key === null) return 'null';
  const part = (v: string | undefined) => (v === undefined || v === null ? 'null' : v);
  return `JobKey(role:${part(key.role)}, environment:${part(key.environment)}, name:${part(key.name)})`;
}

/** `role/environment/name`, the form users type. */
export function jobKeyPath(key: JobKeyInput | undefined): string {
  return `${key?.role ?? '?'}/${key?.environment ?? '?'}/${key?.name ?? '?'}`;
}

/** Parses `role/env/name` (no cluster) into a JobKey; undefined when it has not exactly 3 parts. */
export function parseJobKeyPath(text: string): JobKey | undefined {
  const parts = text.split('/');
  if (parts.length !== 3 || parts.some((p) => p === '')) return undefined;
  const [role, environment, name] = parts as [string, string, string];
  return { role, environment, name };
}
