import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { Db, Queryable, Tx } from '../db/database.js';
import { DecryptionError, type FieldCipher } from './field-cipher.js';
import { keysFilePath, nextKeyId } from './keyring.js';

/** A column holding `v1.<key id>.…` values: every `*_ciphertext` column, so new ones are covered without a list. */
export interface EncryptedColumn {
  table: string;
  column: string;
  /** The SQL type of the table's `id`, which rotation pages by. */
  idType: string;
}

export interface KeyUsage {
  /** `table.column`, or `audit_log values` for ciphertexts copied into the audit log. */
  where: string;
  keyId: string;
  rows: number;
}

export interface ColumnRotation {
  table: string;
  column: string;
  /** Values re-encrypted with the current key. */
  rotated: number;
  /** Values changed by someone else between reading and rewriting them: left as that writer wrote them. */
  changedMeanwhile: number;
  /** Values no configured key decrypts (an unknown key id or a damaged value): left untouched. */
  unreadable: number;
}

export type RotationProgress =
  | { kind: 'planned'; columns: { table: string; column: string; pending: number }[] }
  | { kind: 'batch'; table: string; column: string; done: number; pending: number }
  | { kind: 'column-done'; result: ColumnRotation };

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/** The key id of a stored value, in SQL: `v1.<key id>.<iv>.<body>`. */
const keyIdOf = (column: string) => `split_part(${quote(column)}, '.', 2)`;

export async function findEncryptedColumns(db: Queryable): Promise<EncryptedColumn[]> {
  const { rows } = await db.query<EncryptedColumn>(`
    select c.table_name as "table", c.column_name as "column", format_type(a.atttypid, a.atttypmod) as "idType"
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      join pg_attribute a on a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass and a.attname = 'id'
     where c.table_schema = 'public' and t.table_type = 'BASE TABLE' and c.column_name like '%\\_ciphertext'
     order by c.table_name, c.column_name`);
  return rows;
}

/** How many stored values each key id encrypted, per column, and in the audit log's copies of old and new values. */
export async function countValuesByKey(db: Queryable): Promise<KeyUsage[]> {
  const usage: KeyUsage[] = [];
  for (const { table, column } of await findEncryptedColumns(db)) {
    const { rows } = await db.query<{ keyId: string; rows: number }>(
      `select ${keyIdOf(column)} as "keyId", count(*)::int as rows from ${quote(table)}
        where ${quote(column)} is not null group by 1 order by 1`,
    );
    usage.push(...rows.map((row) => ({ where: `${table}.${column}`, ...row })));
  }
  // The audit log is append-only and keeps each value under the key that wrote it: an old key is
  // needed for as long as these rows are.
  const { rows } = await db.query<{ keyId: string; rows: number }>(`
    select split_part(v.value, '.', 2) as "keyId", count(*)::int as rows
      from audit_log a
     cross join lateral (
       select value from jsonb_each_text(coalesce(a.old_values, '{}'::jsonb)) where key like '%\\_ciphertext'
       union all
       select value from jsonb_each_text(coalesce(a.new_values, '{}'::jsonb)) where key like '%\\_ciphertext'
     ) v
     where v.value is not null
     group by 1 order by 1`);
  usage.push(...rows.map((row) => ({ where: 'audit_log values', ...row })));
  return usage;
}

async function countPending(db: Queryable, { table, column }: EncryptedColumn, currentKeyId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from ${quote(table)} where ${quote(column)} is not null and ${keyIdOf(column)} <> $1`,
    [currentKeyId],
  );
  return rows[0]?.n ?? 0;
}

/** The next values not under the current key, after `afterId` in id order (keyset paging). */
async function readBatch(
  db: Queryable, { table, column, idType }: EncryptedColumn, currentKeyId: string, afterId: string | null, limit: number,
): Promise<{ id: string; value: string }[]> {
  const { rows } = await db.query<{ id: string; value: string }>(
    `select id::text as id, ${quote(column)} as value from ${quote(table)}
      where ${quote(column)} is not null and ${keyIdOf(column)} <> $1 and ($2::text is null or id > $2::text::${idType})
      order by id limit $3`,
    [currentKeyId, afterId, limit],
  );
  return rows;
}

/** Writes the new values where the stored value is still the one read; returns how many were written. */
async function rewriteBatch(
  tx: Tx, { table, column, idType }: EncryptedColumn, batch: { ids: string[]; oldValues: string[]; newValues: string[] },
): Promise<number> {
  const { rowCount } = await tx.query(
    `update ${quote(table)} t set ${quote(column)} = v.new_value
       from unnest($1::text[], $2::text[], $3::text[]) as v(id, old_value, new_value)
      where t.id = v.id::${idType} and t.${quote(column)} = v.old_value`,
    [batch.ids, batch.oldValues, batch.newValues],
  );
  return rowCount;
}

/**
 * Re-encrypts one column with the current key, a batch at a time. Paging by id (keyset) keeps each
 * read cheap; each batch is its own short transaction, so readers and writers are never held up for
 * long (the embedded engine has a single connection). The UPDATE matches the value it read, so a
 * value someone rewrote in between is never overwritten with a stale one.
 */
async function rotateColumn(
  db: Db, cipher: FieldCipher, target: EncryptedColumn, pending: number, batchSize: number,
  onProgress: (progress: RotationProgress) => void,
): Promise<ColumnRotation> {
  const { table, column } = target;
  const result: ColumnRotation = { table, column, rotated: 0, changedMeanwhile: 0, unreadable: 0 };
  let afterId: string | null = null;
  let done = 0;
  for (;;) {
    const rows = await readBatch(db, target, cipher.currentKeyId, afterId, batchSize);
    if (rows.length === 0) break;
    afterId = rows[rows.length - 1]?.id ?? null;
    const batch = { ids: [] as string[], oldValues: [] as string[], newValues: [] as string[] };
    for (const row of rows) {
      try {
        batch.newValues.push(cipher.encrypt(cipher.decrypt(row.value)));
        batch.ids.push(row.id);
        batch.oldValues.push(row.value);
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        result.unreadable++;
      }
    }
    if (batch.ids.length > 0) {
      const written = await db.transaction((tx) => rewriteBatch(tx, target, batch));
      result.rotated += written;
      result.changedMeanwhile += batch.ids.length - written;
    }
    done += rows.length;
    onProgress({ kind: 'batch', table, column, done, pending });
  }
  onProgress({ kind: 'column-done', result });
  return result;
}

/**
 * Brings every encrypted value to the cipher's current (last) key. Reads keep working throughout,
 * since the keyring decrypts every key it lists. Blind indexes are untouched: their key is separate.
 * Running it again finds nothing left to do.
 */
export async function rotateEncryptedColumns(
  db: Db, cipher: FieldCipher, options: { batchSize: number; onProgress?: (progress: RotationProgress) => void },
): Promise<ColumnRotation[]> {
  const onProgress = options.onProgress ?? (() => undefined);
  const columns = await findEncryptedColumns(db);
  const planned: (EncryptedColumn & { pending: number })[] = [];
  for (const column of columns) planned.push({ ...column, pending: await countPending(db, column, cipher.currentKeyId) });
  onProgress({ kind: 'planned', columns: planned.map(({ table, column, pending }) => ({ table, column, pending })) });
  const results: ColumnRotation[] = [];
  for (const target of planned) {
    results.push(await rotateColumn(db, cipher, target, target.pending, options.batchSize, onProgress));
  }
  return results;
}

interface KeysFileContents {
  encryptionKeys: { id: string; key: string }[];
  [other: string]: unknown;
}

/**
 * Embedded mode: appends a freshly generated key to `DATA_DIR/keys.json`, which then encrypts every
 * new value (the last key does). The other keys and entries are kept as they are; the file is
 * replaced whole (write, then rename) so a crash never leaves half of it.
 */
export async function appendGeneratedKey(dataDir: string, now = new Date()): Promise<{ keyId: string; path: string }> {
  const path = keysFilePath(dataDir);
  const contents = JSON.parse(await readFile(path, 'utf8')) as KeysFileContents;
  const keyId = nextKeyId('k', contents.encryptionKeys.map((k) => k.id), now);
  const updated = { ...contents, encryptionKeys: [...contents.encryptionKeys, { id: keyId, key: randomBytes(32).toString('base64') }] };
  const temporary = `${path}.${process.pid}.rotate.tmp`;
  await writeFile(temporary, `${JSON.stringify(updated, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await rename(temporary, path);
  return { keyId, path };
}
