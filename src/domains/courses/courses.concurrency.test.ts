import { beforeAll, describe, expect, it } from 'vitest';
import { testEngine } from '../../../test/engine.js';
import { useTestApp } from '../../../test/test-app.js';
import { createCoursesWorld, type CoursesWorld } from '../../../test/world.js';

// Real concurrency needs real PostgreSQL (PGlite has one connection): requests in flight together,
// each in its own transaction on its own connection, contending for one course row.
const onPostgres = testEngine === 'postgres';
const context = useTestApp();
let world: CoursesWorld;

beforeAll(async () => {
  if (onPostgres) world = await createCoursesWorld(context.db, () => context.app);
});

async function versionNumbers(courseId: string): Promise<number[]> {
  const { rows } = await context.db.query<{ version_number: number }>('select version_number from course_versions where course_id = $1 order by 1', [courseId]);
  return rows.map((row) => row.version_number);
}

describe.runIf(onPostgres)('course status changes under concurrency', () => {
  it('lets exactly one of two concurrent publishes at the same version win, with one new version', async () => {
    // Repeated: a race that happens to run one after the other proves nothing once, but not every time.
    for (let round = 0; round < 10; round++) {
      const draft = await world.draft();
      const responses = await Promise.all(['SA', 'AD'].map((caller) => world.call(caller as 'SA' | 'AD', 'POST', `/v1/courses/${draft.id}/publish`, { version: draft.version })));
      expect(responses.map((response) => response.statusCode).sort(), `round ${round}`).toEqual([200, 409]);
      expect(responses.find((response) => response.statusCode === 409)?.json(), `round ${round}`).toMatchObject({
        error: { code: 'VERSION_CONFLICT', details: { current: { status: 'PUBLISHED', published_version: 1, version: draft.version + 1 } } },
      });
      expect(await versionNumbers(draft.id), `round ${round}`).toEqual([1]);
      const { rows } = await context.db.query<{ n: number }>(
        `select count(*)::int as n from domain_events where aggregate_id = $1 and event_type = 'course.published'`, [draft.id],
      );
      expect(rows[0]?.n, `round ${round}`).toBe(1);
    }
  });

  it('lets exactly one of an edit, an unpublish and an archive at the same version win', async () => {
    for (let round = 0; round < 5; round++) {
      const course = await world.transition(await world.draft(), 'publish');
      const responses = await Promise.all([
        world.call('AD', 'PATCH', `/v1/courses/${course.id}`, { title: 'Raced', version: course.version }),
        world.call('SA', 'POST', `/v1/courses/${course.id}/unpublish`, { version: course.version }),
        world.call('SA', 'POST', `/v1/courses/${course.id}/archive`, { version: course.version }),
      ]);
      const statuses = responses.map((response) => response.statusCode);
      expect(statuses.filter((status) => status === 200), `round ${round}: ${statuses}`).toHaveLength(1);
      expect(statuses.filter((status) => status === 409), `round ${round}: ${statuses}`).toHaveLength(2);
      const { rows } = await context.db.query<{ version: number }>('select version from courses where id = $1', [course.id]);
      expect(rows[0]?.version, `round ${round}`).toBe(course.version + 1);
    }
  });

  it('never lets two PUBLISHED courses show one catalogue code, whatever publishes or unpublishes race', async () => {
    // The only way two courses come to the same catalogue code: A is in the catalogue as X while its
    // working copy moved on to another code, and B took X. Publishing B races with publishing A (which
    // frees X) or with unpublishing A: B may win (200) only if A no longer shows X when B checks.
    for (let round = 0; round < 10; round++) {
      const code = `RACE-${round}-${Date.now()}`;
      const first = await world.transition(await world.draft({ code }), 'publish');
      const moved = await world.edit(first, { code: `${code}-MOVED` });
      const second = await world.draft({ code });
      const freeing = round % 2 === 0 ? 'publish' : 'unpublish';
      const [freeingResponse, secondResponse] = await Promise.all([
        world.call('SA', 'POST', `/v1/courses/${first.id}/${freeing}`, { version: moved.version }),
        world.call('AD', 'POST', `/v1/courses/${second.id}/publish`, { version: second.version }),
      ]);
      expect(freeingResponse.statusCode, `round ${round}: ${freeingResponse.body}`).toBe(200);
      if (secondResponse.statusCode === 409) {
        expect(secondResponse.json().error, `round ${round}`).toMatchObject({ code: 'CONFLICT', details: { field: 'code' } });
      } else {
        expect(secondResponse.statusCode, `round ${round}: ${secondResponse.body}`).toBe(200);
      }
      const { rows } = await context.db.query<{ code: string; courses: number }>(
        `select coalesce(v.snapshot ->> 'code', c.code) as code, count(*)::int as courses
           from courses c join course_versions v on v.course_id = c.id and v.version_number = c.published_version
          where c.status = 'PUBLISHED' group by 1 having count(*) > 1`,
      );
      expect(rows, `round ${round}`).toEqual([]);
    }
  });
});
