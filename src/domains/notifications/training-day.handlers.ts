import type { MailSettings } from '../../config.js';
import type { Tx } from '../../platform/db/database.js';
import { type EventSubscriber, eventOf, type JobHandler } from '../../platform/jobs/index.js';
import { DecryptionError, type FieldCipher } from '../../platform/security/field-cipher.js';
import type { Logger } from '../../platform/shared/logger.js';
import { renderFeed, selectSessionEntryFor } from '../calendar/index.js';
import { createMailTransport, MailRecipientRefused, type MailTransport, type NotificationMail } from './mail-transport.js';
import { insertNotifications, unnotifiedRecipients } from './notifications.repository.js';
import { fillTemplate, type TemplateKind } from './templates.js';
import { pickTemplate } from './templates.repository.js';
import { appendDueReminders, selectSessionFacts, selectSessionStudents, type SessionFacts } from './training-day.repository.js';

export interface NotificationSenderDeps {
  cipher: FieldCipher;
  mail: MailSettings;
  logger: Logger;
}

/** The locale notifications are written in until people have one of their own; templates fall back to it. */
const defaultLocale = 'en';
const day = 86_400_000;

/** The day in words, in the session's own calendar (the date is the location's, so no zone moves it). */
function dateInWords(date: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' }).format(new Date(`${date}T12:00:00Z`));
}

/** An instant as the wall clock of the location's zone, e.g. a deadline. */
function instantInWords(instant: string, zone: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, {
    weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone,
  }).format(new Date(instant));
}

const placeOf = (facts: SessionFacts) => [facts.room, facts.location, facts.address].filter(Boolean).join(', ');

/** The placeholders every kind fills (templates.ts lists them). */
function sessionValues(facts: SessionFacts, locale: string): Record<string, string> {
  return {
    session_title: facts.session_title, course_title: facts.course_title ?? facts.session_title,
    date: dateInWords(facts.session_date, locale), start_time: facts.start_time, end_time: facts.end_time, time_zone: facts.time_zone,
    location: facts.location, room: facts.room ?? '', address: facts.address, place: placeOf(facts),
  };
}

interface Notice {
  kind: TemplateKind;
  sessionId: string;
  studentIds: readonly string[];
  /** The session as the event describes it, when it may have changed since. */
  facts?: SessionFacts;
  /** What the kind adds to the session's placeholders, given the session's facts. */
  values?: (facts: SessionFacts) => Record<string, string>;
  /** Attach the session as an iCalendar entry. */
  withCalendar?: boolean;
}

/**
 * Writes and mails the notice to each of its students with an account not yet notified of the event.
 * The mails go first, while the job's transaction has only read (a transaction id held through a slow
 * mail server would hold every realtime stream back); then the rows and the job's completion commit
 * together. A failed send throws, nothing is stored and the job retries. A mail can therefore go out
 * twice (sent, then the commit fails, or a later recipient fails); each copy is the same message, with
 * a Message-ID (and an outbox file name) made of the event and the person, and the event's time as its
 * date (decision 0020).
 */
async function notify(tx: Tx, deps: NotificationSenderDeps, transport: MailTransport, event: { seq: string; occurred_at: string }, notice: Notice): Promise<void> {
  if (notice.studentIds.length === 0) return;
  const facts = notice.facts ?? (await selectSessionFacts(tx, notice.sessionId));
  if (!facts) return;
  const due = await unnotifiedRecipients(tx, event.seq, notice.studentIds);
  if (due.length === 0) return;
  const template = await pickTemplate(tx, notice.kind, facts.provider_id, defaultLocale);
  const values = { ...sessionValues(facts, defaultLocale), ...notice.values?.(facts) };
  const title = fillTemplate(template.subject, values);
  const body = fillTemplate(template.body, values);
  const date = new Date(event.occurred_at);
  for (const person of due) {
    let to: string;
    try {
      to = deps.cipher.decrypt(person.email_ciphertext);
    } catch (error) {
      // Retrying cannot make an address readable: the notification stays in the inbox, unmailed.
      if (!(error instanceof DecryptionError)) throw error;
      deps.logger.warn({ user: person.user_id }, 'no readable e-mail address; notification not mailed');
      continue;
    }
    const mail: NotificationMail = { key: `${event.seq}-${person.user_id}`, to, subject: title, text: body, date };
    if (notice.withCalendar) {
      const entry = await selectSessionEntryFor(tx, notice.sessionId, person.user_id);
      if (entry) {
        const ics = renderFeed([entry], { from: new Date(entry.starts_at.getTime() - day), to: new Date(entry.ends_at.getTime() + day) }, date);
        mail.attachments = [{ filename: 'session.ics', content: Buffer.from(ics), contentType: 'text/calendar; charset=utf-8' }];
      }
    }
    try {
      await transport.send(mail);
    } catch (error) {
      // Nor can a server that refuses the address for good; one bad address must not hold back the others.
      if (!(error instanceof MailRecipientRefused)) throw error;
      deps.logger.warn({ user: person.user_id, err: error }, 'e-mail address refused; notification not mailed');
    }
  }
  await insertNotifications(tx, { seq: event.seq, kind: notice.kind, sessionId: notice.sessionId }, due.map((person) => ({ user_id: person.user_id, title, body })));
}

// Retry delays double from 1 s up to 1 h, half of each at random: 15 attempts outlast a mail server down
// for 1.5 to 3 hours before the job is DEAD (then an administrator retries it).
const maxAttempts = 15;

interface EnrollmentEvent {
  session_id: string;
  student_id: string | null;
  waitlist_position: number | null;
  offer_expires_at: string | null;
}

interface SessionPlace {
  session_date: string;
  start_time: string;
  end_time: string;
  location_id: string;
  room_id: string | null;
}

/** A change of any of these is a change of time or place, which the students hear of. */
const timeOrPlace = ['session_date', 'start_time', 'end_time', 'location_id', 'room_id'];

export const queueRemindersName = 'notifications.queue-reminders';

/**
 * The events each training-day notice is sent for, apart from what sending needs (trainingDayHandlers):
 * read by the relay through the handlers, and by `unitrain doctor` without building them.
 */
export const trainingDaySubscribers = {
  enrollment: {
    name: 'notifications.enrollment',
    eventTypes: ['enrollment.enrolled', 'enrollment.waitlisted', 'enrollment.promoted', 'enrollment.offered'],
    // A student without an account (a profile enrolled by staff) has no inbox and no address: no job.
    onlyWithField: 'student_id',
    maxAttempts,
  },
  sessionCancelled: { name: 'notifications.session-cancelled', eventTypes: ['session.cancelled'], maxAttempts },
  sessionChanged: { name: 'notifications.session-changed', eventTypes: ['session.changed'], maxAttempts },
  sessionReminder: { name: 'notifications.session-reminder', eventTypes: ['session.reminder_due'], maxAttempts },
} as const satisfies Record<string, EventSubscriber>;

/**
 * The training-day notifications, each from its template (provider override, then global): booking
 * confirmation, waitlist place, promotion and offer (from the enrollment events), a session changed in
 * time or place, cancelled, and the reminder the day before with the session as an iCalendar
 * attachment. `queueReminders` is the scheduled job that makes the reminders due.
 */
export function trainingDayHandlers(deps: NotificationSenderDeps & { now: () => Date }): JobHandler[] {
  const transport = createMailTransport(deps.mail);
  return [
    {
      ...trainingDaySubscribers.enrollment,
      async run(tx, job) {
        const event = eventOf<EnrollmentEvent>(job);
        const { session_id: sessionId, student_id: student, waitlist_position: position, offer_expires_at: deadline } = event.data;
        // Queued before onlyWithField, or by a relay of an older process.
        if (student === null) return;
        await notify(tx, deps, transport, event, {
          kind: event.event_type as TemplateKind, sessionId, studentIds: [student],
          values: (facts) => ({
            waitlist_position: position === null ? '' : String(position),
            offer_expires_at: deadline === null ? '' : instantInWords(deadline, facts.time_zone, defaultLocale),
          }),
        });
      },
    },
    {
      ...trainingDaySubscribers.sessionCancelled,
      async run(tx, job) {
        const event = eventOf<{ reason: string | null; affected: { student_id: string | null }[] }>(job);
        const studentIds = event.data.affected.flatMap((affected) => (affected.student_id ? [affected.student_id] : []));
        await notify(tx, deps, transport, event, {
          kind: 'session.cancelled', sessionId: event.aggregate_id, studentIds, values: () => ({ reason: event.data.reason ?? '—' }),
        });
      },
    },
    {
      ...trainingDaySubscribers.sessionChanged,
      async run(tx, job) {
        const event = eventOf<{ changed: string[]; previous: SessionPlace; current: SessionPlace }>(job);
        if (!event.data.changed.some((field) => timeOrPlace.includes(field))) return;
        const [now, before] = [await selectSessionFacts(tx, event.aggregate_id, event.data.current), await selectSessionFacts(tx, event.aggregate_id, event.data.previous)];
        if (!now || !before) return;
        await notify(tx, deps, transport, event, {
          kind: 'session.changed', sessionId: event.aggregate_id, studentIds: await selectSessionStudents(tx, event.aggregate_id, true), facts: now,
          values: () => ({
            previous_date: dateInWords(before.session_date, defaultLocale), previous_start_time: before.start_time, previous_end_time: before.end_time,
            previous_time_zone: before.time_zone, previous_place: placeOf(before),
          }),
        });
      },
    },
    {
      ...trainingDaySubscribers.sessionReminder,
      async run(tx, job) {
        const event = eventOf<{ session_date: string }>(job);
        const facts = await selectSessionFacts(tx, event.aggregate_id);
        // Moved to another day meanwhile: that day's reminder is its own event.
        if (!facts || facts.session_date !== event.data.session_date) return;
        await notify(tx, deps, transport, event, {
          kind: 'session.reminder', sessionId: event.aggregate_id, studentIds: await selectSessionStudents(tx, event.aggregate_id, false), facts, withCalendar: true,
        });
      },
    },
    {
      // Queued by the scheduler (hourly by default); a run after downtime still finds today's sessions not yet begun.
      name: queueRemindersName,
      eventTypes: [],
      async run(tx) {
        await appendDueReminders(tx, deps.now());
      },
    },
  ];
}
