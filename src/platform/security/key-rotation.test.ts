import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, withMigratedEmbeddedDatabase } from '../../../test/cli.js';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { testEngine, testKeysEnv } from '../../../test/engine.js';
import type { Db, Queryable } from '../db/database.js';
import { openDatabase } from '../db/open-database.js';
import { seedDatabase } from '../../seed/index.js';
import { createFieldCipher, type FieldCipher, type Keyring } from './field-cipher.js';
import { appendGeneratedKey, findEncryptedColumns, rotateEncryptedColumns } from './key-rotation.js';
import { keysFilePath, loadKeyring } from './keyring.js';

// Real databases seeded with real AES-GCM ciphertexts; `keys rotate` and `keys status` run as real
// processes (PGlite: on a data directory with its generated keys.json; PostgreSQL: keys from the environment).
const oldKey = { id: 'test1', key: Buffer.from(testKeysEnv.ENCRYPTION_KEYS.split(':')[1] as string, 'base64') };
const newKey = { id: 'test2', key: Buffer.alloc(32, 9) };
const blindIndexKey = Buffer.from(testKeysEnv.BLIND_INDEX_KEY, 'base64');
const before: Keyring = { encryptionKeys: [oldKey], blindIndexKey };
const after: Keyring = { encryptionKeys: [oldKey, newKey], blindIndexKey };
const seedOptions = { size: 'small', seed: 11, today: '2025-06-15' } as const;

interface StoredValue {
  where: string;
  id: string;
  value: string;
}

/** Every encrypted value in the database, read with raw SQL. */
async function storedValues(db: Queryable): Promise<StoredValue[]> {
  const values: StoredValue[] = [];
  for (const { table, column } of await findEncryptedColumns(db)) {
    const { rows } = await db.query<{ id: string; value: string }>(`select id::text as id, ${column} as value from ${table} where ${column} is not null order by id`);
    values.push(...rows.map((row) => ({ where: `${table}.${column}`, ...row })));
  }
  return values;
}

const plaintexts = (values: StoredValue[], cipher: FieldCipher) =>
  new Map(values.map((v) => [`${v.where}/${v.id}`, cipher.decrypt(v.value)]));

const keyIds = (values: StoredValue[], cipher: FieldCipher) => new Set(values.map((v) => cipher.keyIdOf(v.value)));

const blindIndexes = async (db: Queryable) =>
  (await db.query<{ hmac: string }>(`select email_hmac as hmac from users union all select email_hmac from student_enrollment_profiles order by 1`)).rows;

describe('rotateEncryptedColumns', () => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createMigratedDatabase();
    db = database.db;
    await seedDatabase(db, createFieldCipher(before), seedOptions);
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('moves every value to the new key while reads keep decrypting, and leaves blind indexes alone', async () => {
    const cipher = createFieldCipher(after);
    const original = await storedValues(db);
    const expected = plaintexts(original, cipher);
    const indexesBefore = await blindIndexes(db);
    expect(original.length).toBeGreaterThan(1_000);
    expect(new Set(original.map((v) => v.where))).toEqual(new Set([
      'authorized_providers.contact_email_ciphertext', 'authorized_providers.contact_phone_ciphertext', 'certificates.recipient_email_ciphertext',
      'profiles.email_ciphertext', 'profiles.phone_ciphertext', 'student_enrollment_profiles.email_ciphertext',
      'student_enrollment_profiles.phone_ciphertext', 'users.email_ciphertext',
    ]));

    // A reader runs beside the rotation and must decrypt everything, every time, whatever the mix of keys.
    let rotating = true;
    let mixedReads = 0;
    const reader = (async () => {
      let reads = 0;
      while (rotating || reads === 0) {
        const values = await storedValues(db);
        expect(plaintexts(values, cipher)).toEqual(expected);
        if (keyIds(values, cipher).size === 2) mixedReads++;
        reads++;
      }
    })();
    const batches: number[] = [];
    const results = await rotateEncryptedColumns(db, cipher, {
      batchSize: 200,
      onProgress: (p) => {
        if (p.kind === 'batch') batches.push(p.done);
      },
    }).finally(() => (rotating = false));
    await reader;

    expect(mixedReads).toBeGreaterThan(0);
    expect(batches.length).toBeGreaterThan(8);
    expect(results.reduce((n, r) => n + r.rotated, 0)).toBe(original.length);
    expect(results.every((r) => r.changedMeanwhile === 0 && r.unreadable === 0)).toBe(true);
    const rotated = await storedValues(db);
    expect(keyIds(rotated, cipher)).toEqual(new Set(['test2']));
    expect(plaintexts(rotated, cipher)).toEqual(expected);
    expect(await blindIndexes(db)).toEqual(indexesBefore);

    const again = await rotateEncryptedColumns(db, cipher, { batchSize: 200 });
    expect(again.every((r) => r.rotated === 0 && r.changedMeanwhile === 0 && r.unreadable === 0)).toBe(true);
  });

  it('counts a value no key decrypts as unreadable and leaves it as it is', async () => {
    const cipher = createFieldCipher(after);
    const [target] = (await db.query<{ id: string }>('select id from users order by id limit 1')).rows;
    const foreign = createFieldCipher({ encryptionKeys: [{ id: 'lost', key: randomBytes(32) }], blindIndexKey }).encrypt('lost@example.org');
    await db.query('update users set email_ciphertext = $2 where id = $1', [target?.id, foreign]);
    const results = await rotateEncryptedColumns(db, cipher, { batchSize: 50 });
    expect(results.find((r) => r.table === 'users')).toEqual({ table: 'users', column: 'email_ciphertext', rotated: 0, changedMeanwhile: 0, unreadable: 1 });
    const { rows } = await db.query<{ value: string }>('select email_ciphertext as value from users where id = $1', [target?.id]);
    expect(rows[0]?.value).toBe(foreign);
  });

  it.runIf(testEngine === 'postgres')('never overwrites a value another transaction rewrote after the batch read it', async () => {
    const cipher = createFieldCipher(after);
    const { rows } = await db.query<{ id: string }>(`select id from authorized_providers order by id limit 1`);
    const id = rows[0]?.id as string;
    await db.query('update authorized_providers set contact_email_ciphertext = $2 where id = $1', [id, createFieldCipher(before).encrypt('old@example.org')]);
    const written = cipher.encrypt('rewritten@example.org');
    let rotation: Promise<unknown> = Promise.resolve();
    await db.withConnection((connection) =>
      connection.transaction(async (tx) => {
        // Holds the row: the rotation reads the committed old value, then its UPDATE waits for this commit.
        await tx.query('update authorized_providers set contact_email_ciphertext = $2 where id = $1', [id, written]);
        rotation = rotateEncryptedColumns(db, cipher, { batchSize: 50 });
        for (let waited = 0; waited < 100; waited++) {
          const { rows: waiting } = await db.query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like 'update "authorized_providers"%'`,
          );
          if ((waiting[0]?.n ?? 0) > 0) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }),
    );
    const results = (await rotation) as Awaited<ReturnType<typeof rotateEncryptedColumns>>;
    expect(results.find((r) => r.column === 'contact_email_ciphertext')).toMatchObject({ rotated: 0, changedMeanwhile: 1 });
    const stored = await db.query<{ value: string }>('select contact_email_ciphertext as value from authorized_providers where id = $1', [id]);
    expect(stored.rows[0]?.value).toBe(written);
  });
});

describe('appendGeneratedKey', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'unitrain-rotate-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('appends a new last key with a fresh id, keeps every other entry, and stays owner-readable only', async () => {
    const config = { keys: null, database: { engine: 'pglite' as const, dataDir }, dataDir };
    const first = await loadKeyring(config);
    const original = JSON.parse(await readFile(keysFilePath(dataDir), 'utf8'));
    const day = new Date('2031-02-03T10:00:00Z');
    expect((await appendGeneratedKey(dataDir, day)).keyId).toBe('k20310203');
    expect((await appendGeneratedKey(dataDir, day)).keyId).toBe('k20310203-2');
    const file = JSON.parse(await readFile(keysFilePath(dataDir), 'utf8'));
    expect({ ...file, encryptionKeys: file.encryptionKeys.slice(0, 1) }).toEqual(original);
    expect(file.encryptionKeys.map((k: { id: string }) => k.id)).toEqual([original.encryptionKeys[0].id, 'k20310203', 'k20310203-2']);
    expect((await stat(keysFilePath(dataDir))).mode & 0o777).toBe(0o600);

    const reloaded = createFieldCipher(await loadKeyring(config));
    expect(reloaded.currentKeyId).toBe('k20310203-2');
    expect(reloaded.decrypt(createFieldCipher(first).encrypt('kept@example.org'))).toBe('kept@example.org');
  });
});

describe('unitrain keys', () => {
  let workDir: string;
  let database: TestDatabase | null = null;

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'unitrain-keys-cli-'));
  });

  afterEach(async () => {
    await database?.drop();
    database = null;
    await rm(workDir, { recursive: true, force: true });
  });

  it('refuses a bad --batch-size before touching anything, and a database without the schema', async () => {
    const env = { DATA_DIR: join(workDir, 'data') };
    const sizes = ['0', 'ten', '100001'];
    const [unmigrated, ...results] = await Promise.all([
      runCli(['keys', 'status'], env),
      ...sizes.map((size) => runCli(['keys', 'rotate', '--batch-size', size], env)),
    ]);
    expect(results.map((r) => ({ code: r.code, stderr: r.stderr.trim() }))).toEqual(
      sizes.map((size) => ({ code: 1, stderr: `error: --batch-size must be a whole number from 1 to 100000, got "${size}"` })),
    );
    expect({ code: unmigrated?.code, stderr: unmigrated?.stderr.trim() }).toEqual({
      code: 1, stderr: 'error: the database has no encrypted columns: run `npx unitrain migrate up` (or start the server once) first',
    });
  });

  it.runIf(testEngine === 'pglite')('rotate --new-key adds a key to DATA_DIR/keys.json and moves every value to it; a second run has nothing to do', async () => {
    const dataDir = await withMigratedEmbeddedDatabase(join(workDir, 'data'));
    const config = { database: { engine: 'pglite' as const, dataDir }, slowQueryMs: 0, keys: null, dataDir };
    const embedded = await openDatabase(config, null);
    let expected: Map<string, string>;
    try {
      const cipher = createFieldCipher(await loadKeyring(config));
      await seedDatabase(embedded, cipher, seedOptions);
      expected = plaintexts(await storedValues(embedded), cipher);
    } finally {
      await embedded.close();
    }
    const env = { DATA_DIR: dataDir };

    const rotated = await runCli(['keys', 'rotate', '--new-key', '--batch-size', '100'], env);
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    const keyId = /added key (k\d{8}(?:-\d+)?) to /.exec(rotated.stdout)?.[1] as string;
    expect(keyId).toMatch(/-2$/);
    expect(rotated.stdout).toContain(`${expected.size.toLocaleString('en-US')} value(s) to re-encrypt in 8 column(s)`);
    expect(rotated.stdout).toMatch(/^users\.email_ciphertext: 60 re-encrypted$/m);
    expect(rotated.stdout).toMatch(new RegExp(`re-encrypted ${expected.size.toLocaleString('en-US')} value\\(s\\) with key ${keyId} in \\d+\\.\\d s`));

    const second = await runCli(['keys', 'rotate'], env);
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toBe(`nothing to re-encrypt: every value in 9 encrypted column(s) uses key ${keyId}`);

    const reopened = await openDatabase(config, null);
    try {
      const cipher = createFieldCipher(await loadKeyring(config));
      const values = await storedValues(reopened);
      expect(keyIds(values, cipher)).toEqual(new Set([keyId]));
      expect(plaintexts(values, cipher)).toEqual(expected);
    } finally {
      await reopened.close();
    }
  });

  it.runIf(testEngine === 'postgres')('rotate moves every value to the last key of ENCRYPTION_KEYS while another process reads them', async () => {
    database = await createMigratedDatabase();
    const db = database.db;
    await seedDatabase(db, createFieldCipher(before), seedOptions);
    const cipher = createFieldCipher(after);
    const expected = plaintexts(await storedValues(db), cipher);
    const env = {
      ...testKeysEnv,
      ENCRYPTION_KEYS: `${testKeysEnv.ENCRYPTION_KEYS},test2:${newKey.key.toString('base64')}`,
      DATABASE_URL: database.url as string,
    };

    const refused = await runCli(['keys', 'rotate', '--new-key'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('append the new key to ENCRYPTION_KEYS instead');

    let finished = false;
    const rotation = runCli(['keys', 'rotate', '--batch-size', '20'], env).finally(() => (finished = true));
    let reads = 0;
    let mixedReads = 0;
    while (!finished) {
      const values = await storedValues(db);
      expect(plaintexts(values, cipher)).toEqual(expected);
      if (keyIds(values, cipher).size === 2) mixedReads++;
      reads++;
    }
    const result = await rotation;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(reads).toBeGreaterThan(1);
    expect(mixedReads).toBeGreaterThan(0);
    expect(result.stdout).toMatch(new RegExp(`re-encrypted ${expected.size.toLocaleString('en-US')} value\\(s\\) with key test2`));

    const values = await storedValues(db);
    expect(keyIds(values, cipher)).toEqual(new Set(['test2']));
    expect(plaintexts(values, cipher)).toEqual(expected);
    const second = await runCli(['keys', 'rotate'], env);
    expect(second.stdout.trim()).toBe('nothing to re-encrypt: every value in 9 encrypted column(s) uses key test2');
    const status = await runCli(['keys', 'status'], env);
    expect(status.stdout).toMatch(/^users\.email_ciphertext +test2 +60$/m);
    expect(status.stdout).toMatch(/^current key: test2 \(configured: test1, test2\)$/m);
  });
});
