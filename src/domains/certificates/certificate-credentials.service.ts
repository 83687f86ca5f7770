import type { TwoLayerCache } from '../../platform/cache/two-layer-cache.js';
import type { Actor } from '../../platform/db/actor.js';
import { AppError } from '../../errors.js';
import { getRow } from '../../platform/shared/crud/crud.repository.js';
import { buildAchievementCredential, type StatusPurpose } from './certificate-credential.js';
import { findStatusList, statusListIndexOf } from './certificate-credentials.repository.js';
import type { CredentialSigner } from './credential-signing.js';
import { type CertificateRow, certificatesTable } from './certificates.repository.js';
import { type CertificatesDeps, snapshotOf, verificationUrlOf } from './certificates.service.js';
import { buildStatusListCredential, statusListEtag } from './status-list.js';

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

export interface PublishedStatusList {
  etag: string;
  /** The status list credential, signed (application/vc+jwt). */
  jwt: string;
}

/**
 * A status list credential as published: anyone may read it (404 for a list no certificate is in).
 * Encoded and signed once, then served from the two-layer cache until a certificate changes (a status
 * bit changes only with one) or the key rotates; its ETag comes from the list's change time, so a
 * revalidation costs neither encoding nor signing (decision 0052).
 */
export async function publishedStatusList(deps: CredentialsDeps & { cache: TwoLayerCache }, purpose: StatusPurpose, listNumber: number, base: string): Promise<PublishedStatusList> {
  const keyId = deps.signer.currentKeyId;
  const published = await deps.cache.getOrLoad<PublishedStatusList | null>(`status-list:${purpose}:${listNumber}:${keyId}:${base}`, ['certificates'], async () => {
    // The primary, not a replica: the entry is stamped with what the primary held when loading began.
    const list = await findStatusList(deps.db, purpose, listNumber);
    return list && { etag: statusListEtag(list, keyId, base), jwt: await deps.signer.sign(buildStatusListCredential(list, base)) };
  });
  if (!published) throw new AppError('NOT_FOUND', `no ${purpose} status list ${listNumber}`, { field: 'params.list' });
  return published;
}
