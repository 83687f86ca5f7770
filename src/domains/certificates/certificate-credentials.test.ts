import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { Bitstring } from '@digitalbazaar/bitstring';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp, testKeyring } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import { type CertificateJson, createCertificateWorld, type CertificateWorld } from '../../../test/world.js';
import { statusListEtag } from './status-list.js';

// Real database and HTTP. The credential is checked by two verifiers that share no code with the signer:
// jose's jwtVerify against the JWKS as served, and node's own Ed25519 verify over the JWS signing input.
// The status lists are decoded by @digitalbazaar/bitstring (the reference decoder of the spec's authors).
const base = 'https://certs.example';
const context = useTestApp({ publicUrl: base });
let world: CertificateWorld;
beforeAll(async () => {
  world = await createCertificateWorld(context.db, () => context.app);
});

interface SignedCredential {
  jwt: string;
  credential: Record<string, unknown>;
  key_id: string;
}
interface StatusEntry {
  id: string;
  type: string;
  statusPurpose: 'revocation' | 'suspension';
  statusListIndex: string;
  statusListCredential: string;
}

const get = (url: string, headers: Record<string, string> = {}) => context.app.inject({ method: 'GET', url, headers });
const jwks = async () => (await get('/.well-known/jwks.json')).json<JSONWebKeySet>();

async function credentialOf(token: string, certificate: CertificateJson): Promise<SignedCredential> {
  const response = await world.call(token, 'GET', `/v1/certificates/${certificate.id}/credential`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<SignedCredential>();
}

/** Node's Ed25519 over `header.payload`, with the key the JWKS names by the header's kid. */
function verifiesWithNode(jwt: string, keys: JSONWebKeySet): boolean {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const { kid, alg } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid: string; alg: string };
  expect(alg).toBe('EdDSA');
  const jwk = keys.keys.find((key) => key.kid === kid);
  if (!jwk) return false;
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string }, format: 'jwk' });
  return verify(null, Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'));
}

/** The bit a status entry points at, read from its list as served: verified, then decoded by an independent decoder. */
async function statusBit(entry: StatusEntry): Promise<boolean> {
  expect(entry.statusListCredential.startsWith(`${base}/`)).toBe(true);
  const response = await get(entry.statusListCredential.slice(base.length));
  expect(response.statusCode, response.body).toBe(200);
  expect(response.headers['content-type']).toBe('application/vc+jwt');
  const { payload, protectedHeader } = await jwtVerify(response.body, createLocalJWKSet(await jwks()), { typ: 'vc+jwt' });
  expect(protectedHeader.alg).toBe('EdDSA');
  const list = payload as unknown as { id: string; type: string[]; issuer: string; credentialSubject: { type: string; statusPurpose: string; encodedList: string } };
  expect(list).toMatchObject({ id: entry.statusListCredential, type: ['VerifiableCredential', 'BitstringStatusListCredential'], issuer: base });
  expect(list.credentialSubject).toMatchObject({ type: 'BitstringStatusList', statusPurpose: entry.statusPurpose });
  // Multibase base64url ('u'), then GZIP, per Bitstring Status List v1.0 §2.1; at least 16 KiB of bits.
  expect(list.credentialSubject.encodedList.startsWith('u')).toBe(true);
  const bits = new Bitstring({ buffer: await Bitstring.decodeBits({ encoded: list.credentialSubject.encodedList.slice(1) }) });
  expect(bits.length).toBeGreaterThanOrEqual(131_072);
  return bits.get(Number(entry.statusListIndex));
}

async function issued(): Promise<{ certificate: CertificateJson; token: string; user: { id: string; email: string } }> {
  const { token, enrollmentId, user } = await world.student();
  return { certificate: await world.issue(world.tokens.instructor, enrollmentId), token, user };
}

describe('GET /v1/certificates/:id/credential', () => {
  it('is an Open Badges 3.0 AchievementCredential, VC-JOSE signed with Ed25519, that verifies against the served JWKS', async () => {
    const { certificate, token, user } = await issued();
    const signed = await credentialOf(token, certificate);
    const keys = await jwks();
    const { payload, protectedHeader } = await jwtVerify(signed.jwt, createLocalJWKSet(keys), { typ: 'vc+jwt' });
    expect(protectedHeader).toEqual({ alg: 'EdDSA', typ: 'vc+jwt', cty: 'vc', kid: 'ctest1' });
    expect(payload).toEqual(signed.credential);
    expect(verifiesWithNode(signed.jwt, keys)).toBe(true);
    const tampered = `${signed.jwt.split('.')[0]}.${Buffer.from(JSON.stringify({ ...payload, name: 'Forged' })).toString('base64url')}.${signed.jwt.split('.')[2]}`;
    expect(verifiesWithNode(tampered, keys)).toBe(false);

    expect(payload).toMatchObject({
      '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
      id: certificate.verification_url,
      type: ['VerifiableCredential', 'AchievementCredential'],
      issuer: { id: base, type: ['Profile'], name: 'certs.example' },
      validFrom: `${String(certificate['issue_date'])}T00:00:00Z`,
      validUntil: `${String(certificate['expiry_date'])}T23:59:59Z`,
      credentialSubject: {
        type: ['AchievementSubject'],
        identifier: [{ type: 'IdentityObject', identityHash: 'Zoë Łukasiewicz-Øster', identityType: 'name', hashed: false }],
        activityEndDate: '2031-05-05T00:00:00Z',
        achievement: {
          id: `urn:uuid:${world.courseId}`, type: ['Achievement'], achievementType: 'Certificate', name: 'Πρώτες βοήθειες · First aid',
          creator: { type: ['Profile'], name: 'Safe Hands Training' },
        },
        result: [
          { type: ['Result'], resultDescription: `urn:uuid:${world.courseId}#practical`, value: '92.5' },
          { type: ['Result'], resultDescription: `urn:uuid:${world.courseId}#written`, value: '88' },
        ],
      },
    });
    const status = payload['credentialStatus'] as StatusEntry[];
    expect(status.map((entry) => [entry.type, entry.statusPurpose])).toEqual([['BitstringStatusListEntry', 'revocation'], ['BitstringStatusListEntry', 'suspension']]);
    expect(status[0]?.statusListIndex).toBe(status[1]?.statusListIndex);
    expect(status[0]?.id).toBe(`${status[0]?.statusListCredential}#${status[0]?.statusListIndex}`);
    // What it says is what the certificate prints: never the holder's e-mail or account.
    expect(JSON.stringify(payload)).not.toContain(user.email);
    expect(JSON.stringify(payload)).not.toContain(user.id);
    // Deterministic: the same bytes on every read while the key stays.
    expect((await credentialOf(token, certificate)).jwt).toBe(signed.jwt);
  });

  it('is linked from the certificate the holder reads, beside the PDF and the share link', async () => {
    const { certificate, token } = await issued();
    const mine = (await world.call(token, 'GET', `/v1/certificates/${certificate.id}`)).json<CertificateJson>();
    expect(mine).toMatchObject({
      pdf_url: `${base}/v1/certificates/${certificate.id}/pdf`,
      credential_url: `${base}/v1/certificates/${certificate.id}/credential`,
      verification_url: `${base}/verify/${certificate.verification_code}`,
    });
    const followed = await world.call(token, 'GET', String(mine['credential_url']).slice(base.length));
    expect(followed.json<SignedCredential>().credential['id']).toBe(mine.verification_url);
  });

  it('is for whoever may read the certificate: 404 to another holder, 401 signed out, 400 for a malformed id', async () => {
    const { certificate } = await issued();
    const other = await world.student({ firstName: 'Other', lastName: 'Holder' });
    expect((await world.call(other.token, 'GET', `/v1/certificates/${certificate.id}/credential`)).statusCode).toBe(404);
    expect((await world.call(world.tokens.otherAp, 'GET', `/v1/certificates/${certificate.id}/credential`)).statusCode).toBe(404);
    expect((await get(`/v1/certificates/${certificate.id}/credential`)).statusCode).toBe(401);
    expect((await world.call(world.tokens.sa, 'GET', '/v1/certificates/not-a-uuid/credential')).json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'params.id' } } });
    expect((await credentialOf(world.tokens.ap, certificate)).credential['id']).toBe(certificate.verification_url);
  });

  it('is signed by the newest key after a rotation, while what the old key signed still verifies', async () => {
    const { certificate, token } = await issued();
    const before = await credentialOf(token, certificate);
    const rotated = await buildTestApp(context.db, {
      publicUrl: base,
      keyring: { ...testKeyring, credentialSigningKeys: [...testKeyring.credentialSigningKeys, { id: 'ctest2', seed: randomBytes(32) }] },
    });
    try {
      const keys = (await rotated.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<JSONWebKeySet>();
      expect(keys.keys.map((key) => key.kid)).toEqual(['ctest1', 'ctest2']);
      const after = (await rotated.inject({ method: 'GET', url: `/v1/certificates/${certificate.id}/credential`, headers: { authorization: `Bearer ${token}` } })).json<SignedCredential>();
      expect(after.key_id).toBe('ctest2');
      expect(after.credential).toEqual(before.credential);
      for (const jwt of [before.jwt, after.jwt]) {
        await expect(jwtVerify(jwt, createLocalJWKSet(keys))).resolves.toBeDefined();
        expect(verifiesWithNode(jwt, keys)).toBe(true);
      }
    } finally {
      await rotated.close();
    }
  });
});

describe('the status lists', () => {
  it('set the suspension bit on suspend and clear it on reinstate, and set the revocation bit on revoke, in the same transaction', async () => {
    const { certificate, token } = await issued();
    const [revocation, suspension] = (await credentialOf(token, certificate)).credential['credentialStatus'] as [StatusEntry, StatusEntry];
    expect([await statusBit(revocation), await statusBit(suspension)]).toEqual([false, false]);

    let current = (await world.call(world.tokens.ap, 'POST', `/v1/certificates/${certificate.id}/suspend`, { reason: 'under review', version: certificate.version })).json<CertificateJson>();
    expect([await statusBit(revocation), await statusBit(suspension)]).toEqual([false, true]);
    current = (await world.call(world.tokens.ap, 'POST', `/v1/certificates/${certificate.id}/reinstate`, { version: current.version })).json<CertificateJson>();
    expect([await statusBit(revocation), await statusBit(suspension)]).toEqual([false, false]);
    current = (await world.call(world.tokens.ap, 'POST', `/v1/certificates/${certificate.id}/suspend`, { reason: 'again', version: current.version })).json<CertificateJson>();
    const revoked = await world.call(world.tokens.ap, 'POST', `/v1/certificates/${certificate.id}/revoke`, { reason_code: 'FRAUD', reason: 'forged papers', version: current.version });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect([await statusBit(revocation), await statusBit(suspension)]).toEqual([true, false]);

    // Another certificate's bit is untouched, and a reissue's replacement starts clear while the old one is revoked.
    const neighbour = await issued();
    const [neighbourRevocation] = (await credentialOf(neighbour.token, neighbour.certificate)).credential['credentialStatus'] as [StatusEntry];
    expect(await statusBit(neighbourRevocation)).toBe(false);
    const replacement = (await world.call(world.tokens.ap, 'POST', `/v1/certificates/${neighbour.certificate.id}/reissue`, { version: neighbour.certificate.version })).json<CertificateJson>();
    const [replacementRevocation] = (await credentialOf(neighbour.token, replacement)).credential['credentialStatus'] as [StatusEntry];
    expect([await statusBit(neighbourRevocation), await statusBit(replacementRevocation)]).toEqual([true, false]);
  });

  it('are cacheable: the same bytes and ETag until a bit changes, 304 for a matching If-None-Match', async () => {
    const { certificate, token } = await issued();
    const [, suspension] = (await credentialOf(token, certificate)).credential['credentialStatus'] as [StatusEntry, StatusEntry];
    const path = suspension.statusListCredential.slice(base.length);
    const first = await get(path);
    const second = await get(path);
    expect(second.body).toBe(first.body);
    expect(first.headers['cache-control']).toBe('public, max-age=60, must-revalidate');
    expect(first.headers['access-control-allow-origin']).toBe('*');
    expect(first.headers['cross-origin-resource-policy']).toBe('cross-origin');
    const etag = String(first.headers['etag']);
    expect(second.headers['etag']).toBe(etag);
    const notModified = await get(path, { 'if-none-match': etag });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.body).toBe('');
    await world.call(world.tokens.ap, 'POST', `/v1/certificates/${certificate.id}/suspend`, { reason: 'under review', version: certificate.version });
    const changed = await get(path, { 'if-none-match': etag });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers['etag']).not.toBe(etag);
  });

  it('take their ETag from the list’s change time and key, and answer again, 304 or 200, from the cache without signing anew', async () => {
    const { certificate, token } = await issued();
    const [revocation] = (await credentialOf(token, certificate)).credential['credentialStatus'] as [StatusEntry];
    const path = revocation.statusListCredential.slice(base.length);
    const first = await get(path);
    expect(first.statusCode, first.body).toBe(200);
    const listNumber = Number(path.split('/').at(-1));
    // List 0 has its row from the start (migration 0034).
    const { rows: [stored] } = await context.db.query<{ changed_at: Date }>(
      `select changed_at from certificate_status_lists where purpose = 'revocation' and list_number = $1`, [listNumber]);
    const { kid } = JSON.parse(Buffer.from(first.body.split('.')[0]!, 'base64url').toString('utf8')) as { kid: string };
    const etag = statusListEtag({ purpose: 'revocation', list_number: listNumber, changed_at: stored!.changed_at }, kid, base);
    expect(first.headers['etag']).toBe(etag);
    // Once this process's feed has read the issue, the signed list is served from the cache: a hit, no load.
    const hits = async () => Number(/^unitrain_cache_hits_total\{layer="l1"\} (\d+)/m.exec((await get('/metrics')).body)?.[1] ?? 0);
    const misses = async () => Number(/^unitrain_cache_misses_total (\d+)/m.exec((await get('/metrics')).body)?.[1] ?? 0);
    await vi.waitFor(async () => {
      const hitsBefore = await hits();
      expect((await get(path, { 'if-none-match': etag })).statusCode).toBe(304);
      expect(await hits()).toBe(hitsBefore + 1);
    }, { timeout: 30_000, interval: 20 });
    const missesBefore = await misses();
    const again = await get(path);
    const notModified = await get(path, { 'if-none-match': etag });
    expect([again.statusCode, again.body, notModified.statusCode]).toEqual([200, first.body, 304]);
    expect(await misses()).toBe(missesBefore);
  });

  it('answers 404 for a list no certificate is in and 400 for an unknown purpose, signed out', async () => {
    expect((await get('/v1/credentials/status/revocation/999')).json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await get('/v1/credentials/status/expiry/0')).json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'params.purpose' } } });
    expect((await get('/v1/credentials/status/revocation/-1')).statusCode).toBe(400);
    expect((await get('/.well-known/jwks.json')).headers['cache-control']).toBe('public, max-age=300');
  });
});
