import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testKeyring } from '../../test/auth.js';
import { type CliTarget, createCliTarget, runCli } from '../../test/cli.js';
import type { TestDatabase } from '../../test/database.js';
import type { Db } from '../platform/db/database.js';
import { createFieldCipher, normaliseEmail } from '../platform/security/field-cipher.js';
import { loadKeyring } from '../platform/security/keyring.js';
import { verifyPassword } from '../platform/security/passwords.js';

// Real `unitrain user create` processes: on a new embedded data directory (which the command
// migrates), or on a migrated PostgreSQL database given its keys.
let target: CliTarget;
let env: Record<string, string>;
let database: TestDatabase | null;

beforeEach(async () => {
  target = await createCliTarget('user');
  ({ env, database } = target);
});

afterEach(() => target.remove());

const withWrittenDatabase = <T>(fn: (db: Db) => Promise<T>): Promise<T> => target.withDatabase(fn);

const create = (args: string[], input?: string) => runCli(['user', 'create', ...args], env, input);

describe('unitrain user create', () => {
  it('creates an account from the password on stdin, prints only its id, and refuses the same e-mail again', async () => {
    const password = 'a long password read from stdin';
    const result = await create(['--role', 'SA', '--email', 'Ops@Example.org', '--password-stdin', '--first-name', 'Olga', '--last-name', 'Ops'], `${password}\n`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const id = result.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const dataDir = env['DATA_DIR'] as string;
    // The embedded mode generated its keys into the data directory; a server database was given the test keys.
    const cipher = createFieldCipher(database ? testKeyring : await loadKeyring({ keys: null, database: { engine: 'pglite' }, dataDir }));
    const stored = await withWrittenDatabase(async (db) => {
      const { rows } = await db.query<{ role: string; email_hmac: string; password_hash: string; first_name: string; last_name: string }>(
        'select u.role, u.email_hmac, u.password_hash, p.first_name, p.last_name from users u join profiles p on p.user_id = u.id where u.id = $1',
        [id],
      );
      return rows[0];
    });
    expect(stored).toMatchObject({ role: 'SA', email_hmac: cipher.blindIndex(normaliseEmail('ops@example.org')), first_name: 'Olga', last_name: 'Ops' });
    expect(await verifyPassword(stored?.password_hash ?? null, password)).toBe(true);

    const again = await create(['--role', 'AD', '--email', 'ops@example.org', '--password-stdin'], password);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe('error: an account with this e-mail already exists');
  });

  it('refuses a missing --password-stdin, a short password and an unknown role with one clear line', async () => {
    const [missing, short, role] = await Promise.all([
      create(['--role', 'SA', '--email', 'a@example.org']),
      create(['--role', 'SA', '--email', 'a@example.org', '--password-stdin'], 'too short\n'),
      create(['--role', 'ROOT', '--email', 'a@example.org', '--password-stdin'], 'long enough password'),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('error: give the password on standard input with --password-stdin (it never goes on the command line)');
    expect(short.code).toBe(1);
    expect(short.stderr.trim()).toBe('error: the password on standard input must be at least 12 characters long');
    expect(role.code).toBe(1);
    expect(role.stderr).toContain("option '--role <role>' argument 'ROOT' is invalid");
  });
});
