import type { MailSettings } from '../../config.js';
import { DecryptionError, type FieldCipher } from '../../platform/security/field-cipher.js';
import type { Logger } from '../../platform/shared/logger.js';
import { eventOf, type JobHandler } from '../../platform/jobs/index.js';
import { dueSessionCancelledNotifications, insertSessionCancelledNotifications } from './notifications.repository.js';
import { createMailTransport, MailRecipientRefused } from './mail-transport.js';

interface SessionCancelled {
  reason: string | null;
  affected: { student_id: string | null }[];
}

export interface NotificationSenderDeps {
  cipher: FieldCipher;
  mail: MailSettings;
  logger: Logger;
}

/**
 * `session.cancelled` → a notification for each affected student with an account, and its e-mail. The
 * mail is sent first, while the job's transaction has only read (a transaction id held through a slow
 * mail server would hold every realtime stream back); then the rows and the job's completion commit
 * together. A failed send throws, nothing is stored and the job retries. A mail can therefore go out twice (sent, then the
 * commit fails, or a later recipient fails); each copy is the same message, with a Message-ID (and an
 * outbox file name) made of the event and the person, and the event's time as its date (decision 0020).
 */
export function notifyOnSessionCancelled(deps: NotificationSenderDeps): JobHandler {
  const transport = createMailTransport(deps.mail);
  return {
    name: 'notifications.session-cancelled',
    eventTypes: ['session.cancelled'],
    // Retry delays double from 1 s up to 1 h, half of each at random: 15 attempts outlast a mail server down
    // for 1.5 to 3 hours before the job is DEAD (then an administrator retries it).
    maxAttempts: 15,
    async run(tx, job) {
      const event = eventOf<SessionCancelled>(job);
      const studentIds = event.data.affected.flatMap((a) => (a.student_id ? [a.student_id] : []));
      if (studentIds.length === 0) return;
      const cancelled = { seq: event.seq, sessionId: event.aggregate_id, reason: event.data.reason, studentIds };
      const due = await dueSessionCancelledNotifications(tx, cancelled);
      for (const notification of due) {
        let to: string;
        try {
          to = deps.cipher.decrypt(notification.email_ciphertext);
        } catch (error) {
          // Retrying cannot make an address readable: the notification stays in the inbox, unmailed.
          if (!(error instanceof DecryptionError)) throw error;
          deps.logger.warn({ user: notification.user_id }, 'no readable e-mail address; notification not mailed');
          continue;
        }
        try {
          await transport.send({
            key: `${event.seq}-${notification.user_id}`, to, subject: notification.title, text: notification.body,
            date: new Date(event.occurred_at),
          });
        } catch (error) {
          // Nor can a server that refuses the address for good; one bad address must not hold back the others.
          if (!(error instanceof MailRecipientRefused)) throw error;
          deps.logger.warn({ user: notification.user_id, err: error }, 'e-mail address refused; notification not mailed');
        }
      }
      await insertSessionCancelledNotifications(tx, cancelled, due);
    },
  };
}
