import { randomBytes } from 'node:crypto';
import type { Role } from '../../platform/db/actor.js';
import type { Tx } from '../../platform/db/database.js';
import { DecryptionError } from '../../platform/security/field-cipher.js';
import type { JobHandler } from '../../platform/jobs/index.js';
import { createMailTransport, MailRecipientRefused, type MailTransport, type NotificationSenderDeps } from '../notifications/index.js';
import { accountLink, newAccountToken } from './account-tokens.js';
import { insertInvitationToken, insertPasswordResetToken, tokenExists } from './account-tokens.repository.js';
import { markInvitationMailed, selectInvitationToMail } from './invitations.repository.js';
import { selectActiveAccount } from './password-reset.repository.js';

export const invitationMailHandler = 'accounts.invitation-mail';
export const passwordResetMailHandler = 'accounts.password-reset-mail';

/** What an invitation's mail job carries: which mail generation, and the page the link opens. Never a token. */
export interface InvitationMailPayload {
  invitation_id: string;
  mail_generation: number;
  page_url: string;
}

/** What a reset mail job carries: the blind index of the address typed, the page, and when the link expires. */
export interface PasswordResetMailPayload {
  email_hmac: string;
  page_url: string;
  expires_at: string;
}

const roleNames: Record<Role, string> = {
  SA: 'System Administrator', AD: 'Administrator', AP: 'Authorized Provider', IC: 'Instructor Certified',
  IP: 'Instructor Provisional', IT: 'Instructor Trainee', IN: 'Instructor New',
};

const utc = (date: Date) => `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * Mails a link, then stores its token, both in the job's transaction (decision 0020's order: the
 * transaction has only read while it waits for the mail server). The token is made here, after the
 * fact committed, and is stored only as a hash, under the job's id: a run after the job's commit finds
 * it and sends nothing. A run whose commit fails after the mail went out sends a second mail with a new
 * token, and the first link opens nothing (decision 0026). Every mail gets its own Message-ID (and
 * outbox file), since the copies differ. A failed send throws, and the job retries with backoff.
 */
async function mailLink(
  deps: NotificationSenderDeps, transport: MailTransport, tx: Tx,
  mail: { key: string; emailCiphertext: string; subject: string; text: (link: string) => string; pageUrl: string },
  store: (tokenHash: string) => Promise<void>,
): Promise<void> {
  let to: string;
  try {
    to = deps.cipher.decrypt(mail.emailCiphertext);
  } catch (error) {
    // Retrying cannot make an address readable.
    if (!(error instanceof DecryptionError)) throw error;
    deps.logger.warn({ mail: mail.key }, 'no readable e-mail address; link not mailed');
    return;
  }
  const { token, hash } = newAccountToken();
  try {
    await transport.send({
      key: `${mail.key}-${randomBytes(6).toString('hex')}`, to, subject: mail.subject, text: mail.text(accountLink(mail.pageUrl, token)), date: new Date(),
    });
  } catch (error) {
    // A server that refuses the address for good: nothing to retry, and no token to keep.
    if (!(error instanceof MailRecipientRefused)) throw error;
    deps.logger.warn({ mail: mail.key, err: error }, 'e-mail address refused; link not mailed');
    return;
  }
  await store(hash);
}

function invitationMail(deps: NotificationSenderDeps, transport: MailTransport): JobHandler {
  return {
    name: invitationMailHandler,
    eventTypes: [],
    // As for notifications (decision 0020): 15 attempts ride out a mail server down for 1.5 to 3 hours.
    maxAttempts: 15,
    async run(tx, job) {
      const payload = job.payload as unknown as InvitationMailPayload;
      if (await tokenExists(tx, job.id)) return;
      // Revoked, accepted, expired, resent since, or mailed already: this mail is not due.
      const invitation = await selectInvitationToMail(tx, payload.invitation_id, payload.mail_generation);
      if (!invitation) return;
      const provider = invitation.provider_name ? ` for ${invitation.provider_name}` : '';
      await mailLink(deps, transport, tx, {
        key: `invitation-${payload.invitation_id}`,
        emailCiphertext: invitation.email_ciphertext,
        subject: 'You are invited to Unitrain',
        pageUrl: payload.page_url,
        text: (link) => [
          `${invitation.inviter_name ?? 'An administrator'} invited you to Unitrain as ${roleNames[invitation.role]}${provider}.`,
          '',
          'Choose your password to activate your account:',
          link,
          '',
          `The link works once, until ${utc(invitation.expires_at)}. If you did not expect this invitation, ignore this e-mail.`,
        ].join('\n'),
      }, async (tokenHash) => {
        await insertInvitationToken(tx, { id: job.id, invitationId: payload.invitation_id, mailGeneration: payload.mail_generation, tokenHash, expiresAt: invitation.expires_at });
        await markInvitationMailed(tx, payload.invitation_id, payload.mail_generation);
      });
    },
  };
}

function passwordResetMail(deps: NotificationSenderDeps, transport: MailTransport): JobHandler {
  return {
    name: passwordResetMailHandler,
    eventTypes: [],
    maxAttempts: 15,
    async run(tx, job) {
      const payload = job.payload as unknown as PasswordResetMailPayload;
      const expiresAt = new Date(payload.expires_at);
      if (await tokenExists(tx, job.id)) return;
      // No active account with the address (the request answered the same), or too late to be useful.
      const account = await selectActiveAccount(tx, { emailHmac: payload.email_hmac });
      if (!account || expiresAt <= new Date()) return;
      await mailLink(deps, transport, tx, {
        key: `password-reset-${account.id}`,
        emailCiphertext: account.email_ciphertext,
        subject: 'Reset your Unitrain password',
        pageUrl: payload.page_url,
        text: (link) => [
          `Hello${account.first_name ? ` ${account.first_name}` : ''},`,
          '',
          'someone, hopefully you, asked to reset the password of your Unitrain account. Choose a new password here:',
          link,
          '',
          `The link works once, until ${utc(expiresAt)}. Resetting signs you out everywhere.`,
          'If you did not ask, ignore this e-mail: your password stays as it is.',
        ].join('\n'),
      }, (tokenHash) => insertPasswordResetToken(tx, { id: job.id, userId: account.id, tokenHash, expiresAt }));
    },
  };
}

/** The jobs that mail invitation and password-reset links, sharing one transport (decision 0020). */
export function accountMailHandlers(deps: NotificationSenderDeps): JobHandler[] {
  const transport = createMailTransport(deps.mail);
  return [invitationMail(deps, transport), passwordResetMail(deps, transport)];
}
