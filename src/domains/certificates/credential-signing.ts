import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { CompactSign, type JWK } from 'jose';
import type { CredentialSigningKey } from '../../platform/security/keyring.js';

/** The media type of a credential secured with JOSE (VC-JOSE-COSE §3.1.1), and its `typ`. */
export const vcJwtMediaType = 'application/vc+jwt';

/** PKCS#8 DER of an Ed25519 private key is this prefix and the 32-byte seed (RFC 8410). */
const ed25519Pkcs8Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A published Ed25519 public key. */
export interface PublicSigningKey {
  kty: string;
  crv: string;
  x: string;
  kid: string;
  alg: string;
  use: string;
}

export interface CredentialSigner {
  /** The key id new credentials are signed with (the last configured key). */
  currentKeyId: string;
  /** Every configured public key, the old ones too, so that what they signed keeps verifying. */
  jwks: { keys: PublicSigningKey[] };
  /** A compact JWS (`header.payload.signature`) of the credential, signed with the current key. */
  sign(credential: Record<string, unknown>): Promise<string>;
}

/**
 * Signs credentials with Ed25519 (EdDSA). Ed25519 signatures are deterministic (RFC 8032), so the same
 * credential signed with the same key gives the same bytes: a served credential or status list keeps
 * its ETag until its content or the signing key changes.
 */
export function createCredentialSigner(keys: readonly CredentialSigningKey[]): CredentialSigner {
  if (keys.length === 0) throw new Error('no credential signing key is configured');
  const pairs = keys.map((key) => {
    const privateKey: KeyObject = createPrivateKey({ key: Buffer.concat([ed25519Pkcs8Prefix, key.seed]), format: 'der', type: 'pkcs8' });
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
    const published: PublicSigningKey = { kty: String(jwk.kty), crv: String(jwk.crv), x: String(jwk.x), kid: key.id, alg: 'EdDSA', use: 'sig' };
    return { id: key.id, privateKey, jwk: published };
  });
  const current = pairs.at(-1)!;
  const encoder = new TextEncoder();
  return {
    currentKeyId: current.id,
    jwks: { keys: pairs.map((pair) => pair.jwk) },
    sign: (credential) =>
      new CompactSign(encoder.encode(JSON.stringify(credential)))
        .setProtectedHeader({ alg: 'EdDSA', typ: 'vc+jwt', cty: 'vc', kid: current.id })
        .sign(current.privateKey),
  };
}
