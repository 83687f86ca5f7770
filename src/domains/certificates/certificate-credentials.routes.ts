import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import Type from 'typebox';
import type { TwoLayerCache } from '../../platform/cache/two-layer-cache.js';
import { requireSignedIn, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { publicSecurity, signedInSecurity } from '../../platform/http/openapi.js';
import { publicUrlOf } from '../../platform/http/public-url.js';
import { publicRoute } from '../../platform/http/rate-limits.js';
import { credentialPaths, statusPurposes } from './certificate-credential.js';
import { certificateCredential, type CredentialsDeps, publishedStatusList } from './certificate-credentials.service.js';
import { vcJwtMediaType } from './credential-signing.js';
import { IdParams } from './certificates.schemas.js';

export interface CredentialsRouteDeps extends CredentialsDeps {
  /** PUBLIC_URL: the issuer's id and the base of every URL a credential names; null uses the request's origin. */
  publicUrl: string | null;
  /** Signed status lists are kept in it until a certificate changes (decision 0052). */
  cache: TwoLayerCache;
}

const SignedCredentialSchema = Type.Object(
  {
    jwt: Type.String({ description: 'the credential secured with JOSE (media type application/vc+jwt): a compact JWS, EdDSA (Ed25519)' }),
    credential: Type.Record(Type.String(), Type.Unknown(), { description: 'the JWS payload: a W3C Verifiable Credential 2.0 / Open Badges 3.0 AchievementCredential' }),
    key_id: Type.String({ description: 'the `kid` of the signing key, published at /.well-known/jwks.json' }),
  },
  { title: 'SignedCredential' },
);

const JwksSchema = Type.Object(
  { keys: Type.Array(Type.Object({ kty: Type.String(), crv: Type.String(), x: Type.String(), kid: Type.String(), alg: Type.String(), use: Type.String() })) },
  { title: 'JsonWebKeySet', description: 'every credential signing key, the retired ones too' },
);

const StatusListParams = Type.Object(
  {
    purpose: Type.Union(statusPurposes.map((purpose) => Type.Literal(purpose))),
    list: Type.Integer({ minimum: 0, maximum: 2_000_000_000, description: 'the list number: a credential status entry’s statusListIndex lives in the list its statusListCredential names' }),
  },
  { additionalProperties: false },
);

/**
 * Verifiers run anywhere, browser wallets included: the keys and the status lists may be fetched from
 * any origin (they are public and carry no cookies), unlike the rest of the API.
 */
const publicDocument = (reply: FastifyReply) =>
  reply.header('access-control-allow-origin', '*').header('cross-origin-resource-policy', 'cross-origin');

const VcJwt = Type.String({ description: 'a compact JWS (application/vc+jwt)' });

/**
 * Signed credentials: a certificate as an Open Badges 3.0 credential (VC-JOSE, Ed25519), the issuer's
 * public keys, and the Bitstring Status Lists of revocation and suspension. Decision 0035.
 */
export const certificateCredentialsRoutes: FastifyPluginAsyncTypebox<CredentialsRouteDeps> = async (app, deps) => {
  const tags = ['certificates'];
  const baseOf = (request: Parameters<typeof publicUrlOf>[1]) => publicUrlOf(deps.publicUrl, request, '');

  app.get(
    '/v1/certificates/:id/credential',
    {
      onRequest: signedInOnly,
      schema: {
        tags, security: signedInSecurity, operationId: 'readCertificateCredential',
        summary: 'The certificate as a signed W3C Verifiable Credential (Open Badges 3.0 AchievementCredential, VC-JOSE with Ed25519)',
        description: 'For whoever may read the certificate. Verify `jwt` against /.well-known/jwks.json; its credentialStatus names the revocation and suspension lists.',
        params: IdParams,
        response: { 200: SignedCredentialSchema, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request, reply) => {
      const signed = await certificateCredential(deps, requireSignedIn(request), request.params.id, baseOf(request));
      return reply.header('cache-control', 'private, no-store').send(signed);
    },
  );

  app.get(
    credentialPaths.jwks,
    {
      config: publicRoute,
      schema: {
        tags, security: publicSecurity, operationId: 'readCredentialKeys',
        summary: 'The public keys that sign credentials and status lists (JWKS): the current key and every older one',
        response: { 200: JwksSchema, ...errorResponses(429) },
      },
    },
    async (_request, reply) => publicDocument(reply).header('cache-control', 'public, max-age=300').send(deps.signer.jwks),
  );

  app.get(
    '/v1/credentials/status/:purpose/:list',
    {
      config: publicRoute,
      schema: {
        tags, security: publicSecurity, operationId: 'readCredentialStatusList',
        summary: 'A W3C Bitstring Status List credential (revocation or suspension), signed (application/vc+jwt)',
        description: 'Its bits change in the transaction that changes a certificate’s status. Cacheable: the same list signs to the same bytes (ETag; If-None-Match answers 304) until a bit changes or the key rotates.',
        params: StatusListParams,
        produces: [vcJwtMediaType],
        response: {
          200: { description: 'the status list credential, signed', content: { [vcJwtMediaType]: { schema: VcJwt } } },
          304: { description: 'not modified (If-None-Match)', content: { [vcJwtMediaType]: { schema: Type.String({ maxLength: 0 }) } } },
          ...errorResponses(404, 429),
        },
      },
    },
    async (request, reply) => {
      const { etag, jwt } = await publishedStatusList(deps, request.params.purpose, request.params.list, baseOf(request));
      publicDocument(reply).header('etag', etag).header('cache-control', 'public, max-age=60, must-revalidate');
      if (request.headers['if-none-match'] === etag) return reply.status(304).send();
      return reply.type(vcJwtMediaType).send(jwt);
    },
  );
};
