import type { MailSettings } from '../../config.js';
import { DecryptionError, type FieldCipher } from '../../security/field-cipher.js';
import type { Logger } from '../../shared/logger.js';
import { eventOf, type JobHandler } from '../jobs/index.js';
import { insertSessionCancelledNotifications } from './notifications.repository.js';
import { writeOutboxMail } from './outbox-mail.js';

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
 * rows and the job's completion commit together; the mail is written before the commit under a name
 * made of the event and the person, so a retry overwrites it rather than sending it twice.
 */
export function notifyOnSessionCancelled(deps: NotificationSenderDeps): JobHandler {
  return {
    name: 'notifications.session-cancelled',
    eventTypes: ['session.cancelled'],
    async run(tx, job) {
      const event = eventOf<SessionCancelled>(job);
      const studentIds = event.data.affected.flatMap((a) => (a.student_id ? [a.student_id] : []));
      if (studentIds.length === 0) return;
      const made = await insertSessionCancelledNotifications(tx, { seq: event.seq, sessionId: event.aggregate_id, reason: event.data.reason, studentIds });
      for (const notification of made) {
        let to: string;
        try {
          to = deps.cipher.decrypt(notification.email_ciphertext);
        } catch (error) {
          // Retrying cannot make an address readable: the notification stays in the inbox, unmailed.
          if (!(error instanceof DecryptionError)) throw error;
          deps.logger.warn({ notification: notification.id, user: notification.user_id }, 'no readable e-mail address; notification not mailed');
          continue;
        }
        await writeOutboxMail(deps.mail.outboxDir, `${event.seq}-${notification.user_id}`, {
          from: deps.mail.from, to, subject: notification.title, text: notification.body ?? notification.title,
          messageId: `${event.seq}.${notification.user_id}@unitrain.local`, date: new Date(),
        });
      }
    },
  };
}
