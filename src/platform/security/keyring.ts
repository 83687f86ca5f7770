import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Engine } from '../db/database.js';
import type { EncryptionKey, Keyring as FieldKeyring } from './field-cipher.js';

export class KeyringError extends Error {}

/** An Ed25519 private key given as its 32-byte seed, named by the id its signatures carry (`kid`). */
export interface CredentialSigningKey {
  id: string;
  seed: Buffer;
}

/** Every secret key Unitrain uses: the field cipher's keys, the key that signs access tokens, the credential keys. */
export interface Keyring extends FieldKeyring {
  /** 32 bytes, the HMAC-SHA256 (HS256) key of access tokens. */
  tokenSigningKey: Buffer;
  /** The Ed25519 keys of signed credentials: the last signs, all of them are published for verification. */
  credentialSigningKeys: CredentialSigningKey[];
}

interface KeysFile {
  encryptionKeys: { id: string; key: string }[];
  blindIndexKey: string;
  /** Absent from files written before access tokens existed; added on the next start. */
  tokenSigningKey?: string;
  /** Absent from files written before signed credentials existed; added on the next start. */
  credentialSigningKeys?: { id: string; key: string }[];
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
    credentialSigningKeys: file.credentialSigningKeys.map((k) => ({ id: k.id, seed: decodeKey(k.key, `credential key "${k.id}" in ${path}`) })),
  };
}

/** `<prefix><YYYYMMDD>`, with `-2`, `-3`… when that day already has a key. */
export function nextKeyId(prefix: string, existing: readonly string[], now: Date): string {
  const base = `${prefix}${now.toISOString().slice(0, 10).replaceAll('-', '')}`;
  let id = base;
  for (let n = 2; existing.includes(id); n++) id = `${base}-${n}`;
  return id;
}

/** A new credential signing key entry, as keys.json stores it and CREDENTIAL_SIGNING_KEYS takes it. */
export const newCredentialKeyEntry = (taken: readonly string[], now = new Date()) => ({ id: nextKeyId('c', taken, now), key: newKey() });

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
    if (existing.tokenSigningKey !== undefined && existing.credentialSigningKeys !== undefined) return fromFile(existing as Required<KeysFile>, path);
    const upgraded = { ...existing, tokenSigningKey: existing.tokenSigningKey ?? newKey(), credentialSigningKeys: existing.credentialSigningKeys ?? [newCredentialKeyEntry([])] };
    await replaceKeysFile(path, upgraded);
    return fromFile(upgraded, path);
  }
  const generated: Required<KeysFile> = {
    encryptionKeys: [{ id: `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`, key: newKey() }],
    blindIndexKey: newKey(),
    tokenSigningKey: newKey(),
    credentialSigningKeys: [newCredentialKeyEntry([])],
  };
  await mkdir(resolve(dataDir), { recursive: true });
  await writeFile(path, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return fromFile(generated, path);
}

/**
 * Appends a freshly generated credential signing key to DATA_DIR/keys.json (embedded mode): it signs from
 * the next start on; the older keys stay, published, so credentials they signed keep verifying.
 */
export async function appendCredentialSigningKey(dataDir: string, now = new Date()): Promise<{ keyId: string; path: string }> {
  const path = keysFilePath(dataDir);
  const contents = JSON.parse(await readFile(path, 'utf8')) as Required<KeysFile>;
  const entry = newCredentialKeyEntry(contents.credentialSigningKeys.map((k) => k.id), now);
  await replaceKeysFile(path, { ...contents, credentialSigningKeys: [...contents.credentialSigningKeys, entry] });
  return { keyId: entry.id, path };
}

/**
 * Keys come from the environment (ENCRYPTION_KEYS, BLIND_INDEX_KEY, TOKEN_SIGNING_KEY, CREDENTIAL_SIGNING_KEYS). Only the
 * embedded mode may generate its own; a server database is shared, so every process must be given
 * the same keys.
 */
export async function loadKeyring(config: { keys: Keyring | null; database: { engine: Engine }; dataDir: string }): Promise<Keyring> {
  if (config.keys) return config.keys;
  if (config.database.engine === 'pglite') return embeddedKeyring(config.dataDir);
  throw new KeyringError(
    'ENCRYPTION_KEYS, BLIND_INDEX_KEY, TOKEN_SIGNING_KEY and CREDENTIAL_SIGNING_KEYS must be set when DATABASE_URL is (every process must share the same keys)',
  );
}

/** `id:base64,id:base64`: the last key encrypts new values; all of them decrypt. */
export function parseEncryptionKeys(value: string): EncryptionKey[] {
  return parseKeyList(value).map(({ id, key }) => ({ id, key }));
}

/** `id:base64seed,id:base64seed`: the last key signs new credentials; all of them are published. */
export function parseCredentialSigningKeys(value: string): CredentialSigningKey[] {
  return parseKeyList(value).map(({ id, key }) => ({ id, seed: key }));
}

function parseKeyList(value: string): { id: string; key: Buffer }[] {
  return value.split(',').map((entry) => {
    const [id, key] = entry.trim().split(':');
    if (!id || !key || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new KeyringError(`"${id ?? ''}:…" is not id:base64key`);
    return { id, key: decodeKey(key, `key "${id}"`) };
  });
}

/** A single 32-byte key given as base64 (BLIND_INDEX_KEY, TOKEN_SIGNING_KEY). */
export { decodeKey as decodeSingleKey };
