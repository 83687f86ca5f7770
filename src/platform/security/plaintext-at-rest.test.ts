import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import type { Db } from '../db/database.js';
import { seedDatabase } from '../../seed/index.js';
import { createFieldCipher, normaliseEmail } from './field-cipher.js';
import { findEncryptedColumns } from './key-rotation.js';

// A real database seeded at the demo size (audit triggers on), then personal data written the way the
// application writes it; every stored text is read back with raw SQL, as a dump would show it.
const cipher = createFieldCipher({ encryptionKeys: [{ id: 'scan1', key: Buffer.alloc(32, 5) }], blindIndexKey: Buffer.alloc(32, 6) });
const emailPattern = '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+';
let database: TestDatabase;
let db: Db;

interface TextColumn {
  table: string;
  column: string;
}

/** Every column of every table that can hold text: text, varchar, json, jsonb and arrays of them. */
async function textColumns(): Promise<TextColumn[]> {
  const { rows } = await db.query<TextColumn>(`
    select c.table_name as "table", c.column_name as "column"
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
     where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
       and (c.data_type in ('text', 'character varying', 'json', 'jsonb')
            or (c.data_type = 'ARRAY' and c.udt_name in ('_text', '_varchar', '_json', '_jsonb')))
     order by 1, 2`);
  return rows;
}

/** The personal values the database holds, learnt by decrypting every ciphertext: in their columns and in the audit log's copies. */
async function plaintextsAtRest(): Promise<string[]> {
  const values = new Set<string>();
  for (const { table, column } of await findEncryptedColumns(db)) {
    const { rows } = await db.query<{ value: string }>(`select ${column} as value from ${table} where ${column} is not null`);
    for (const row of rows) values.add(cipher.decrypt(row.value));
  }
  const { rows } = await db.query<{ value: string }>(`
    select e.value from audit_log a, jsonb_each_text(a.old_values) e where e.key like '%\\_ciphertext' and e.value is not null
    union
    select e.value from audit_log a, jsonb_each_text(a.new_values) e where e.key like '%\\_ciphertext' and e.value is not null`);
  for (const row of rows) values.add(cipher.decrypt(row.value));
  return [...values];
}

/** The text columns where any stored value contains one of `plaintexts`, read with raw SQL. */
async function scanForPlaintexts(plaintexts: string[]): Promise<{ found: string[]; scanned: number }> {
  // One pattern of every value, matched in JavaScript: a substring search per value in SQL takes
  // minutes on the embedded engine.
  const anyPlaintext = new RegExp(plaintexts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'));
  const found: string[] = [];
  let scanned = 0;
  for (const { table, column } of await textColumns()) {
    const { rows } = await db.query<{ value: string }>(`select ${column}::text as value from ${table} where ${column} is not null`);
    scanned += rows.length;
    if (rows.some((row) => anyPlaintext.test(row.value))) found.push(`${table}.${column}`);
  }
  return { found, scanned };
}

/** The columns (ciphertexts aside) where some value looks like an e-mail address, with how many. */
async function columnsWithEmailShapes(): Promise<string[]> {
  const found: string[] = [];
  for (const { table, column } of await textColumns()) {
    if (column.endsWith('_ciphertext')) continue;
    const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from ${table} where ${column}::text ~ $1`, [emailPattern]);
    if ((rows[0]?.n ?? 0) > 0) found.push(`${table}.${column}: ${rows[0]?.n}`);
  }
  return found;
}

beforeAll(async () => {
  database = await createMigratedDatabase();
  db = database.db;
  await seedDatabase(db, cipher, { size: 'small', seed: 5, today: '2025-06-15' });
  // Application writes (the seed itself is not audited): a student's e-mail and phone change, and a
  // student is added and removed, so the audit log holds new, changed and deleted personal values.
  const administrator = { userId: null, role: 'SA' as const, providerId: null, requestId: 'scan', ip: '192.0.2.1', userAgent: 'scan' };
  const sealedEmail = (email: string) => [cipher.encrypt(email), cipher.blindIndex(normaliseEmail(email))];
  await db.withActor(administrator, async (tx) => {
    await tx.query(
      `update student_enrollment_profiles set email_ciphertext = $1, email_hmac = $2, phone_ciphertext = $3
        where id = (select id from student_enrollment_profiles where email_ciphertext is not null order by id limit 1)`,
      [...sealedEmail('changed.student@example.net'), cipher.encrypt('+44 20 7946 0999')],
    );
    const { rows } = await tx.query<{ id: string }>(
      `insert into student_enrollment_profiles (first_name, last_name, email_ciphertext, email_hmac, phone_ciphertext)
       values ('Walk', 'In', $1, $2, $3) returning id`,
      [...sealedEmail('walk.in@example.com'), cipher.encrypt('+33 1 23 45 67 89')],
    );
    await tx.query('delete from student_enrollment_profiles where id = $1', [rows[0]?.id]);
  });
});

afterAll(async () => {
  await database?.drop();
});

describe('personal data at rest', () => {
  it('the database holds e-mails and phones, in their tables and in the audit log', async () => {
    const plaintexts = await plaintextsAtRest();
    expect(plaintexts.filter((p) => p.includes('@')).length).toBeGreaterThan(500);
    expect(plaintexts.filter((p) => /^\+[\d ()-]+$/.test(p)).length).toBeGreaterThan(300);
    expect(plaintexts).toEqual(expect.arrayContaining(['changed.student@example.net', '+44 20 7946 0999', 'walk.in@example.com', '+33 1 23 45 67 89']));
    const { rows } = await db.query<{ operation: string }>(
      `select operation from audit_log where table_name = 'student_enrollment_profiles'
          and (old_values ? 'email_ciphertext' or new_values ? 'email_ciphertext') order by id`,
    );
    expect(rows.map((r) => r.operation)).toEqual(['UPDATE', 'INSERT', 'DELETE']);
  });

  it('no stored text of any table contains a plaintext e-mail or phone', async () => {
    const columns = await textColumns();
    expect(columns.map((c) => `${c.table}.${c.column}`)).toEqual(expect.arrayContaining(['audit_log.new_values', 'audit_log.old_values', 'users.email_ciphertext']));
    const scan = await scanForPlaintexts(await plaintextsAtRest());
    expect(scan.scanned).toBeGreaterThan(20_000);
    expect(scan.found).toEqual([]);
  });

  it('nothing outside the ciphertext columns even looks like an e-mail address', async () => {
    expect(await columnsWithEmailShapes()).toEqual([]);
  });

  it('both scans notice a plaintext that is there', async () => {
    const plaintexts = await plaintextsAtRest();
    const email = plaintexts.find((p) => p.includes('@')) as string;
    const phone = plaintexts.find((p) => p.startsWith('+')) as string;
    await db.query(
      `insert into notifications (user_id, kind, title, body, data) select id, 'test', 'leak', $1, jsonb_build_object('phone', $2::text) from users limit 1`,
      [`write to ${email}`, phone],
    );
    expect((await scanForPlaintexts(plaintexts)).found).toEqual(['audit_log.new_values', 'notifications.body', 'notifications.data']);
    expect(await columnsWithEmailShapes()).toEqual(['audit_log.new_values: 1', 'notifications.body: 1']);
  });
});
