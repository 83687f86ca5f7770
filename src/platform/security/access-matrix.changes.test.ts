import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { buildFixtureWorld, fixtureId, fixtureNameOf, type FixtureWorld } from '../../../test/fixture-world.js';
import { changeAllowed, changeRules, userReferences } from './access-matrix.changes.js';
import { accessOf, expectedRows, Scope, World, type DomainTable, type MatrixActor, type Row } from './access-matrix.js';
import { inRolledBackTransaction, rolledBackStatements, updateAnswer } from '../../../test/rls-probes.js';

// Real database with the fixture world. The change rules (what a write may set: where a session or
// roster goes, whom an AP makes an instructor, who points a row at an SA account) probed as every
// fixture actor: every row the actor may update is given every candidate value, one UPDATE each, rolled
// back; PostgreSQL lets through exactly the changes the matrix computes (the table's update rules for
// the new row, and the change rules of the columns that change).

let database: TestDatabase;
let world: FixtureWorld;
let view: World;

beforeAll(async () => {
  database = await createMigratedDatabase();
  world = await buildFixtureWorld(database.db);
  view = new World(world.snapshot);
});

afterAll(async () => {
  await database.drop();
});

/** Whether the table's update rules' WITH CHECK take the new row (they are the same rules as USING). */
function updateChecks(table: DomainTable, actor: MatrixActor, row: Row): boolean {
  const scope = new Scope(view, actor);
  return accessOf(table).rules.update.some((rule) => rule.roles.includes(actor.role) && rule.allows(row, scope));
}

const locations = ['l1', 'l2', 'l3', 'l4'].map(fixtureId);
const providers = [null, fixtureId('p1'), fixtureId('p2')];
const servesLocation = (provider: string | null, location: string) =>
  provider === null || world.snapshot.provider_locations.some((link) => link['provider_id'] === provider && link['location_id'] === location);

/** The changes each rule is probed with: new values for its columns, that the table's own constraints accept. */
function candidates(table: DomainTable, rule: 'placement' | 'instructor' | 'student_reference', row: Row): Row[] {
  if (rule === 'instructor') return ['ic1', 'ic2', 'ip1', 'ad', 'sa'].map((user) => ({ instructor_id: fixtureId(user) }));
  if (rule === 'student_reference') return [null, 'it1', 'it2', 'in1', 'in2', 'ic1', 'ic2', 'ip1', 'ap1', 'ap2', 'ad'].map((user) => ({ student_id: user && fixtureId(user) }));
  // Each location for no provider and for each provider that serves it (a roster's provider must serve its
  // location, rosters_guard_write); a roster of a session stays at the session's.
  const places = locations.flatMap((location) => providers.filter((provider) => servesLocation(provider, location)).map((provider) => ({ location_id: location, provider_id: provider })));
  return table === 'rosters' && row['session_id'] !== null ? [] : places;
}

// An enrollment keeps its student (0026): session_enrollments.student_reference is probed by inserts, over HTTP
// (src/domains/rosters/roster-members.students.test.ts).
const probedByUpdate = changeRules.filter((rule) => !rule.id.endsWith('.sa_reference') && rule.id !== 'session_enrollments.student_reference');

describe.each(probedByUpdate.map((rule) => ({ id: rule.id, rule })))('$id', ({ rule }) => {
  it('lets every actor make exactly the changes the matrix allows', async () => {
    const kind = rule.id.endsWith('.placement') ? 'placement' : rule.id.endsWith('.student_reference') ? 'student_reference' : 'instructor';
    const observed: Record<string, boolean | string> = {};
    const expected: Record<string, boolean> = {};
    await inRolledBackTransaction(database.db, async (tx) => {
      for (const actor of world.actors) {
        const updatable = new Set(expectedRows(rule.table, 'update', actor, world.snapshot));
        const probes: { key: string; sql: string; params: unknown[]; allowed: boolean }[] = [];
        for (const row of world.snapshot[rule.table].filter((candidate) => updatable.has(String(candidate['id'])))) {
          for (const change of candidates(rule.table, kind, row)) {
            const changed = Object.keys(change).filter((column) => change[column] !== row[column]);
            if (changed.length === 0) continue;
            const key = `${actor.name} ${fixtureNameOf(String(row['id']))} ${Object.values(change).map((value) => (value === null ? 'null' : fixtureNameOf(String(value)))).join(' ')}`;
            const assignments = Object.keys(change).map((column, index) => `${column} = $${index + 2}`).join(', ');
            const next = { ...row, ...change };
            const allowed = updateChecks(rule.table, actor, next) && changeAllowed(rule.table, next, changed, new Scope(view, actor));
            probes.push({ key, sql: `update ${rule.table} set ${assignments} where id = $1`, params: [row['id'], ...Object.values(change)], allowed });
          }
        }
        const results = await rolledBackStatements(tx, actor, probes);
        for (const [index, probe] of probes.entries()) {
          observed[probe.key] = updateAnswer(results[index]!);
          expected[probe.key] = probe.allowed;
        }
      }
    });
    expect(Object.keys(observed).length).toBeGreaterThan(0);
    expect(observed).toEqual(expected);
  });
});

describe('no row points at an SA account unless an SA puts it there', () => {
  const columns = Object.entries(userReferences).flatMap(([table, names]) => (names ?? []).map((column) => ({ table: table as DomainTable, column })));

  it.each(columns)('$table.$column: refused for every other actor who may update the row, never for an SA', async ({ table, column }) => {
    const { primaryKey } = accessOf(table);
    const sa = fixtureId('sa');
    const refusedFor: string[] = [];
    const expectedRefused: string[] = [];
    await inRolledBackTransaction(database.db, async (tx) => {
      for (const actor of world.actors) {
        const updatable = new Set(expectedRows(table, 'update', actor, world.snapshot));
        const rows = world.snapshot[table].filter((candidate) => updatable.has(String(candidate[primaryKey])) && candidate[column] !== sa);
        const sql = `update ${table} set ${column} = $2 where ${primaryKey} = $1`;
        const results = await rolledBackStatements(tx, actor, rows.map((row) => ({ sql, params: [row[primaryKey], sa] })));
        for (const [index, row] of rows.entries()) {
          const key = `${actor.name} ${fixtureNameOf(String(row[primaryKey]))}`;
          if (updateAnswer(results[index]!) === false) refusedFor.push(key);
          if (actor.role !== 'SA') expectedRefused.push(key);
        }
      }
    });
    expect(refusedFor).toEqual(expectedRefused);
  });
});
