import { randomBytes } from 'node:crypto';

/**
 * Crockford's base 32: digits and capitals without I, L, O and U, so nothing reads as something else.
 * A person who types O, I or L anyway means 0 or 1, and case does not matter.
 */
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const typedAs: Record<string, string> = { O: '0', I: '1', L: '1' };

/** 16 characters × 5 bits = 80 bits from the CSPRNG, written in groups of four: `7KQ2-M9XD-4HVA-0RTE`. */
export const codeLength = 16;

export function newVerificationCode(): string {
  const bytes = randomBytes(10);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  return verificationCodeOf(bits);
}

/**
 * The code that writes these 80 bits (the low 80 of `bits`). The seed's deterministic demo codes take this
 * form from its seeded generator, so that they read and verify like issued ones.
 */
export function verificationCodeOf(bits: bigint): string {
  let code = '';
  for (let index = codeLength - 1; index >= 0; index -= 1) code += alphabet[Number((bits >> BigInt(index * 5)) & 31n)];
  return grouped(code);
}

const grouped = (characters: string) => characters.match(/.{1,4}/g)!.join('-');

/** A code in its stored form: four groups of four of the alphabet's characters. */
const printedCode = new RegExp(`^[${alphabet}]{4}(?:-[${alphabet}]{4}){${codeLength / 4 - 1}}$`);

/**
 * The stored form of a code as a person typed it (any case, spaces and dashes anywhere), or null when it
 * cannot be a code at all. 16 characters are ours; 8 are those of databases seeded before the seed wrote 16.
 */
export function normaliseVerificationCode(typed: string): string | null {
  // A code as printed (what its QR link carries) is already its stored form: no case to change, nothing to remove.
  if (printedCode.test(typed)) return typed;
  const characters = typed.toUpperCase().replace(/[\s-]+/g, '').replace(/[OIL]/g, (letter) => typedAs[letter]!);
  if (characters.length !== codeLength && characters.length !== 8) return null;
  for (const character of characters) if (!alphabet.includes(character)) return null;
  return grouped(characters);
}
