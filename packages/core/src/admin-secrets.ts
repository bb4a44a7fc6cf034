/**
 * Admin credentials: password hashes and API tokens, on Web Crypto only.
 *
 * Passwords are hashed with PBKDF2-SHA-256 (600,000 iterations, 16-byte salt) into a self-describing
 * string `pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>`; API tokens are 32 random bytes
 * (`mrt_<b64url>`), of which only the SHA-256 is kept. Neither clear value is ever stored.
 *
 * @module
 */

const _ITERATIONS = 600_000;
const _enc = new TextEncoder();

function _b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function _fromB64url(text: string): Uint8Array {
  const s = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

async function _pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", _enc.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

function _equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/**
 * Hashes an admin password for storing in the config.
 *
 * @param password the clear password
 * @returns `pbkdf2-sha256$600000$<salt>$<hash>`
 * @example
 * ```ts
 * const h = await hashPassword("correct horse");
 * await verifyPassword("correct horse", h); // true
 * ```
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await _pbkdf2(password, salt, _ITERATIONS);
  return `pbkdf2-sha256$${_ITERATIONS}$${_b64url(salt)}$${_b64url(hash)}`;
}

/**
 * Checks a password against a hash from {@link hashPassword}, in constant time.
 *
 * @param password the clear password
 * @param stored the stored hash
 * @returns true when they match; false for a wrong password or a malformed hash
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iter, salt, hash] = stored.split("$");
  const iterations = Number(iter);
  if (scheme !== "pbkdf2-sha256" || !Number.isInteger(iterations) || iterations < 1 || !salt || !hash) {
    return false;
  }
  try {
    return _equal(await _pbkdf2(password, _fromB64url(salt), iterations), _fromB64url(hash));
  } catch {
    return false;
  }
}

/**
 * A new random password that is easy to copy (24 characters, base64url).
 *
 * @returns the password
 */
export function generatePassword(): string {
  return _b64url(crypto.getRandomValues(new Uint8Array(18)));
}

/**
 * A new API token; show it once, keep only {@link hashToken} of it.
 *
 * @returns `mrt_` followed by 43 base64url characters
 */
export function generateToken(): string {
  return `mrt_${_b64url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/**
 * The stored form of an API token: `sha256$<b64url>`.
 *
 * @param token the clear token
 * @returns its hash
 */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", _enc.encode(token));
  return `sha256$${_b64url(new Uint8Array(digest))}`;
}

/**
 * Checks a presented token against a stored {@link hashToken} value, in constant time.
 *
 * @param token the presented token
 * @param stored the stored hash
 * @returns true when they match
 */
export async function verifyToken(token: string, stored: string): Promise<boolean> {
  const expected = await hashToken(token);
  return _equal(_enc.encode(expected), _enc.encode(stored));
}
