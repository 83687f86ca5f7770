import { createHash } from 'node:crypto';
import ICAL from 'ical.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildTestApp, createUser, mintAccessToken, testAuthSettings, testKeyring, type TestUser } from '../../../test/auth.js';
import { createEnrollmentWorld, type EnrollmentWorld } from '../../../test/world.js';
import { useTestApp } from '../../../test/test-app.js';
import { roles } from '../../platform/db/actor.js';

// The real application through inject on a real database: feeds are made, read signed out, parsed
// back with ical.js and compared with the rows; replaced and revoked tokens stop working. Sessions are
// placed relative to today, because a feed covers 30 days back to a year ahead of the day it is read.

const context = useTestApp();
let world: EnrollmentWorld;
let student: TestUser;
let studentToken: string;
const sessions: Record<string, string> = {};

const dayMs = 24 * 60 * 60 * 1000;
/** Today (UTC) plus `days`, as YYYY-MM-DD. Offsets stay days away from the window's edges, so a run at midnight is safe. */
const day = (days: number) => new Date(Date.now() + days * dayMs).toISOString().slice(0, 10);

async function insertSession(name: string, fields: { instructorId: string; locationId: string; days: number; start: string; end: string; status?: string }) {
  const { rows: [row] } = await context.db.query<{ id: string }>(
    `insert into training_sessions (title, course_id, instructor_id, location_id, provider_id, session_date, start_time, end_time,
                                    max_capacity, current_enrollment, status, cancelled_reason)
     values ($1, $2, $3, $4, $5, $6, $7, $8, 10, 1, $9, case when $9 = 'CANCELLED' then 'storm' end) returning id`,
    [name, world.courseId, fields.instructorId, fields.locationId, world.providerId, day(fields.days), fields.start, fields.end, fields.status ?? 'SCHEDULED'],
  );
  sessions[name] = row!.id;
}

async function enrollStudent(session: string, status: 'ENROLLED' | 'WAITLISTED' | 'CANCELLED') {
  await context.db.query(`insert into session_enrollments (session_id, student_id, status, waitlist_position) values ($1, $2, $3, $4)`, [
    sessions[session], student.id, status, status === 'WAITLISTED' ? 1 : null,
  ]);
}

beforeAll(async () => {
  world = await createEnrollmentWorld(context.db);
  student = await createUser(context.db, testKeyring, { role: 'IT', firstName: 'Tess', lastName: 'Trainee' });
  studentToken = await mintAccessToken(testKeyring, { userId: student.id, role: 'IT' });
  await context.db.query(
    `update locations set address_line1 = '1 Quay Street', city = 'Leith', postal_code = 'EH6 6QX', timezone = 'Europe/London' where id = $1`,
    [world.locationId],
  );
  await context.db.query(`update locations set name = 'Harbour annex', country = 'US', timezone = 'America/New_York' where id = $1`, [world.otherLocationId]);
  const [teacher, other] = [world.instructor.id, world.otherInstructor.id];
  const [london, newYork] = [world.locationId, world.otherLocationId];
  await insertSession('taught', { instructorId: teacher, locationId: london, days: 10, start: '09:00', end: '12:30' });
  await insertSession('taught, cancelled', { instructorId: teacher, locationId: london, days: 12, start: '14:00', end: '16:00', status: 'CANCELLED' });
  await insertSession('taught long ago', { instructorId: teacher, locationId: london, days: -40, start: '09:00', end: '10:00' });
  await insertSession('taught next year', { instructorId: teacher, locationId: london, days: 400, start: '09:00', end: '10:00' });
  await insertSession('enrolled', { instructorId: other, locationId: newYork, days: -10, start: '18:00', end: '20:00', status: 'COMPLETED' });
  await insertSession('waitlisted', { instructorId: other, locationId: london, days: 20, start: '08:15', end: '09:45' });
  await insertSession('enrollment cancelled', { instructorId: other, locationId: london, days: 5, start: '09:00', end: '10:00' });
  await insertSession('session cancelled', { instructorId: other, locationId: newYork, days: 30, start: '07:00', end: '08:00', status: 'CANCELLED' });
  await insertSession('enrolled long ago', { instructorId: other, locationId: london, days: -45, start: '09:00', end: '10:00' });
  await insertSession('someone else’s', { instructorId: other, locationId: london, days: 15, start: '09:00', end: '10:00' });
  await enrollStudent('enrolled', 'ENROLLED');
  await enrollStudent('waitlisted', 'WAITLISTED');
  await enrollStudent('enrollment cancelled', 'CANCELLED');
  await enrollStudent('session cancelled', 'CANCELLED');
  await enrollStudent('enrolled long ago', 'ENROLLED');
});

const issue = (token?: string) => context.app.inject({ method: 'POST', url: '/v1/me/calendar-feed', ...(token ? { headers: bearer(token) } : {}) });
const describeFeed = (token?: string) => context.app.inject({ method: 'GET', url: '/v1/me/calendar-feed', ...(token ? { headers: bearer(token) } : {}) });
const revoke = (token?: string) => context.app.inject({ method: 'DELETE', url: '/v1/me/calendar-feed', ...(token ? { headers: bearer(token) } : {}) });
const fetchFeed = (url: string, headers: Record<string, string> = {}) => context.app.inject({ method: 'GET', url: new URL(url).pathname, headers });

async function issuedUrl(token: string): Promise<string> {
  const response = await issue(token);
  expect(response.statusCode, response.body).toBe(201);
  return response.json().url;
}

interface ParsedEvent {
  uid: string;
  summary: string;
  location: string;
  status: string;
  sequence: number;
  tzid: string;
  start: string;
  end: string;
  startsAt: string;
  endsAt: string;
}

/** The feed parsed back with ical.js, its VTIMEZONEs registered, so that local times resolve to instants. */
function parseFeed(text: string): ParsedEvent[] {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const zone of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(zone);
  return calendar.getAllSubcomponents('vevent').map((vevent) => {
    const event = new ICAL.Event(vevent);
    return {
      uid: event.uid,
      summary: event.summary,
      location: event.location,
      status: String(vevent.getFirstPropertyValue('status')),
      sequence: event.sequence,
      tzid: String(vevent.getFirstProperty('dtstart')?.getParameter('tzid')),
      start: event.startDate.toString(),
      end: event.endDate.toString(),
      startsAt: event.startDate.toJSDate().toISOString(),
      endsAt: event.endDate.toJSDate().toISOString(),
    };
  });
}

/** The events a feed must hold for `names`, from the database rows. */
async function expectedEvents(names: string[], statuses: Record<string, string>): Promise<ParsedEvent[]> {
  const { rows } = await context.db.query<{
    id: string; title: string; code: string; location: string; timezone: string; version: number;
    session_date: string; start_time: string; end_time: string; starts_at: Date; ends_at: Date;
  }>(
    `select s.id, s.title, c.code, s.version, l.timezone, s.session_date, s.start_time::text, s.end_time::text,
            concat_ws(', ', l.name, l.address_line1, l.address_line2, nullif(concat_ws(' ', l.postal_code, l.city), ''), l.region, l.country) as location,
            (s.session_date + s.start_time) at time zone l.timezone as starts_at,
            (s.session_date + s.end_time) at time zone l.timezone as ends_at
       from training_sessions s join courses c on c.id = s.course_id join locations l on l.id = s.location_id
      where s.id = any($1::uuid[])
      order by s.session_date, s.start_time`,
    [names.map((name) => sessions[name])],
  );
  return rows.map((row) => {
    const name = Object.keys(sessions).find((key) => sessions[key] === row.id) as string;
    return {
      uid: row.id,
      summary: `${row.code}: ${row.title}`,
      location: row.location,
      status: statuses[name] ?? 'CONFIRMED',
      sequence: row.version,
      tzid: row.timezone,
      start: `${row.session_date}T${row.start_time}`,
      end: `${row.session_date}T${row.end_time}`,
      startsAt: row.starts_at.toISOString(),
      endsAt: row.ends_at.toISOString(),
    };
  });
}

describe('private iCal feeds', () => {
  it('gives a student their enrolled and waitlisted sessions of the window, and their cancelled sessions as CANCELLED', async () => {
    const url = await issuedUrl(studentToken);
    expect(url).toMatch(/^http:\/\/localhost(:\d+)?\/v1\/calendar\/feeds\/[A-Za-z0-9_-]{43}\.ics$/);
    const response = await fetchFeed(url);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('text/calendar; charset=utf-8');
    expect(response.headers['cache-control']).toBe('private, max-age=300');
    expect(parseFeed(response.body)).toEqual(
      await expectedEvents(['enrolled', 'waitlisted', 'session cancelled'], { waitlisted: 'TENTATIVE', 'session cancelled': 'CANCELLED' }),
    );
  });

  it('hands out the feed URL under PUBLIC_URL when it is configured (behind a TLS terminator the request says http)', async () => {
    const behindProxy = await buildTestApp(context.db, { publicUrl: 'https://training.example.org/unitrain' });
    try {
      const response = await behindProxy.inject({ method: 'POST', url: '/v1/me/calendar-feed', headers: bearer(studentToken) });
      expect(response.statusCode, response.body).toBe(201);
      const url = response.json().url as string;
      expect(url).toMatch(/^https:\/\/training\.example\.org\/unitrain\/v1\/calendar\/feeds\/[A-Za-z0-9_-]{43}\.ics$/);
      expect((await fetchFeed(url.replace('/unitrain', ''))).statusCode).toBe(200);
    } finally {
      await behindProxy.close();
    }
  });

  it('names the instructor only by their instructor profile’s display name, never by their personal profile', async () => {
    const url = await issuedUrl(studentToken);
    const { rows: [personal] } = await context.db.query<{ first_name: string; last_name: string }>(
      'select first_name, last_name from profiles where user_id = $1', [world.otherInstructor.id],
    );
    // Long lines are folded (RFC 5545 3.1): unfold before searching.
    const feedText = async () => (await fetchFeed(url)).body.replaceAll(/\r\n[ \t]/g, '');
    const withoutProfile = await feedText();
    expect(withoutProfile).not.toContain('Instructor:');
    expect(withoutProfile).not.toContain(`${personal!.first_name} ${personal!.last_name}`);
    await context.db.query(`insert into instructor_profiles (user_id, display_name) values ($1, 'Coach Otto')`, [world.otherInstructor.id]);
    try {
      expect(await feedText()).toContain('Instructor: Coach Otto');
    } finally {
      await context.db.query('delete from instructor_profiles where user_id = $1', [world.otherInstructor.id]);
    }
  });

  it('gives an instructor the sessions they teach in the window, each in its location’s zone with its VTIMEZONE', async () => {
    const response = await fetchFeed(await issuedUrl(world.tokens.instructor));
    const events = parseFeed(response.body);
    expect(events).toEqual(await expectedEvents(['taught', 'taught, cancelled'], { 'taught, cancelled': 'CANCELLED' }));
    expect(events[0]).toMatchObject({ tzid: 'Europe/London', start: `${day(10)}T09:00:00` });
    expect(response.body).toMatch(/BEGIN:VTIMEZONE\r\nTZID:Europe\/London\r\n/);
    expect(response.body).toContain(`DTSTART;TZID=Europe/London:${day(10).replaceAll('-', '')}T090000`);
  });

  it('keeps the token secret: only its SHA-256 is stored, and the description never shows it', async () => {
    const url = await issuedUrl(studentToken);
    const token = /feeds\/([^.]+)\.ics$/.exec(url)?.[1] as string;
    const { rows } = await context.db.query<{ token_hash: string }>('select token_hash from calendar_feeds where user_id = $1', [student.id]);
    expect(rows).toEqual([{ token_hash: createHash('sha256').update(token).digest('hex') }]);
    const { rows: leaks } = await context.db.query(
      `select 1 from domain_events where payload::text like '%' || $1 || '%' union all select 1 from audit_log where new_values::text like '%' || $1 || '%'`,
      [token],
    );
    expect(leaks).toEqual([]);
    const described = await describeFeed(studentToken);
    expect(described.statusCode).toBe(200);
    expect(described.json()).toEqual({ exists: true, created_at: expect.any(String) });
    expect(described.body).not.toContain(token);
  });

  it('answers 404 for a replaced token, and serves the new one', async () => {
    const first = await issuedUrl(studentToken);
    const second = await issuedUrl(studentToken);
    expect(second).not.toBe(first);
    const old = await fetchFeed(first);
    expect(old.statusCode).toBe(404);
    expect(old.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no such calendar feed', details: {} } });
    expect((await fetchFeed(second)).statusCode).toBe(200);
    const { rows } = await context.db.query<{ event_type: string }>(
      `select event_type from domain_events where aggregate_type = 'calendar_feed' and payload->>'user_id' = $1 order by seq`,
      [student.id],
    );
    expect(rows.map((row) => row.event_type).slice(-2)).toEqual(['calendar_feed.replaced', 'calendar_feed.replaced']);
  });

  it('answers 404 once revoked; revoking again is 404 too', async () => {
    const url = await issuedUrl(studentToken);
    const revoked = await revoke(studentToken);
    expect(revoked.statusCode).toBe(204);
    expect(revoked.body).toBe('');
    expect((await fetchFeed(url)).statusCode).toBe(404);
    expect((await describeFeed(studentToken)).json()).toEqual({ exists: false, created_at: null });
    const again = await revoke(studentToken);
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe('NOT_FOUND');
    const { rows } = await context.db.query('select 1 from calendar_feeds where user_id = $1', [student.id]);
    expect(rows).toEqual([]);
  });

  it('answers 404 for the feed of an account that is no longer active, and serves it again once reactivated', async () => {
    const leaver = await createUser(context.db, testKeyring, { role: 'IN' });
    const url = await issuedUrl(await mintAccessToken(testKeyring, { userId: leaver.id, role: 'IN' }));
    expect((await fetchFeed(url)).statusCode).toBe(200);
    await context.db.query(`update users set status = 'INACTIVE' where id = $1`, [leaver.id]);
    expect((await fetchFeed(url)).statusCode).toBe(404);
    await context.db.query(`update users set status = 'ACTIVE' where id = $1`, [leaver.id]);
    expect((await fetchFeed(url)).statusCode).toBe(200);
  });

  it.each([
    ['an unknown token', `/v1/calendar/feeds/${'A'.repeat(43)}.ics`],
    ['a token too short', '/v1/calendar/feeds/abc.ics'],
    ['a token with other characters', `/v1/calendar/feeds/${'%27'.repeat(20)}abc.ics`],
    ['a token of the right length with a dot', `/v1/calendar/feeds/${'a'.repeat(21)}.${'b'.repeat(21)}.ics`],
  ])('answers 404 in the API’s error shape for %s', async (_case, path) => {
    const response = await context.app.inject({ method: 'GET', url: path });
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toMatchObject({ code: 'NOT_FOUND', message: 'no such calendar feed' });
  });

  it('serves the owner’s sessions whoever fetches the URL, signed in as anyone or not', async () => {
    const url = await issuedUrl(world.tokens.instructor);
    const signedOut = (await fetchFeed(url)).body;
    const asOther = (await fetchFeed(url, bearer(studentToken))).body;
    const strip = (text: string) => text.replace(/DTSTAMP:\S+/g, '');
    expect(strip(asOther)).toBe(strip(signedOut));
    expect(parseFeed(asOther).map((event) => event.uid)).toEqual([sessions['taught'], sessions['taught, cancelled']]);
  });

  it('is rate limited as a public route', async () => {
    const url = await issuedUrl(world.tokens.instructor);
    const limited = await buildTestApp(context.db, { auth: { ...testAuthSettings, publicRateLimitPerMinute: 2 } });
    try {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 3; attempt += 1) statuses.push((await limited.inject({ method: 'GET', url: new URL(url).pathname })).statusCode);
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await limited.close();
    }
  });
});

describe('the feed endpoints under each role', () => {
  it.each(roles)('%s makes, reads, replaces and revokes only their own feed', async (role) => {
    const [me, neighbour] = [await createUser(context.db, testKeyring, { role }), await createUser(context.db, testKeyring, { role })];
    const [myToken, neighbourToken] = [
      await mintAccessToken(testKeyring, { userId: me.id, role }),
      await mintAccessToken(testKeyring, { userId: neighbour.id, role }),
    ];
    expect((await describeFeed(myToken)).json()).toEqual({ exists: false, created_at: null });
    const mine = await issuedUrl(myToken);
    const theirs = await issuedUrl(neighbourToken);
    expect((await fetchFeed(mine)).statusCode).toBe(200);
    expect((await describeFeed(myToken)).json()).toMatchObject({ exists: true });
    expect((await revoke(myToken)).statusCode).toBe(204);
    // Revoking mine leaves my neighbour's alone: each person reaches only their own row.
    expect((await fetchFeed(theirs)).statusCode).toBe(200);
    expect((await describeFeed(neighbourToken)).json()).toMatchObject({ exists: true });
    const { rows } = await context.db.query<{ user_id: string }>('select user_id from calendar_feeds where user_id = any($1::uuid[])', [[me.id, neighbour.id]]);
    expect(rows).toEqual([{ user_id: neighbour.id }]);
  });

  it('answers 401 signed out on the endpoints about your own feed', async () => {
    for (const response of [await issue(), await describeFeed(), await revoke()]) {
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('UNAUTHENTICATED');
    }
  });
});
