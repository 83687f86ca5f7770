import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { credentialPaths, issuerProfile, type StatusPurpose } from './certificate-credential.js';

/**
 * A W3C Bitstring Status List credential (Bitstring Status List v1.0): the list's bits, GZIP-compressed,
 * base64url without padding, with the multibase prefix `u`. Bit 0 is the left-most bit of the first byte,
 * which is also how the database stores them (migration 0034), so the bytes go out as they are.
 */
export function encodeStatusList(bits: Uint8Array): string {
  // A fixed mtime and level: the same bits always encode to the same text (and so sign to the same bytes).
  return `u${gzipSync(bits, { level: 9 }).toString('base64url')}`;
}

export interface StatusListRow {
  purpose: StatusPurpose;
  list_number: number;
  bits: Uint8Array;
  changed_at: Date;
}

export function buildStatusListCredential(list: StatusListRow, base: string): Record<string, unknown> {
  const id = `${base}${credentialPaths.statusList(list.purpose, list.list_number)}`;
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: issuerProfile(base).id,
    validFrom: list.changed_at.toISOString(),
    credentialSubject: { id: `${id}#list`, type: 'BitstringStatusList', statusPurpose: list.purpose, encodedList: encodeStatusList(list.bits) },
  };
}

/**
 * A list's ETag from what its signed bytes depend on: the list, when a bit last changed, the key that
 * signs and the base its URLs name. It is known without encoding or signing the list (decision 0052).
 */
export function statusListEtag(list: Pick<StatusListRow, 'purpose' | 'list_number' | 'changed_at'>, keyId: string, base: string): string {
  const identity = [list.purpose, list.list_number, list.changed_at.toISOString(), keyId, base].join('\n');
  return `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`;
}
