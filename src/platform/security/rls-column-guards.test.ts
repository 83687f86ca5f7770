import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { buildFixtureWorld, fixtureActor, fixtureId } from '../../../test/fixture-world.js';
import type { Actor } from '../db/actor.js';
import { applyActor } from '../db/database.js';
import { translateDatabaseError } from '../db/postgres-errors.js';
import { inRolledBackTransaction } from '../../../test/rls-probes.js';

// Real database with the fixture world. Policies choose rows; these check the triggers that choose
// columns on a row a non-administrator may update, and the checks that keep AD away from SA.
// Every change runs in a transaction that is rolled back, so the tests do not affect each other.

let database: TestDatabase;

beforeAll(async () => {
  database = await createMigratedDatabase();
  await buildFixtureWorld(database.db);
});

afterAll(async () => {
  await database.drop();
});

/** Runs one statement as the actor and rolls it back; resolves to the number of rows it changed. */
function change(actor: Actor, sql: string, params: unknown[] = []): Promise<number> {
  return inRolledBackTransaction(database.db, async (tx) => {
    await applyActor(tx, actor);
    return (await tx.query(sql, params)).rowCount;
  });
}

const refused = (promise: Promise<unknown>, message: RegExp) => expect(promise).rejects.toMatchObject({ code: '42501', message: expect.stringMatching(message) });

describe('profiles: a person edits their own contact fields, never compliance or line management', () => {
  const own = fixtureId('profile-it1');

  it('lets IT change their own names, phone, e-mail and organisation', async () => {
    expect(await change(fixtureActor('it1'), `update profiles set first_name = 'Ida', display_name = 'Ida', organization = 'Acme', phone_ciphertext = 'v1.x.y.z' where id = $1`, [own])).toBe(1);
  });

  it.each([
    ['department', `'Sales'`],
    ['supervisor_id', 'null'],
    ['compliance_status', `'COMPLIANT'`],
    ['compliance_score', '100'],
  ])('refuses IT changing their own %s, naming the column', async (column, value) => {
    await refused(change(fixtureActor('it1'), `update profiles set ${column} = ${value} where id = $1`, [own]), new RegExp(`only SA or AD may change ${column} of profiles`));
  });

  it('lets AD change the department and compliance of another person', async () => {
    expect(await change(fixtureActor('ad'), `update profiles set department = 'Sales', compliance_status = 'COMPLIANT' where id = $1`, [own])).toBe(1);
  });

  it('does not stop the owner (jobs, recomputations)', async () => {
    const { rowCount } = await inRolledBackTransaction(database.db, (tx) => tx.query(`update profiles set compliance_score = 50 where id = $1`, [own]));
    expect(rowCount).toBe(1);
  });

  it('maps the refusal to FORBIDDEN for the API', async () => {
    const error = await change(fixtureActor('it1'), `update profiles set department = 'x' where id = $1`, [own]).catch((caught: unknown) => caught);
    expect(translateDatabaseError(error)).toMatchObject({ code: 'FORBIDDEN', details: { table: 'profiles' } });
  });
});

describe('instructor_profiles: the instructor and their AP edit the public profile, not the certification', () => {
  const ic1 = fixtureId('instructor-ic1');

  it('lets the instructor change their bio, display name and specialties', async () => {
    expect(await change(fixtureActor('ic1'), `update instructor_profiles set bio = 'New', display_name = 'IC', specialties = '{cpr}' where id = $1`, [ic1])).toBe(1);
  });

  it('refuses the instructor changing their certification level', async () => {
    await refused(change(fixtureActor('ic1'), `update instructor_profiles set certification_level = 'PROVISIONAL', bio = 'x' where id = $1`, [ic1]), /certification_level/);
  });

  it('lets the affiliated AP change the bio but not the provider', async () => {
    expect(await change(fixtureActor('ap1'), `update instructor_profiles set bio = 'Edited by AP' where id = $1`, [ic1])).toBe(1);
    await refused(change(fixtureActor('ap1'), `update instructor_profiles set provider_id = null where id = $1`, [ic1]), /provider_id/);
  });

  it('lets AD change the certification', async () => {
    expect(await change(fixtureActor('ad'), `update instructor_profiles set certification_status = 'SUSPENDED' where id = $1`, [ic1])).toBe(1);
  });
});

describe('session_enrollments: a student may only cancel their own enrollment', () => {
  it('lets a student cancel an enrollment, and leave a waitlist', async () => {
    expect(await change(fixtureActor('it1'), `update session_enrollments set status = 'CANCELLED' where id = $1`, [fixtureId('e1')])).toBe(1);
    expect(await change(fixtureActor('in1'), `update session_enrollments set status = 'CANCELLED', waitlist_position = null where id = $1`, [fixtureId('e3')])).toBe(1);
  });

  it.each([
    ['their completion', `completion_status = 'COMPLETED', completed_at = now()`, 'e1'],
    ['their score', 'assessment_score = 100', 'e1'],
    ['a cancelled enrollment back to ENROLLED', `status = 'ENROLLED'`, 'e10'],
    ['the session', `session_id = '${fixtureId('s4')}'`, 'e1'],
  ])('refuses a student changing %s', async (_what, assignments, enrollment) => {
    await refused(change(fixtureActor('it1'), `update session_enrollments set ${assignments} where id = $1`, [fixtureId(enrollment)]), /a student may only cancel their own enrollment/);
  });

  it('lets the instructor of the session record attendance and scores', async () => {
    expect(await change(fixtureActor('ic1'), `update session_enrollments set attendance_status = 'ATTENDED', assessment_score = 91 where id = $1`, [fixtureId('e1')])).toBe(1);
  });

  it('lets the AP of the session’s location change anything', async () => {
    expect(await change(fixtureActor('ap1'), `update session_enrollments set attendance_status = 'ABSENT' where id = $1`, [fixtureId('e1')])).toBe(1);
  });
});

describe('AD and SA accounts', () => {
  it('refuses AD turning an account into an SA', async () => {
    await refused(change(fixtureActor('ad'), `update users set role = 'SA' where id = $1`, [fixtureId('it1')]), /row-level security/);
  });

  it('refuses AD creating an SA account, and lets AD create an IT account', async () => {
    const insert = `insert into users (email_ciphertext, email_hmac, role) values ('v1.k.i.c', $1, $2)`;
    await refused(change(fixtureActor('ad'), insert, ['new-sa-hmac', 'SA']), /row-level security/);
    expect(await change(fixtureActor('ad'), insert, ['new-it-hmac', 'IT'])).toBe(1);
  });

  it('does not let AD see or change an SA account at all', async () => {
    expect(await change(fixtureActor('ad'), `update users set status = 'INACTIVE' where id = $1`, [fixtureId('sa')])).toBe(0);
    expect(await change(fixtureActor('ad'), `delete from profiles where user_id = $1`, [fixtureId('sa')])).toBe(0);
  });

  it('lets SA promote an account to SA', async () => {
    expect(await change(fixtureActor('sa'), `update users set role = 'SA' where id = $1`, [fixtureId('ad')])).toBe(1);
  });
});
