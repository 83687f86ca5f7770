import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { buildFixtureWorld, fixtureId, fixtureNameOf, type FixtureWorld } from '../../../test/fixture-world.js';
import { accessOf, Scope, World, type Row } from './access-matrix.js';
import { workflowAccess, type WorkflowAnswer } from './access-matrix.workflows.js';
import { inRolledBackTransaction, rolledBackStatements, workflowAnswer } from '../../../test/rls-probes.js';

// Real database with the fixture world. The workflow functions (SECURITY DEFINER: they check the caller
// themselves, then act as the owner) called as every fixture actor on every row they can name, each call
// rolled back: PostgreSQL's answer (permitted, 403, 404) is exactly the one access-matrix.workflows.ts
// computes from the same data. One world, one transaction per function.

let database: TestDatabase;
let world: FixtureWorld;

beforeAll(async () => {
  database = await createMigratedDatabase();
  world = await buildFixtureWorld(database.db);
});

afterAll(async () => {
  await database.drop();
});

/** `:name` placeholders as `$1`, `$2`, … in order of appearance, with their values. */
function numbered(call: string, values: Record<string, unknown>): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const sql = call.replace(/:(subject|actor|profile|code)\b/g, (_match, name: string) => {
    params.push(values[name]);
    return `$${params.length}`;
  });
  return { sql, params };
}

/** `actor row` → answer, for readable failures. */
type Answers = Record<string, WorkflowAnswer>;

describe.each(workflowAccess.map((workflow) => ({ id: workflow.id, workflow })))('$id', ({ workflow }) => {
  it('answers every actor on every row exactly as the matrix says', async () => {
    const { primaryKey } = accessOf(workflow.subject);
    const view = new World(world.snapshot);
    const observed: Answers = {};
    const expected: Answers = {};
    await inRolledBackTransaction(database.db, async (tx) => {
      for (const actor of world.actors) {
        const scope = new Scope(view, actor);
        const rows = world.snapshot[workflow.subject];
        const values = (row: Row) => ({ subject: row[primaryKey], actor: actor.userId ?? randomUUID(), profile: fixtureId('sp5'), code: row['verification_code'] });
        const results = await rolledBackStatements(tx, actor, rows.map((row) => numbered(workflow.call, values(row))));
        for (const [index, row] of rows.entries()) {
          const key = `${actor.name} ${fixtureNameOf(String(row[primaryKey]))}`;
          observed[key] = workflowAnswer(results[index]!);
          expected[key] = workflow.answer(row, scope);
        }
      }
    });
    expect(observed).toEqual(expected);
  });
});

describe('the fixture world exercises the workflows', () => {
  it('gives every workflow an actor it lets through and one it refuses', () => {
    const view = new World(world.snapshot);
    // Public verification refuses nobody: an unknown code is its only "no", tested in the certificates module.
    const refusesNobody = new Set(['verify_certificate', 'verify_certificate_public']);
    const dull = workflowAccess.filter((workflow) => {
      if (refusesNobody.has(workflow.id)) return false;
      const answers = new Set(world.actors.flatMap((actor) => world.snapshot[workflow.subject].map((row) => workflow.answer(row, new Scope(view, actor)))));
      return !answers.has('permitted') || answers.size < 2;
    });
    expect(dull.map((workflow) => workflow.id)).toEqual([]);
  });

  it('gives the workflows that can answer 403 an actor who gets it', () => {
    const view = new World(world.snapshot);
    const forbidding = workflowAccess.filter((workflow) =>
      world.actors.some((actor) => world.snapshot[workflow.subject].some((row) => workflow.answer(row, new Scope(view, actor)) === 'forbidden')),
    );
    expect(forbidding.map((workflow) => workflow.id).sort()).toEqual(
      ['app_recompute_compliance_scores', 'cancel_session', 'certificate_source_facts (a roster line)', 'certificate_source_facts (an enrollment)', 'create_roster_from_session', 'enroll_student (someone else)', 'enroll_student (themselves)', 'enroll_students', 'lock_roster_for_member_changes', 'roster_student_profiles', 'set_session_capacity', 'set_session_waitlist_offers'].sort(),
    );
  });
});
