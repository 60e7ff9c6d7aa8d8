/**
 * Aurora's constraint notation, as its Python client reads it (config/thrift.py
 * constraints_to_thrift): `"limit:N"` is a limit constraint, anything else a comma-separated value
 * list, negated by a leading `!`. `dedicated` is an ordinary value constraint with a special name.
 */

import { AuroraValidationError } from '../errors.js';
import type { Constraint, ConstraintInput } from '../gen/types.js';

export const DEDICATED_ATTRIBUTE = 'dedicated';

const LIMIT = /^limit:(.*)$/;

/**
 * `host: "limit:1"` → limit 1; `zone: "a,b"` → value [a, b]; `rack: "!r1"` → negated value [r1].
 * Throws AuroraValidationError naming `field` (default `constraints.<name>`).
 */
export function parseConstraint(name: string, text: string, field = `constraints.${name}`): Constraint {
  if (name === '') throw new AuroraValidationError(field, 'constraint name (the attribute) may not be empty');
  const limit = LIMIT.exec(text);
  if (limit) {
    const digits = limit[1]!;
    if (!/^[0-9]+$/.test(digits) || Number(digits) < 1 || Number(digits) > 2147483647) {
      throw new AuroraValidationError(field, `expected "limit:N" with N a positive integer, got ${JSON.stringify(text)}`);
    }
    return { name, constraint: { limit: { limit: Number(digits) } } };
  }
  const negated = text.startsWith('!');
  const values = (negated ? text.slice(1) : text).split(',');
  if (values.some((v) => v === '')) {
    throw new AuroraValidationError(
      field,
      `expected "limit:N", "value[,value...]" or "!value[,value...]" with no empty values, got ${JSON.stringify(text)}`,
    );
  }
  return valueConstraint(name, values, negated);
}

export function valueConstraint(name: string, values: readonly string[], negated = false): Constraint {
  return { name, constraint: { value: { negated, values: [...new Set(values)] } } };
}

export function limitConstraint(name: string, limit: number): Constraint {
  return { name, constraint: { limit: { limit } } };
}

/** The inverse of parseConstraint; undefined for a constraint that is neither kind. */
export function formatConstraint(c: ConstraintInput): string | undefined {
  const tc = c.constraint;
  if (tc?.limit && !tc.value) return `limit:${tc.limit.limit}`;
  if (tc?.value && !tc.limit) {
    const values = [...(tc.value.values ?? [])];
    return `${tc.value.negated ? '!' : ''}${values.join(',')}`;
  }
  return undefined;
}
