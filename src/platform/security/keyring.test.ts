import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendCredentialSigningKey, keysFilePath, KeyringError, loadKeyring } from './keyring.js';

// Real files in a temporary data directory.
let dataDir: string;
const embedded = () => ({ keys: null, database: { engine: 'pglite' as const, dataDir }, dataDir });

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'unitrain-keyring-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('the token signing key', () => {
  it('is generated into keys.json with the other keys on first start, and the same on the next', async () => {
    const first = await loadKeyring(embedded());
    const second = await loadKeyring(embedded());
    expect(first.tokenSigningKey).toHaveLength(32);
    expect(second.tokenSigningKey.equals(first.tokenSigningKey)).toBe(true);
    expect(first.tokenSigningKey.equals(first.blindIndexKey)).toBe(false);
  });

  it('is added to a keys.json written before access tokens existed, keeping every other key', async () => {
    const older = { encryptionKeys: [{ id: 'k1', key: randomBytes(32).toString('base64') }], blindIndexKey: randomBytes(32).toString('base64') };
    await writeFile(keysFilePath(dataDir), JSON.stringify(older), { mode: 0o600 });
    const keyring = await loadKeyring(embedded());
    const stored = JSON.parse(await readFile(keysFilePath(dataDir), 'utf8'));
    expect(stored).toMatchObject(older);
    expect(Buffer.from(stored.tokenSigningKey, 'base64').equals(keyring.tokenSigningKey)).toBe(true);
    expect((await stat(keysFilePath(dataDir))).mode & 0o777).toBe(0o600);
    expect((await loadKeyring(embedded())).tokenSigningKey.equals(keyring.tokenSigningKey)).toBe(true);
  });

  it('must come from the environment for a server database', async () => {
    const server = { keys: null, database: { engine: 'postgres' as const, url: 'postgres://x', replicaUrl: null, poolMax: 1 }, dataDir };
    await expect(loadKeyring(server)).rejects.toThrow(new KeyringError('ENCRYPTION_KEYS, BLIND_INDEX_KEY, TOKEN_SIGNING_KEY and CREDENTIAL_SIGNING_KEYS must be set when DATABASE_URL is (every process must share the same keys)'));
  });
});

describe('the credential signing keys', () => {
  it('are generated into keys.json on first start, added to an older file, and kept when a new one is appended', async () => {
    const older = { encryptionKeys: [{ id: 'k1', key: randomBytes(32).toString('base64') }], blindIndexKey: randomBytes(32).toString('base64'), tokenSigningKey: randomBytes(32).toString('base64') };
    await writeFile(keysFilePath(dataDir), JSON.stringify(older), { mode: 0o600 });
    const first = await loadKeyring(embedded());
    expect(first.credentialSigningKeys).toHaveLength(1);
    expect(first.credentialSigningKeys[0]?.seed).toHaveLength(32);
    expect(JSON.parse(await readFile(keysFilePath(dataDir), 'utf8'))).toMatchObject(older);
    const added = await appendCredentialSigningKey(dataDir, new Date('2031-01-02T00:00:00Z'));
    expect(added.keyId).toBe('c20310102');
    const second = await loadKeyring(embedded());
    expect(second.credentialSigningKeys.map((k) => k.id)).toEqual([first.credentialSigningKeys[0]?.id, 'c20310102']);
    expect(second.credentialSigningKeys[0]?.seed.equals(first.credentialSigningKeys[0]!.seed)).toBe(true);
    expect((await appendCredentialSigningKey(dataDir, new Date('2031-01-02T00:00:00Z'))).keyId).toBe('c20310102-2');
    expect((await stat(keysFilePath(dataDir))).mode & 0o777).toBe(0o600);
  });
});
