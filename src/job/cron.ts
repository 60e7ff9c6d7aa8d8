/**
 * Aurora's cron grammar: parse, validate, predict and describe `JobConfiguration.cronSchedule`.
 *
 * The rules are those of the scheduler's own parser, apache/aurora
 * src/main/java/org/apache/aurora/scheduler/cron/CrontabEntry.java (tests: CrontabEntryTest.java),
 * so that a schedule this module accepts is one the scheduler accepts, and vice versa:
 * - exactly 5 fields separated by whitespace (Java `\s`), no leading/trailing whitespace, no @macros;
 * - each field is a comma list (empty items are ignored, e.g. `30 15 * * *,`) of `*`, `n`, `a-b`,
 *   `*\/n` or `a-b/n`; nothing else (`?`, `L`, `W`, `#`, `n/m` are rejected);
 * - bounds: minute 0-59, hour 0-23, day-of-month 1-31, month 1-12, day-of-week 0-6 (7 is NOT Sunday);
 * - month and day-of-week accept the names JAN-DEC / SUN-SAT in any case; Aurora upper-cases the item
 *   and replaces each name by its number before matching, and so do we (so `mon-fri/2` is `1-5/2`);
 * - ranges may not wrap (`22-2` is rejected), a step must be > 0, and in `a-b/n` the step must also be
 *   smaller than b (`0-59/59` is rejected, `*\/90` in the minute field is just minute 0);
 * - day-of-month and day-of-week may not both be restricted; a field counts as unrestricted when its
 *   values cover the whole range, so `1-31` and `SUN-SAT` count as `*`.
 *
 * Next runs are computed the way the scheduler fires them (Quartz in the scheduler's `-cron_timezone`,
 * CronModule.java, which defaults to GMT): minute precision, strictly after the given instant.
 */

import { createRequire } from 'node:module';
import type { CronExpressionParser as Parser } from 'cron-parser';
import type Cronstrue from 'cronstrue';
import { AuroraValidationError } from '../errors.js';

// cron-parser and cronstrue (CommonJS) cost an SDK import about 40 ms; only predicting and
// describing runs need them, so they load on first use. Parsing and validation are our own code.
const requireLazy = createRequire(import.meta.url);
const cronParser = (): typeof Parser => (requireLazy('cron-parser') as { CronExpressionParser: typeof Parser }).CronExpressionParser;
const cronWords = (): typeof Cronstrue => requireLazy('cronstrue') as typeof Cronstrue;

export interface CronSchedule {
  /** Sorted, distinct values of each field after expanding ranges, steps, lists and names. */
  minute: number[];
  hour: number[];
  /** 1-31; all 31 values when unrestricted. */
  dayOfMonth: number[];
  /** 1-12. */
  month: number[];
  /** 0-6, 0 is Sunday; all 7 values when unrestricted. */
  dayOfWeek: number[];
  /** The expression exactly as given (what is sent to Aurora). */
  source: string;
  /** Aurora's canonical form of the same schedule (CrontabEntry.toString), e.g. `0-58 * * * *`. */
  canonical: string;
}

const FIELD = 'cronSchedule';
const FIELD_LIST = 'minute hour day-of-month month day-of-week';

interface FieldSpec {
  key: 'minute' | 'hour' | 'dayOfMonth' | 'month' | 'dayOfWeek';
  label: string;
  min: number;
  max: number;
  names?: readonly string[]; // index + min is the value
  allowed: string;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

const FIELDS: readonly FieldSpec[] = [
  { key: 'minute', label: 'minute', min: 0, max: 59, allowed: '0-59' },
  { key: 'hour', label: 'hour', min: 0, max: 23, allowed: '0-23' },
  { key: 'dayOfMonth', label: 'day-of-month', min: 1, max: 31, allowed: '1-31' },
  { key: 'month', label: 'month', min: 1, max: 12, names: MONTH_NAMES, allowed: '1-12 or JAN-DEC' },
  { key: 'dayOfWeek', label: 'day-of-week', min: 0, max: 6, names: DAY_NAMES, allowed: '0-6 or SUN-SAT' },
];

// Java's `\s` and `\S` (CrontabEntry's CRONTAB_ENTRY pattern); JS `\s` would also accept Unicode spaces.
const JAVA_SPACE = /[ \t\n\x0B\f\r]+/;
const JAVA_SPACE_AT_ENDS = /^[ \t\n\x0B\f\r]|[ \t\n\x0B\f\r]$/;

// Java's Integer.parseInt fails above this, so Aurora rejects such numbers outright.
const JAVA_INT_MAX = 2147483647;

const MACRO_EQUIVALENTS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Parses an Aurora cron schedule; throws AuroraValidationError('cronSchedule', ...) when Aurora would reject it. */
export function parseCron(expr: string): CronSchedule {
  if (typeof expr !== 'string') {
    throw invalid(`must be a string of 5 fields: ${FIELD_LIST}`);
  }
  const shown = quote(expr);
  if (expr.length === 0) {
    throw invalid(`is empty; Aurora expects 5 fields: ${FIELD_LIST}`);
  }
  if (expr.startsWith('@')) {
    const macro = expr.trim().toLowerCase();
    const equivalent = MACRO_EQUIVALENTS[macro];
    throw invalid(
      `${shown} is a macro; Aurora accepts no @macros, only 5 fields: ${FIELD_LIST}` +
        (equivalent ? ` (use "${equivalent}")` : ''),
    );
  }
  if (JAVA_SPACE_AT_ENDS.test(expr)) {
    throw invalid(`${shown} has leading or trailing whitespace, which Aurora rejects`);
  }
  const raw = expr.split(JAVA_SPACE);
  if (raw.length !== 5) {
    throw invalid(`${shown} has ${raw.length} field${raw.length === 1 ? '' : 's'}; Aurora expects 5: ${FIELD_LIST}`);
  }

  const sets = FIELDS.map((spec, i) => parseField(spec, raw[i]!));
  const [minute, hour, dayOfMonth, month, dayOfWeek] = sets as [number[], number[], number[], number[], number[]];
  if (!isFull(FIELDS[2]!, dayOfMonth) && !isFull(FIELDS[4]!, dayOfWeek)) {
    throw invalid(
      `${shown} restricts both day-of-month (${raw[2]}) and day-of-week (${raw[4]}); ` +
        'Aurora allows only one of them, set the other to *',
    );
  }
  return {
    minute,
    hour,
    dayOfMonth,
    month,
    dayOfWeek,
    source: expr,
    canonical: FIELDS.map((spec, i) => canonicalField(spec, sets[i]!)).join(' '),
  };
}

/** The one-line error Aurora's rules give for `expr` (`cronSchedule: ...`), or undefined when it is valid. */
export function validateCron(expr: string): string | undefined {
  try {
    parseCron(expr);
    return undefined;
  } catch (err) {
    if (err instanceof AuroraValidationError) return err.message;
    throw err;
  }
}

/**
 * The first firing strictly after `after`, at minute precision, in `timeZone` (an IANA name).
 * The default is UTC because Aurora's scheduler fires cron jobs in its `-cron_timezone`, which
 * defaults to GMT whatever the machine's zone (CronModule.java); pass the cluster's zone if it
 * sets that flag. Around DST changes a wall-clock time that does not exist fires at the same
 * offset into the next hour, and a repeated one fires once (cron-parser's behaviour).
 * Throws AuroraValidationError for a schedule that can never fire (e.g. `0 0 30 2 *`, which
 * Aurora accepts but never runs), a bad date or an unknown time zone.
 */
export function nextCronRun(expr: string | CronSchedule, after: Date, timeZone = 'UTC'): Date {
  const schedule = typeof expr === 'string' ? parseCron(expr) : checkSchedule(expr);
  if (!(after instanceof Date) || Number.isNaN(after.getTime())) {
    throw new AuroraValidationError('after', 'must be a valid Date');
  }
  checkTimeZone(timeZone);
  const impossible = neverFires(schedule);
  if (impossible) throw invalid(`${quote(schedule.source)} never fires: ${impossible}`);

  // Explicit value lists for every field: exact, and independent of cron-parser's own
  // dialect (its day-of-week 7, names, OR-ing of both day fields), which Aurora's rules exclude.
  const fieldText = (spec: FieldSpec, values: number[]): string => (isFull(spec, values) ? '*' : values.join(','));
  const cronText = ['0', ...FIELDS.map((spec) => fieldText(spec, schedule[spec.key]))].join(' ');
  try {
    const iterator = cronParser().parse(cronText, { currentDate: after, tz: timeZone });
    return iterator.next().toDate();
  } catch (err) {
    throw invalid(`cannot compute the next run of ${quote(schedule.source)} after ${after.toISOString()}`, err);
  }
}

/** Plain words, e.g. "every 15 minutes", "at 02:30, every day", "every hour, only on Monday". */
export function describeCron(expr: string): string {
  const schedule = parseCron(expr);
  const tokens = schedule.source.split(JAVA_SPACE);
  // Cleaned syntax (names as numbers, no empty items, collapsed wildcards) keeps the user's
  // steps and ranges, which read better than the canonical lists.
  const cleaned = FIELDS.map((spec, i) => cleanField(spec, tokens[i]!, schedule[spec.key])).join(' ');
  let text = inWords(cleaned) ?? inWords(schedule.canonical) ?? schedule.canonical;
  const everyDay =
    !isFull(FIELDS[1]!, schedule.hour) &&
    isFull(FIELDS[2]!, schedule.dayOfMonth) &&
    isFull(FIELDS[3]!, schedule.month) &&
    isFull(FIELDS[4]!, schedule.dayOfWeek);
  if (everyDay) text += ', every day';
  return text.charAt(0).toLowerCase() + text.slice(1);
}

// ---------------------------------------------------------------------------------------------

function inWords(cronText: string): string | undefined {
  try {
    return cronWords().toString(cronText, { use24HourTimeFormat: true });
  } catch {
    return undefined;
  }
}

function parseField(spec: FieldSpec, rawField: string): number[] {
  const values = new Set<number>();
  // Guava's Splitter.on(",").omitEmptyStrings(): "1,,2" and "5," are fine.
  for (const item of rawField.split(',')) {
    if (item === '') continue;
    for (const value of parseItem(spec, item)) values.add(value);
  }
  if (values.size === 0) {
    throw invalid(`${spec.label} ${quote(rawField)} lists no values; allowed ${spec.allowed}`);
  }
  return [...values].sort((a, b) => a - b);
}

function parseItem(spec: FieldSpec, rawItem: string): number[] {
  const item = spec.names ? replaceNames(rawItem, spec) : rawItem;
  const where = `${spec.label} ${quote(rawItem)}`;
  const allowed = `allowed ${spec.allowed}${spec.key === 'dayOfWeek' ? ' (7 is not Sunday in Aurora)' : ''}`;

  if (item === '*') return range(spec.min, spec.max, 1);

  let m = /^([0-9]+)$/.exec(item);
  if (m) {
    const n = toInt(m[1]!);
    if (n < spec.min || n > spec.max) throw invalid(`${where} is out of range; ${allowed}`);
    return [n];
  }

  m = /^([0-9]+)-([0-9]+)$/.exec(item);
  if (m) {
    const [lower, upper] = [toInt(m[1]!), toInt(m[2]!)];
    checkRange(spec, where, allowed, lower, upper);
    return range(lower, upper, 1);
  }

  m = /^\*\/([0-9]+)$/.exec(item);
  if (m) {
    const step = toInt(m[1]!);
    if (step === 0) throw invalid(`${where} has step 0; a step must be at least 1`);
    if (step > JAVA_INT_MAX) throw invalid(`${where} has a step larger than Aurora can read`);
    return range(spec.min, spec.max, step);
  }

  m = /^([0-9]+)-([0-9]+)\/([0-9]+)$/.exec(item);
  if (m) {
    const [lower, upper, step] = [toInt(m[1]!), toInt(m[2]!), toInt(m[3]!)];
    checkRange(spec, where, allowed, lower, upper);
    if (step === 0) throw invalid(`${where} has step 0; a step must be at least 1`);
    if (step >= upper) {
      throw invalid(`${where} has step ${step}; Aurora requires the step of a-b/n to be smaller than b (${upper})`);
    }
    return range(lower, upper, step);
  }

  const hint = rawItem.includes('?') ? 'Aurora does not accept "?" (use *)' : 'use *, n, a-b, */n or a-b/n, or a comma list of these';
  throw invalid(`${where} is not valid; ${hint}; ${allowed}`);
}

function checkRange(spec: FieldSpec, where: string, allowed: string, lower: number, upper: number): void {
  if (lower > upper) {
    throw invalid(
      `${where} is a reversed range; ranges may not wrap around ` +
        `(write ${lower}-${spec.max},${spec.min}-${upper} instead); ${allowed}`,
    );
  }
  if (lower < spec.min || upper > spec.max) throw invalid(`${where} is out of range; ${allowed}`);
}

/** Aurora's replaceNameAliases: upper-case, then replace every name anywhere in the item by its number. */
function replaceNames(rawItem: string, spec: FieldSpec): string {
  let item = rawItem.toUpperCase();
  spec.names!.forEach((name, index) => {
    item = item.split(name).join(String(index + spec.min));
  });
  return item;
}

function toInt(digits: string): number {
  // Beyond Java's int Aurora fails to parse the number at all; any such value is out of range anyway.
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

function isFull(spec: FieldSpec, values: readonly number[]): boolean {
  return values.length === spec.max - spec.min + 1;
}

/** CrontabEntry.fieldToString: `*` for the whole range, else ascending singletons and a-b runs. */
function canonicalField(spec: FieldSpec, values: readonly number[]): string {
  if (isFull(spec, values)) return '*';
  const parts: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    parts.push(i === j ? String(values[i]) : `${values[i]}-${values[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function cleanField(spec: FieldSpec, rawField: string, values: readonly number[]): string {
  if (isFull(spec, values)) return '*';
  if (values.length === 1) return String(values[0]);
  const items = rawField.split(',').filter((item) => item !== '');
  // cronstrue garbles lists that mix steps with other items; their plain values read better.
  if (items.length > 1 && items.some((item) => item.includes('/'))) return canonicalField(spec, values);
  return items
    .map((item) => {
      const named = spec.names ? replaceNames(item, spec) : item;
      // Drop leading zeros, and turn a step that hits one value (*/90) into that value.
      const normal = named.replace(/[0-9]+/g, (d) => String(Number(d)));
      const single = parseItem(spec, item);
      return single.length === 1 ? String(single[0]) : normal;
    })
    .join(',');
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function neverFires(schedule: CronSchedule): string | undefined {
  const smallestDay = schedule.dayOfMonth[0]!;
  if (schedule.month.some((month) => DAYS_IN_MONTH[month - 1]! >= smallestDay)) return undefined;
  return `no month in ${canonicalField(FIELDS[3]!, schedule.month)} has day ${canonicalField(FIELDS[2]!, schedule.dayOfMonth)}`;
}

/** A CronSchedule built by hand is re-read through Aurora's rules via its canonical form. */
function checkSchedule(schedule: CronSchedule): CronSchedule {
  if (schedule === null || typeof schedule !== 'object') throw invalid(`must be a string of 5 fields: ${FIELD_LIST}`);
  const text = FIELDS.map((spec) => {
    const values = schedule[spec.key];
    if (!Array.isArray(values) || values.length === 0 || values.some((v) => !Number.isInteger(v))) {
      throw invalid(`${spec.label} must be a non-empty list of integers; allowed ${spec.allowed}`);
    }
    return canonicalField(spec, [...new Set(values)].sort((a, b) => a - b));
  }).join(' ');
  return { ...parseCron(text), source: typeof schedule.source === 'string' ? schedule.source : text };
}

/** Zones already found valid: building an Intl.DateTimeFormat to check one costs ≈ 0.1 ms. */
const knownTimeZones = new Set<string>();

function checkTimeZone(timeZone: string): void {
  if (knownTimeZones.has(timeZone)) return;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    knownTimeZones.add(timeZone);
  } catch {
    throw new AuroraValidationError('timeZone', `unknown time zone ${quote(String(timeZone))}; use an IANA name such as UTC or Europe/Berlin`);
  }
}

function quote(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 80)}...` : text;
  // Escape invisible and non-ASCII characters (a no-break space looks like a separator but is not one).
  return JSON.stringify(shown).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function invalid(message: string, cause?: unknown): AuroraValidationError {
  return new AuroraValidationError(FIELD, message, cause === undefined ? {} : { cause });
}
