import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { vtimezoneOf } from './calendar.timezones.js';

// No database: the VTIMEZONE text is parsed back with ical.js, a client library that knows no zones
// of its own, and the wall clock it computes from it is compared with the IANA rules Node holds.

const window = { from: new Date('2026-10-01T00:00:00Z'), to: new Date('2027-12-01T00:00:00Z') };

function parsedZone(zone: string): ICAL.Timezone {
  const text = vtimezoneOf(zone, window);
  if (text === null) throw new Error(`no VTIMEZONE for ${zone}`);
  return new ICAL.Timezone(new ICAL.Component(ICAL.parse(`BEGIN:VCALENDAR\r\n${text}\r\nEND:VCALENDAR`)).getFirstSubcomponent('vtimezone') as ICAL.Component);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall clock of `instant` in `zone`, as Intl computes it: YYYY-MM-DDTHH:MM:SS. */
function intlWallClock(zone: string, instant: Date): string {
  let formatter = formatters.get(zone);
  if (!formatter) {
    const twoDigits = '2-digit' as const;
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: twoDigits, day: twoDigits, hour: twoDigits, minute: twoDigits, second: twoDigits,
    });
    formatters.set(zone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(instant).map((part) => [part.type, part.value]));
  return `${parts['year']}-${parts['month']}-${parts['day']}T${parts['hour']}:${parts['minute']}:${parts['second']}`;
}

describe('vtimezoneOf', () => {
  it('names each change of Europe/London in the window, at its local time under the offset before it', () => {
    const text = vtimezoneOf('Europe/London', window) as string;
    expect(text.split('\r\n')).toEqual([
      'BEGIN:VTIMEZONE', 'TZID:Europe/London',
      'BEGIN:DAYLIGHT', 'DTSTART:19700101T000000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0100', 'END:DAYLIGHT',
      'BEGIN:STANDARD', 'DTSTART:20261025T020000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0000', 'END:STANDARD',
      'BEGIN:DAYLIGHT', 'DTSTART:20270328T010000', 'TZOFFSETFROM:+0000', 'TZOFFSETTO:+0100', 'END:DAYLIGHT',
      'BEGIN:STANDARD', 'DTSTART:20271031T020000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0000', 'END:STANDARD',
      'END:VTIMEZONE',
    ]);
  });

  it('describes a zone without changes by one observance, and an unknown zone not at all', () => {
    expect(vtimezoneOf('Asia/Kolkata', window)?.split('\r\n')).toEqual([
      'BEGIN:VTIMEZONE', 'TZID:Asia/Kolkata', 'BEGIN:STANDARD', 'DTSTART:19700101T000000', 'TZOFFSETFROM:+0530', 'TZOFFSETTO:+0530', 'END:STANDARD', 'END:VTIMEZONE',
    ]);
    expect(vtimezoneOf('Atlantis/Capital', window)).toBeNull();
  });

  it.each(['Europe/London', 'America/New_York', 'America/St_Johns', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Asia/Kolkata', 'UTC'])(
    '%s: ical.js reads the wall clock of every hour of the window back to its instant',
    (zone) => {
      const parsed = parsedZone(zone);
      const hour = 60 * 60 * 1000;
      const mismatches: string[] = [];
      for (let instant = window.from.getTime(); instant < window.to.getTime(); instant += hour) {
        const wallClock = intlWallClock(zone, new Date(instant));
        // A wall clock the fall-back shows twice names two instants; a feed's local time cannot tell them apart either.
        const repeated = [-hour, -hour / 2, hour / 2, hour].some((shift) => intlWallClock(zone, new Date(instant + shift)) === wallClock);
        if (repeated) continue;
        const [date, time] = wallClock.split('T') as [string, string];
        const [year, month, day] = date.split('-').map(Number);
        const [hours, minutes, seconds] = time.split(':').map(Number);
        const local = new ICAL.Time({ year, month, day, hour: hours, minute: minutes, second: seconds, isDate: false }, parsed);
        const read = local.toJSDate().getTime();
        if (read !== instant) mismatches.push(`${wallClock} ${zone}: read as ${new Date(read).toISOString()}, is ${new Date(instant).toISOString()}`);
      }
      expect(mismatches).toEqual([]);
    },
  );
});
