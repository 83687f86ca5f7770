import type { CertificateSnapshot } from './certificate-snapshot.js';

/**
 * A certificate as a W3C Verifiable Credential 2.0 / Open Badges 3.0 AchievementCredential, built from
 * the snapshot alone (what the certificate prints, frozen at issue), so the same certificate always
 * makes the same credential. Decision 0035.
 */

export const statusListSize = 131_072;
export const statusPurposes = ['revocation', 'suspension'] as const;
export type StatusPurpose = (typeof statusPurposes)[number];

/** Where the issuer's things live under the public base URL. */
export const credentialPaths = {
  jwks: '/.well-known/jwks.json',
  statusList: (purpose: StatusPurpose, listNumber: number) => `/v1/credentials/status/${purpose}/${listNumber}`,
};

/** The issuer: this Unitrain installation, named by its public base URL, whose keys are at credentialPaths.jwks. */
export function issuerProfile(base: string) {
  return { id: base, type: ['Profile'], name: new URL(base).host, url: base };
}

export interface CredentialSource {
  snapshot: CertificateSnapshot;
  course_id: string;
  provider_id: string | null;
  pdf_sha256: string | null;
  status_list_index: number;
}

const dayStart = (isoDate: string) => `${isoDate}T00:00:00Z`;

export function buildAchievementCredential(source: CredentialSource, base: string): Record<string, unknown> {
  const { snapshot, status_list_index: index } = source;
  const { printed } = snapshot;
  const listNumber = Math.floor(index / statusListSize);
  const scores = [
    { key: 'practical', name: 'Practical score', value: printed.practical_score },
    { key: 'written', name: 'Written score', value: printed.written_score },
  ].filter((score): score is { key: string; name: string; value: number } => score.value !== null);
  const achievementId = `urn:uuid:${source.course_id}`;
  const hours = printed.hours === null ? '' : ` (${printed.hours} hours)`;
  const achievement: Record<string, unknown> = {
    id: achievementId,
    type: ['Achievement'],
    achievementType: 'Certificate',
    name: printed.course_name,
    description: `Completion of the course ${printed.course_name}${hours}.`,
    criteria: { narrative: `Completed ${printed.course_name}${hours}${printed.instructor_name ? `, taught by ${printed.instructor_name}` : ''}.` },
    ...(printed.course_code ? { humanCode: printed.course_code } : {}),
    ...(printed.provider_name && source.provider_id
      ? { creator: { id: `urn:uuid:${source.provider_id}`, type: ['Profile'], name: printed.provider_name } }
      : {}),
    ...(scores.length > 0
      ? { resultDescription: scores.map((score) => ({ id: `${achievementId}#${score.key}`, type: ['ResultDescription'], name: score.name, resultType: 'Percent' })) }
      : {}),
  };
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
    // The verification page of the code: dereferencing the credential's id shows its state today.
    id: snapshot.verification_url,
    type: ['VerifiableCredential', 'AchievementCredential'],
    name: `${printed.course_name}: ${printed.recipient_name}`,
    issuer: issuerProfile(base),
    validFrom: dayStart(snapshot.issue_date),
    // The expiry date is the last day the certificate is valid (UTC), as the verification answers.
    ...(snapshot.expiry_date ? { validUntil: `${snapshot.expiry_date}T23:59:59Z` } : {}),
    credentialSubject: {
      type: ['AchievementSubject'],
      // The holder as the certificate prints them; never an e-mail address.
      identifier: [{ type: 'IdentityObject', identityHash: printed.recipient_name, identityType: 'name', hashed: false }],
      ...(printed.completed_on ? { activityEndDate: dayStart(printed.completed_on) } : {}),
      achievement,
      ...(scores.length > 0
        ? { result: scores.map((score) => ({ type: ['Result'], resultDescription: `${achievementId}#${score.key}`, value: String(score.value) })) }
        : {}),
    },
    ...(source.pdf_sha256
      ? {
          evidence: [{
            type: ['Evidence'], name: 'The certificate PDF',
            description: `The issued PDF has the SHA-256 digest ${source.pdf_sha256}; POST a PDF to ${base}/v1/verify/${snapshot.verification_code}/document to compare.`,
          }],
        }
      : {}),
    credentialStatus: statusPurposes.map((purpose) => {
      const list = `${base}${credentialPaths.statusList(purpose, listNumber)}`;
      return { id: `${list}#${index % statusListSize}`, type: 'BitstringStatusListEntry', statusPurpose: purpose, statusListIndex: String(index % statusListSize), statusListCredential: list };
    }),
  };
}
