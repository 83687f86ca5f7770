import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../config.js';
import type { EncryptionKey, Keyring } from './field-cipher.js';

export class KeyringError extends Error {}

interface KeysFile {
  encryptionKeys: { id: string; key: string }[];
  blindIndexKey: string;
}

export function keysFilePath(dataDir: string): string {
  return join(resolve(dataDir), 'keys.json');
}

function decodeKey(base64: string, what: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new KeyringError(`${what} must be 32 bytes, base64-encoded (got ${key.length} bytes)`);
  return key;
}

function fromFile(file: KeysFile, path: string): Keyring {
  return {
    encryptionKeys: file.encryptionKeys.map((k) => ({ id: k.id, key: decodeKey(k.key, `key "${k.id}" in ${path}`) })),
    blindIndexKey: decodeKey(file.blindIndexKey, `blindIndexKey in ${path}`),
  };
}

/** The embedded mode's keys: read from the data directory, or generated there on first start (owner-only file). */
async function embeddedKeyring(dataDir: string): Promise<Keyring> {
  const path = keysFilePath(dataDir);
  try {
    return fromFile(JSON.parse(await readFile(path, 'utf8')) as KeysFile, path);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
  const generated: KeysFile = {
    encryptionKeys: [{ id: `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`, key: randomBytes(32).toString('base64') }],
    blindIndexKey: randomBytes(32).toString('base64'),
  };
  await mkdir(resolve(dataDir), { recursive: true });
  await writeFile(path, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return fromFile(generated, path);
}

/**
 * Keys come from the environment (ENCRYPTION_KEYS, BLIND_INDEX_KEY). Only the embedded mode may
 * generate its own; a server database is shared, so every process must be given the same keys.
 */
export async function loadKeyring(config: Pick<Config, 'keys' | 'database' | 'dataDir'>): Promise<Keyring> {
  if (config.keys) return config.keys;
  if (config.database.engine === 'pglite') return embeddedKeyring(config.dataDir);
  throw new KeyringError('ENCRYPTION_KEYS and BLIND_INDEX_KEY must be set when DATABASE_URL is (every process must share the same keys)');
}

/** `id:base64,id:base64`: the last key encrypts new values; all of them decrypt. */
export function parseEncryptionKeys(value: string): EncryptionKey[] {
  return value.split(',').map((entry) => {
    const [id, key] = entry.trim().split(':');
    if (!id || !key || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new KeyringError(`"${id ?? ''}:…" is not id:base64key`);
    return { id, key: decodeKey(key, `key "${id}"`) };
  });
}

export { decodeKey as decodeBlindIndexKey };
