import { randomUUID } from 'node:crypto';
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/auth.js';
import { createEnrollmentWorld, createSession, createStudentsWithEmails, type EnrollmentWorld, studentToken } from '../../../test/world.js';
import { type MailWorker, startMailWorker } from '../../../test/mail-worker.js';
import { mailParts, type ReadMail } from '../../../test/smtp-test-server.js';
import { useTestApp } from '../../../test/test-app.js';
import { insertJob } from '../../platform/jobs/index.js';
import { queueRemindersName } from './training-day.handlers.js';

// The real API appends the events; the real worker relays them and runs the handlers, which write
// each mail into an outbox directory (.eml, as without SMTP); the mails are read back from there.
// The reminder job reads a clock the test sets.
let clock = new Date();
const context = useTestApp();
let world: EnrollmentWorld;
let mailer: MailWorker;

beforeAll(async () => {
  world = await createEnrollmentWorld(context.db);
  // A place with a zone of its own, an address and a room.
  await context.db.query(
    "update locations set name = 'Nordhalle', timezone = 'Europe/Berlin', address_line1 = 'Hauptstraße 1', postal_code = '10115', city = 'Berlin', country = 'DE' where id = $1",
    [world.locationId],
  );
  mailer = await startMailWorker(context.db, { now: () => clock });
});
afterAll(async () => {
  await mailer?.remove();
});

const call = (token: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  context.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

/** A student with an address of their own, and their token. */
async function student(name: string): Promise<{ id: string; email: string; token: string }> {
  const email = `${name}.${randomUUID().slice(0, 8)}@example.test`;
  const [id] = await createStudentsWithEmails(context.db, [email]);
  return { id: id!, email, token: await studentToken(id!) };
}

/** Runs the worker dry and returns the mails to `email` so far, oldest event first. */
async function mailsTo(email: string): Promise<ReadMail[]> {
  await mailer.worker.drain();
  const all = await mailer.mailsStartingWith('');
  return all.filter((mail) => mail.headers['to'] === email).sort((a, b) => Number(a.headers['message-id']!.slice(1).split('-')[0]) - Number(b.headers['message-id']!.slice(1).split('-')[0]));
}

async function sessionDay(sessionId: string): Promise<string> {
  const { rows: [session] } = await context.db.query<{ day: string }>('select session_date::text as day from training_sessions where id = $1', [sessionId]);
  return session!.day;
}

const inWords = (day: string) => new Intl.DateTimeFormat('en', { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' }).format(new Date(`${day}T12:00:00Z`));

describe('training-day notifications', () => {
  it('confirms a booking, then a waitlist place, an offer with its deadline and the promotion, with the place and the zone', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 1 });
    await call(world.tokens.ap, 'PUT', `/v1/sessions/${sessionId}/waitlist-offers`, { offer_hours: 24 });
    const [first, second] = [await student('first'), await student('second')];
    const seated = (await call(first.token, 'POST', `/v1/sessions/${sessionId}/enrollments`, {})).json();
    const waiting = (await call(second.token, 'POST', `/v1/sessions/${sessionId}/enrollments`, {})).json();
    const when = `${inWords(await sessionDay(sessionId))}, 09:00–12:00 (Europe/Berlin)`;
    const where = 'Nordhalle, Hauptstraße 1, 10115 Berlin, DE';

    const [booked] = await mailsTo(first.email);
    expect(booked!.headers['subject']).toBe(`Booked: Session on ${inWords(await sessionDay(sessionId))}`);
    expect(booked!.text).toBe(`You are booked on "Session" (First aid).\n\nWhen: ${when}\nWhere: ${where}`);
    const [waitlisted] = await mailsTo(second.email);
    expect(waitlisted!.text).toContain('You are number 1 on the waitlist');

    await call(first.token, 'POST', `/v1/enrollments/${seated.id}/cancel`);
    const { rows: [offer] } = await context.db.query<{ deadline: string }>(
      "select to_char(offer_expires_at at time zone 'Europe/Berlin', 'HH24:MI') as deadline from session_enrollments where id = $1", [waiting.id]);
    const offered = (await mailsTo(second.email))[1]!;
    expect(offered.headers['subject']).toMatch(/^A seat is offered to you: Session on /);
    expect(offered.text).toContain(` ${offer!.deadline} (Europe/Berlin); after that it goes to the next in line.`);
    expect(offered.text).toContain(`Where: ${where}`);

    expect((await call(second.token, 'POST', `/v1/enrollments/${waiting.id}/offer/accept`)).statusCode).toBe(200);
    const promoted = (await mailsTo(second.email))[2]!;
    expect(promoted.text).toBe(`A seat became free and it is yours: you are booked on "Session" (First aid).\n\nWhen: ${when}\nWhere: ${where}`);
    // Each notification is also in the inbox, once.
    const inbox = (await call(second.token, 'GET', '/v1/notifications')).json().items as { title: string }[];
    expect(inbox.map((item) => item.title)).toEqual([promoted, offered, (await mailsTo(second.email))[0]!].map((mail) => mail.headers['subject']));
  });

  it('writes from a provider’s override, refuses unknown placeholders by name, and lets an AP write only its providers’ texts', async () => {
    const override = { kind: 'enrollment.enrolled', provider_id: world.providerId, subject: 'See you on {{date}}', body: 'Come to {{place}} at {{start_time}} ({{time_zone}}).' };
    const typo = await call(world.tokens.ap, 'PUT', '/v1/notification-templates', { ...override, body: 'Come on {{dat}}.' });
    expect(typo.statusCode).toBe(422);
    expect(typo.json().error).toMatchObject({ code: 'INVALID_TEMPLATE', details: { field: 'body.body', placeholder: 'dat' } });
    expect((await call(world.tokens.ap, 'PUT', '/v1/notification-templates', { ...override, provider_id: null })).statusCode).toBe(403);
    expect((await call(world.tokens.trainee, 'GET', '/v1/notification-templates')).statusCode).toBe(403);
    const written = await call(world.tokens.ap, 'PUT', '/v1/notification-templates', override);
    expect(written.statusCode, written.body).toBe(200);
    const stale = await call(world.tokens.ap, 'PUT', '/v1/notification-templates', { ...override, version: written.json().version + 1 });
    expect(stale.json().error.code).toBe('VERSION_CONFLICT');
    const listed = (await call(world.tokens.ap, 'GET', '/v1/notification-templates')).json();
    expect(listed.items.filter((item: { provider_id: string | null }) => item.provider_id === world.providerId)).toHaveLength(1);
    expect(listed.placeholders['enrollment.offered']).toContain('offer_expires_at');

    const sessionId = await createSession(context.db, world, { capacity: 5 });
    const person = await student('override');
    await call(person.token, 'POST', `/v1/sessions/${sessionId}/enrollments`, {});
    const [mail] = await mailsTo(person.email);
    expect(mail!.headers['subject']).toBe(`See you on ${inWords(await sessionDay(sessionId))}`);
    expect(mail!.text).toBe('Come to Nordhalle, Hauptstraße 1, 10115 Berlin, DE at 09:00 (Europe/Berlin).');

    expect((await call(world.tokens.ap, 'DELETE', `/v1/notification-templates/${written.json().id}`)).statusCode).toBe(200);
    const { rows: [global] } = await context.db.query<{ id: string }>("select id from notification_templates where kind = 'enrollment.enrolled' and provider_id is null and locale = 'en'");
    expect((await call(world.tokens.sa, 'DELETE', `/v1/notification-templates/${global!.id}`)).statusCode).toBe(404);
  });

  it('tells enrolled and waitlisted students of a new time or place, with before and after', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 1 });
    const [seated, waiting] = [await student('moved'), await student('movedwait')];
    for (const person of [seated, waiting]) await call(person.token, 'POST', `/v1/sessions/${sessionId}/enrollments`, {});
    const { rows: [session] } = await context.db.query<{ version: number }>('select version from training_sessions where id = $1', [sessionId]);
    const changed = await call(world.tokens.ap, 'PATCH', `/v1/sessions/${sessionId}`, { start_time: '13:00', end_time: '16:00', version: session!.version });
    expect(changed.statusCode, changed.body).toBe(200);
    const day = inWords(await sessionDay(sessionId));
    for (const person of [seated, waiting]) {
      const mail = (await mailsTo(person.email)).at(-1)!;
      expect(mail.headers['subject']).toBe(`Changed: Session on ${day}`);
      expect(mail.text).toContain(`Now: ${day}, 13:00–16:00 (Europe/Berlin) at Nordhalle`);
      expect(mail.text).toContain(`Before: ${day}, 09:00–12:00 (Europe/Berlin) at Nordhalle`);
    }
  });

  it('reminds the seated students the day before, once, with the session as an iCalendar entry in the location’s zone', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 5 });
    const person = await student('reminded');
    await call(person.token, 'POST', `/v1/sessions/${sessionId}/enrollments`, {});
    const day = await sessionDay(sessionId);
    const remind = async () => {
      await context.db.transaction((tx) => insertJob(tx, { handler: queueRemindersName }));
      return mailsTo(person.email);
    };
    // Two days before: nothing yet.
    clock = new Date(`${day}T06:00:00Z`);
    clock.setUTCDate(clock.getUTCDate() - 2);
    expect(await remind()).toHaveLength(1);
    clock = new Date(clock.getTime() + 86_400_000);
    const reminded = await remind();
    expect(reminded).toHaveLength(2);
    // A later run (or one after downtime, on the day) sends nothing more.
    clock = new Date(`${day}T06:00:00Z`);
    expect(await remind()).toHaveLength(2);

    const mail = reminded[1]!;
    expect(mail.headers['subject']).toBe('Tomorrow: Session at 09:00');
    const [text, attachment] = mailParts(mail.raw);
    expect(text!.content.toString()).toContain(`When: ${inWords(day)}, 09:00–12:00 (Europe/Berlin)`);
    expect(attachment!.headers['content-type']).toMatch(/^text\/calendar/);
    const event = new ICAL.Event(new ICAL.Component(ICAL.parse(attachment!.content.toString())).getFirstSubcomponent('vevent')!);
    expect(event.uid).toBe(sessionId);
    expect(event.startDate.toString()).toBe(`${day}T09:00:00`);
    expect(event.component.getFirstProperty('dtstart')!.getParameter('tzid')).toBe('Europe/Berlin');
    expect(event.location).toContain('Nordhalle');
  });

  it('names the place and the zone when a session is cancelled', async () => {
    const sessionId = await createSession(context.db, world, { capacity: 5 });
    const person = await student('cancelled');
    await call(person.token, 'POST', `/v1/sessions/${sessionId}/enrollments`, {});
    const { rows: [session] } = await context.db.query<{ version: number }>('select version from training_sessions where id = $1', [sessionId]);
    await call(world.tokens.ap, 'POST', `/v1/sessions/${sessionId}/cancel`, { reason: 'Trainer ill', version: session!.version });
    const mail = (await mailsTo(person.email)).at(-1)!;
    expect(mail.text).toBe(`"Session" (First aid) on ${inWords(await sessionDay(sessionId))} at 09:00 (Europe/Berlin) at Nordhalle, Hauptstraße 1, 10115 Berlin, DE has been cancelled.\nReason: Trainer ill`);
  });
});
