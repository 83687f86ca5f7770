import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFieldCipher, DecryptionError, normaliseEmail } from './field-cipher.js';
import { keysFilePath, KeyringError, loadKeyring, parseEncryptionKeys } from './keyring.js';
import { propertyRuns } from '../../../test/property-runs.js';

// Real AES-256-GCM and HMAC from node:crypto, real files for the generated keyring; no database needed here.
const key = (id: string) => ({ id, key: randomBytes(32) });
const blindIndexKey = randomBytes(32);

describe('field encryption', () => {
  it('decrypts what it encrypted, for any text', () => {
    const cipher = createFieldCipher({ encryptionKeys: [key('a')], blindIndexKey });
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (text) => cipher.decrypt(cipher.encrypt(text)) === text), propertyRuns(100));
  });

  it('never writes the same ciphertext twice and never contains the plaintext', () => {
    const cipher = createFieldCipher({ encryptionKeys: [key('a')], blindIndexKey });
    const first = cipher.encrypt('ada@example.org');
    expect(first).not.toBe(cipher.encrypt('ada@example.org'));
    expect(first).toMatch(/^v1\.a\.[\w-]+\.[\w-]+$/);
    expect(first).not.toContain('ada');
  });

  it('keeps reading values written with an older key after a new one is added', () => {
    const old = key('old');
    const before = createFieldCipher({ encryptionKeys: [old], blindIndexKey }).encrypt('+44 20 7946 0000');
    const rotated = createFieldCipher({ encryptionKeys: [old, key('new')], blindIndexKey });
    expect(rotated.decrypt(before)).toBe('+44 20 7946 0000');
    expect(rotated.keyIdOf(rotated.encrypt('x'))).toBe('new');
    expect(rotated.keyIdOf(before)).toBe('old');
  });

  it('refuses an altered value, an unknown key id and a foreign format', () => {
    const cipher = createFieldCipher({ encryptionKeys: [key('a')], blindIndexKey });
    const stored = cipher.encrypt('someone@example.org');
    const parts = stored.split('.');
    const body = Buffer.from(parts[3] as string, 'base64url');
    body[0] = (body[0] as number) ^ 1;
    expect(() => cipher.decrypt([...parts.slice(0, 3), body.toString('base64url')].join('.'))).toThrow(DecryptionError);
    expect(() => cipher.decrypt(stored.replace('v1.a.', 'v1.zz.'))).toThrow(/no key with id "zz"/);
    expect(() => cipher.decrypt('plain@example.org')).toThrow(DecryptionError);
  });

  it('gives equal blind indexes for addresses that differ only in case and spaces', () => {
    const cipher = createFieldCipher({ encryptionKeys: [key('a')], blindIndexKey });
    expect(cipher.blindIndex(normaliseEmail(' Ada@Example.org '))).toBe(cipher.blindIndex(normaliseEmail('ada@example.org')));
    expect(cipher.blindIndex('a@example.org')).not.toBe(cipher.blindIndex('b@example.org'));
  });
});

describe('keyring', () => {
  it('generates the embedded keys into the data directory once, owner-readable only, and reuses them', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'unitrain-keys-'));
    try {
      const config = { keys: null, database: { engine: 'pglite' as const, dataDir }, dataDir };
      const first = await loadKeyring(config);
      const second = await loadKeyring(config);
      expect(second.blindIndexKey.equals(first.blindIndexKey)).toBe(true);
      expect((await stat(keysFilePath(dataDir))).mode & 0o777).toBe(0o600);
      const stored = createFieldCipher(first).encrypt('kept@example.org');
      expect(createFieldCipher(second).decrypt(stored)).toBe('kept@example.org');
      expect(JSON.parse(await readFile(keysFilePath(dataDir), 'utf8')).encryptionKeys).toHaveLength(1);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('requires keys from the environment for a server database', async () => {
    const config = { keys: null, database: { engine: 'postgres' as const, url: 'postgres://x', replicaUrl: null, poolMax: 1 }, dataDir: '.' };
    await expect(loadKeyring(config)).rejects.toThrow(KeyringError);
  });

  it('parses id:base64 lists and names what is wrong without echoing keys', () => {
    const good = randomBytes(32).toString('base64');
    expect(parseEncryptionKeys(`k1:${good},k2:${good}`).map((k) => k.id)).toEqual(['k1', 'k2']);
    expect(() => parseEncryptionKeys(`k1:${randomBytes(16).toString('base64')}`)).toThrow('key "k1" must be 32 bytes, base64-encoded (got 16 bytes)');
    expect(() => parseEncryptionKeys(good)).toThrow(KeyringError);
  });
});
