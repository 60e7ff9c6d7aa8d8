import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AuroraValidationError } from '../../src/errors.js';
import { describeCron, nextCronRun, parseCron, validateCron, type CronSchedule } from '../../src/job/cron.js';

const ALL_HOURS_EVEN = '0,2,4,6,8,10,12,14,16,18,20,22';

describe('parseCron accepts what Aurora accepts', () => {
  // [expression, Aurora's canonical form (CrontabEntry.toString)]
  const valid: Array<[string, string]> = [
    ['* * * * *', '* * * * *'],
    ['0-59 * * * *', '* * * * *'],
    ['0-57,58,59 * * * *', '* * * * *'],
    ['* 23,1,2,4,0-22 * * *', '* * * * *'],
    ['1-50,0,51-59 * * * sun-sat', '* * * * *'],
    ['0,1-57,58 * * * *', '0-58 * * * *'],
    ['1,2,3 * * * *', '1-3 * * * *'],
    ['1 1 1-31 * *', '1 1 * * *'],
    ['1 1 1-30 * *', '1 1 1-30 * *'],
    ['1 1 * JAN,FEB-DEC *', '1 1 * * *'],
    ['1 1 * JAN,FEB-NOV *', '1 1 * 1-11 *'],
    ['* * * * SUN', '* * * * 0'],
    ['* * * * sat', '* * * * 6'],
    ['0 9 * * Mon-fRI', '0 9 * * 1-5'],
    ['0 0 1 jan-Mar,dec *', '0 0 1 1-3,12 *'],
    ['0 0 * * mon-fri/2', '0 0 * * 1,3,5'],
    ['0 8 * JAN-DEC/3 *', '0 8 * 1,4,7,10 *'],
    ['*/15 * * * *', '0,15,30,45 * * * *'],
    ['* */2 * * *', `* ${ALL_HOURS_EVEN} * * *`],
    ['0-59 0,2,4,6,8,10,12-23/2  * * *', `* ${ALL_HOURS_EVEN} * * *`],
    ['* * */3 * *', '* * 1,4,7,10,13,16,19,22,25,28,31 * *'],
    ['* * * */5 *', '* * * 1,6,11 *'],
    ['1-56/5 * * * *', '1,6,11,16,21,26,31,36,41,46,51,56 * * * *'],
    ['*/1 * * * *', '* * * * *'],
    ['*/90 * * * *', '0 * * * *'], // a wildcard step may exceed the range: only the first value
    ['1-2/1 * * * *', '1-2 * * * *'],
    ['40-50/45 * * * *', '40 * * * *'], // the step only has to be smaller than the upper bound
    ['05 00 * * *', '5 0 * * *'],
    ['30 15 * * *,', '30 15 * * *'], // Aurora ignores empty list items
    ['0 14 * * *,,', '0 14 * * *'],
    ['1,,2 * * * *', '1-2 * * * *'],
    ['11    *   *   *   *', '11 * * * *'],
    ['0\t0\n* *\r\n*', '0 0 * * *'],
    ['0 0 * * 0-6', '0 0 * * *'], // all seven days is unrestricted, so day-of-month may be set
    ['0 0 1 * SUN-SAT', '0 0 1 * *'],
    ['0 0 1-31 * MON', '0 0 * * 1'],
    ['0 0 29 2 *', '0 0 29 2 *'],
    ['0 0 30 2 *', '0 0 30 2 *'], // Aurora accepts it although it never fires
    ['* * * * */7', '* * * * 0'],
    ['59 23 31 12 *', '59 23 31 12 *'],
    ['* * * * 0MON', '* * * * 1'], // Aurora replaces names inside an item: "0MON" reads as "01"
  ];

  it.each(valid)('%j', (expr, canonical) => {
    const schedule = parseCron(expr);
    expect(schedule.canonical).toBe(canonical);
    expect(schedule.source).toBe(expr);
    expect(validateCron(expr)).toBeUndefined();
  });

  it('expands every field into sorted value sets', () => {
    expect(parseCron('*/20 1-3,22 */10 FEB,jan *')).toEqual({
      minute: [0, 20, 40],
      hour: [1, 2, 3, 22],
      dayOfMonth: [1, 11, 21, 31],
      month: [1, 2],
      dayOfWeek: [0, 1, 2, 3, 4, 5, 6],
      source: '*/20 1-3,22 */10 FEB,jan *',
      canonical: '0,20,40 1-3,22 1,11,21,31 1-2 *',
    } satisfies CronSchedule);
    expect(parseCron('0 12 * * 5,MON,sun').dayOfWeek).toEqual([0, 1, 5]);
  });
});

describe('parseCron rejects what Aurora rejects, with one clear line', () => {
  const F = 'minute hour day-of-month month day-of-week';
  const DOW = 'allowed 0-6 or SUN-SAT (7 is not Sunday in Aurora)';
  const SYNTAX = 'use *, n, a-b, */n or a-b/n, or a comma list of these';
  const invalid: Array<[string, string]> = [
    ['*/15 * * * * *', `"*/15 * * * * *" has 6 fields; Aurora expects 5: ${F}`],
    ['0 0 1,15 * * 2020', `"0 0 1,15 * * 2020" has 6 fields; Aurora expects 5: ${F}`],
    ['* * **', `"* * **" has 3 fields; Aurora expects 5: ${F}`],
    ['*', `"*" has 1 field; Aurora expects 5: ${F}`],
    ['', `is empty; Aurora expects 5 fields: ${F}`],
    ['@hourly', `"@hourly" is a macro; Aurora accepts no @macros, only 5 fields: ${F} (use "0 * * * *")`],
    ['@daily', `"@daily" is a macro; Aurora accepts no @macros, only 5 fields: ${F} (use "0 0 * * *")`],
    ['@Weekly', `"@Weekly" is a macro; Aurora accepts no @macros, only 5 fields: ${F} (use "0 0 * * 0")`],
    ['@reboot', `"@reboot" is a macro; Aurora accepts no @macros, only 5 fields: ${F}`],
    [' 0 * * * *', `" 0 * * * *" has leading or trailing whitespace, which Aurora rejects`],
    ['*/5 * * * *\n', `"*/5 * * * *\\n" has leading or trailing whitespace, which Aurora rejects`],
    ['0\u00a00 * * * *', `minute "0\\u00a00" is not valid; ${SYNTAX}; allowed 0-59`], // a no-break space is no separator
    ['* * * * 7', `day-of-week "7" is out of range; ${DOW}`],
    ['0 0 * * 5-7', `day-of-week "5-7" is out of range; ${DOW}`],
    ['* * * * MON-SUN', `day-of-week "MON-SUN" is a reversed range; ranges may not wrap around (write 1-6,0-0 instead); ${DOW}`],
    ['0 22-2 * * *', `hour "22-2" is a reversed range; ranges may not wrap around (write 22-23,0-2 instead); allowed 0-23`],
    ['5 5 * MAR-JAN *', `month "MAR-JAN" is a reversed range; ranges may not wrap around (write 3-12,1-1 instead); allowed 1-12 or JAN-DEC`],
    ['0-59 0-59 * * *', `hour "0-59" is out of range; allowed 0-23`],
    ['60 * * * *', `minute "60" is out of range; allowed 0-59`],
    ['* 24 * * *', `hour "24" is out of range; allowed 0-23`],
    ['* * 0 * *', `day-of-month "0" is out of range; allowed 1-31`],
    ['* * 32 * *', `day-of-month "32" is out of range; allowed 1-31`],
    ['* * * 0 *', `month "0" is out of range; allowed 1-12 or JAN-DEC`],
    ['* * * 13 *', `month "13" is out of range; allowed 1-12 or JAN-DEC`],
    ['99999999999 * * * *', `minute "99999999999" is out of range; allowed 0-59`],
    ['1/1 * * * *', `minute "1/1" is not valid; ${SYNTAX}; allowed 0-59`],
    ['*/0 * * * *', `minute "*/0" has step 0; a step must be at least 1`],
    ['0-59/0 * * * *', `minute "0-59/0" has step 0; a step must be at least 1`],
    ['0-59/60 * * * *', `minute "0-59/60" has step 60; Aurora requires the step of a-b/n to be smaller than b (59)`],
    ['0-59/59 * * * *', `minute "0-59/59" has step 59; Aurora requires the step of a-b/n to be smaller than b (59)`],
    ['0 0 * * */99999999999', `day-of-week "*/99999999999" has a step larger than Aurora can read`],
    ['* * 1 * 1', `"* * 1 * 1" restricts both day-of-month (1) and day-of-week (1); Aurora allows only one of them, set the other to *`],
    ['0 0 15 * FRI', `"0 0 15 * FRI" restricts both day-of-month (15) and day-of-week (FRI); Aurora allows only one of them, set the other to *`],
    ['0 0 1-30 * 0-5', `"0 0 1-30 * 0-5" restricts both day-of-month (1-30) and day-of-week (0-5); Aurora allows only one of them, set the other to *`],
    ['0 0 ? * MON', `day-of-month "?" is not valid; Aurora does not accept "?" (use *); allowed 1-31`],
    ['0 0 * * ?', `day-of-week "?" is not valid; Aurora does not accept "?" (use *); ${DOW}`],
    ['0 0 L * *', `day-of-month "L" is not valid; ${SYNTAX}; allowed 1-31`],
    ['0 0 1W * *', `day-of-month "1W" is not valid; ${SYNTAX}; allowed 1-31`],
    ['0 0 * * 1#2', `day-of-week "1#2" is not valid; ${SYNTAX}; ${DOW}`],
    ['0 0 * * MONDAY', `day-of-week "MONDAY" is not valid; ${SYNTAX}; ${DOW}`],
    ['0 0 * JANUARY *', `month "JANUARY" is not valid; ${SYNTAX}; allowed 1-12 or JAN-DEC`],
    ['0 0 * * JAN', `day-of-week "JAN" is not valid; ${SYNTAX}; ${DOW}`],
    ['0 0 * MON *', `month "MON" is not valid; ${SYNTAX}; allowed 1-12 or JAN-DEC`],
    ['MON * * * *', `minute "MON" is not valid; ${SYNTAX}; allowed 0-59`],
    ['-1 * * * *', `minute "-1" is not valid; ${SYNTAX}; allowed 0-59`],
    ['*-5 * * * *', `minute "*-5" is not valid; ${SYNTAX}; allowed 0-59`],
    [', * * * *', `minute "," lists no values; allowed 0-59`],
    ['0 0 * * 1-5/0', `day-of-week "1-5/0" has step 0; a step must be at least 1`],
  ];

  it.each(invalid)('%j', (expr, message) => {
    const line = `cronSchedule: ${message}`;
    expect(validateCron(expr)).toBe(line);
    let thrown: unknown;
    try {
      parseCron(expr);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AuroraValidationError);
    const error = thrown as AuroraValidationError;
    expect(error.field).toBe('cronSchedule');
    expect(error.kind).toBe('validation');
    expect(error.message).toBe(line);
    expect(line).not.toContain('\n');
  });

  it('rejects a value that is not a string', () => {
    expect(validateCron(5 as unknown as string)).toBe(
      'cronSchedule: must be a string of 5 fields: minute hour day-of-month month day-of-week',
    );
  });

  it('keeps a very long expression to one short line', () => {
    const line = validateCron(`${'1,'.repeat(500)} * * *`)!;
    expect(line.length).toBeLessThan(200);
    expect(line).toContain('..." has 4 fields');
  });
});

const at = (iso: string): Date => new Date(iso);
const iso = (d: Date): string => d.toISOString();

describe('nextCronRun', () => {
  // [expression, after, expected next run] all in UTC, Aurora's default -cron_timezone
  const runs: Array<[string, string, string]> = [
    ['*/15 * * * *', '2024-01-01T10:07:30.000Z', '2024-01-01T10:15:00.000Z'],
    ['*/15 * * * *', '2024-01-01T10:15:00.000Z', '2024-01-01T10:30:00.000Z'], // strictly after
    ['*/15 * * * *', '2024-01-01T10:14:59.999Z', '2024-01-01T10:15:00.000Z'],
    ['* * * * *', '2024-01-01T10:00:00.001Z', '2024-01-01T10:01:00.000Z'],
    ['0 * * * *', '2024-01-01T10:59:59.999Z', '2024-01-01T11:00:00.000Z'], // hour boundary
    ['30 2 * * *', '2024-01-01T02:30:00.000Z', '2024-01-02T02:30:00.000Z'], // day boundary
    ['0 0 1 * *', '2024-01-31T12:00:00.000Z', '2024-02-01T00:00:00.000Z'], // month boundary
    ['0 0 31 * *', '2024-04-01T00:00:00.000Z', '2024-05-31T00:00:00.000Z'], // April has no 31st
    ['59 23 31 12 *', '2024-12-31T23:59:00.000Z', '2025-12-31T23:59:00.000Z'], // year boundary
    ['0 0 1 1 *', '2024-06-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'],
    ['0 12 29 2 *', '2024-03-01T00:00:00.000Z', '2028-02-29T12:00:00.000Z'], // leap day
    ['0 12 29 FEB *', '2096-03-01T00:00:00.000Z', '2104-02-29T12:00:00.000Z'], // 2100 is no leap year
    ['0 9 * * MON', '2024-01-01T09:00:00.000Z', '2024-01-08T09:00:00.000Z'],
    ['0 9 * * SUN', '2024-01-01T00:00:00.000Z', '2024-01-07T09:00:00.000Z'],
    ['0 8 * JAN-DEC/3 *', '2024-02-01T00:00:00.000Z', '2024-04-01T08:00:00.000Z'],
    ['45 23 * * 1-5', '2024-01-05T23:46:00.000Z', '2024-01-08T23:45:00.000Z'], // Friday night to Monday
    ['30 15 * * *,', '2024-01-01T00:00:00.000Z', '2024-01-01T15:30:00.000Z'],
    // UTC has no daylight saving: 24 hours apart across Europe's and America's changes
    ['30 2 * * *', '2024-03-31T00:00:00.000Z', '2024-03-31T02:30:00.000Z'],
    ['30 2 * * *', '2024-03-31T02:30:00.000Z', '2024-04-01T02:30:00.000Z'],
    ['30 1 * * *', '2024-11-03T01:30:00.000Z', '2024-11-04T01:30:00.000Z'],
  ];

  it.each(runs)('%j after %s is %s', (expr, after, expected) => {
    expect(iso(nextCronRun(expr, at(after)))).toBe(expected);
    expect(iso(nextCronRun(expr, at(after), 'UTC'))).toBe(expected);
    expect(iso(nextCronRun(parseCron(expr), at(after)))).toBe(expected);
  });

  it('fires in the given time zone', () => {
    expect(iso(nextCronRun('30 2 * * *', at('2024-01-01T00:00:00Z'), 'Europe/Berlin'))).toBe('2024-01-01T01:30:00.000Z');
    expect(iso(nextCronRun('30 2 * * *', at('2024-07-01T00:00:00Z'), 'Europe/Berlin'))).toBe('2024-07-01T00:30:00.000Z');
    expect(iso(nextCronRun('0 9 * * MON', at('2024-01-01T00:00:00Z'), 'Asia/Tokyo'))).toBe('2024-01-08T00:00:00.000Z');
  });

  it('handles daylight saving changes in a zone that has them', () => {
    const ny = 'America/New_York';
    // 02:30 does not exist on 2024-03-10 in New York: it runs at 03:30 EDT
    expect(iso(nextCronRun('30 2 * * *', at('2024-03-09T12:00:00Z'), ny))).toBe('2024-03-10T07:30:00.000Z');
    expect(iso(nextCronRun('30 2 * * *', at('2024-03-10T12:00:00Z'), ny))).toBe('2024-03-11T06:30:00.000Z');
    // 01:30 happens twice on 2024-11-03: a daily job runs once
    const first = nextCronRun('30 1 * * *', at('2024-11-03T04:00:00Z'), ny);
    expect(iso(first)).toBe('2024-11-03T05:30:00.000Z');
    expect(iso(nextCronRun('30 1 * * *', first, ny))).toBe('2024-11-04T06:30:00.000Z');
  });

  // From Aurora's own expected-predictions.json (CronPredictorImplTest, GMT, clock starting at 0):
  // each run is computed from the previous one.
  const auroraPredictions: Array<[string, number[]]> = [
    ['0 20 * * 1', [417600000, 1022400000, 1627200000, 2232000000, 2836800000, 3441600000, 4046400000, 4651200000, 5256000000, 5860800000]],
    ['11    *   *   *   *', [660000, 4260000, 7860000, 11460000, 15060000, 18660000, 22260000, 25860000, 29460000, 33060000]],
    ['04 02 * * *', [7440000, 93840000, 180240000, 266640000, 353040000, 439440000, 525840000, 612240000, 698640000, 785040000]],
    ['1-56/5 * * * *', [60000, 360000, 660000, 960000, 1260000, 1560000, 1860000, 2160000, 2460000, 2760000]],
    ['30 15 * * *,', [55800000, 142200000, 228600000, 315000000, 401400000, 487800000, 574200000, 660600000, 747000000, 833400000]],
    ['0 14 * * *,,', [50400000, 136800000, 223200000, 309600000, 396000000, 482400000, 568800000, 655200000, 741600000, 828000000]],
    ['0 17-23 * * 1-5', [61200000, 64800000, 68400000, 72000000, 75600000, 79200000, 82800000, 147600000, 151200000, 154800000]],
    ['30 18,23 * * MON-FRI', [66600000, 84600000, 153000000, 171000000, 412200000, 430200000, 498600000, 516600000, 585000000, 603000000]],
    ['0 0 12 * *', [950400000, 3628800000, 6048000000, 8726400000, 11318400000, 13996800000, 16588800000, 19267200000, 21945600000, 24537600000]],
    ['0 9 4,18 * *', [291600000, 1501200000, 2970000000, 4179600000, 5389200000, 6598800000, 8067600000, 9277200000, 10659600000, 11869200000]],
    ['00 17 1-3,5-31 * *', [61200000, 147600000, 234000000, 406800000, 493200000, 579600000, 666000000, 752400000, 838800000, 925200000]],
    ['0 23 2-31 * *', [169200000, 255600000, 342000000, 428400000, 514800000, 601200000, 687600000, 774000000, 860400000, 946800000]],
    ['14-59/30 * * * *', [840000, 2640000, 4440000, 6240000, 8040000, 9840000, 11640000, 13440000, 15240000, 17040000]],
    ['30 1-23/2 * * *', [5400000, 12600000, 19800000, 27000000, 34200000, 41400000, 48600000, 55800000, 63000000, 70200000]],
    ['17 1,9,17 * * 0', [263820000, 292620000, 321420000, 868620000, 897420000, 926220000, 1473420000, 1502220000, 1531020000, 2078220000]],
    ['0 0-2 * * 2-6', [3600000, 7200000, 86400000, 90000000, 93600000, 172800000, 176400000, 180000000, 432000000, 435600000]],
    ['0 5,10,15,20,1 * * *', [3600000, 18000000, 36000000, 54000000, 72000000, 90000000, 104400000, 122400000, 140400000, 158400000]],
    ['3-59/5 * * * *', [180000, 480000, 780000, 1080000, 1380000, 1680000, 1980000, 2280000, 2580000, 2880000]],
    ['30,45 18 * * 1', [412200000, 413100000, 1017000000, 1017900000, 1621800000, 1622700000, 2226600000, 2227500000, 2831400000, 2832300000]],
    ['0 0 10 * *', [777600000, 3456000000, 5875200000, 8553600000, 11145600000, 13824000000, 16416000000, 19094400000, 21772800000, 24364800000]],
    ['0 3 1 * *', [10800000, 2689200000, 5108400000, 7786800000, 10378800000, 13057200000, 15649200000, 18327600000, 21006000000, 23598000000]],
    ['*/20  *   *   *   *', [1200000, 2400000, 3600000, 4800000, 6000000, 7200000, 8400000, 9600000, 10800000, 12000000]],
    ['50 */4 * * *', [3000000, 17400000, 31800000, 46200000, 60600000, 75000000, 89400000, 103800000, 118200000, 132600000]],
  ];

  it.each(auroraPredictions)('predicts like Aurora for %j', (expr, expected) => {
    const schedule = parseCron(expr);
    let now = new Date(0);
    const got: number[] = [];
    for (let i = 0; i < expected.length; i++) {
      now = nextCronRun(schedule, now);
      got.push(now.getTime());
    }
    expect(got).toEqual(expected);
  });

  it('refuses schedules that can never fire', () => {
    expect(() => nextCronRun('0 0 30 2 *', at('2024-01-01T00:00:00Z'))).toThrow(
      'cronSchedule: "0 0 30 2 *" never fires: no month in 2 has day 30',
    );
    expect(() => nextCronRun('0 0 31 4,6,9,11 *', at('2024-01-01T00:00:00Z'))).toThrow(
      'cronSchedule: "0 0 31 4,6,9,11 *" never fires: no month in 4,6,9,11 has day 31',
    );
  });

  it('names the bad argument', () => {
    expect(() => nextCronRun('* * * * *', new Date(Number.NaN))).toThrow('after: must be a valid Date');
    expect(() => nextCronRun('* * * * *', new Date(), 'Mars/Olympus')).toThrow(
      'timeZone: unknown time zone "Mars/Olympus"; use an IANA name such as UTC or Europe/Berlin',
    );
    expect(() => nextCronRun('* * * * 7', new Date())).toThrow(AuroraValidationError);
    const handMade = { ...parseCron('* * * * *'), minute: [75] };
    expect(() => nextCronRun(handMade, new Date())).toThrow('cronSchedule: minute "75" is out of range; allowed 0-59');
    const bothDays = { ...parseCron('0 0 * * *'), dayOfMonth: [1], dayOfWeek: [1] };
    expect(() => nextCronRun(bothDays, new Date())).toThrow(/restricts both day-of-month/);
  });
});

describe('describeCron', () => {
  const descriptions: Array<[string, string]> = [
    ['*/15 * * * *', 'every 15 minutes'],
    ['* * * * *', 'every minute'],
    ['0 * * * *', 'every hour'],
    ['30 2 * * *', 'at 02:30, every day'],
    ['05 02 * * *', 'at 02:05, every day'],
    ['30 15 * * *,', 'at 15:30, every day'],
    ['0 0 * * 0-6', 'at 00:00, every day'],
    ['0 * * * MON', 'every hour, only on Monday'],
    ['0 9-17 * * mon-fri', 'every hour, between 09:00 and 17:00, Monday through Friday'],
    ['0 0 1-31 * 1-5', 'at 00:00, Monday through Friday'],
    ['0 12 * * 1,3,5', 'at 12:00, only on Monday, Wednesday, and Friday'],
    ['0 0 1 * *', 'at 00:00, on day 1 of the month'],
    ['0 9 4,18 * *', 'at 09:00, on day 4 and 18 of the month'],
    ['0 12 * JAN,jun *', 'at 12:00, only in January and June'],
    ['*/90 * * * *', 'every hour'],
    ['1-56/5 * * * *', 'every 5 minutes, minutes 1 through 56 past the hour'],
    ['23 0-20/2 * * *', 'at 23 minutes past the hour, every 2 hours, between 00:00 and 20:59, every day'],
    ['0,5-10/2,*/20 1 * * *', 'at 0, 5, 7, 9, 20, and 40 minutes past the hour, at 01:00, every day'],
    ['0 0 * * 0MON', 'at 00:00, only on Monday'],
  ];

  it.each(descriptions)('%j reads %j', (expr, words) => {
    expect(describeCron(expr)).toBe(words);
  });

  it('throws the validation line for a bad schedule', () => {
    expect(() => describeCron('@daily')).toThrow(AuroraValidationError);
  });
});

// ------------------------------------------------------------------------------------------
// Properties: a generator that knows Aurora's grammar and an independent model of the sets.

interface Part {
  text: string;
  values: number[];
}
interface FieldModel {
  min: number;
  max: number;
  names?: string[];
}
const MODELS: FieldModel[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

const span = (from: number, to: number, step: number): number[] => {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
};

function valueText(model: FieldModel): (v: number) => fc.Arbitrary<string> {
  return (v) => {
    const options = [fc.constant(String(v)), fc.constant(String(v).padStart(2, '0'))];
    if (model.names) {
      const name = model.names[v - model.min]!;
      options.push(fc.constantFrom(name, name.toLowerCase(), name[0] + name.slice(1).toLowerCase()));
    }
    return fc.oneof(...options);
  };
}

function partArb(model: FieldModel): fc.Arbitrary<Part> {
  const value = fc.integer({ min: model.min, max: model.max });
  const single = value.chain((v) => valueText(model)(v).map((text) => ({ text, values: [v] })));
  const star = fc.constant({ text: '*', values: span(model.min, model.max, 1) });
  const pair = fc.tuple(value, value).map(([a, b]) => (a <= b ? [a, b] : [b, a]) as [number, number]);
  const rangePart = pair.chain(([a, b]) =>
    fc.tuple(valueText(model)(a), valueText(model)(b)).map(([ta, tb]) => ({ text: `${ta}-${tb}`, values: span(a, b, 1) })),
  );
  const starStep = fc
    .integer({ min: 1, max: model.max + 5 })
    .map((n) => ({ text: `*/${n}`, values: span(model.min, model.max, n) }));
  const rangeStep = pair
    .filter(([, b]) => b >= 2)
    .chain(([a, b]) => fc.integer({ min: 1, max: b - 1 }).map((n) => ({ text: `${a}-${b}/${n}`, values: span(a, b, n) })));
  return fc.oneof(single, star, rangePart, starStep, rangeStep);
}

function fieldArb(model: FieldModel): fc.Arbitrary<Part> {
  return fc.array(partArb(model), { minLength: 1, maxLength: 3 }).map((parts) => ({
    text: parts.map((p) => p.text).join(','),
    values: [...new Set(parts.flatMap((p) => p.values))].sort((a, b) => a - b),
  }));
}

const fullStar = (m: FieldModel): Part => ({ text: '*', values: span(m.min, m.max, 1) });

const validExpr = fc
  .record({
    fields: fc.tuple(...MODELS.map(fieldArb)),
    restrict: fc.constantFrom('dom', 'dow', 'neither'),
    gaps: fc.array(fc.constantFrom(' ', '  ', '\t'), { minLength: 4, maxLength: 4 }),
  })
  .map(({ fields, restrict, gaps }) => {
    const parts = [...fields];
    if (restrict !== 'dom') parts[2] = fullStar(MODELS[2]!);
    if (restrict !== 'dow') parts[4] = fullStar(MODELS[4]!);
    const text = parts.map((p, i) => (i === 0 ? p.text : gaps[i - 1] + p.text)).join('');
    return { text, sets: parts.map((p) => p.values) };
  });

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const canFire = (sets: number[][]): boolean => sets[3]!.some((m) => DAYS[m - 1]! >= sets[2]![0]!);

describe('properties', () => {
  it('every generated valid expression parses to the modelled sets and its next run matches them', () => {
    fc.assert(
      fc.property(validExpr, fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2090-01-01T00:00:00Z'), noInvalidDate: true }), (expr, after) => {
        const schedule = parseCron(expr.text);
        expect([schedule.minute, schedule.hour, schedule.dayOfMonth, schedule.month, schedule.dayOfWeek]).toEqual(expr.sets);
        expect(parseCron(schedule.canonical)).toMatchObject({ minute: schedule.minute, dayOfWeek: schedule.dayOfWeek });
        expect(typeof describeCron(expr.text)).toBe('string');
        if (!canFire(expr.sets)) {
          expect(() => nextCronRun(schedule, after)).toThrow(AuroraValidationError);
          return;
        }
        const next = nextCronRun(expr.text, after);
        expect(next.getTime()).toBeGreaterThan(after.getTime());
        expect(matches(schedule, next)).toBe(true);
        // no earlier minute (within a window) also matches
        const firstMinute = Math.floor(after.getTime() / 60_000) * 60_000 + 60_000;
        const limit = Math.min(next.getTime(), firstMinute + 24 * 60 * 60_000);
        for (let t = firstMinute; t < limit; t += 60_000) expect(matches(schedule, new Date(t))).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  const cronChars = fc.constantFrom(...'0123456789*/-,? \t\nLW#@MONJANsundecFRI'.split(''));
  const fiveTokens = fc
    .array(fc.string({ unit: fc.constantFrom(...'0123456789*/-,?LW#MONJANsundecFRI'.split('')), minLength: 1, maxLength: 6 }), {
      minLength: 5,
      maxLength: 5,
    })
    .map((tokens) => tokens.join(' '));
  // valid expressions with one character inserted, replaced or removed
  const mutated = fc
    .tuple(validExpr, fc.nat(), cronChars, fc.constantFrom('insert', 'replace', 'remove'))
    .map(([expr, pos, ch, how]) => {
      const i = pos % (expr.text.length + 1);
      const tail = expr.text.slice(how === 'insert' ? i : i + 1);
      return expr.text.slice(0, i) + (how === 'remove' ? '' : ch) + tail;
    });
  it('random input only ever fails with an AuroraValidationError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: cronChars, maxLength: 30 }), fiveTokens, mutated), (text) => {
        let schedule: CronSchedule | undefined;
        try {
          schedule = parseCron(text);
        } catch (err) {
          expect(err).toBeInstanceOf(AuroraValidationError);
          expect(validateCron(text)).toBe((err as Error).message);
          return;
        }
        expect(validateCron(text)).toBeUndefined();
        expect(typeof describeCron(text)).toBe('string');
        try {
          expect(matches(schedule, nextCronRun(schedule, new Date('2030-05-05T05:05:05Z')))).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(AuroraValidationError); // a schedule that never fires
        }
      }),
      { numRuns: 500 },
    );
  });
});

function matches(schedule: CronSchedule, date: Date): boolean {
  return (
    date.getUTCSeconds() === 0 &&
    date.getUTCMilliseconds() === 0 &&
    schedule.minute.includes(date.getUTCMinutes()) &&
    schedule.hour.includes(date.getUTCHours()) &&
    schedule.dayOfMonth.includes(date.getUTCDate()) &&
    schedule.month.includes(date.getUTCMonth() + 1) &&
    schedule.dayOfWeek.includes(date.getUTCDay())
  );
}
