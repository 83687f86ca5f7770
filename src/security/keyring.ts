import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Engine } from '../db/database.js';
import type { EncryptionKey, Keyring as FieldKeyring } from './field-cipher.js';

export class KeyringError extends Error {}

/** Every secret key Unitrain uses: the field cipher's keys, plus the key that signs access tokens. */
export interface Keyring extends FieldKeyring {
  /** 32 bytes, the HMAC-SHA256 (HS256) key of access tokens. */
  tokenSigningKey: Buffer;
}

interface KeysFile {
  encryptionKeys: { id: string; key: string }[];
  blindIndexKey: string;
  /** Absent from files written before access tokens existed; added on the next start. */
  tokenSigningKey?: string;
}

export function keysFilePath(dataDir: string): string {
  return join(resolve(dataDir), 'keys.json');
}

function decodeKey(base64: string, what: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new KeyringError(`${what} must be 32 bytes, base64-encoded (got ${key.length} bytes)`);
  return key;
}

const newKey = () => randomBytes(32).toString('base64');

function fromFile(file: Required<KeysFile>, path: string): Keyring {
  return {
    encryptionKeys: file.encryptionKeys.map((k) => ({ id: k.id, key: decodeKey(k.key, `key "${k.id}" in ${path}`) })),
    blindIndexKey: decodeKey(file.blindIndexKey, `blindIndexKey in ${path}`),
    tokenSigningKey: decodeKey(file.tokenSigningKey, `tokenSigningKey in ${path}`),
  };
}

/** Replaces the file whole (write, then rename), so a crash never leaves half a key file. */
async function replaceKeysFile(path: string, file: KeysFile): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await rename(temporary, path);
}

/** The embedded mode's keys: read from the data directory, or generated there on first start (owner-only file). */
async function embeddedKeyring(dataDir: string): Promise<Keyring> {
  const path = keysFilePath(dataDir);
  let existing: KeysFile | null = null;
  try {
    existing = JSON.parse(await readFile(path, 'utf8')) as KeysFile;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
  if (existing) {
    if (existing.tokenSigningKey !== undefined) return fromFile(existing as Required<KeysFile>, path);
    const upgraded = { ...existing, tokenSigningKey: newKey() };
    await replaceKeysFile(path, upgraded);
    return fromFile(upgraded, path);
  }
  const generated: Required<KeysFile> = {
    encryptionKeys: [{ id: `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`, key: newKey() }],
    blindIndexKey: newKey(),
    tokenSigningKey: newKey(),
  };
  await mkdir(resolve(dataDir), { recursive: true });
  await writeFile(path, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return fromFile(generated, path);
}

/**
 * Keys come from the environment (ENCRYPTION_KEYS, BLIND_INDEX_KEY, TOKEN_SIGNING_KEY). Only the
 * embedded mode may generate its own; a server database is shared, so every process must be given
 * the same keys.
 */
export async function loadKeyring(config: { keys: Keyring | null; database: { engine: Engine }; dataDir: string }): Promise<Keyring> {
  if (config.keys) return config.keys;
  if (config.database.engine === 'pglite') return embeddedKeyring(config.dataDir);
  throw new KeyringError(
    'ENCRYPTION_KEYS, BLIND_INDEX_KEY and TOKEN_SIGNING_KEY must be set when DATABASE_URL is (every process must share the same keys)',
  );
}

/** `id:base64,id:base64`: the last key encrypts new values; all of them decrypt. */
export function parseEncryptionKeys(value: string): EncryptionKey[] {
  return value.split(',').map((entry) => {
    const [id, key] = entry.trim().split(':');
    if (!id || !key || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new KeyringError(`"${id ?? ''}:…" is not id:base64key`);
    return { id, key: decodeKey(key, `key "${id}"`) };
  });
}

/** A single 32-byte key given as base64 (BLIND_INDEX_KEY, TOKEN_SIGNING_KEY). */
export { decodeKey as decodeSingleKey };
