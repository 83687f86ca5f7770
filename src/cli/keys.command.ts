import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { Config } from '../config.js';
import type { Db } from '../platform/db/database.js';
import { openDatabase } from '../platform/db/open-database.js';
import { createFieldCipher } from '../platform/security/field-cipher.js';
import {
  appendGeneratedKey, type ColumnRotation, countValuesByKey, findEncryptedColumns, type RotationProgress, rotateEncryptedColumns,
} from '../platform/security/key-rotation.js';
import { appendCredentialSigningKey, loadKeyring, newCredentialKeyEntry } from '../platform/security/keyring.js';
import { CliFailure } from './cli-failure.js';

const helpText = `
Every *_ciphertext column is re-encrypted from older keys to the current one (the last key), in
batches, each its own transaction; reads keep working throughout, since every listed key decrypts.
A value someone rewrites during the run is left as they wrote it. Blind indexes do not change.

Embedded database: \`keys rotate --new-key\` first appends a freshly generated key to DATA_DIR/keys.json.
Stop the server first (the data directory has one user at a time).
Server database: append the new key to ENCRYPTION_KEYS (id:base64, last), restart every process with
it so new values use it, then run \`keys rotate\`. Remove an old key only once \`keys status\` shows no
value under it, and no audit log value you still need to read.

Credential signing keys (Ed25519; they sign certificate credentials and status lists): \`keys
new-credential-key\` adds one (embedded: to DATA_DIR/keys.json; server: prints the entry to append
to CREDENTIAL_SIGNING_KEYS). The last key signs from the next start on; keep the older ones: they
stay published at /.well-known/jwks.json, so the credentials they signed keep verifying.
`;

const number = (n: number) => n.toLocaleString('en-US');

function parseBatchSize(value: string): number {
  const size = Number(value);
  if (!/^\d+$/.test(value) || size < 1 || size > 100_000) throw new CliFailure(`--batch-size must be a whole number from 1 to 100000, got "${value}"`);
  return size;
}

/** A bar on a terminal; elsewhere a line per column and, on long columns, one every few seconds. */
function progressPrinter(terminal: boolean): { onProgress: (p: RotationProgress) => void; stop: () => void } {
  const describe = (r: ColumnRotation) =>
    `${r.table}.${r.column}: ${number(r.rotated)} re-encrypted` +
    (r.changedMeanwhile > 0 ? `, ${number(r.changedMeanwhile)} changed meanwhile` : '') +
    (r.unreadable > 0 ? `, ${number(r.unreadable)} unreadable` : '');
  if (terminal) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stdout, hideCursor: true, barsize: 24, format: '{bar} {percentage}% | {value}/{total} values | {where}' },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    let finishedColumns = 0;
    let columnDone = 0;
    return {
      onProgress(p) {
        if (p.kind === 'planned') {
          const total = p.columns.reduce((sum, c) => sum + c.pending, 0);
          if (total > 0) bar.start(total, 0, { where: '' });
          started = total > 0;
        } else if (p.kind === 'batch') {
          columnDone = p.done;
          bar.update(finishedColumns + columnDone, { where: `${p.table}.${p.column}` });
        } else {
          finishedColumns += columnDone;
          columnDone = 0;
        }
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let lastLine = performance.now();
  return {
    onProgress(p) {
      if (p.kind === 'planned') {
        const total = p.columns.reduce((sum, c) => sum + c.pending, 0);
        if (total > 0) console.log(`${number(total)} value(s) to re-encrypt in ${p.columns.filter((c) => c.pending > 0).length} column(s)`);
      } else if (p.kind === 'batch') {
        if (performance.now() - lastLine > 5_000) {
          console.log(`  ${p.table}.${p.column}: ${Math.floor((p.done / Math.max(1, p.pending)) * 100)}% (${number(p.done)} of ${number(p.pending)})`);
          lastLine = performance.now();
        }
      } else if (p.result.rotated + p.result.changedMeanwhile + p.result.unreadable > 0) {
        console.log(describe(p.result));
        lastLine = performance.now();
      }
    },
    stop: () => undefined,
  };
}

function printSummary(results: ColumnRotation[], keyId: string, elapsedMs: number): void {
  const sum = (pick: (r: ColumnRotation) => number) => results.reduce((total, r) => total + pick(r), 0);
  const rotated = sum((r) => r.rotated);
  const changed = sum((r) => r.changedMeanwhile);
  const unreadable = sum((r) => r.unreadable);
  if (rotated + changed + unreadable === 0) {
    console.log(`nothing to re-encrypt: every value in ${results.length} encrypted column(s) uses key ${keyId}`);
    return;
  }
  console.log(
    `re-encrypted ${number(rotated)} value(s) with key ${keyId} in ${(elapsedMs / 1000).toFixed(1)} s` +
      (changed > 0 ? `; ${number(changed)} changed by another writer meanwhile (run again to catch any left on an old key)` : ''),
  );
  if (unreadable > 0) {
    throw new CliFailure(`${number(unreadable)} value(s) could not be decrypted with any configured key and were left as they are: see \`keys status\``);
  }
}

export function registerKeysCommand(program: Command, context: { config: () => Config }): void {
  const keys = program.command('keys').description('encryption keys of personal fields: status and rotation').addHelpText('after', helpText);

  /** The database, once it is known to have the schema (an unmigrated one has nothing encrypted to show or rotate). */
  const withDb = async <T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T> => {
    // No query log: rotation batches are long by design, and a warning per batch helps nobody.
    const db = await openDatabase(config, null);
    try {
      if ((await findEncryptedColumns(db)).length === 0) {
        throw new CliFailure('the database has no encrypted columns: run `npx unitrain migrate up` (or start the server once) first');
      }
      return await fn(db);
    } finally {
      await db.close();
    }
  };

  keys
    .command('rotate')
    .description('re-encrypt every encrypted value with the current (last) key')
    .option('--batch-size <n>', 'values per transaction', '1000')
    .option('--new-key', 'embedded database only: first append a freshly generated key to DATA_DIR/keys.json')
    .action(async (options: { batchSize: string; newKey?: boolean }) => {
      const batchSize = parseBatchSize(options.batchSize);
      const config = context.config();
      if (options.newKey && (config.database.engine !== 'pglite' || config.keys !== null)) {
        throw new CliFailure('--new-key adds a key to DATA_DIR/keys.json, which only the embedded mode uses: append the new key to ENCRYPTION_KEYS instead, restart every process, then run `keys rotate`');
      }
      // The database is opened first: it takes the data directory's lock, so a running server stops us before the key file changes.
      await withDb(config, async (db) => {
        if (options.newKey) {
          // Generates DATA_DIR/keys.json if this is its first use, so there is a file to add to.
          await loadKeyring(config);
          const added = await appendGeneratedKey(config.dataDir);
          console.log(`added key ${added.keyId} to ${added.path}`);
        }
        const cipher = createFieldCipher(await loadKeyring(config));
        const printer = progressPrinter(process.stdout.isTTY === true);
        const started = performance.now();
        try {
          const results = await rotateEncryptedColumns(db, cipher, { batchSize, onProgress: printer.onProgress });
          printer.stop();
          printSummary(results, cipher.currentKeyId, performance.now() - started);
        } catch (error) {
          printer.stop();
          throw error;
        }
      });
    });

  keys
    .command('new-credential-key')
    .description('add an Ed25519 key that signs credentials from the next start on (the older ones stay published)')
    .action(async () => {
      const config = context.config();
      if (config.database.engine !== 'pglite' || config.keys !== null) {
        const taken = config.keys?.credentialSigningKeys.map((key) => key.id) ?? [];
        const entry = newCredentialKeyEntry(taken, new Date());
        console.log('append this entry (last) to CREDENTIAL_SIGNING_KEYS, then restart every process:');
        console.log(`${entry.id}:${entry.key}`);
        return;
      }
      // The data directory's lock: a running server would keep signing with the key it loaded.
      const db = await openDatabase(config, null);
      try {
        await loadKeyring(config);
        const added = await appendCredentialSigningKey(config.dataDir);
        console.log(`added credential signing key ${added.keyId} to ${added.path}; it signs from the next start on`);
      } finally {
        await db.close();
      }
    });

  keys
    .command('status')
    .description('how many stored values each key id encrypted, per column')
    .action(async () => {
      const config = context.config();
      const keyring = await loadKeyring(config);
      const cipher = createFieldCipher(keyring);
      const configured = keyring.encryptionKeys.map((k) => k.id);
      const usage = await withDb(config, (db) => countValuesByKey(db));
      const width = Math.max('where'.length, ...usage.map((u) => u.where.length)) + 2;
      const keyWidth = Math.max('key'.length, ...usage.map((u) => u.keyId.length)) + 2;
      console.log(`${'where'.padEnd(width)}${'key'.padEnd(keyWidth)}${'values'.padStart(10)}`);
      for (const u of usage) {
        const note = u.keyId === cipher.currentKeyId ? '' : configured.includes(u.keyId) ? '  (older key)' : '  (not configured: unreadable)';
        console.log(`${u.where.padEnd(width)}${u.keyId.padEnd(keyWidth)}${number(u.rows).padStart(10)}${note}`);
      }
      console.log(`current key: ${cipher.currentKeyId} (configured: ${configured.join(', ')})`);
      const signing = keyring.credentialSigningKeys.map((key) => key.id);
      console.log(`credential signing key: ${signing.at(-1) ?? 'none'} (published: ${signing.join(', ')})`);
    });
}
