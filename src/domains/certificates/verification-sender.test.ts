import Fastify from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/test-app.js';
import { type CertificateJson, createCertificateWorld, type CertificateWorld } from '../../../test/world.js';
import { publicVerificationAnswers, verifyCertificate } from './certificates.repository.js';
import { VerificationSchema } from './certificates.schemas.js';

// The answer's text is PostgreSQL's (decision 0077) and is sent without the route's serializer: it must be,
// byte for byte, what that serializer writes of the same certificate read as an object, the way answers
// were made before: the schema's fields in its order, the printed facts it names and no other.
const context = useTestApp({ publicUrl: 'https://certs.example' });
let world: CertificateWorld;

beforeAll(async () => {
  world = await createCertificateWorld(context.db, () => context.app);
});

const post = (certificate: CertificateJson, action: string, body: object) =>
  world.call(world.tokens.ap, 'POST', `/v1/certificates/${certificate.id}/${action}`, { ...body, version: certificate.version });

async function issued(): Promise<CertificateJson> {
  const { enrollmentId } = await world.student();
  return world.issue(world.tokens.instructor, enrollmentId);
}

const noPrintedFacts = {
  course_code: null, hours: null, completed_on: null, practical_score: null, written_score: null,
  instructor_name: null, location_name: null, location_place: null, provider_name: null,
};

/** The route's serializer's text of a code's answer with its count at 7, from the stored row read as an object. */
async function serialised(code: string, asOf: string): Promise<string> {
  const found = await verifyCertificate(context.db, code, false);
  if (!found) throw new Error(`no certificate has ${code}`);
  const { rows: [status] } = await context.db.query<{ status: string }>('select app_certificate_status(status, expiry_date, $2) as status from certificates where verification_code = $1', [code, asOf]);
  const answer = {
    verification_code: code, status: status?.status, printed: { ...noPrintedFacts, ...found.printed }, issue_date: found.issue_date, expiry_date: found.expiry_date,
    revoked_at: found.revoked_at?.toISOString() ?? null, revoked_reason_code: found.revoked_reason_code, revoked_reason: found.revoked_reason,
    suspended_at: found.suspended_at?.toISOString() ?? null, suspended_reason: found.suspended_reason, pdf_sha256: found.pdf_sha256,
    replaced_by_code: found.replaced_by_code, verification_count: 7,
  };
  const app = Fastify();
  app.get('/', { schema: { response: { 200: VerificationSchema } } }, async () => answer);
  try {
    return (await app.inject({ method: 'GET', url: '/' })).body;
  } finally {
    await app.close();
  }
}

describe('the answer text PostgreSQL writes', () => {
  it('is what the route serializer writes of the same certificate: each state, a reissue, a fact missing, facts not printed', async () => {
    const active = await issued();
    // Facts a snapshot may hold that the certificate does not print, a printed fact missing, text needing escapes.
    await context.db.query(
      `update certificates set snapshot = jsonb_set(snapshot, '{printed}', ((snapshot -> 'printed') - 'hours') || jsonb_build_object(
         'email', 'never@example.test', 'theory_score', 61, 'instructor_name', E'"Quoted" \\\\ tab\\t line\\n Ωμέγα'))
        where id = $1`,
      [active.id],
    );
    const suspended = (await post(await issued(), 'suspend', { reason: 'under "review"' })).json<CertificateJson>();
    const revoked = (await post(suspended, 'revoke', { reason_code: 'FRAUD', reason: 'forged attendance' })).json<CertificateJson>();
    const replaced = await issued();
    expect((await post(replaced, 'reissue', { reason: 'name misspelt' })).statusCode).toBe(201);
    const codes = [active, revoked, replaced].map((certificate) => certificate.verification_code);
    const expiry = String(active['expiry_date']);
    const dayAfterExpiry = new Date(Date.parse(`${expiry}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    for (const asOf of [expiry, dayAfterExpiry]) {
      const answers = await publicVerificationAnswers(context.db, codes, asOf);
      expect(answers.map((answer) => answer.verification_code).sort()).toEqual([...codes].sort());
      for (const answer of answers) {
        const text = `${answer.before_count}7}`;
        expect(text).toBe(await serialised(answer.verification_code, asOf));
        expect(text).not.toContain('never@example.test');
        expect(text).not.toContain('theory_score');
      }
    }
    const [activeAfterExpiry] = await publicVerificationAnswers(context.db, [active.verification_code], dayAfterExpiry);
    expect(JSON.parse(`${activeAfterExpiry?.before_count}0}`)).toMatchObject({ status: 'EXPIRED', printed: { hours: null, instructor_name: '"Quoted" \\ tab\t line\n Ωμέγα' } });
  });
});
