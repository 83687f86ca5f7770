import { randomUUID } from 'node:crypto';
import type { TwoLayerCache } from '../../platform/cache/two-layer-cache.js';
import type { Actor } from '../../platform/db/actor.js';
import type { Db, Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { findRow, getRow, listRows, lockAtVersion, type Page } from '../../platform/shared/crud/crud.repository.js';
import { appendDomainEvent } from '../../platform/shared/events/append-domain-event.js';
import { type NowOrLater, whenReady } from '../../platform/shared/now-or-later.js';
import { renderCertificatePdf, sha256Hex } from './certificate-pdf-loader.js';
import { builtInTemplate, type CertificateSnapshot, type PrintedFacts, verificationPath } from './certificate-snapshot.js';
import { templateVersionForCourse, templateVersionIdOfCertificate } from './certificate-templates.repository.js';
import type { CertificateTemplateVersion } from './certificate-templates.schemas.js';
import { pinnedTemplateVersion } from './certificate-templates.service.js';
import {
  type CertificateRow,
  type CertificateSource,
  certificatesTable,
  type CertificateStatus,
  insertCertificate,
  liveCertificateOf,
  lockCertificate,
  type PublicCertificateFacts,
  type RevocationReason,
  sourceFacts,
  type StatusChange,
  updateStatus,
  verifyCertificate,
} from './certificates.repository.js';
import { newVerificationCode, normaliseVerificationCode } from './verification-code.js';
import type { PublicAnswersReader } from './public-answers-reader.js';
import type { VerificationCounts } from './verification-counts.js';

export interface CertificatesDeps {
  db: Db;
}

/** Where the verification page of a code lives (PUBLIC_URL, or the request's own origin). */
export type VerificationUrlOf = (code: string) => string;

const what = 'certificate';

const readCertificate = async (tx: Tx, id: string) => (await getRow(tx, certificatesTable, id, what)) as unknown as CertificateRow;

/**
 * The live certificate a source already has. Should the caller be the source's staff but not see that
 * certificate under its policies, it is 409 naming it, rather than a 404 that would say the source has none.
 */
async function existing(tx: Tx, id: string): Promise<Issued> {
  const row = await findRow(tx, certificatesTable, id);
  if (!row) throw new AppError('CONFLICT', 'the source already has its certificate, issued by someone else', { certificate_id: id });
  return { certificate: row as unknown as CertificateRow, created: false };
}

const certificateEvent = (tx: Tx, certificate: { id: string; version: number }, eventType: string, payload: Record<string, unknown>) =>
  appendDomainEvent(tx, { aggregateType: 'certificate', aggregateId: certificate.id, aggregateVersion: certificate.version, eventType, payload });

/** What a snapshot says of the template version it was rendered with. */
export const templateOfSnapshot = (pinned: CertificateTemplateVersion): CertificateSnapshot['template'] =>
  ({ id: pinned.template_id, name: pinned.name, version: String(pinned.version_number) });

/**
 * The snapshot with a fresh code, rendered with the pinned template version: what an insert stores (the
 * PDF's hash comes from these very bytes).
 */
async function freshlyRendered(
  printed: CertificateSnapshot['printed'], dates: { issue_date: string; expiry_date: string | null }, urlOf: VerificationUrlOf, pinned: CertificateTemplateVersion,
) {
  const code = newVerificationCode();
  const snapshot: CertificateSnapshot = {
    template: templateOfSnapshot(pinned), printed, ...dates, verification_code: code, verification_url: urlOf(code), renderer: 3,
  };
  return { snapshot, pdf_sha256: sha256Hex(await renderCertificatePdf(snapshot, pinned.layout)), template_id: pinned.template_id, template_version_id: pinned.id };
}

export interface Issued {
  certificate: CertificateRow;
  /** False when the source already had its live certificate (this one). */
  created: boolean;
}

/**
 * One certificate for a COMPLETED enrollment or a completed roster line. The source's live certificate
 * when it has one (also when a concurrent request just made it); 409 NOT_ELIGIBLE with the reason when
 * the source cannot be certified. Only the source's staff may issue (certificate_source_facts).
 */
export async function issueCertificate(deps: CertificatesDeps, actor: Actor, source: CertificateSource, urlOf: VerificationUrlOf): Promise<Issued> {
  return deps.db.withActor(actor, async (tx) => {
    const facts = await sourceFacts(tx, source);
    if ('live_certificate_id' in facts) return existing(tx, facts.live_certificate_id);
    if (!facts.eligible) throw new AppError('NOT_ELIGIBLE', facts.reason, { field: source.enrollment_id ? 'body.enrollment_id' : 'body.roster_member_id' });
    const rendered = await freshlyRendered(facts.printed, facts, urlOf, await templateVersionForCourse(tx, facts.course_id));
    const id = randomUUID();
    const inserted = await insertCertificate(tx, {
      id, user_id: facts.user_id, student_profile_id: facts.student_profile_id, enrollment_id: facts.enrollment_id,
      roster_member_id: facts.roster_member_id, roster_id: facts.roster_id, session_id: facts.session_id, course_id: facts.course_id,
      location_id: facts.location_id, provider_id: facts.provider_id, recipient_email_ciphertext: facts.recipient_email_ciphertext,
      issued_by: actor.userId, batch_id: null, replaces_certificate_id: null, ...rendered,
    });
    if (!inserted) {
      const live = await liveCertificateOf(tx, source);
      if (!live) throw new AppError('SERIALIZATION_FAILURE', 'the certificate collided with a concurrent change; retry it');
      return existing(tx, live);
    }
    const certificate = await readCertificate(tx, id);
    await certificateEvent(tx, certificate, 'certificate.issued', {
      enrollment_id: certificate.enrollment_id, roster_member_id: certificate.roster_member_id, roster_id: certificate.roster_id,
      course_id: certificate.course_id, user_id: certificate.user_id, expiry_date: certificate.expiry_date,
    });
    return { certificate, created: true };
  });
}

export interface CertificateListInput {
  filters: Record<string, string | undefined>;
  expiringBefore?: string | undefined;
  sort?: 'created_at' | 'issue_date';
  direction?: 'asc' | 'desc';
  limit?: number;
  cursor?: string | undefined;
}

export type CertificatePage = Omit<Page, 'items'> & { items: CertificateRow[] };

/** The certificates the caller may see (their own; staff: their locations' or those they issued; SA/AD all). */
export async function listCertificates(deps: CertificatesDeps, actor: Actor, input: CertificateListInput): Promise<CertificatePage> {
  const { filters, expiringBefore, sort = 'created_at', direction = 'asc', limit = 50, cursor } = input;
  const where = expiringBefore === undefined ? [] : [(bind: (value: unknown) => string) => `expiry_date < ${bind(expiringBefore)}::date`];
  const page = await deps.db.withActor(actor, (tx) => listRows(tx, certificatesTable, { filters, where, sort, direction, limit, cursor }));
  return page as unknown as CertificatePage;
}

export async function readOneCertificate(deps: CertificatesDeps, actor: Actor, id: string): Promise<CertificateRow> {
  return deps.db.withActor(actor, (tx) => readCertificate(tx, id));
}

/** What a certificate prints, also for rows issued before snapshots were kept (the seed's): their columns. */
export function snapshotOf(certificate: CertificateRow, urlOf: VerificationUrlOf): CertificateSnapshot {
  return certificate.snapshot ?? {
    template: { ...builtInTemplate },
    printed: {
      recipient_name: certificate.recipient_name, course_name: certificate.course_name, course_code: null, hours: null, completed_on: null,
      practical_score: null, written_score: null, instructor_name: null, location_name: null, location_place: null, provider_name: null,
    },
    issue_date: certificate.issue_date, expiry_date: certificate.expiry_date, verification_code: certificate.verification_code,
    verification_url: urlOf(certificate.verification_code),
  };
}

/** The certificate's PDF, rendered from its snapshot with the template version it pins: the same bytes as when it was issued. */
export async function certificatePdf(deps: CertificatesDeps, actor: Actor, id: string, urlOf: VerificationUrlOf): Promise<{ certificate: CertificateRow; pdf: Uint8Array }> {
  const { certificate, pinned } = await deps.db.withActor(actor, async (tx) => {
    const row = await readCertificate(tx, id);
    return { certificate: row, pinned: await pinnedTemplateVersion(tx, await templateVersionIdOfCertificate(tx, id)) };
  });
  return { certificate, pdf: await renderCertificatePdf(snapshotOf(certificate, urlOf), pinned.layout) };
}

type Transition = 'revoke' | 'suspend' | 'reinstate';
const allowedFrom: Record<Transition, readonly CertificateStatus[]> = {
  revoke: ['ACTIVE', 'SUSPENDED', 'EXPIRED'],
  suspend: ['ACTIVE'],
  reinstate: ['SUSPENDED'],
};

/** The stored row at the version the client read, locked, in a state the transition leaves from (409 otherwise). */
async function lockFor(tx: Tx, id: string, expectedVersion: number, transition: Transition | 'reissue') {
  const locked = await lockAtVersion(tx, certificatesTable, {
    id, what, expectedVersion, refusal: `not allowed to ${transition} this certificate`, lock: lockCertificate,
  });
  const from = transition === 'reissue' ? allowedFrom.revoke : allowedFrom[transition];
  if (!from.includes(locked.status)) {
    throw new AppError('INVALID_TRANSITION', `a ${locked.status} certificate cannot be ${transition === 'reissue' ? 'reissued' : `${transition}d`}`, { field: 'status', status: locked.status });
  }
  return locked;
}

async function changeStatus(tx: Tx, id: string, change: StatusChange, eventType: string, payload: Record<string, unknown>): Promise<CertificateRow> {
  await updateStatus(tx, id, change);
  const certificate = await readCertificate(tx, id);
  await certificateEvent(tx, certificate, eventType, { status: certificate.stored_status, roster_id: certificate.roster_id, ...payload });
  return certificate;
}

export async function revokeCertificate(
  deps: CertificatesDeps, actor: Actor, id: string, expectedVersion: number, reason: { reason_code: RevocationReason; reason: string },
): Promise<CertificateRow> {
  return deps.db.withActor(actor, async (tx) => {
    await lockFor(tx, id, expectedVersion, 'revoke');
    return changeStatus(tx, id, { status: 'REVOKED', revoked_at: 'now', revoked_reason_code: reason.reason_code, revoked_reason: reason.reason },
      'certificate.revoked', { reason_code: reason.reason_code });
  });
}

export async function suspendCertificate(deps: CertificatesDeps, actor: Actor, id: string, expectedVersion: number, reason: string): Promise<CertificateRow> {
  return deps.db.withActor(actor, async (tx) => {
    await lockFor(tx, id, expectedVersion, 'suspend');
    return changeStatus(tx, id, { status: 'SUSPENDED', suspended_at: 'now', suspended_reason: reason }, 'certificate.suspended', {});
  });
}

export async function reinstateCertificate(deps: CertificatesDeps, actor: Actor, id: string, expectedVersion: number): Promise<CertificateRow> {
  return deps.db.withActor(actor, async (tx) => {
    await lockFor(tx, id, expectedVersion, 'reinstate');
    return changeStatus(tx, id, { status: 'ACTIVE' }, 'certificate.reinstated', {});
  });
}

/**
 * A new certificate with a new code for the same facts and dates, replacing this one, which becomes
 * REVOKED with reason SUPERSEDED (a lost or exposed code). Facts that were wrong are not corrected by a
 * reissue: revoke (ISSUED_IN_ERROR) and issue anew.
 */
export async function reissueCertificate(
  deps: CertificatesDeps, actor: Actor, id: string, expectedVersion: number, reason: string | undefined, urlOf: VerificationUrlOf,
): Promise<CertificateRow> {
  return deps.db.withActor(actor, async (tx) => {
    const old = await lockFor(tx, id, expectedVersion, 'reissue');
    const superseded = await changeStatus(tx, id, {
      status: 'REVOKED', revoked_at: 'now', revoked_reason_code: 'SUPERSEDED', revoked_reason: reason ?? 'replaced by a reissued certificate',
    }, 'certificate.revoked', { reason_code: 'SUPERSEDED' });
    const previous = snapshotOf(superseded, urlOf);
    const pinned = await pinnedTemplateVersion(tx, await templateVersionIdOfCertificate(tx, id));
    const rendered = await freshlyRendered(previous.printed, { issue_date: old.issue_date, expiry_date: old.expiry_date }, urlOf, pinned);
    const newId = randomUUID();
    await insertCertificate(tx, {
      id: newId, user_id: old.user_id, student_profile_id: old.student_profile_id, enrollment_id: old.enrollment_id,
      roster_member_id: old.roster_member_id, roster_id: old.roster_id, session_id: old.session_id, course_id: old.course_id,
      location_id: old.location_id, provider_id: old.provider_id, recipient_email_ciphertext: old.recipient_email_ciphertext,
      issued_by: actor.userId, batch_id: old.batch_id, replaces_certificate_id: id, ...rendered,
    });
    const certificate = await readCertificate(tx, newId);
    await certificateEvent(tx, certificate, 'certificate.issued', {
      enrollment_id: certificate.enrollment_id, roster_member_id: certificate.roster_member_id, roster_id: certificate.roster_id,
      course_id: certificate.course_id, user_id: certificate.user_id, expiry_date: certificate.expiry_date, replaces_certificate_id: id,
    });
    return certificate;
  });
}

export const verificationUrlOf = (base: string): VerificationUrlOf => (code) => `${base}${verificationPath(code)}`;

/** A certificate as its verifier sees it: the printed facts (every field, null where an old row has none) and its state. */
export type Verification = Omit<PublicCertificateFacts, 'id' | 'printed'> & { verification_code: string; printed: PrintedFacts };

const noPrintedFacts: Omit<PrintedFacts, 'recipient_name' | 'course_name'> = {
  course_code: null, hours: null, completed_on: null, practical_score: null, written_score: null,
  instructor_name: null, location_name: null, location_place: null, provider_name: null,
};

/** What a verification answers before its count: the stored row as the public sees it. */
const answerOf = (code: string, found: PublicCertificateFacts): Verification => ({
  verification_code: code, status: found.status, printed: { ...noPrintedFacts, ...found.printed }, issue_date: found.issue_date, expiry_date: found.expiry_date,
  revoked_at: found.revoked_at, revoked_reason_code: found.revoked_reason_code, revoked_reason: found.revoked_reason,
  suspended_at: found.suspended_at, suspended_reason: found.suspended_reason, pdf_sha256: found.pdf_sha256,
  replaced_by_code: found.replaced_by_code, verification_count: found.verification_count,
});

/**
 * Verification of a typed code, counted in the same statement. Signed out whoever asks (the answer is
 * the same for everyone); a text that cannot be a code answers like an unknown code, so probing learns
 * nothing more. The document check uses it (its count is written at once).
 */
export async function verifyByCode(deps: CertificatesDeps, typed: string): Promise<Verification> {
  const code = normaliseVerificationCode(typed);
  // One statement on the owner connection, not an actor transaction: verify_certificate is SECURITY
  // DEFINER and the same for everyone, and its only write is the count, which is neither audited nor
  // streamed. One round trip instead of five, and no commit wake-up of the change feed per public
  // request (decision 0036).
  const found = code === null ? null : await verifyCertificate(deps.db, code, true);
  if (code === null || found === null) throw new AppError('NOT_FOUND', 'no certificate has this code');
  return answerOf(code, { ...found, revoked_at: found.revoked_at?.toISOString() ?? null, suspended_at: found.suspended_at?.toISOString() ?? null });
}

export interface PublicVerificationDeps extends CertificatesDeps {
  cache: TwoLayerCache;
  counts: VerificationCounts;
  /** Reads a code the cache misses, with the other codes missed at the same moment. */
  readPublicAnswers: PublicAnswersReader;
  /** The clock whose UTC day a cached answer holds for (tests move it). */
  now: () => Date;
}

/**
 * A cached answer (JSON: it may come from Redis): the answer's text before its count, as PostgreSQL wrote
 * it (decision 0077), the stored count it starts from, and the certificate the count is kept for; null for a
 * code no certificate has.
 */
type CachedVerification = { id: string; stored: number; beforeCount: string } | null;

/** A verification as answered: the cached answer's text before its count, and the count to show. */
export interface CountedVerification {
  beforeCount: string;
  count: number;
}

/**
 * GET /v1/verify/:code and the page: the answer from the two-layer cache (decision 0052), ended by any
 * committed change to certificates and by the end of the UTC day (an ACTIVE certificate reads EXPIRED
 * the day after its expiry date), and counted in memory. Unknown codes are cached too: a probe costs no
 * query either.
 */
export function countedVerification(deps: PublicVerificationDeps, typed: string): NowOrLater<CountedVerification> {
  const code = normaliseVerificationCode(typed);
  if (code === null) throw new AppError('NOT_FOUND', 'no certificate has this code');
  const today = deps.now().toISOString().slice(0, 10);
  // `verify-text:`, not decision 0052's `verify:`: an entry another version left in Redis holds an answer object, not this text.
  // An answer in L1 comes at once, not as a promise: no turn of the microtask queue for it (decision 0093).
  const cached = deps.cache.getOrLoadNow<CachedVerification>(`verify-text:${code}:${today}`, ['certificates'], async () => {
    // Uncounted, on the owner connection with the codes missed at the same moment (no actor transaction:
    // the answer is the same for everyone); the status as of the key's day, so an entry never outlives
    // the status it shows.
    const found = await deps.readPublicAnswers(code, today);
    return found === null ? null : { id: found.id, stored: found.verification_count, beforeCount: found.before_count };
  });
  return whenReady(cached, (loaded) => counted(deps, loaded));
}

function counted(deps: PublicVerificationDeps, cached: CachedVerification): CountedVerification {
  if (cached === null) throw new AppError('NOT_FOUND', 'no certificate has this code');
  return { beforeCount: cached.beforeCount, count: deps.counts.count(cached.id, cached.stored) };
}

/** The JSON answer of a counted verification: its text before the count, the count, the end. */
export const verificationText = ({ beforeCount, count }: CountedVerification): string => `${beforeCount}${count}}`;

/** The same as one object (the human page). */
export async function verifyByCodeCached(deps: PublicVerificationDeps, typed: string): Promise<Verification> {
  return JSON.parse(verificationText(await countedVerification(deps, typed))) as Verification;
}
