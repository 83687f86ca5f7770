import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/test-app.js';
import { checkConsistency } from '../../platform/consistency/consistency.service.js';
import { type CertificateJson, createCertificateWorld, type CertificateWorld } from '../../../test/world.js';
import { builtInTemplateId } from './built-in-template.js';

const context = useTestApp({ publicUrl: 'https://certs.example' });
let world: CertificateWorld;

beforeAll(async () => {
  world = await createCertificateWorld(context.db, () => context.app);
});

const codePattern = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/;

describe('issuing a certificate for a completed enrollment', () => {
  it('stores the printed facts, a code of 80 bits, the PDF hash, an audit row, an event and a change for the stream', async () => {
    const { user, enrollmentId } = await world.student();
    const certificate = await world.issue(world.tokens.instructor, enrollmentId);
    expect(certificate).toMatchObject({
      status: 'ACTIVE', enrollment_id: enrollmentId, user_id: user.id, session_id: world.sessionId, course_id: world.courseId,
      recipient_name: 'Zoë Łukasiewicz-Øster', course_name: 'Πρώτες βοήθειες · First aid', issued_by: world.instructor.id,
      template: { id: builtInTemplateId, name: 'Unitrain standard', version: '1' },
      printed: {
        recipient_name: 'Zoë Łukasiewicz-Øster', course_name: 'Πρώτες βοήθειες · First aid', hours: 7.5, completed_on: '2031-05-05',
        practical_score: 92.5, written_score: 88, instructor_name: 'Владимир Иванов', location_name: 'Own hall', location_place: 'Leeds, GB',
        provider_name: 'Safe Hands Training',
      },
    });
    expect(certificate.verification_code).toMatch(codePattern);
    expect(certificate.verification_url).toBe(`https://certs.example/verify/${certificate.verification_code}`);
    expect(certificate.pdf_sha256).toMatch(/^[0-9a-f]{64}$/);
    // Valid for the course's 24 months from the day of issue.
    const issued = new Date(`${String(certificate['issue_date'])}T00:00:00Z`);
    issued.setUTCMonth(issued.getUTCMonth() + 24);
    expect(certificate['expiry_date']).toBe(issued.toISOString().slice(0, 10));
    // The e-mail is never part of the API's certificate.
    expect(JSON.stringify(certificate)).not.toContain(user.email);

    const { rows: audit } = await context.db.query<{ operation: string; actor_id: string }>(
      "select operation, actor_id from audit_log where table_name = 'certificates' and row_id = $1", [certificate.id]);
    expect(audit).toEqual([{ operation: 'INSERT', actor_id: world.instructor.id }]);
    const { rows: events } = await context.db.query<{ event_type: string; payload: Record<string, unknown> }>(
      "select event_type, payload from domain_events where aggregate_type = 'certificate' and aggregate_id = $1", [certificate.id]);
    expect(events).toEqual([{ event_type: 'certificate.issued', payload: expect.objectContaining({ enrollment_id: enrollmentId, user_id: user.id }) }]);
    const { rows: changes } = await context.db.query<{ operation: string; user_id: string }>(
      "select operation, user_id from change_log where table_name = 'certificates' and row_id = $1", [certificate.id]);
    expect(changes).toEqual([{ operation: 'INSERT', user_id: user.id }]);
  });

  it('answers the live certificate when asked again (200), and the holder reads it', async () => {
    const { token, enrollmentId } = await world.student();
    const first = await world.issue(world.tokens.ap, enrollmentId);
    const again = await world.call(world.tokens.ap, 'POST', '/v1/certificates', { enrollment_id: enrollmentId });
    expect(again.statusCode).toBe(200);
    expect(again.json<CertificateJson>().id).toBe(first.id);
    // The session's instructor sees its certificates, also those someone else issued: the same one.
    const byInstructor = await world.call(world.tokens.instructor, 'POST', '/v1/certificates', { enrollment_id: enrollmentId });
    expect(byInstructor.statusCode, byInstructor.body).toBe(200);
    expect(byInstructor.json<CertificateJson>().id).toBe(first.id);
    const { rows: counted } = await context.db.query<{ n: number }>('select count(*)::integer as n from certificates where enrollment_id = $1', [enrollmentId]);
    expect(counted).toEqual([{ n: 1 }]);
    const read = await world.call(token, 'GET', `/v1/certificates/${first.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json<CertificateJson>().verification_code).toBe(first.verification_code);
  });

  it('refuses a source that cannot be certified (409 NOT_ELIGIBLE with the reason) and changes nothing', async () => {
    const { enrollmentId } = await world.student({ completion: 'IN_PROGRESS' });
    const notCompleted = await world.call(world.tokens.instructor, 'POST', '/v1/certificates', { enrollment_id: enrollmentId });
    expect(notCompleted.statusCode).toBe(409);
    expect(notCompleted.json()).toMatchObject({ error: { code: 'NOT_ELIGIBLE', message: 'the enrollment is ENROLLED and IN_PROGRESS, not completed', details: { field: 'body.enrollment_id' } } });
    const failed = await world.student({ completion: 'FAILED' });
    expect((await world.call(world.tokens.sa, 'POST', '/v1/certificates', { enrollment_id: failed.enrollmentId })).json()).toMatchObject({ error: { code: 'NOT_ELIGIBLE' } });

    const completed = await world.student();
    await context.db.query('update courses set certifies = false, certificate_validity_months = null where id = $1', [world.courseId]);
    try {
      const answer = await world.call(world.tokens.sa, 'POST', '/v1/certificates', { enrollment_id: completed.enrollmentId });
      expect(answer.json()).toMatchObject({ error: { code: 'NOT_ELIGIBLE', message: 'the course does not award certificates' } });
    } finally {
      await context.db.query('update courses set certifies = true, certificate_validity_months = 24 where id = $1', [world.courseId]);
    }
    const { rows } = await context.db.query('select 1 from certificates where enrollment_id = any ($1::uuid[])', [[enrollmentId, failed.enrollmentId, completed.enrollmentId]]);
    expect(rows).toEqual([]);
  });

  it('answers 404 for an unknown or invisible source, 403 to who sees it but is not its staff, 400 without exactly one source', async () => {
    const { token, enrollmentId } = await world.student();
    const unknown = await world.call(world.tokens.sa, 'POST', '/v1/certificates', { enrollment_id: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.statusCode).toBe(404);
    expect((await world.call(world.tokens.otherAp, 'POST', '/v1/certificates', { enrollment_id: enrollmentId })).statusCode).toBe(404);
    expect((await world.call(world.tokens.otherInstructor, 'POST', '/v1/certificates', { enrollment_id: enrollmentId })).statusCode).toBe(404);
    // The student sees their session, but issuing is for its staff.
    expect((await world.call(token, 'POST', '/v1/certificates', { enrollment_id: enrollmentId })).statusCode).toBe(403);
    expect((await world.call(world.tokens.sa, 'POST', '/v1/certificates', {})).json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'body.enrollment_id' } } });
    const both = await world.call(world.tokens.sa, 'POST', '/v1/certificates', { enrollment_id: enrollmentId, roster_member_id: enrollmentId });
    expect(both.statusCode).toBe(400);
    expect((await world.call(world.tokens.sa, 'POST', '/v1/certificates', { enrollment_id: 'not-a-uuid' })).statusCode).toBe(400);
  });
});

describe('issuing for a roster line', () => {
  it('certifies a completed line once, counts it on the roster, and refuses a line in progress', async () => {
    const roster = (await world.call(world.tokens.sa, 'POST', '/v1/rosters', {
      name: 'Roster', course_id: world.courseId, location_id: world.locationId, provider_id: world.providerId, instructor_name: 'Анна Петрова', roster_type: 'CERTIFICATE', issue_date: '2031-06-01',
    })).json<{ id: string }>();
    const add = (body: object) => world.call(world.tokens.sa, 'POST', `/v1/rosters/${roster.id}/members`, body).then((response) => response.json<{ id: string }>());
    const done = await add({ first_name: 'Ἀλέξανδρος', last_name: 'Παπαδόπουλος', completion_status: 'COMPLETED', practical_score: 75 });
    const busy = await add({ first_name: 'Jan', last_name: 'Nowak', completion_status: 'IN_PROGRESS' });
    const issued = await world.call(world.tokens.ap, 'POST', '/v1/certificates', { roster_member_id: done.id });
    expect(issued.statusCode, issued.body).toBe(201);
    expect(issued.json()).toMatchObject({
      roster_id: roster.id, roster_member_id: done.id, user_id: null,
      printed: { recipient_name: 'Ἀλέξανδρος Παπαδόπουλος', instructor_name: 'Анна Петрова', completed_on: '2031-06-01', practical_score: 75, written_score: null },
    });
    expect((await world.call(world.tokens.ap, 'POST', '/v1/certificates', { roster_member_id: done.id })).statusCode).toBe(200);
    const refused = await world.call(world.tokens.ap, 'POST', '/v1/certificates', { roster_member_id: busy.id });
    expect(refused.json()).toMatchObject({ error: { code: 'NOT_ELIGIBLE', message: 'the roster line is IN_PROGRESS, not completed', details: { field: 'body.roster_member_id' } } });
    expect((await world.call(world.tokens.sa, 'GET', `/v1/rosters/${roster.id}`)).json()).toMatchObject({ certificate_count: 1 });
  });
});

describe('the lifecycle of a certificate', () => {
  const post = (certificate: { id: string }, action: string, body: object, token = world.tokens.ap) =>
    world.call(token, 'POST', `/v1/certificates/${certificate.id}/${action}`, body);

  it('suspends, reinstates, revokes with a reason and reissues, never deleting; statuses, counts and the doctor agree', async () => {
    const roster = (await world.call(world.tokens.sa, 'POST', '/v1/rosters', {
      name: 'Lifecycle', course_id: world.courseId, location_id: world.locationId, provider_id: world.providerId, instructor_name: 'Someone', roster_type: 'CERTIFICATE',
    })).json<{ id: string }>();
    const line = (await world.call(world.tokens.sa, 'POST', `/v1/rosters/${roster.id}/members`, { first_name: 'Ada', last_name: 'Lovelace', completion_status: 'COMPLETED' })).json<{ id: string }>();
    let certificate = (await world.call(world.tokens.ap, 'POST', '/v1/certificates', { roster_member_id: line.id })).json<CertificateJson>();
    const count = async () => (await world.call(world.tokens.sa, 'GET', `/v1/rosters/${roster.id}`)).json<{ certificate_count: number }>().certificate_count;

    const suspended = await post(certificate, 'suspend', { reason: 'under review', version: certificate.version });
    expect(suspended.json()).toMatchObject({ status: 'SUSPENDED', suspended_reason: 'under review', suspended_at: expect.any(String) });
    certificate = suspended.json<CertificateJson>();
    expect(await count()).toBe(1);
    expect((await post(certificate, 'suspend', { reason: 'again', version: certificate.version })).json()).toMatchObject({ error: { code: 'INVALID_TRANSITION' } });
    expect((await post(certificate, 'reinstate', { version: certificate.version - 1 })).json()).toMatchObject({ error: { code: 'VERSION_CONFLICT' } });
    certificate = (await post(certificate, 'reinstate', { version: certificate.version })).json<CertificateJson>();
    expect(certificate).toMatchObject({ status: 'ACTIVE', suspended_at: null, suspended_reason: null });

    // A revocation needs its reason: nothing changes without one.
    for (const body of [{ version: certificate.version }, { reason_code: 'FRAUD', version: certificate.version }, { reason: 'x', version: certificate.version }, { reason_code: 'BORED', reason: 'x', version: certificate.version }]) {
      const answer = await post(certificate, 'revoke', body);
      expect(answer.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect((await post(certificate, 'revoke', { reason_code: 'FRAUD', reason: 'x' })).json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'body.version' } } });

    // Reissue: a new certificate and code, linked; the old one REVOKED as SUPERSEDED.
    const reissued = await post(certificate, 'reissue', { version: certificate.version, reason: 'code exposed' });
    expect(reissued.statusCode, reissued.body).toBe(201);
    const replacement = reissued.json<CertificateJson>();
    expect(replacement).toMatchObject({ status: 'ACTIVE', replaces_certificate_id: certificate.id, roster_member_id: line.id, issue_date: certificate['issue_date'], expiry_date: certificate['expiry_date'], printed: certificate.printed });
    expect(replacement.verification_code).not.toBe(certificate.verification_code);
    const old = (await world.call(world.tokens.ap, 'GET', `/v1/certificates/${certificate.id}`)).json<CertificateJson>();
    expect(old).toMatchObject({ status: 'REVOKED', revoked_reason_code: 'SUPERSEDED', revoked_reason: 'code exposed', revoked_at: expect.any(String) });
    expect(await count()).toBe(1);
    expect((await post(old, 'reissue', { version: old.version })).json()).toMatchObject({ error: { code: 'INVALID_TRANSITION' } });

    const revoked = await post(replacement, 'revoke', { reason_code: 'ISSUED_IN_ERROR', reason: 'wrong course', version: replacement.version });
    expect(revoked.json()).toMatchObject({ status: 'REVOKED', revoked_reason_code: 'ISSUED_IN_ERROR', revoked_reason: 'wrong course' });
    expect(await count()).toBe(0);
    expect((await post(replacement, 'revoke', { reason_code: 'OTHER', reason: 'again', version: revoked.json<CertificateJson>().version })).json()).toMatchObject({ error: { code: 'INVALID_TRANSITION' } });
    // A revoked source can be certified anew.
    expect((await world.call(world.tokens.ap, 'POST', '/v1/certificates', { roster_member_id: line.id })).statusCode).toBe(201);
    expect(await count()).toBe(1);

    const { rows: events } = await context.db.query<{ event_type: string }>(
      "select event_type from domain_events where aggregate_type = 'certificate' and aggregate_id = any ($1::uuid[]) order by seq", [[certificate.id, replacement.id]]);
    expect(events.map((event) => event.event_type)).toEqual([
      'certificate.issued', 'certificate.suspended', 'certificate.reinstated', 'certificate.revoked', 'certificate.issued', 'certificate.revoked',
    ]);
    const { rows: audited } = await context.db.query<{ n: number }>("select count(*)::integer as n from audit_log where table_name = 'certificates' and row_id = $1", [certificate.id]);
    expect(audited[0]!.n).toBe(4);
    const report = await checkConsistency(context.db);
    expect(report.violations).toEqual([]);
  });

  it('lets only who may change a certificate change it: 404 invisible, 403 visible but not theirs', async () => {
    const { token, enrollmentId } = await world.student();
    const certificate = await world.issue(world.tokens.sa, enrollmentId);
    const body = { reason: 'no', version: certificate.version };
    expect((await post(certificate, 'suspend', body, world.tokens.otherAp)).statusCode).toBe(404);
    expect((await post(certificate, 'suspend', body, token)).statusCode).toBe(403);
    expect((await post(certificate, 'suspend', body, world.tokens.ap)).statusCode).toBe(200);
  });
});

describe('reading certificates', () => {
  it('shows holders their own, staff theirs, with filters and cursor paging', async () => {
    const mine = await world.student({ firstName: 'Reader', lastName: 'One' });
    const other = await world.student({ firstName: 'Reader', lastName: 'Two' });
    const a = await world.issue(world.tokens.instructor, mine.enrollmentId);
    const b = await world.issue(world.tokens.sa, other.enrollmentId);
    const list = async (token: string, query = '') => (await world.call(token, 'GET', `/v1/certificates${query}`)).json<{ items: CertificateJson[]; next_cursor: string | null; total: number }>();
    expect((await list(mine.token)).items.map((item) => item.id)).toEqual([a.id]);
    expect((await world.call(mine.token, 'GET', `/v1/certificates/${b.id}`)).statusCode).toBe(404);
    expect((await list(world.tokens.otherAp)).items).toEqual([]);
    // The instructor sees the certificates of the session they teach, also one someone else issued, and
    // may change only those they issued; an instructor of other sessions sees neither.
    const instructorSees = (await list(world.tokens.instructor)).items.map((item) => item.id);
    expect(instructorSees).toEqual(expect.arrayContaining([a.id, b.id]));
    expect((await world.call(world.tokens.instructor, 'GET', `/v1/certificates/${b.id}`)).statusCode).toBe(200);
    expect((await world.call(world.tokens.instructor, 'POST', `/v1/certificates/${b.id}/suspend`, { reason: 'no', version: b.version })).statusCode).toBe(403);
    const otherInstructorSees = (await list(world.tokens.otherInstructor)).items.map((item) => item.id);
    expect(otherInstructorSees).not.toContain(a.id);
    expect(otherInstructorSees).not.toContain(b.id);

    const all = await list(world.tokens.sa, `?course_id=${world.courseId}&status=ACTIVE`);
    expect(all.items.map((item) => item.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(world.tokens.sa, `?course_id=${world.courseId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      pages.push(...page.items.map((item) => item.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(new Set(pages).size).toBe(pages.length);
    expect(pages.length).toBe((await list(world.tokens.sa, `?course_id=${world.courseId}&limit=500`)).total);

    // Expiry: before a day after the expiry date finds it, the day itself does not; past it, it reads EXPIRED.
    const expiry = String(a['expiry_date']);
    const dayAfter = new Date(Date.parse(`${expiry}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    expect((await list(world.tokens.sa, `?expiring_before=${dayAfter}`)).items.map((item) => item.id)).toContain(a.id);
    expect((await list(world.tokens.sa, `?expiring_before=${expiry}`)).items.map((item) => item.id)).not.toContain(a.id);
    await context.db.query("update certificates set issue_date = '2020-01-01', expiry_date = '2022-01-01' where id = $1", [a.id]);
    expect((await list(mine.token, '?status=EXPIRED')).items.map((item) => item.id)).toEqual([a.id]);
    expect((await list(world.tokens.sa, '?status=ACTIVE&limit=500')).items.map((item) => item.id)).not.toContain(a.id);
    expect((await world.call(world.tokens.sa, 'GET', '/v1/certificates?status=GONE')).statusCode).toBe(400);
    expect((await world.call(world.tokens.sa, 'GET', '/v1/certificates?expiring_before=soon')).statusCode).toBe(400);
  });
});
