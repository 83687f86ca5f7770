import type { Actor } from '../../platform/db/actor.js';
import { AppError } from '../../errors.js';
import { getRow } from '../../platform/shared/crud/crud.repository.js';
import { buildAchievementCredential, type StatusPurpose } from './certificate-credential.js';
import { findStatusList, statusListIndexOf } from './certificate-credentials.repository.js';
import type { CredentialSigner } from './credential-signing.js';
import { type CertificateRow, certificatesTable } from './certificates.repository.js';
import { type CertificatesDeps, snapshotOf, verificationUrlOf } from './certificates.service.js';
import { buildStatusListCredential } from './status-list.js';

export interface CredentialsDeps extends CertificatesDeps {
  signer: CredentialSigner;
}

export interface SignedCredential {
  /** The compact JWS (application/vc+jwt). */
  jwt: string;
  /** Its payload: the credential itself. */
  credential: Record<string, unknown>;
  key_id: string;
}

/**
 * The certificate as a signed Open Badges 3.0 credential, for whoever may read the certificate. Built
 * and signed on read from the frozen snapshot: deterministic, so the same bytes every time until the
 * signing key rotates (then the new key signs, and the old credential still verifies with the old key).
 */
export async function certificateCredential(deps: CredentialsDeps, actor: Actor, id: string, base: string): Promise<SignedCredential> {
  // Read as the caller first: their policies decide whether the certificate exists for them (404).
  const certificate = await deps.db.withActor(actor, async (tx) => (await getRow(tx, certificatesTable, id, 'certificate')) as unknown as CertificateRow);
  const index = await statusListIndexOf(deps.db, id);
  if (index === null) throw new AppError('SERVICE_UNAVAILABLE', `certificate ${id} has no place in the status lists yet`);
  const credential = buildAchievementCredential({
    snapshot: snapshotOf(certificate, verificationUrlOf(base)), course_id: certificate.course_id, provider_id: certificate.provider_id,
    pdf_sha256: certificate.pdf_sha256, status_list_index: index,
  }, base);
  return { jwt: await deps.signer.sign(credential), credential, key_id: deps.signer.currentKeyId };
}

/** A status list credential, signed; anyone may read it (404 for a list no certificate is in). */
export async function statusListCredential(deps: CredentialsDeps, purpose: StatusPurpose, listNumber: number, base: string): Promise<SignedCredential> {
  const list = await findStatusList(deps.db.reader, purpose, listNumber);
  if (!list) throw new AppError('NOT_FOUND', `no ${purpose} status list ${listNumber}`, { field: 'params.list' });
  const credential = buildStatusListCredential(list, base);
  return { jwt: await deps.signer.sign(credential), credential, key_id: deps.signer.currentKeyId };
}
