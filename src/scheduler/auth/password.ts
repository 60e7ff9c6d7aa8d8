/**
 * Password hashes for the scheduler's users file: `scrypt$<salt>$<key>` with base64url salt (16
 * bytes) and derived key (32 bytes), scrypt parameters N=16384, r=8, p=1 (node:crypto's defaults,
 * RFC 7914's interactive-login cost). Nothing beyond node:crypto is needed to make or check one,
 * and `hashPassword()` makes one.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type BinaryLike } from 'node:crypto';

const KEY_BYTES = 32;
const SALT_BYTES = 16;
const PARAMS = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const FORMAT = /^scrypt\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{43})$/;

function scrypt(password: BinaryLike, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, KEY_BYTES, PARAMS, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** A new `scrypt$<salt>$<key>` hash of `password` (a fresh random salt each time). */
export async function hashPassword(password: string): Promise<string> {
  if (typeof password !== 'string' || password === '') throw new Error('password must be a non-empty string');
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt);
  return `scrypt$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Whether `hash` has the `scrypt$<salt>$<key>` shape. */
export function isPasswordHash(hash: string): boolean {
  return FORMAT.test(hash);
}

/** Checks `password` against a hash in constant time; a malformed hash never matches. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const match = FORMAT.exec(hash);
  if (!match) return false;
  const salt = Buffer.from(match[1] as string, 'base64url');
  const expected = Buffer.from(match[2] as string, 'base64url');
  const actual = await scrypt(password, salt);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
