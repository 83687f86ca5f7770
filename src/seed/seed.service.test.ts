import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../test/database.js';
import type { Db } from '../platform/db/database.js';
import { createFieldCipher, normaliseEmail } from '../platform/security/field-cipher.js';
import { ensureInitialAdministrator } from '../domains/users/index.js';
import { seedDatabase, type SeedReport } from './index.js';
import { type SeedTable, seedTableOrder, seedTables } from './seed.tables.js';
import { builtInTemplateId } from '../domains/certificates/index.js';

// Real databases (a PGlite copy, or a fresh PostgreSQL database when DATABASE_URL is set), seeded
// through the service with fixed keys; only the keys are made up.
const cipher = createFieldCipher({ encryptionKeys: [{ id: 'test1', key: Buffer.alloc(32, 1) }], blindIndexKey: Buffer.alloc(32, 2) });
const today = '2025-06-15';
const emailPattern = /^[a-z0-9._-]+@example\.(com|org|net)$/;

let seeded: TestDatabase;
let report: SeedReport;
const others: TestDatabase[] = [];

beforeAll(async () => {
  seeded = await createMigratedDatabase();
  report = await seedDatabase(seeded.db, cipher, { size: 'small', seed: 7, today });
});

afterAll(async () => {
  await seeded?.drop();
  for (const database of others) await database.drop();
});

async function seedAnother(seed: number): Promise<Db> {
  const database = await createMigratedDatabase();
  others.push(database);
  await seedDatabase(database.db, cipher, { size: 'small', seed, today });
  return database.db;
}

/** The rows the seed wrote: all but the built-in template, which migration 0032 publishes before any seed. */
const seededRows = (table: SeedTable) => (table === 'certificate_templates' ? `id <> '${builtInTemplateId}'` : 'true');

/**
 * One hash per table over every column but the ciphertexts (AES-GCM draws a random IV per value),
 * with the session settings that shape text output pinned, so both engines print rows alike.
 */
function fingerprints(db: Db): Promise<Record<string, string>> {
  return db.transaction(async (tx) => {
    await tx.query(`set local timezone = 'UTC'`);
    await tx.query(`set local datestyle = 'ISO, MDY'`);
    const result: Record<string, string> = {};
    for (const table of seedTableOrder) {
      const columns = Object.keys(seedTables[table]).filter((c) => !c.endsWith('_ciphertext'));
      const { rows } = await tx.query<{ hash: string }>(
        `select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) as hash from (select ${columns.join(', ')} from ${table} where ${seededRows(table)}) t`,
      );
      result[table] = rows[0]?.hash ?? '';
    }
    return result;
  });
}

const combined = (hashes: Record<string, string>) => createHash('md5').update(JSON.stringify(hashes)).digest('hex');

/**
 * The fingerprint of seed 7 on 2025-06-15 with the test keys, the same on PGlite and PostgreSQL.
 * It changes whenever a generator (or the pinned Faker version) does: then check that the change
 * was meant and record the new value; it must never differ between the two engines.
 */
const expectedFingerprint = '49fd69a8dde6d3fbc47d178545d0ba6c';

const scalar = async (db: Db, sql: string): Promise<number> =>
  Number(Object.values((await db.query<Record<string, unknown>>(sql)).rows[0] ?? {})[0]);

describe('seedDatabase', () => {
  it('inserts exactly the rows it reports, in every table, at the demo size', async () => {
    expect(report.counts.map((c) => c.table)).toEqual(seedTableOrder);
    for (const { table, rows } of report.counts) {
      expect({ table, rows: await scalar(seeded.db, `select count(*) from ${table} where ${seededRows(table)}`) }).toEqual({ table, rows });
    }
    const count = (table: SeedTable) => report.counts.find((c) => c.table === table)?.rows ?? 0;
    expect(count('authorized_providers')).toBe(2);
    expect(count('locations')).toBe(5);
    expect(count('users')).toBe(60);
    expect(count('courses')).toBe(12);
    expect(count('training_sessions')).toBe(400);
    expect(count('session_enrollments')).toBeGreaterThan(3_000);
    expect(count('session_enrollments')).toBeLessThan(5_000);
    expect(count('certificates')).toBeGreaterThan(0);
    expect(report.totalRows).toBe(report.counts.reduce((sum, c) => sum + c.rows, 0));
  });

  it('covers every role, every session status and every enrollment status', async () => {
    const values = async (sql: string) => (await seeded.db.query<{ v: string }>(sql)).rows.map((r) => r.v).sort();
    expect(await values('select distinct role as v from users')).toEqual(['AD', 'AP', 'IC', 'IN', 'IP', 'IT', 'SA']);
    expect(await values('select distinct status as v from training_sessions')).toEqual(['CANCELLED', 'COMPLETED', 'IN_PROGRESS', 'SCHEDULED']);
    expect(await values('select distinct status as v from session_enrollments')).toEqual(['CANCELLED', 'ENROLLED', 'WAITLISTED']);
    expect(await values('select distinct status as v from courses')).toEqual(['ARCHIVED', 'DRAFT', 'PUBLISHED']);
    // Past sessions are completed, future ones scheduled, around the anchor day.
    expect(await scalar(seeded.db, `select count(*) from training_sessions where status = 'COMPLETED' and session_date >= '${today}'`)).toBe(0);
    expect(await scalar(seeded.db, `select count(*) from training_sessions where status = 'SCHEDULED' and session_date < '${today}'`)).toBe(0);
    expect(await scalar(seeded.db, `select count(*) from users where password_hash is not null`)).toBe(0);
  });

  it('keeps every session counter equal to its enrolled rows, and waitlists numbered 1..n', async () => {
    expect(await scalar(seeded.db, `
      select count(*) from training_sessions s
      where s.current_enrollment <> (select count(*) from session_enrollments e where e.session_id = s.id and e.status = 'ENROLLED')`)).toBe(0);
    expect(await scalar(seeded.db, `select count(*) from session_enrollments where status = 'WAITLISTED'`)).toBeGreaterThan(0);
    expect(await scalar(seeded.db, `
      select count(*) from (
        select session_id from session_enrollments where status = 'WAITLISTED' group by session_id
        having min(waitlist_position) <> 1 or max(waitlist_position) <> count(*) or count(distinct waitlist_position) <> count(*)
      ) broken`)).toBe(0);
  });

  it('gives certificates verification codes of the form the product issues (80 bits), unique', async () => {
    expect(await scalar(seeded.db, `select count(*) from certificates`)).toBeGreaterThan(0);
    expect(await scalar(seeded.db, `select count(*) from certificates where verification_code !~ '^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$'`)).toBe(0);
    expect(await scalar(seeded.db, `select count(*) - count(distinct verification_code) from certificates`)).toBe(0);
  });

  it('keeps roster certificate counts equal to their certificates', async () => {
    expect(await scalar(seeded.db, `select count(*) from rosters where certificate_count > 0`)).toBeGreaterThan(0);
    expect(await scalar(seeded.db, `
      select count(*) from rosters r
      where r.certificate_count <> (select count(*) from certificates c where c.roster_id = r.id and c.status <> 'REVOKED')`)).toBe(0);
    // Every certificate comes from a completed enrollment (directly or through its roster line) of a certifying course.
    expect(await scalar(seeded.db, `
      select count(*) from certificates c join courses k on k.id = c.course_id
      left join session_enrollments e on e.id = c.enrollment_id
      left join student_roster_members m on m.id = c.roster_member_id
      where not k.certifies or coalesce(e.completion_status, m.completion_status) is distinct from 'COMPLETED'`)).toBe(0);
  });

  it('stores e-mails encrypted: they decrypt to valid addresses whose blind index matches', async () => {
    const users = await seeded.db.query<{ email_ciphertext: string; email_hmac: string }>('select email_ciphertext, email_hmac from users');
    const students = await seeded.db.query<{ email_ciphertext: string; email_hmac: string }>(
      'select email_ciphertext, email_hmac from student_enrollment_profiles where email_ciphertext is not null',
    );
    const rows = [...users.rows, ...students.rows];
    expect(students.rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const email = cipher.decrypt(row.email_ciphertext);
      expect(email).toMatch(emailPattern);
      expect(row.email_hmac).toBe(cipher.blindIndex(normaliseEmail(email)));
    }
    const certificates = await seeded.db.query<{ c: string }>(
      'select recipient_email_ciphertext as c from certificates where recipient_email_ciphertext is not null',
    );
    expect(certificates.rows.length).toBeGreaterThan(0);
    for (const { c } of certificates.rows) expect(cipher.decrypt(c)).toMatch(emailPattern);
    const profiles = await seeded.db.query<{ profile: string; account: string }>(
      'select p.email_ciphertext as profile, u.email_ciphertext as account from profiles p join users u on u.id = p.user_id',
    );
    for (const { profile, account } of profiles.rows) expect(cipher.decrypt(profile)).toBe(cipher.decrypt(account));
  });

  it('gives the same rows for the same seed, and different rows for another seed', async () => {
    const first = await fingerprints(seeded.db);
    // Every run of seed 7, on either engine, must give this pinned fingerprint: a second seeding with 7
    // in this file compared the same rows again, at the cost of a seeding.
    expect(combined(first)).toBe(expectedFingerprint);
    const other = await fingerprints(await seedAnother(8));
    for (const table of ['users', 'training_sessions', 'session_enrollments', 'certificates'] as const) {
      expect(other[table], table).not.toBe(first[table]);
    }
  });

  it('writes byte-identical data on either engine for the same seed and day', async () => {
    expect(combined(await fingerprints(seeded.db))).toBe(expectedFingerprint);
  });

  it('refuses a database that already holds data, and leaves it as it was', async () => {
    const before = await scalar(seeded.db, 'select count(*) from training_sessions');
    await expect(seedDatabase(seeded.db, cipher, { size: 'small', seed: 9, today })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('the database already holds data'),
    });
    expect(await scalar(seeded.db, 'select count(*) from training_sessions')).toBe(before);
  });

  it('seeds a database that holds only the administrator the first start created, and keeps that account', async () => {
    const database = await createMigratedDatabase();
    others.push(database);
    expect(await ensureInitialAdministrator({ db: database.db, cipher }, 'admin@unitrain.local')).not.toBeNull();
    const seededReport = await seedDatabase(database.db, cipher, { size: 'small', seed: 7, today });
    const seededUsers = seededReport.counts.find((count) => count.table === 'users')?.rows ?? 0;
    expect(await scalar(database.db, 'select count(*) from users')).toBe(seededUsers + 1);
    expect(await scalar(database.db, `select count(*) from users where email_hmac = '${cipher.blindIndex('admin@unitrain.local')}'`)).toBe(1);
  });
});

