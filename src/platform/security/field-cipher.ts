import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export interface EncryptionKey {
  /** Short, stable name written into every ciphertext, so a rotated key can still be found for reading. */
  id: string;
  /** 32 bytes for AES-256-GCM. */
  key: Buffer;
}

export interface Keyring {
  /** Every key that may have written a stored value; the last one encrypts new values. */
  encryptionKeys: EncryptionKey[];
  /** Keys the HMAC blind index, which makes equality lookups possible without decrypting. */
  blindIndexKey: Buffer;
}

export interface FieldCipher {
  readonly currentKeyId: string;
  encrypt(plaintext: string): string;
  decrypt(stored: string): string;
  /** Deterministic: equal inputs give equal outputs, so it can back a unique index. Normalise first. */
  blindIndex(value: string): string;
  /** The key id a stored value was written with, for rotation. */
  keyIdOf(stored: string): string;
}

export class DecryptionError extends Error {}

const format = 'v1';
/** Stored values whose plaintext is kept (decision 0067): more than the rows one process answers with at once. */
const decryptedValuesKept = 10_000;
const ivBytes = 12;
const tagBytes = 16;

/** E-mail addresses compare case-insensitively and without surrounding spaces. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * AES-256-GCM with a random 96-bit IV per value. Stored form: `v1.<key id>.<iv>.<ciphertext+tag>`,
 * base64url; the key id prefix is what lets keys rotate while reads keep working.
 * A value decrypted is kept by its stored form (an LRU): the same row is read again and again (`GET
 * /v1/me` decrypted its e-mail address on every request, 2–4 % of the server's CPU, decision 0067). A
 * stored value only ever decrypts to one plaintext (the tag authenticates it), so the answer is the same;
 * an altered value is another string, decrypted and refused as before. The plaintext is kept in the
 * process's memory, where requests and the answer cache hold it anyway; the database still holds only
 * ciphertext.
 */
export function createFieldCipher(keyring: Keyring): FieldCipher {
  const current = keyring.encryptionKeys.at(-1);
  if (!current) throw new Error('the keyring has no encryption key');
  const byId = new Map(keyring.encryptionKeys.map((k) => [k.id, k.key]));
  const parse = (stored: string) => {
    const [version, keyId, iv, body] = stored.split('.');
    if (version !== format || !keyId || !iv || !body) throw new DecryptionError('not a value this cipher wrote');
    return { keyId, iv: Buffer.from(iv, 'base64url'), body: Buffer.from(body, 'base64url') };
  };
  const decryptAnew = (stored: string): string => {
    const { keyId, iv, body } = parse(stored);
    const key = byId.get(keyId);
    if (!key) throw new DecryptionError(`no key with id "${keyId}" is configured`);
    if (body.length < tagBytes) throw new DecryptionError('the stored value is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(body.subarray(body.length - tagBytes));
    try {
      return Buffer.concat([decipher.update(body.subarray(0, body.length - tagBytes)), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new DecryptionError('the stored value was altered or the key is wrong', { cause: error });
    }
  };
  const decrypted = new LRUCache<string, string>({ max: decryptedValuesKept });
  return {
    currentKeyId: current.id,
    encrypt(plaintext) {
      const iv = randomBytes(ivBytes);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${format}.${current.id}.${iv.toString('base64url')}.${body.toString('base64url')}`;
    },
    decrypt(stored) {
      const known = decrypted.get(stored);
      if (known !== undefined) return known;
      const plaintext = decryptAnew(stored);
      decrypted.set(stored, plaintext);
      return plaintext;
    },
    blindIndex(value) {
      return createHmac('sha256', keyring.blindIndexKey).update(value, 'utf8').digest('base64url');
    },
    keyIdOf(stored) {
      return parse(stored).keyId;
    },
  };
}
