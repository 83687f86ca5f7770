import type { Tx } from '../../platform/db/database.js';
import { DecryptionError } from '../../platform/security/field-cipher.js';
import { type EventSubscriber, eventOf, insertJob, type JobHandler } from '../../platform/jobs/index.js';
import { createMailTransport, MailRecipientRefused, type NotificationSenderDeps } from '../notifications/index.js';
import { issueNextChunk, insertPendingResults, lockBatch, markBatchFailed, recordProgress } from './certificate-batches.repository.js';
import { renderCertificatePdf, sha256Hex } from './certificate-pdf-loader.js';
import { printedDate } from './certificate-snapshot.js';
import {
  autoIssueSettings,
  certificateToMail,
  insertIssuedNotification,
  issueForEnrollment,
  issuedNotificationExists,
  recordPdfHash,
} from './certificates.handlers.repository.js';
import { templateVersionForCourse } from './certificate-templates.repository.js';
import { pinnedTemplateVersion } from './certificate-templates.service.js';
import { newVerificationCode } from './verification-code.js';

export const batchChunkHandler = 'certificates.batch-chunk';

/**
 * The events the certificate handlers run for, apart from what running them needs (certificateHandlers):
 * read by the relay through the handlers, and by `unitrain doctor` without building them.
 */
export const certificateSubscribers = {
  issueOnCompletion: { name: 'certificates.issue-on-completion', eventTypes: ['enrollment.completed'] },
  holderNotice: { name: 'certificates.holder-notice', eventTypes: ['certificate.issued'], maxAttempts: 15 },
} as const satisfies Record<string, EventSubscriber>;

export interface CertificateHandlerDeps extends NotificationSenderDeps {
  /** The base of verification links for certificates issued without a request (PUBLIC_URL). */
  publicUrl: string;
  /** Learners issued per chunk of a batch (1,000; tests use fewer). */
  batchChunkSize?: number;
}

/**
 * One chunk of a batch, in one transaction: on the first run the batch's learners are fixed as pending
 * results; then the next chunk is issued set-based, the progress recorded (the batch row's change goes
 * to the stream), and the next chunk queued. A rerun finds the processed learners done and goes on with
 * the pending ones; two runs at once take turns on the batch's row lock.
 */
function batchChunk(deps: CertificateHandlerDeps): JobHandler {
  const chunkSize = deps.batchChunkSize ?? 1000;
  return {
    name: batchChunkHandler,
    eventTypes: [],
    maxAttempts: chunkAttempts,
    async run(tx, job) {
      const { batch_id: batchId, chunk = 1 } = job.payload as { batch_id: string; chunk?: number };
      const batch = await lockBatch(tx, batchId);
      if (!batch || batch.status === 'COMPLETED' || batch.status === 'FAILED') return;
      if (batch.status === 'PENDING') await insertPendingResults(tx, batch);
      await issueNextChunk(tx, batch, Array.from({ length: chunkSize }, newVerificationCode));
      const pending = await recordProgress(tx, batchId);
      if (pending > 0) {
        await insertJob(tx, { handler: batchChunkHandler, payload: { batch_id: batchId, chunk: chunk + 1 }, maxAttempts: chunkAttempts, idempotencyKey: `certificate-batch:${batchId}:${chunk + 1}` });
      }
    },
    // Its attempts spent, the batch would stay RUNNING for ever: it says FAILED, and why.
    async onDead(tx, job, error) {
      await markBatchFailed(tx, (job.payload as { batch_id: string }).batch_id, error);
    },
  };
}

interface EnrollmentCompleted {
  course_id: string | null;
}

/**
 * `enrollment.completed` → the certificate, when the course asks for it (course_certificate_settings.
 * issue_on_completion) and certifies: the same set-based issue as a batch, for one enrollment, printed
 * with the course's template, issued in the name of the session's instructor. Not eligible (a student
 * without a name) or already issued: nothing to do.
 */
function issueOnCompletion(deps: CertificateHandlerDeps): JobHandler {
  return {
    ...certificateSubscribers.issueOnCompletion,
    // A session completed at once queues one job per student: they commit together.
    sharesTransaction: true,
    async run(tx, job) {
      const event = eventOf<EnrollmentCompleted>(job);
      if (!event.data.course_id) return;
      const settings = await autoIssueSettings(tx, event.data.course_id, event.aggregate_id);
      if (!settings) return;
      const version = await templateVersionForCourse(tx, event.data.course_id);
      await issueForEnrollment(tx, { enrollmentId: event.aggregate_id, code: newVerificationCode(), urlBase: deps.publicUrl, templateVersionId: version.id, issuer: settings.instructor_id });
    },
  };
}

/**
 * `certificate.issued` → the holder's notification (an account holder) and an e-mail with the PDF
 * attached (anyone with an address), and the PDF's SHA-256 stored when the issue did not render it (a
 * batch or automatic issue: decision 0034). Mailed first while the transaction has only read (decision
 * 0020), then the hash and the notification commit with the job; the notification's (event, person) key
 * and the mail's Message-ID from the certificate make a rerun harmless.
 */
function holderNotice(deps: CertificateHandlerDeps): JobHandler {
  const transport = createMailTransport(deps.mail);
  return {
    ...certificateSubscribers.holderNotice,
    async run(tx: Tx, job) {
      const event = eventOf<Record<string, unknown>>(job);
      const certificate = await certificateToMail(tx, event.aggregate_id);
      if (!certificate || certificate.status === 'REVOKED' || certificate.snapshot === null) return;
      const pinned = await pinnedTemplateVersion(tx, certificate.template_version_id);
      const pdf = Buffer.from(await renderCertificatePdf(certificate.snapshot, pinned.layout));
      const { printed } = certificate.snapshot;
      const title = `Your certificate: ${printed.course_name}`;
      const body = [
        `${printed.recipient_name}, your certificate for ${printed.course_name} was issued on ${printedDate(certificate.snapshot.issue_date)}.`,
        certificate.snapshot.expiry_date ? `It is valid until ${printedDate(certificate.snapshot.expiry_date)}.` : 'It does not expire.',
        '',
        `Verification code: ${certificate.verification_code}`,
        `Anyone can check it at ${certificate.snapshot.verification_url}`,
      ].join('\n');
      const notify = certificate.user_id !== null && !(await issuedNotificationExists(tx, event.seq, certificate.user_id));
      if (certificate.recipient_email_ciphertext !== null && (certificate.user_id === null || notify)) {
        let to: string | null = null;
        try {
          to = deps.cipher.decrypt(certificate.recipient_email_ciphertext);
        } catch (error) {
          if (!(error instanceof DecryptionError)) throw error;
          deps.logger.warn({ certificate: certificate.id }, 'no readable e-mail address; certificate not mailed');
        }
        if (to !== null) {
          try {
            await transport.send({
              key: `certificate-${certificate.id}`, to, subject: title, text: body, date: new Date(event.occurred_at),
              attachments: [{ filename: `certificate-${certificate.verification_code}.pdf`, content: pdf, contentType: 'application/pdf' }],
            });
          } catch (error) {
            if (!(error instanceof MailRecipientRefused)) throw error;
            deps.logger.warn({ certificate: certificate.id, err: error }, 'e-mail address refused; certificate not mailed');
          }
        }
      }
      const pdfSha256 = sha256Hex(pdf);
      if (certificate.pdf_sha256 === null) await recordPdfHash(tx, certificate.id, pdfSha256);
      else if (certificate.pdf_sha256 !== pdfSha256) deps.logger.error({ certificate: certificate.id }, 'the PDF rendered now does not hash to the stored SHA-256');
      if (notify) await insertIssuedNotification(tx, { seq: event.seq, userId: certificate.user_id!, certificateId: certificate.id, title, body });
    },
  };
}

export function certificateHandlers(deps: CertificateHandlerDeps): JobHandler[] {
  return [batchChunk(deps), issueOnCompletion(deps), holderNotice(deps)];
}
/** Attempts of a batch chunk, the first one queued by the batch and each next one alike. */
const chunkAttempts = 10;

