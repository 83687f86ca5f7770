import { randomUUID } from 'node:crypto';
import type { Actor } from '../../platform/db/actor.js';
import type { Db, Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import type { FieldCipher } from '../../platform/security/field-cipher.js';
import { getRow, listRows, type Page, updateRow } from '../../platform/shared/crud/crud.repository.js';
import { appendDomainEvent } from '../../platform/shared/events/append-domain-event.js';
import { insertRoster, insertRosterFromSession, type NewRoster, type RosterRow, rostersTable } from './rosters.repository.js';
import { rosterSortColumns } from './rosters.schemas.js';

export interface RostersDeps {
  db: Db;
  /** Seals the e-mail of students put on a roster, and opens it for administrators. */
  cipher: FieldCipher;
}

export interface RosterFields {
  name?: string;
  course_id?: string;
  location_id?: string;
  provider_id?: string | null;
  instructor_id?: string | null;
  instructor_name?: string | null;
  roster_type?: 'CERTIFICATE' | 'TRAINING';
  issue_date?: string | null;
}

export interface RosterListInput {
  filters: Record<string, string | undefined>;
  sort?: keyof typeof rosterSortColumns;
  direction?: 'asc' | 'desc';
  limit?: number;
  cursor?: string;
}

export type RosterPage = Omit<Page, 'items'> & { items: RosterRow[] };

const what = 'roster';

/** The rules the roster guard (migration 0017) enforces, and the input field each one is about. */
const fieldOfRule: Record<string, string> = {
  rosters_instructor_role_check: 'body.instructor_id',
  rosters_provider_location_check: 'body.provider_id',
  rosters_session_check: 'body.course_id',
};

/** A refusal of the roster guard, worded by the guard and pointed at the field it is about. */
async function namingTheField<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const { constraint, message } = error as { constraint?: string; message?: string };
    const field = constraint === undefined ? undefined : fieldOfRule[constraint];
    if (field) throw new AppError('CONSTRAINT_VIOLATION', message ?? 'the roster breaks a rule', { field, constraint }, { cause: error });
    throw error;
  }
}

const rosterEvent = (tx: Tx, roster: RosterRow, eventType: string, payload: Record<string, unknown>) =>
  appendDomainEvent(tx, { aggregateType: 'roster', aggregateId: roster.id, aggregateVersion: roster.version, eventType, payload });

export async function listRosters(deps: RostersDeps, actor: Actor, input: RosterListInput): Promise<RosterPage> {
  const { filters, sort = 'created_at', direction = 'asc', limit = 50, cursor } = input;
  const page = await deps.db.withActor(actor, (tx) => listRows(tx, rostersTable, { filters, sort: rosterSortColumns[sort], direction, limit, cursor }));
  return page as unknown as RosterPage;
}

export async function readRoster(deps: RostersDeps, actor: Actor, id: string): Promise<RosterRow> {
  return deps.db.withActor(actor, async (tx) => (await getRow(tx, rostersTable, id, what)) as unknown as RosterRow);
}

/** A roster without a session, for students without accounts (members are added or imported). */
export async function createRoster(deps: RostersDeps, actor: Actor & { userId: string }, fields: Omit<NewRoster, 'created_by'>): Promise<RosterRow> {
  if (fields.instructor_id == null && fields.instructor_name == null) {
    throw new AppError('VALIDATION_FAILED', 'name the instructor: instructor_id, instructor_name or both', { field: 'body.instructor_id' });
  }
  return deps.db.withActor(actor, async (tx) => {
    const id = randomUUID();
    await namingTheField(() => insertRoster(tx, id, { ...fields, created_by: actor.userId }));
    const roster = (await getRow(tx, rostersTable, id, what)) as unknown as RosterRow;
    await rosterEvent(tx, roster, 'roster.created', {
      source: 'standalone', course_id: roster.course_id, location_id: roster.location_id, roster_type: roster.roster_type, member_count: 0,
    });
    return roster;
  });
}

/** A roster of a session's ENROLLED students (the session's staff only). */
export async function createRosterFromSession(
  deps: RostersDeps,
  actor: Actor,
  input: { session_id: string; name?: string | undefined; roster_type?: string | undefined },
): Promise<RosterRow> {
  return deps.db.withActor(actor, async (tx) => {
    const id = await insertRosterFromSession(tx, input.session_id, input.name ?? null, input.roster_type ?? null);
    return (await getRow(tx, rostersTable, id, what)) as unknown as RosterRow;
  });
}

/** Changes a roster at the version the client read: stale → 409 with the current roster. */
export async function changeRoster(deps: RostersDeps, actor: Actor, id: string, expectedVersion: number | undefined, fields: RosterFields): Promise<RosterRow> {
  return deps.db.withActor(actor, async (tx) => {
    const roster = (await namingTheField(() => updateRow(tx, rostersTable, id, expectedVersion, { ...fields }, what))) as unknown as RosterRow;
    if (roster.instructor_id === null && roster.instructor_name === null) {
      throw new AppError('VALIDATION_FAILED', 'a roster keeps an instructor: instructor_id, instructor_name or both', { field: 'body.instructor_name' });
    }
    const changed = Object.keys(fields);
    if (changed.length > 0) await rosterEvent(tx, roster, 'roster.updated', { changed });
    return roster;
  });
}

/**
 * ACTIVE → ARCHIVED (its members become read-only) or back, at the version the client read (stale →
 * 409 with the current roster). Already there → 409 INVALID_TRANSITION.
 */
export async function moveRoster(deps: RostersDeps, actor: Actor, id: string, to: RosterRow['status'], expectedVersion: number): Promise<RosterRow> {
  return deps.db.withActor(actor, async (tx) => {
    const current = (await getRow(tx, rostersTable, id, what)) as unknown as RosterRow;
    if (current.status === to) {
      throw new AppError('INVALID_TRANSITION', to === 'ARCHIVED' ? 'the roster is already archived' : 'the roster is not archived', { status: current.status });
    }
    const roster = (await updateRow(tx, rostersTable, id, expectedVersion, { status: to }, what)) as unknown as RosterRow;
    await rosterEvent(tx, roster, to === 'ARCHIVED' ? 'roster.archived' : 'roster.unarchived', {
      member_count: roster.member_count, certificate_count: roster.certificate_count,
    });
    return roster;
  });
}
