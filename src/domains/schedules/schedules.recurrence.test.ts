import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import { firstOccurrenceDay, occurrenceDays, parseRecurrenceRule } from './schedules.recurrence.js';

// Pure: no database. The rules are expanded over wall-clock days; the zone is applied in SQL (see the route tests for DST).

const days = (rule: string, window: { startDay: string; untilDay?: string | null; fromDay?: string; toDay: string }) =>
  occurrenceDays(parseRecurrenceRule(rule), { untilDay: null, fromDay: window.startDay, ...window });

function refusal(rule: string): AppError {
  try {
    parseRecurrenceRule(rule);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error(`${rule} was accepted`);
}

describe('expanding recurrence rules', () => {
  it('gives weekly classes on the named weekdays', () => {
    expect(days('FREQ=WEEKLY;BYDAY=TU,TH', { startDay: '2031-03-03', toDay: '2031-03-20' })).toEqual([
      '2031-03-04', '2031-03-06', '2031-03-11', '2031-03-13', '2031-03-18', '2031-03-20',
    ]);
  });

  it('gives a five-day course as five consecutive days, however far the window reaches', () => {
    expect(days('FREQ=DAILY;COUNT=5', { startDay: '2031-06-09', toDay: '2031-12-31' })).toEqual([
      '2031-06-09', '2031-06-10', '2031-06-11', '2031-06-12', '2031-06-13',
    ]);
  });

  it('counts COUNT from the first day even when the window starts later', () => {
    expect(days('FREQ=DAILY;COUNT=5', { startDay: '2031-06-09', fromDay: '2031-06-12', toDay: '2031-12-31' })).toEqual(['2031-06-12', '2031-06-13']);
  });

  it('stops at an UNTIL day in the rule and at the schedule’s last day, both inclusive, whichever comes first', () => {
    expect(days('FREQ=WEEKLY;BYDAY=MO;UNTIL=20310317', { startDay: '2031-03-03', toDay: '2031-12-31' })).toEqual(['2031-03-03', '2031-03-10', '2031-03-17']);
    expect(days('FREQ=WEEKLY;BYDAY=MO;UNTIL=20310317T235959Z', { startDay: '2031-03-03', untilDay: '2031-03-10', toDay: '2031-12-31' })).toEqual([
      '2031-03-03', '2031-03-10',
    ]);
  });

  it('keeps the same days across daylight-saving changes (days carry no zone)', () => {
    // Europe changes clocks on the last Sundays of March and October 2031 (the 30th and the 26th).
    expect(days('FREQ=WEEKLY;BYDAY=SA,MO', { startDay: '2031-03-28', toDay: '2031-04-01' })).toEqual(['2031-03-29', '2031-03-31']);
    expect(days('FREQ=DAILY', { startDay: '2031-10-25', toDay: '2031-10-27' })).toEqual(['2031-10-25', '2031-10-26', '2031-10-27']);
  });

  it('handles intervals, monthly positions and leap days', () => {
    expect(days('FREQ=WEEKLY;INTERVAL=2;BYDAY=WE', { startDay: '2031-01-01', toDay: '2031-02-12' })).toEqual(['2031-01-01', '2031-01-15', '2031-01-29', '2031-02-12']);
    expect(days('FREQ=MONTHLY;BYDAY=-1FR', { startDay: '2031-01-01', toDay: '2031-03-31' })).toEqual(['2031-01-31', '2031-02-28', '2031-03-28']);
    expect(days('FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1', { startDay: '2031-02-01', toDay: '2031-03-31' })).toEqual(['2031-02-03', '2031-03-03']);
    expect(days('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29', { startDay: '2031-01-01', toDay: '2036-12-31' })).toEqual(['2032-02-29', '2036-02-29']);
  });

  it('finds no day for a rule that never matches, without running to the year 9999', () => {
    expect(firstOccurrenceDay(parseRecurrenceRule('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30'), '2031-01-01', null)).toBeNull();
    expect(firstOccurrenceDay(parseRecurrenceRule('FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4,6'), '2031-01-01', null)).toBeNull();
    expect(firstOccurrenceDay(parseRecurrenceRule('FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2'), '2031-01-01', null)).toBeNull();
    expect(firstOccurrenceDay(parseRecurrenceRule('FREQ=WEEKLY;BYDAY=MO'), '2031-01-01', '2031-01-05')).toBeNull();
    expect(firstOccurrenceDay(parseRecurrenceRule('FREQ=WEEKLY;BYDAY=MO'), '2031-01-01', null)).toBe('2031-01-06');
  });

  it('normalises case and an RRULE: prefix', () => {
    expect(parseRecurrenceRule(' rrule:freq=weekly;byday=tu,th ').text).toBe('FREQ=WEEKLY;BYDAY=TU,TH');
  });
});

describe('refusing bad rules with 400 on body.rrule, naming what is wrong', () => {
  it.each([
    ['', /required/],
    ['BYDAY=MO', /FREQ is required/],
    ['FREQ=FOO', /FREQ must be/],
    ['FREQ=HOURLY', /at most one session a day/],
    ['FREQ=MINUTELY;INTERVAL=5', /at most one session a day/],
    ['FREQ=DAILY;BYHOUR=9', /BYHOUR is not allowed/],
    ['FREQ=WEEKLY;BYDAY=XX', /BYDAY must be/],
    ['FREQ=WEEKLY;BYDAY=1MO', /numbered weekdays/],
    ['FREQ=MONTHLY;BYDAY=60MO', /BYDAY must be/],
    ['FREQ=WEEKLY;INTERVAL=0', /INTERVAL must be/],
    ['FREQ=WEEKLY;INTERVAL=abc', /INTERVAL must be/],
    ['FREQ=DAILY;COUNT=-1', /COUNT must be/],
    ['FREQ=DAILY;COUNT=1001', /COUNT must be/],
    ['FREQ=DAILY;COUNT=3;UNTIL=20310101', /COUNT and UNTIL/],
    ['FREQ=DAILY;UNTIL=20310230', /UNTIL must be/],
    ['FREQ=MONTHLY;BYMONTHDAY=32', /BYMONTHDAY must be/],
    ['FREQ=YEARLY;BYMONTH=13', /BYMONTH must be/],
    ['FREQ=WEEKLY;BYMONTHDAY=1', /cannot be used with FREQ=WEEKLY/],
    ['FREQ=DAILY;BYMONTHDAY=1', /need FREQ=WEEKLY, MONTHLY or YEARLY/],
    ['FREQ=MONTHLY;BYSETPOS=1', /BYSETPOS needs another BY part/],
    ['FREQ=YEARLY;BYWEEKNO=20', /BYWEEKNO is not supported/],
    ['FREQ=WEEKLY;DTSTART=20310101T090000Z', /DTSTART is not supported/],
    ['FREQ=WEEKLY;FREQ=DAILY', /given twice/],
    ['FREQ=WEEKLY;;BYDAY=MO', /is not NAME=VALUE/],
    ["FREQ=WEEKLY'; drop table courses; --", /is not NAME=VALUE/],
  ])('%j', (rule, message) => {
    const error = refusal(rule);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details?.field).toBe('body.rrule');
    expect(error.message).toMatch(message);
  });
});
