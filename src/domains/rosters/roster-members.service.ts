import type { Actor } from '../../platform/db/actor.js';
import type { Row, Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { deleteRow, getRow, type ListQuery, listRows, type Page, updateRow } from '../../platform/shared/crud/crud.repository.js';
import { type CsvRecord, readCsvRecords } from '../../platform/shared/csv/csv-records.js';
import { appendDomainEvent } from '../../platform/shared/events/append-domain-event.js';
import { type Candidate, candidateOf, identityOf, memberImportShape, nameKey, sealPerson } from './roster-members.candidates.js';
import {
  insertMembers,
  lockRosterForMemberChanges,
  type MemberResults,
  type MemberRow,
  membersOfRosterTable,
  resolveStudentProfiles,
  rosterMembersTable,
  selectMemberIdsByProfile,
  selectMembersOfRoster,
  updateMemberResults,
} from './roster-members.repository.js';
import { rostersTable } from './rosters.repository.js';
import type { RostersDeps } from './rosters.service.js';

const what = 'roster member';

export type ImportOutcome = 'ADDED' | 'UPDATED' | 'ALREADY_PRESENT' | 'INVALID';
export interface ImportRowResult {
  line: number;
  outcome: ImportOutcome;
  member_id: string | null;
  reason: string | null;
}
export interface ImportReport {
  roster_id: string;
  counts: { total: number; added: number; updated: number; already_present: number; invalid: number };
  results: ImportRowResult[];
}

/** Where a candidate ends up: a line already on the roster, or a profile to add. */
type Placement = { candidate: Candidate; member: MemberRow } | { candidate: Candidate; profileId: string };

const memberEvent = (tx: Tx, member: Row, eventType: string, payload: Record<string, unknown>) =>
  appendDomainEvent(tx, {
    aggregateType: 'roster_member', aggregateId: String(member['id']), aggregateVersion: Number(member['version']), eventType,
    payload: { roster_id: member['roster_id'], student_profile_id: member['student_profile_id'], ...payload },
  });

/** The lines of one roster the caller sees (404 when the roster is not theirs to see). */
export async function listMembersOfRoster(deps: RostersDeps, actor: Actor, rosterId: string, query: Omit<ListQuery, 'filters'>): Promise<Page> {
  return deps.db.withActor(actor, async (tx) => {
    await getRow(tx, rostersTable, rosterId, 'roster');
    return listRows(tx, membersOfRosterTable, { ...query, filters: { roster_id: rosterId } });
  });
}

/**
 * Matches candidates with the roster's lines: by name for those without an e-mail, by student
 * profile (found or made at the roster's provider) for the rest.
 */
async function place(deps: RostersDeps, tx: Tx, rosterId: string, candidates: readonly Candidate[]): Promise<Placement[]> {
  const members = await selectMembersOfRoster(tx, rosterId);
  const byName = new Map<string, MemberRow>();
  for (const member of members) {
    const key = nameKey(member.first_name ?? '', member.last_name ?? '');
    if (!byName.has(key)) byName.set(key, member);
  }
  const byProfile = new Map(members.map((member) => [member.student_profile_id, member]));
  const sameName = (candidate: Candidate) => (candidate.person.email ? undefined : byName.get(nameKey(candidate.person.first_name, candidate.person.last_name)));
  const unnamed = candidates.filter((candidate) => !sameName(candidate));
  const profileIds = await resolveStudentProfiles(tx, rosterId, unnamed.map((candidate) => sealPerson(deps.cipher, candidate.person)));
  const profileOf = new Map(unnamed.map((candidate, index) => [candidate, profileIds[index] as string]));
  return candidates.map((candidate) => {
    const member = sameName(candidate) ?? byProfile.get(profileOf.get(candidate) as string);
    return member ? { candidate, member } : { candidate, profileId: profileOf.get(candidate) as string };
  });
}

/** The results a candidate gives that differ from what the line holds. */
function changedResults(member: MemberRow, results: MemberResults): MemberResults {
  return Object.fromEntries(Object.entries(results).filter(([column, value]) => member[column as keyof MemberResults] !== value));
}

/** Adds one person to a roster (their profile found or made); already on it → 409 with the line's id. */
export async function addMember(deps: RostersDeps, actor: Actor, rosterId: string, body: Record<string, string | number | undefined>): Promise<Row> {
  const values = Object.fromEntries(Object.entries(body).map(([field, value]) => [field, value === undefined ? undefined : String(value)]));
  const checked = candidateOf(1, values);
  if (!('candidate' in checked)) throw new AppError('VALIDATION_FAILED', checked.reason, { field: `body.${checked.column}` });
  return deps.db.withActor(actor, async (tx) => {
    await lockRosterForMemberChanges(tx, rosterId);
    const [placement] = await place(deps, tx, rosterId, [checked.candidate]);
    if (!placement || 'member' in placement) {
      throw new AppError('CONFLICT', 'this person is already on the roster', { member_id: placement?.member.id });
    }
    const added = await insertMembers(tx, rosterId, [{ profileId: placement.profileId, results: checked.candidate.results }]);
    const memberId = added.get(placement.profileId);
    if (!memberId) throw new AppError('CONFLICT', 'this person was put on the roster meanwhile');
    const member = await getRow(tx, rosterMembersTable, memberId, what);
    await memberEvent(tx, member, 'roster_member.added', {});
    return member;
  });
}

/**
 * Puts the people of a CSV file on a roster, a result per line: ADDED, UPDATED (results given that
 * differ), ALREADY_PRESENT, or INVALID with the reason (a later line naming the same person as an
 * earlier one is INVALID). The valid lines are written; nothing else fails the file but a file the
 * reader refuses whole (encoding, CSV syntax, columns, size) or a roster the caller may not change.
 */
export async function importMembers(deps: RostersDeps, actor: Actor, rosterId: string, file: Uint8Array): Promise<ImportReport> {
  const { records } = readCsvRecords(file, memberImportShape);
  const results = new Map<number, ImportRowResult>();
  const invalid = (line: number, reason: string) => results.set(line, { line, outcome: 'INVALID', member_id: null, reason });
  const candidates = deduplicated(records, invalid);
  await deps.db.withActor(actor, async (tx) => {
    await lockRosterForMemberChanges(tx, rosterId);
    const placements = await place(deps, tx, rosterId, candidates);
    const fresh = placements.filter((placement): placement is Extract<Placement, { profileId: string }> => 'profileId' in placement);
    const added = await insertMembers(tx, rosterId, fresh.map(({ profileId, candidate }) => ({ profileId, results: candidate.results })));
    const raced = await selectMemberIdsByProfile(tx, rosterId, fresh.filter(({ profileId }) => !added.has(profileId)).map(({ profileId }) => profileId));
    for (const { candidate, profileId } of fresh) {
      const addedId = added.get(profileId);
      results.set(candidate.line, { line: candidate.line, outcome: addedId ? 'ADDED' : 'ALREADY_PRESENT', member_id: addedId ?? raced.get(profileId) ?? null, reason: null });
    }
    const present = placements.filter((placement): placement is Extract<Placement, { member: MemberRow }> => 'member' in placement);
    const changes = present.map(({ candidate, member }) => ({ candidate, memberId: member.id, results: changedResults(member, candidate.results) }));
    await updateMemberResults(tx, changes.filter((change) => Object.keys(change.results).length > 0));
    for (const { candidate, memberId, results: changed } of changes) {
      const outcome = Object.keys(changed).length > 0 ? 'UPDATED' : 'ALREADY_PRESENT';
      results.set(candidate.line, { line: candidate.line, outcome, member_id: memberId, reason: null });
    }
    await appendDomainEvent(tx, { aggregateType: 'roster', aggregateId: rosterId, aggregateVersion: null, eventType: 'roster.members_imported', payload: countsOf([...results.values()]) });
  });
  const ordered = [...results.values()].sort((a, b) => a.line - b.line);
  return { roster_id: rosterId, counts: countsOf(ordered), results: ordered };
}

/** The readable candidates of a file, each person once; the rest reported through `invalid`. */
function deduplicated(records: readonly CsvRecord[], invalid: (line: number, reason: string) => void): Candidate[] {
  const firstLineOf = new Map<string, number>();
  const candidates: Candidate[] = [];
  for (const record of records) {
    if ('error' in record) {
      invalid(record.line, record.error);
      continue;
    }
    const checked = candidateOf(record.line, record.values);
    if (!('candidate' in checked)) {
      invalid(checked.line, checked.reason);
      continue;
    }
    const identity = identityOf(checked.candidate.person);
    const earlier = firstLineOf.get(identity);
    if (earlier !== undefined) {
      invalid(record.line, `the same person as line ${earlier}`);
      continue;
    }
    firstLineOf.set(identity, record.line);
    candidates.push(checked.candidate);
  }
  return candidates;
}

function countsOf(results: readonly ImportRowResult[]): ImportReport['counts'] {
  const count = (outcome: ImportOutcome) => results.filter((result) => result.outcome === outcome).length;
  return { total: results.length, added: count('ADDED'), updated: count('UPDATED'), already_present: count('ALREADY_PRESENT'), invalid: count('INVALID') };
}

/** Records results on a line at the version the client read; an archived roster's lines are read-only (409). */
export async function changeMember(deps: RostersDeps, actor: Actor, id: string, expectedVersion: number | undefined, results: Record<string, unknown>): Promise<Row> {
  return deps.db.withActor(actor, async (tx) => {
    const member = await updateRow(tx, rosterMembersTable, id, expectedVersion, results, what);
    if (Object.keys(results).length > 0) await memberEvent(tx, member, 'roster_member.updated', { changed: results });
    return member;
  });
}

export async function removeMember(deps: RostersDeps, actor: Actor, id: string): Promise<void> {
  await deps.db.withActor(actor, async (tx) => {
    const member = await getRow(tx, rosterMembersTable, id, what);
    await deleteRow(tx, rosterMembersTable, id, what);
    await memberEvent(tx, member, 'roster_member.removed', {});
  });
}
