import { beforeAll, describe, expect, it } from 'vitest';
import { createUser, testKeyring } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import { type Actor, roles, signedOutActor } from '../../platform/db/actor.js';
import { createCoursesWorld, type CourseJson, type CoursesWorld } from '../../../test/world.js';

// course_as_published (migration 0014) called directly as the application, the way an attacker with
// SQL through the API's role could: it shows the published snapshot of a course only to those the
// courses select policies let see the course, whatever they pass.
const context = useTestApp();
let world: CoursesWorld;
const actors = new Map<string, Actor>();
/** A course published once, then taken back to DRAFT and edited: its snapshot is for administrators only. */
let unpublished: CourseJson;
let archived: CourseJson;
let published: CourseJson;

beforeAll(async () => {
  world = await createCoursesWorld(context.db, () => context.app);
  for (const role of roles) actors.set(role, { userId: (await createUser(context.db, testKeyring, { role })).id, role, providerId: null });
  actors.set('ANON', signedOutActor());
  const publishedThenEdited = async (title: string) => {
    const course = await world.transition(await world.draft({ title: `${title}, as published` }), 'publish');
    return world.edit(course, { title: `${title}, working copy` });
  };
  unpublished = await world.edit(await world.transition(await publishedThenEdited('Withdrawn'), 'unpublish'), { description: 'not for students' });
  archived = await world.transition(await publishedThenEdited('Retired'), 'archive');
  published = await publishedThenEdited('Current');
});

async function titleAsPublished(caller: string, courseId: string): Promise<string | null> {
  const { rows } = await context.db.withActor(actors.get(caller) as Actor, (tx) =>
    tx.query<{ title: string | null }>('select (course_as_published($1)).title as title', [courseId]),
  );
  return rows[0]?.title ?? null;
}

describe('course_as_published', () => {
  it.each(['AP', 'IC', 'IP', 'IT', 'IN', 'ANON'])('gives %s nothing for a DRAFT course, even one published before', async (caller) => {
    expect(unpublished.status).toBe('DRAFT');
    expect(await titleAsPublished(caller, unpublished.id)).toBeNull();
  });

  it.each(['SA', 'AD'])('gives %s the snapshot of any course, DRAFT included', async (caller) => {
    expect(await titleAsPublished(caller, unpublished.id)).toBe('Withdrawn, as published');
    expect(await titleAsPublished(caller, archived.id)).toBe('Retired, as published');
  });

  it.each(['AP', 'IC', 'IP', 'IT', 'IN'])('gives %s the snapshot, never the working copy, of ARCHIVED and PUBLISHED courses', async (caller) => {
    expect(await titleAsPublished(caller, archived.id)).toBe('Retired, as published');
    expect(await titleAsPublished(caller, published.id)).toBe('Current, as published');
  });

  it('gives the signed-out the snapshot of PUBLISHED courses only', async () => {
    expect(await titleAsPublished('ANON', published.id)).toBe('Current, as published');
    expect(await titleAsPublished('ANON', archived.id)).toBeNull();
  });

  it('takes no row from the caller: a forged courses row, or the helper that reads any row, is refused', async () => {
    const forge = (sql: string) => context.db.withActor(actors.get('IT') as Actor, (tx) => tx.query(sql, [unpublished.id]));
    // The signature of the review finding is gone (undefined function) ...
    await expect(forge('select (course_as_published(c)).title from courses c where c.id = $1')).rejects.toMatchObject({ code: '42883' });
    // ... and the row-taking helper is not the application's to call.
    await expect(forge('select (app_course_as_published(c)).title from courses c where c.id = $1')).rejects.toMatchObject({ code: '42501' });
  });

  it('keeps courses_as_seen showing each caller the right version', async () => {
    const seen = async (caller: string, id: string) =>
      (await context.db.withActor(actors.get(caller) as Actor, (tx) => tx.query<{ title: string }>('select title from courses_as_seen where id = $1', [id]))).rows;
    expect(await seen('AD', published.id)).toEqual([{ title: 'Current, working copy' }]);
    expect(await seen('IT', published.id)).toEqual([{ title: 'Current, as published' }]);
    expect(await seen('IT', unpublished.id)).toEqual([]);
  });
});
