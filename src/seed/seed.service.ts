import { setImmediate } from 'node:timers/promises';
import type { Db, Tx } from '../platform/db/database.js';
import { AppError } from '../errors.js';
import { type FieldCipher, normaliseEmail } from '../platform/security/field-cipher.js';
import {
  type CertificateSeed, generateWorld, type ProfileSeed, type ProviderSeed, type SeedWorld, sessionOutcome, type SessionOutcome,
  type StudentSeed, type UserSeed,
} from './seed.generators.js';
import { analyzeTables, findTablesWithRows, insertCoursesWithVersions, insertRows, lockSeeding, refreshAnalytics, skipAuditTrail } from './seed.repository.js';
import { type SeedSize, seedSizes } from './seed.sizes.js';
import { type Row, type SeedTable, seedTableOrder } from './seed.tables.js';

export interface SeedOptions {
  size: SeedSize;
  seed: number;
  /** The anchor day, 'YYYY-MM-DD': sessions lie half a year either side of it. */
  today: string;
}

export type SeedProgress =
  /** `done` of `total` units (rows, or sessions for the tables derived from sessions); `rows` written so far. */
  | { kind: 'rows'; table: SeedTable; done: number; total: number; rows: number }
  | { kind: 'table-done'; table: SeedTable; rows: number; ms: number }
  | { kind: 'step'; step: 'generating' | 'refreshing analytics views' | 'analyzing tables' };

export interface SeedReport {
  counts: { table: SeedTable; rows: number }[];
  totalRows: number;
  elapsedMs: number;
}

/** One table's load: where its rows come from, in chunks, and how a chunk's element becomes a row. */
interface LoadStep<T extends SeedTable, S> {
  table: T;
  units: number;
  chunks: () => Iterable<S[]>;
  toRow: (item: S) => Row<T>;
}

const step = <T extends SeedTable, S>(s: LoadStep<T, S>): LoadStep<SeedTable, unknown> => s as unknown as LoadStep<SeedTable, unknown>;

function* eachRow<S>(rows: S[]): Iterable<S[]> {
  for (const row of rows) yield [row];
}

/** A session-derived table: one chunk per session, from the session's outcome. */
function* perSession<S>(world: SeedWorld, pick: (o: SessionOutcome) => S[], relevant: (s: SeedWorld['sessions'][number]) => boolean) {
  for (const plan of world.sessions) yield relevant(plan) ? pick(sessionOutcome(world.outcomeInputs, plan)) : [];
}

/** Personal data is encrypted here, just before loading: ciphertexts use a random IV, so they are the one thing that differs between runs. */
function sealers(cipher: FieldCipher) {
  const seal = (value: string | null) => (value === null ? null : cipher.encrypt(value));
  const hmac = (email: string | null) => (email === null ? null : cipher.blindIndex(normaliseEmail(email)));
  return {
    provider: ({ contact_email, contact_phone, ...row }: ProviderSeed): Row<'authorized_providers'> => ({
      ...row, contact_email_ciphertext: seal(contact_email), contact_phone_ciphertext: seal(contact_phone),
    }),
    user: ({ email, ...row }: UserSeed): Row<'users'> => ({ ...row, email_ciphertext: cipher.encrypt(email), email_hmac: hmac(email) as string }),
    profile: ({ email, phone, ...row }: ProfileSeed): Row<'profiles'> => ({ ...row, email_ciphertext: seal(email), phone_ciphertext: seal(phone) }),
    student: ({ email, phone, ...row }: StudentSeed): Row<'student_enrollment_profiles'> => ({
      ...row, email_ciphertext: seal(email), email_hmac: hmac(email), phone_ciphertext: seal(phone),
    }),
    certificate: ({ recipient_email, ...row }: CertificateSeed): Row<'certificates'> => ({ ...row, recipient_email_ciphertext: seal(recipient_email) }),
  };
}

function loadSteps(world: SeedWorld, cipher: FieldCipher): LoadStep<SeedTable, unknown>[] {
  const { people, catalogue, sessions } = world;
  const sealed = sealers(cipher);
  const same = <R>(row: R) => row;
  const flat = <T extends SeedTable>(table: T, rows: Row<T>[]) => step({ table, units: rows.length, chunks: () => eachRow(rows), toRow: same });
  const mayCertify = (s: SeedWorld['sessions'][number]) => s.roster !== null || (s.course.certifies && s.row.status === 'COMPLETED');
  return [
    step({ table: 'authorized_providers', units: people.providers.length, chunks: () => eachRow(people.providers), toRow: sealed.provider }),
    flat('locations', people.locations),
    flat('provider_locations', people.providerLocations),
    step({ table: 'users', units: people.users.length, chunks: () => eachRow(people.users), toRow: sealed.user }),
    step({ table: 'profiles', units: world.profiles.length, chunks: () => eachRow(world.profiles), toRow: sealed.profile }),
    flat('instructor_profiles', people.instructorProfiles),
    flat('provider_members', people.providerMembers),
    flat('teams', people.teams),
    flat('team_members', people.teamMembers),
    // courses and course_versions: loaded together by loadCourses (they reference each other).
    flat('course_schedules', world.schedules),
    step({ table: 'training_sessions', units: sessions.length, chunks: () => eachRow(sessions.map((s) => s.row)), toRow: same }),
    step({ table: 'student_enrollment_profiles', units: people.students.length, chunks: () => eachRow(people.students), toRow: sealed.student }),
    step({ table: 'session_enrollments', units: sessions.length, chunks: () => perSession(world, (o) => o.enrollments, () => true), toRow: same }),
    step({ table: 'rosters', units: sessions.length, chunks: () => perSession(world, (o) => (o.roster ? [o.roster] : []), mayCertify), toRow: same }),
    step({ table: 'student_roster_members', units: sessions.length, chunks: () => perSession(world, (o) => o.members, mayCertify), toRow: same }),
    flat('certificate_templates', catalogue.templates),
    step({ table: 'certificate_batches', units: sessions.length, chunks: () => perSession(world, (o) => (o.batch ? [o.batch] : []), mayCertify), toRow: same }),
    step({ table: 'certificates', units: sessions.length, chunks: () => perSession(world, (o) => o.certificates, mayCertify), toRow: sealed.certificate }),
    flat('compliance_requirements', catalogue.requirements),
    flat('compliance_records', world.complianceRecords),
  ];
}

/** The seed was stopped (Ctrl-C): its transaction rolls back, so nothing of it stays. */
export class SeedInterrupted extends Error {
  constructor() {
    super('the seed was interrupted; nothing was written');
  }
}

async function loadTable(
  tx: Tx, load: LoadStep<SeedTable, unknown>, batchRows: number, onProgress: (p: SeedProgress) => void, stop: AbortSignal | undefined,
): Promise<number> {
  const started = performance.now();
  let batch: Row<SeedTable>[] = [];
  let done = 0;
  let rows = 0;
  const flush = async () => {
    // Checked between statements: a stop is honoured within one batch. The embedded engine answers
    // without giving the event loop a turn, so a signal would wait for the whole load: yield first.
    if (stop) await setImmediate();
    if (stop?.aborted) throw new SeedInterrupted();
    if (batch.length > 0) rows += await insertRows(tx, load.table, batch);
    batch = [];
    onProgress({ kind: 'rows', table: load.table, done, total: load.units, rows });
  };
  onProgress({ kind: 'rows', table: load.table, done: 0, total: load.units, rows: 0 });
  for (const chunk of load.chunks()) {
    for (const item of chunk) batch.push(load.toRow(item));
    done++;
    if (batch.length >= batchRows) await flush();
  }
  await flush();
  onProgress({ kind: 'table-done', table: load.table, rows, ms: performance.now() - started });
  return rows;
}

/**
 * Fills an empty, migrated database with the demo or benchmark data set of `options.size`.
 * One transaction, on purpose: a seed that fails or is interrupted leaves nothing behind, and the
 * database stays empty enough to be seeded again (a half-seeded one would be refused).
 */
export async function seedDatabase(
  db: Db, cipher: FieldCipher, options: SeedOptions, onProgress: (p: SeedProgress) => void = () => undefined, stop?: AbortSignal,
): Promise<SeedReport> {
  const started = performance.now();
  const plan = seedSizes[options.size];
  return db.transaction(async (tx) => {
    await lockSeeding(tx);
    await skipAuditTrail(tx);
    const occupied = await findTablesWithRows(tx);
    if (occupied.length > 0) {
      const named = occupied.length > 3 ? `${occupied.slice(0, 3).join(', ')} and ${occupied.length - 3} more` : occupied.join(', ');
      throw new AppError('CONFLICT', `the database already holds data (rows in ${named}): the seed fills only an empty database`, {
        tables: occupied,
      });
    }
    onProgress({ kind: 'step', step: 'generating' });
    const world = generateWorld(plan, options.seed, options.today);
    const counts = new Map<SeedTable, number>();
    for (const load of loadSteps(world, cipher)) {
      if (load.table === 'course_schedules') await loadCourses(tx, world, counts, onProgress);
      counts.set(load.table, await loadTable(tx, load, plan.batchRows, onProgress, stop));
    }
    if (stop?.aborted) throw new SeedInterrupted();
    onProgress({ kind: 'step', step: 'refreshing analytics views' });
    await refreshAnalytics(tx);
    onProgress({ kind: 'step', step: 'analyzing tables' });
    await analyzeTables(tx, seedTableOrder);
    const ordered = seedTableOrder.map((table) => ({ table, rows: counts.get(table) ?? 0 }));
    return { counts: ordered, totalRows: ordered.reduce((sum, c) => sum + c.rows, 0), elapsedMs: performance.now() - started };
  });
}

async function loadCourses(tx: Tx, world: SeedWorld, counts: Map<SeedTable, number>, onProgress: (p: SeedProgress) => void) {
  const started = performance.now();
  const { courses, courseVersions } = world.catalogue;
  onProgress({ kind: 'rows', table: 'courses', done: 0, total: courses.length, rows: 0 });
  const inserted = await insertCoursesWithVersions(tx, courses, courseVersions);
  counts.set('courses', inserted.courses);
  counts.set('course_versions', inserted.versions);
  const ms = performance.now() - started;
  onProgress({ kind: 'rows', table: 'courses', done: courses.length, total: courses.length, rows: inserted.courses });
  onProgress({ kind: 'table-done', table: 'courses', rows: inserted.courses, ms });
  onProgress({ kind: 'table-done', table: 'course_versions', rows: inserted.versions, ms });
}
