import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/test-app.js';
import { roles } from '../../platform/db/actor.js';
import { type CourseJson, createCoursesWorld, type CoursesWorld, nonAdmins } from '../../../test/world.js';

// Publishing through the real API on a real database: snapshots in course_versions, what each role
// sees of a course whose working copy moved on, the status machine, versions and events.
const context = useTestApp();
let world: CoursesWorld;

beforeAll(async () => {
  world = await createCoursesWorld(context.db, () => context.app);
});

const first = { title: 'Paediatric First Aid', description: 'Two days, with assessment.', duration_minutes: 720, certifies: true, certificate_validity_months: 36 };
const second = { title: 'Paediatric First Aid (revised)', description: 'Two days, blended.', duration_minutes: 600, certifies: true, certificate_validity_months: 24 };

/** The status-change events of a course (creating and editing have theirs, tested with the resource routes). */
async function eventsOf(courseId: string) {
  const { rows } = await context.db.query<{ event_type: string; aggregate_version: number; payload: Record<string, unknown> }>(
    `select event_type, aggregate_version, payload from domain_events
      where aggregate_type = 'course' and aggregate_id = $1 and event_type not in ('course.created', 'course.changed') order by seq`,
    [courseId],
  );
  return rows;
}

async function versionRows(courseId: string) {
  const { rows } = await context.db.query<{ version_number: number; snapshot: Record<string, unknown> }>(
    'select version_number, snapshot from course_versions where course_id = $1 order by version_number',
    [courseId],
  );
  return rows;
}

const read = (caller: Parameters<CoursesWorld['call']>[0], url: string) => world.call(caller, 'GET', url);
const transition = (caller: Parameters<CoursesWorld['call']>[0], course: { id: string }, name: string, body?: object, headers?: Record<string, string>) =>
  world.call(caller, 'POST', `/v1/courses/${course.id}/${name}`, body, headers);

describe('publishing a course', () => {
  it('stores the catalogue fields as version 1, points the course at it and appends course.published', async () => {
    const draft = await world.draft(first);
    const response = await transition('SA', draft, 'publish', { version: draft.version });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['etag']).toBe(`"${draft.version + 1}"`);
    expect(response.json()).toMatchObject({ status: 'PUBLISHED', published_version: 1, published_at: expect.any(String), has_unpublished_changes: false, version: draft.version + 1 });
    expect(await versionRows(draft.id)).toEqual([{ version_number: 1, snapshot: { code: draft.code, ...first } }]);
    const { rows } = await context.db.query<{ role: string }>(
      'select u.role from course_versions v join users u on u.id = v.published_by where v.course_id = $1', [draft.id],
    );
    expect(rows).toEqual([{ role: 'SA' }]);
    expect(await eventsOf(draft.id)).toEqual([
      { event_type: 'course.published', aggregate_version: draft.version + 1, payload: { code: draft.code, status: 'PUBLISHED', version_number: 1, previous_status: 'DRAFT' } },
    ]);
  });

  it('keeps showing the published snapshot to everyone but administrators until the edit is published', async () => {
    const course = await world.transition(await world.draft(first), 'publish');
    const edited = await world.edit(course, second);
    expect(edited).toMatchObject({ ...second, status: 'PUBLISHED', published_version: 1, has_unpublished_changes: true });
    for (const role of roles) {
      const seen = (await read(role, `/v1/courses/${course.id}`)).json<CourseJson>();
      const listed = (await read(role, '/v1/courses?status=PUBLISHED&limit=500')).json<{ items: CourseJson[] }>().items.find((item) => item.id === course.id);
      const expected = role === 'SA' || role === 'AD' ? { ...second, has_unpublished_changes: true } : { ...first, has_unpublished_changes: null };
      expect(seen, role).toMatchObject({ code: course.code, published_version: 1, ...expected });
      expect(listed, role).toMatchObject(expected);
    }
    // Filters and sorting see what the caller sees.
    const searchIt = async (caller: 'AD' | 'IT', duration: number) =>
      (await read(caller, `/v1/courses?status=PUBLISHED&limit=500`)).json<{ items: CourseJson[] }>().items.some((item) => item.id === course.id && item.duration_minutes === duration);
    expect([await searchIt('AD', second.duration_minutes), await searchIt('IT', first.duration_minutes)]).toEqual([true, true]);

    const republished = await world.transition(course, 'publish');
    expect(republished).toMatchObject({ ...second, published_version: 2, has_unpublished_changes: false });
    for (const role of nonAdmins) {
      expect((await read(role, `/v1/courses/${course.id}`)).json(), role).toMatchObject({ ...second, published_version: 2 });
      expect((await read(role, `/v1/courses/${course.id}/versions/1`)).json(), role).toMatchObject({ version_number: 1, snapshot: first });
    }
    expect((await versionRows(course.id)).map((row) => row.snapshot['title'])).toEqual([first.title, second.title]);
  });

  it('says the working copy is unchanged again once it is edited back to what was published', async () => {
    const course = await world.transition(await world.draft(first), 'publish');
    expect((await world.edit(course, { title: 'Something else' })).has_unpublished_changes).toBe(true);
    expect((await world.edit(course, { title: first.title })).has_unpublished_changes).toBe(false);
  });

  it('refuses to publish a published course with nothing new (409 INVALID_TRANSITION) and stores no version', async () => {
    const course = await world.transition(await world.draft(), 'publish');
    const again = await transition('AD', course, 'publish', { version: course.version });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'INVALID_TRANSITION', details: { status: 'PUBLISHED', current: { id: course.id, version: course.version } } } });
    expect(await versionRows(course.id)).toHaveLength(1);
  });

  it('refuses a code another published course still shows in the catalogue', async () => {
    const shown = await world.transition(await world.draft(), 'publish');
    await world.edit(shown, { code: `${shown.code}-NEW` });
    const newcomer = await world.draft({ code: shown.code });
    const refused = await transition('SA', newcomer, 'publish', { version: newcomer.version });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ error: { code: 'CONFLICT', details: { field: 'code' } } });
    expect(await versionRows(newcomer.id)).toEqual([]);
    await world.transition(shown, 'publish');
    expect((await world.transition(newcomer, 'publish')).status).toBe('PUBLISHED');
  });
});

describe('unpublishing and archiving', () => {
  it('unpublishes to DRAFT: out of sight of everyone but administrators, its versions kept for them', async () => {
    const course = await world.transition(await world.draft(first), 'publish');
    const response = await transition('AD', course, 'unpublish', { version: course.version });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ status: 'DRAFT', published_version: 1, version: course.version + 1 });
    for (const role of nonAdmins) {
      expect((await read(role, `/v1/courses/${course.id}`)).statusCode, role).toBe(404);
      expect((await read(role, `/v1/courses/${course.id}/versions`)).statusCode, role).toBe(404);
      expect((await read(role, `/v1/courses/${course.id}/versions/1`)).statusCode, role).toBe(404);
    }
    expect((await read('AD', `/v1/courses/${course.id}/versions`)).json()).toMatchObject({ items: [{ version_number: 1 }], total: 1 });
    expect((await eventsOf(course.id)).map((event) => [event.event_type, event.payload['status']])).toEqual([
      ['course.published', 'PUBLISHED'],
      ['course.unpublished', 'DRAFT'],
    ]);
    // Publishing it again is a new publication, even with nothing edited.
    expect(await world.transition(course, 'publish')).toMatchObject({ status: 'PUBLISHED', published_version: 2 });
  });

  it('archives for good: everyone signed in still sees what was last published, never a later edit', async () => {
    const course = await world.transition(await world.draft(first), 'publish');
    const response = await transition('SA', course, 'archive', { version: course.version });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ARCHIVED', published_version: 1 });
    await world.edit(course, second);
    for (const role of nonAdmins) {
      expect((await read(role, `/v1/courses/${course.id}`)).json(), role).toMatchObject({ ...first, status: 'ARCHIVED' });
      // Versions are readable only for PUBLISHED courses (course_versions_select_published).
      expect((await read(role, `/v1/courses/${course.id}/versions`)).json(), role).toMatchObject({ items: [], total: 0 });
      expect((await read(role, `/v1/courses/${course.id}/versions/1`)).statusCode, role).toBe(404);
    }
    expect((await read('AD', `/v1/courses/${course.id}`)).json()).toMatchObject({ ...second, has_unpublished_changes: true });
    const events = await eventsOf(course.id);
    expect(events.at(-1)).toMatchObject({ event_type: 'course.archived', payload: { status: 'ARCHIVED', previous_status: 'PUBLISHED' } });
    expect(await world.transition(await world.draft(), 'archive')).toMatchObject({ status: 'ARCHIVED', published_version: null });
  });

  it('refuses transitions the status does not allow, with the current status, and changes nothing', async () => {
    const draft = await world.draft();
    const archived = await world.transition(await world.transition(await world.draft(), 'publish'), 'archive');
    const cases: [CourseJson, string, string][] = [
      [draft, 'unpublish', 'DRAFT'],
      [archived, 'publish', 'ARCHIVED'],
      [archived, 'unpublish', 'ARCHIVED'],
      [archived, 'archive', 'ARCHIVED'],
    ];
    for (const [course, name, status] of cases) {
      const response = await transition('SA', course, name, { version: course.version });
      expect(response.statusCode, `${name} ${status}`).toBe(409);
      expect(response.json(), `${name} ${status}`).toMatchObject({ error: { code: 'INVALID_TRANSITION', details: { status, current: { id: course.id, status } } } });
      expect((await read('SA', `/v1/courses/${course.id}`)).json(), `${name} ${status}`).toMatchObject({ status, version: course.version });
    }
  });
});

describe('the version a status change was decided on', () => {
  it('answers a stale version with 409 VERSION_CONFLICT and the current row, for every status change', async () => {
    for (const name of ['publish', 'unpublish', 'archive']) {
      const course = await world.transition(await world.draft(), 'publish');
      await world.edit(course, { title: 'Moved on' });
      const stale = await transition('AD', course, name, { version: course.version });
      expect(stale.statusCode, name).toBe(409);
      expect(stale.json(), name).toMatchObject({
        error: { code: 'VERSION_CONFLICT', details: { field: 'body.version', current: { id: course.id, title: 'Moved on', version: course.version + 1 } } },
      });
      expect((await read('SA', `/v1/courses/${course.id}`)).json(), name).toMatchObject({ status: 'PUBLISHED', version: course.version + 1 });
    }
  });

  it('takes the version from If-Match too, and refuses a missing or malformed one with the field', async () => {
    const draft = await world.draft();
    expect((await transition('SA', draft, 'publish')).json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'body.version' } } });
    expect((await transition('SA', draft, 'publish', {}, { 'if-match': 'latest' })).json()).toMatchObject({
      error: { code: 'VALIDATION_FAILED', details: { field: 'headers.if-match' } },
    });
    for (const body of [{ version: 0 }, { version: 'one' }, { version: 2 ** 31 }, { version: 1, status: 'PUBLISHED' }]) {
      expect((await transition('SA', draft, 'publish', body)).statusCode, JSON.stringify(body)).toBe(400);
    }
    const viaHeader = await transition('SA', draft, 'publish', undefined, { 'if-match': `"${draft.version}"` });
    expect(viaHeader.statusCode, viaHeader.body).toBe(200);
    expect(viaHeader.json()).toMatchObject({ status: 'PUBLISHED', version: draft.version + 1 });
  });
});

describe('who may change a course’s status', () => {
  it('lets administrators only: 403 for a course others can see, 404 for a draft or no course at all', async () => {
    const published = await world.transition(await world.draft(), 'publish');
    const draft = await world.draft();
    for (const role of nonAdmins) {
      for (const name of ['publish', 'unpublish', 'archive']) {
        expect((await transition(role, published, name, { version: published.version })).json(), `${role} ${name}`).toMatchObject({ error: { code: 'FORBIDDEN' } });
        expect((await transition(role, draft, name, { version: draft.version })).statusCode, `${role} ${name}`).toBe(404);
      }
    }
    expect((await read('SA', `/v1/courses/${published.id}`)).json()).toMatchObject({ status: 'PUBLISHED', version: published.version });
    expect((await read('SA', `/v1/courses/${draft.id}`)).json()).toMatchObject({ status: 'DRAFT', version: draft.version });
    const nowhere = { id: '00000000-0000-4000-8000-000000000000' };
    expect((await transition('SA', nowhere, 'publish', { version: 1 })).statusCode).toBe(404);
    expect((await transition('SA', { id: 'not-a-uuid' }, 'publish', { version: 1 })).statusCode).toBe(400);
  });
});

describe('versions of a course', () => {
  it('lists the versions newest first with cursors for every signed-in role, and reads any one of them', async () => {
    const course = await world.transition(await world.draft(first), 'publish');
    await world.edit(course, { title: 'Second title' });
    await world.transition(course, 'publish');
    await world.edit(course, { title: 'Third title' });
    await world.transition(course, 'publish');
    for (const role of roles) {
      const numbers: number[] = [];
      let cursor: string | null = null;
      do {
        const response = await read(role, `/v1/courses/${course.id}/versions?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.statusCode, role).toBe(200);
        const page = response.json<{ items: { version_number: number }[]; next_cursor: string | null; total: number }>();
        expect(page.total, role).toBe(3);
        numbers.push(...page.items.map((item) => item.version_number));
        cursor = page.next_cursor;
      } while (cursor);
      expect(numbers, role).toEqual([3, 2, 1]);
      expect((await read(role, `/v1/courses/${course.id}/versions/2`)).json(), role).toMatchObject({ course_id: course.id, version_number: 2, snapshot: { title: 'Second title' } });
    }
  });

  it('shows a draft’s versions to administrators only, and answers bad numbers and unknown versions', async () => {
    const draft = await world.draft();
    for (const role of roles) {
      const expected = role === 'SA' || role === 'AD' ? 200 : 404;
      expect((await read(role, `/v1/courses/${draft.id}/versions`)).statusCode, role).toBe(expected);
    }
    const course = await world.transition(await world.draft(), 'publish');
    expect((await read('IT', `/v1/courses/${course.id}/versions/2`)).json()).toMatchObject({ error: { code: 'NOT_FOUND', details: { field: 'params.number' } } });
    for (const bad of ['0', 'one', '2147483648', '-1']) {
      expect((await read('SA', `/v1/courses/${course.id}/versions/${bad}`)).statusCode, bad).toBe(400);
    }
    expect((await read('SA', `/v1/courses/${course.id}/versions?limit=0`)).statusCode).toBe(400);
    expect((await read('SA', `/v1/courses/${course.id}/versions?cursor=zzz`)).json()).toMatchObject({ error: { details: { field: 'querystring.cursor' } } });
    expect((await read('SA', '/v1/courses/00000000-0000-4000-8000-000000000000/versions')).statusCode).toBe(404);
  });
});
