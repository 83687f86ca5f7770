import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Verification } from './certificates.service.js';
import { VerificationSchema } from './certificates.schemas.js';
import { createVerificationSender } from './verification-sender.js';

// A real Fastify app with the route's response schema: no database is involved in sending.
const answer = {
  verification_code: 'ABCD-EFGH-JKMN-PQRS', status: 'ACTIVE',
  printed: {
    recipient_name: 'Zoë Łukasiewicz-Øster', course_name: 'First aid', course_code: 'FA-101', hours: 7.5, completed_on: '2026-01-02',
    practical_score: null, written_score: null, instructor_name: 'Владимир Иванов', location_name: null, location_place: null, provider_name: null,
    email: 'never@example.test',
  },
  issue_date: '2026-01-02', expiry_date: null, revoked_at: null, revoked_reason_code: null, revoked_reason: null,
  suspended_at: null, suspended_reason: null, pdf_sha256: 'ab', replaced_by_code: null, verification_count: 3,
} as unknown as Verification;

async function appSending(schema: object) {
  const app = Fastify();
  const send = createVerificationSender();
  let count = 0;
  app.get('/', { schema: { response: { 200: schema } } }, async (_request, reply) => send(reply, answer, (count += 1)));
  return app;
}

describe('a verification sent from its cached answer', () => {
  it('is the text the schema serializer makes of the answer with its count, each answer with its own count', async () => {
    const app = await appSending(VerificationSchema);
    const whole = await Fastify().get('/', { schema: { response: { 200: VerificationSchema } } }, async () => ({ ...answer, verification_count: 2 }));
    const expected = (await whole.inject({ method: 'GET', url: '/' })).body;
    await app.inject({ method: 'GET', url: '/' });
    const second = await app.inject({ method: 'GET', url: '/' });
    expect(second.body).toBe(expected);
    expect(second.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(second.body).not.toContain('never@example.test');
    await Promise.all([app.close(), whole.close()]);
  });

  it('is serialised whole when the count is not the last field the serializer writes', async () => {
    const { verification_count, ...others } = VerificationSchema.properties;
    const countFirst = { ...VerificationSchema, properties: { verification_count, ...others } };
    const app = await appSending(countFirst);
    expect((await app.inject({ method: 'GET', url: '/' })).json()).toMatchObject({ verification_count: 1, status: 'ACTIVE' });
    expect((await app.inject({ method: 'GET', url: '/' })).json()).toMatchObject({ verification_count: 2 });
    await app.close();
  });
});
