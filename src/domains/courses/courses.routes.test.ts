import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/test-app.js';
import { roles } from '../../platform/db/actor.js';
import { type CourseJson, createCoursesWorld, type CoursesWorld, nonAdmins } from '../../../test/world.js';

// The real application through inject, on a real database with its row-level security: drafts are
// created and edited by administrators; who may read and change which course is RLS's answer.
const context = useTestApp();
let world: CoursesWorld;

beforeAll(async () => {
  world = await createCoursesWorld(context.db, () => context.app);
});

const ids = (response: { json: () => { items: { id: string }[] } }) => response.json().items.map((item) => item.id);

describe('creating and editing courses', () => {
  it('creates a draft with its defaults, an ETag of its version, and records who created it', async () => {
    const response = await world.call('AD', 'POST', '/v1/courses', {
      code: 'FA-101', title: 'First Aid at Work', description: 'Three days.', duration_minutes: 1080, certifies: true, certificate_validity_months: 36,
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.headers['etag']).toBe('"1"');
    const course = response.json<CourseJson>();
    expect(course).toMatchObject({
      code: 'FA-101', title: 'First Aid at Work', description: 'Three days.', duration_minutes: 1080, certifies: true, certificate_validity_months: 36,
      status: 'DRAFT', published_at: null, published_version: null, has_unpublished_changes: true, version: 1,
    });
    const { rows } = await context.db.query<{ created_by: string; role: string }>(
      'select c.created_by, u.role from courses c join users u on u.id = c.created_by where c.id = $1', [course.id],
    );
    expect(rows).toEqual([{ created_by: expect.any(String), role: 'AD' }]);
  });

  it('edits the working copy only at the version the client read: stale gets 409 with the current row', async () => {
    const course = await world.draft();
    const changed = await world.call('SA', 'PATCH', `/v1/courses/${course.id}`, { title: 'Renamed', version: 1 });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers['etag']).toBe('"2"');
    const stale = await world.call('AD', 'PATCH', `/v1/courses/${course.id}`, { title: 'Too late', version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ error: { code: 'VERSION_CONFLICT', details: { field: 'body.version', current: { title: 'Renamed', version: 2 } } } });
    const viaHeader = await world.call('AD', 'PATCH', `/v1/courses/${course.id}`, { duration_minutes: 90 }, { 'if-match': '"2"' });
    expect(viaHeader.json()).toMatchObject({ title: 'Renamed', duration_minutes: 90, version: 3 });
    const withoutVersion = await world.call('AD', 'PATCH', `/v1/courses/${course.id}`, { duration_minutes: 60 });
    expect(withoutVersion.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'body.version' } } });
    expect((await world.call('SA', 'GET', `/v1/courses/${course.id}`)).json()).toMatchObject({ duration_minutes: 90, version: 3 });
  });

  it('appends course.created and, for a real change only, course.changed with the changed fields before and after', async () => {
    const created = await world.call('AD', 'POST', '/v1/courses', { code: 'EV-101', title: 'Evented', duration_minutes: 60 });
    expect(created.statusCode, created.body).toBe(201);
    const course = created.json<CourseJson>();
    expect((await world.call('AD', 'PATCH', `/v1/courses/${course.id}`, { title: 'Evented, renamed', version: 1 })).statusCode).toBe(200);
    expect((await world.call('AD', 'PATCH', `/v1/courses/${course.id}`, { title: 'Evented, renamed', version: 2 })).statusCode).toBe(200);
    expect((await world.call('AD', 'PATCH', `/v1/courses/${course.id}`, { title: 'Stale', version: 1 })).statusCode).toBe(409);
    const { rows } = await context.db.query<{ event_type: string; aggregate_version: number; actor_id: string; payload: Record<string, unknown> }>(
      `select event_type, aggregate_version, actor_id, payload from domain_events where aggregate_type = 'course' and aggregate_id = $1 order by seq`,
      [course.id],
    );
    expect(rows.map((row) => [row.event_type, row.aggregate_version])).toEqual([['course.created', 1], ['course.changed', 2]]);
    expect(rows[0]!.payload).toMatchObject({ id: course.id, code: 'EV-101', title: 'Evented', status: 'DRAFT', version: 1 });
    expect(rows[1]!.payload).toEqual({ changed: ['title'], previous: { title: 'Evented' }, current: { title: 'Evented, renamed' } });
    expect(rows.every((row) => row.actor_id === rows[0]!.actor_id && row.actor_id !== null)).toBe(true);
  });

  it('refuses bad input field by field, with the field named, and changes nothing', async () => {
    const count = async () => (await world.call('SA', 'GET', '/v1/courses?limit=1')).json<{ total: number }>().total;
    const before = await count();
    const valid = { code: 'BAD-1', title: 'Bad input', duration_minutes: 60 };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, code: 'has blank' }, 'body.code'],
      [{ ...valid, code: '' }, 'body.code'],
      [{ ...valid, code: 'X'.repeat(51) }, 'body.code'],
      [{ ...valid, title: '' }, 'body.title'],
      [{ ...valid, title: 'T'.repeat(201) }, 'body.title'],
      [{ ...valid, description: 'D'.repeat(5001) }, 'body.description'],
      [{ ...valid, duration_minutes: 0 }, 'body.duration_minutes'],
      [{ ...valid, duration_minutes: 1.5 }, 'body.duration_minutes'],
      [{ ...valid, duration_minutes: 'sixty' }, 'body.duration_minutes'],
      [{ ...valid, certifies: 'yes' }, 'body.certifies'],
      [{ ...valid, certifies: true, certificate_validity_months: 0 }, 'body.certificate_validity_months'],
      [{ ...valid, status: 'PUBLISHED' }, 'body.status'],
      [{ ...valid, published_version: 3 }, 'body.published_version'],
      [{ title: 'No code', duration_minutes: 60 }, 'body.code'],
      [{ code: 'NO-TITLE', duration_minutes: 60 }, 'body.title'],
      [{ code: 'NO-DURATION', title: 'No duration' }, 'body.duration_minutes'],
    ];
    for (const [payload, field] of cases) {
      const response = await world.call('SA', 'POST', '/v1/courses', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json(), JSON.stringify(payload)).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field } } });
    }
    // A validity for a course that certifies nothing breaks a rule of the table: 422 naming it.
    const validityWithoutCertificate = await world.call('SA', 'POST', '/v1/courses', { ...valid, certifies: false, certificate_validity_months: 12 });
    expect(validityWithoutCertificate.statusCode).toBe(422);
    expect(validityWithoutCertificate.json()).toMatchObject({ error: { code: 'CONSTRAINT_VIOLATION', details: { constraint: 'courses_certificate_validity_check' } } });
    const course = await world.draft();
    const duplicate = await world.call('SA', 'POST', '/v1/courses', { ...valid, code: course.code });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ error: { code: 'CONFLICT', details: { constraint: 'courses_code_key' } } });
    expect((await world.call('SA', 'PATCH', `/v1/courses/${course.id}`, { status: 'ARCHIVED', version: 1 })).statusCode).toBe(400);
    expect((await world.call('SA', 'PATCH', `/v1/courses/${course.id}`, { title: 'Ok', version: 0 })).statusCode).toBe(400);
    expect((await world.call('SA', 'PATCH', `/v1/courses/${course.id}`, { title: 'Ok' }, { 'if-match': 'soon' })).json()).toMatchObject({
      error: { code: 'VALIDATION_FAILED', details: { field: 'headers.if-match' } },
    });
    expect(await count()).toBe(before + 1);
  });
});

describe('listing courses', () => {
  it('pages through a filtered, sorted list with cursors and says how many match', async () => {
    const tag = `L${Date.now()}`;
    const made: CourseJson[] = [];
    for (const [index, title] of ['Delta', 'Alpha', 'Echo', 'Charlie', 'Bravo'].entries()) {
      made.push(await world.draft({ code: `${tag}-${index}`, title: `${tag} ${title}`, certifies: index % 2 === 0 }));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/courses?status=DRAFT&certifies=true&sort=title&direction=desc&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await world.call('AD', 'GET', url)).json<{ items: CourseJson[]; next_cursor: string | null; total: number }>();
      seen.push(...page.items.filter((item) => item.code.startsWith(tag)).map((item) => item.title));
      expect(page.items.every((item) => item.status === 'DRAFT' && item.certifies === true)).toBe(true);
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([`${tag} Echo`, `${tag} Delta`, `${tag} Bravo`]);

    const byCode = (await world.call('SA', 'GET', `/v1/courses?sort=code&limit=500`)).json<{ items: CourseJson[]; total: number }>();
    expect(byCode.items.filter((item) => item.code.startsWith(tag)).map((item) => item.code)).toEqual(made.map((course) => course.code));
    expect(byCode.total).toBe(byCode.items.length);
    const byCreation = (await world.call('SA', 'GET', `/v1/courses?sort=created_at&direction=desc&limit=1`)).json<{ items: CourseJson[] }>();
    expect(byCreation.items.map((item) => item.id)).toEqual([made.at(-1)?.id]);
  });

  it('refuses unknown filters, sorts and cursors with the field named', async () => {
    expect((await world.call('SA', 'GET', '/v1/courses?status=LIVE')).json()).toMatchObject({ error: { details: { field: 'querystring.status' } } });
    expect((await world.call('SA', 'GET', '/v1/courses?certifies=maybe')).json()).toMatchObject({ error: { details: { field: 'querystring.certifies' } } });
    expect((await world.call('SA', 'GET', '/v1/courses?sort=duration_minutes')).statusCode).toBe(400);
    expect((await world.call('SA', 'GET', '/v1/courses?cursor=nonsense')).json()).toMatchObject({ error: { details: { field: 'querystring.cursor' } } });
    expect((await world.call('SA', 'GET', '/v1/courses?limit=501')).statusCode).toBe(400);
    expect((await world.call('SA', 'GET', '/v1/courses/not-a-uuid')).statusCode).toBe(400);
  });
});

describe('who may do what with courses', () => {
  it('shows drafts to administrators only: others neither list nor read them (404)', async () => {
    const draft = await world.draft();
    for (const role of roles) {
      const listed = ids(await world.call(role, 'GET', '/v1/courses?status=DRAFT&limit=500'));
      const read = await world.call(role, 'GET', `/v1/courses/${draft.id}`);
      if (role === 'SA' || role === 'AD') {
        expect(listed, role).toContain(draft.id);
        expect(read.statusCode, role).toBe(200);
      } else {
        expect(listed, role).toEqual([]);
        expect(read.statusCode, role).toBe(404);
      }
    }
  });

  it('shows published and archived courses to every signed-in role', async () => {
    const published = await world.transition(await world.draft(), 'publish');
    const archived = await world.transition(await world.transition(await world.draft(), 'publish'), 'archive');
    for (const role of roles) {
      const listed = ids(await world.call(role, 'GET', '/v1/courses?limit=500'));
      expect(listed, role).toEqual(expect.arrayContaining([published.id, archived.id]));
      expect((await world.call(role, 'GET', `/v1/courses/${archived.id}`)).json(), role).toMatchObject({ status: 'ARCHIVED' });
    }
  });

  it('lets only administrators create and edit: 403 for a course others can see, 404 for a draft they cannot', async () => {
    const published = await world.transition(await world.draft(), 'publish');
    const draft = await world.draft();
    for (const role of nonAdmins) {
      expect((await world.call(role, 'POST', '/v1/courses', { code: `NOPE-${role}`, title: 'Nope', duration_minutes: 30 })).json(), role).toMatchObject({
        error: { code: 'FORBIDDEN' },
      });
      expect((await world.call(role, 'PATCH', `/v1/courses/${published.id}`, { title: 'Mine', version: published.version })).statusCode, role).toBe(403);
      expect((await world.call(role, 'PATCH', `/v1/courses/${draft.id}`, { title: 'Mine', version: draft.version })).statusCode, role).toBe(404);
    }
    expect((await world.call('SA', 'GET', `/v1/courses/${published.id}`)).json()).toMatchObject({ title: published.title, version: published.version });
  });

  it('answers 401 on every course route signed out, before looking at the course', async () => {
    const course = await world.transition(await world.draft(), 'publish');
    const version = { version: course.version };
    const requests: [method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object][] = [
      ['GET', '/v1/courses'], ['GET', `/v1/courses/${course.id}`], ['POST', '/v1/courses', { code: 'ANON-1', title: 'Anonymous', duration_minutes: 30 }],
      ['PATCH', `/v1/courses/${course.id}`, version], ['POST', `/v1/courses/${course.id}/publish`, version],
      ['POST', `/v1/courses/${course.id}/unpublish`, version], ['POST', `/v1/courses/${course.id}/archive`, version],
      ['GET', `/v1/courses/${course.id}/versions`], ['GET', `/v1/courses/${course.id}/versions/1`],
    ];
    for (const [method, url, payload] of requests) {
      const response = await world.call('anon', method, url, payload);
      expect(response.statusCode, `${method} ${url}`).toBe(401);
      expect(response.json(), `${method} ${url}`).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    }
    expect((await world.call('SA', 'GET', `/v1/courses/${course.id}`)).json()).toMatchObject({ status: 'PUBLISHED', version: course.version });
  });
});
