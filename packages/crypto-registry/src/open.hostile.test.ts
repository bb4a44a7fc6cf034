import { isMailregError } from "@mailreg/core";
import fc from "fast-check";
import { CompactEncrypt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTENT_ENC, KEY_ALG } from "./key.ts";
import { inspectSealed, open } from "./open.ts";
import { HEADER_ADDRESS, HEADER_REGISTRATION_ID, PROFILE_CONTENT_TYPE, seal } from "./seal.ts";
import { type TestKeyring, testKeyring, testProfile } from "./testing.ts";

// Malformed and hostile JWE against open(): whatever a tampered database row or an imported
// registration file holds, open() answers with a typed error (or the profile, for a well-formed
// one), never another exception, never a secret in the error. Anyone holding the public key can
// seal, so hostile plaintexts sealed correctly are tried too. MAILREG_SOAK=1 runs 25 times as many.

const RUNS = process.env.MAILREG_SOAK === "1" ? 5_000 : 200;
const CODES = ["SEAL_TAMPERED", "KEY_NOT_FOUND", "SEAL_BINDING_MISMATCH", "SEAL_PROFILE_INVALID"];
const binding = { registrationId: "0193a4f2-7c1e-7000-8000-000000000001", address: "ann@example.org" };
const PASSWORD = "correct horse battery staple";
let keyring: TestKeyring;
let valid: string;
let tried = 0;

beforeAll(async () => {
  keyring = await testKeyring();
  valid = await seal(testProfile(), keyring.publicKey, binding);
});
afterAll(() => console.log(`malformed JWE tried: ${tried}`));

const b64 = (text: string | Uint8Array) =>
  Buffer.from(typeof text === "string" ? new TextEncoder().encode(text) : text).toString("base64url");

/** open() on `jwe`: the profile or a typed error; returns the code ("ok" when it opened). */
async function openOrRefuse(jwe: unknown): Promise<string> {
  tried++;
  try {
    const profile = await open(jwe as string, keyring, binding);
    return profile.address === binding.address ? "ok" : "wrong";
  } catch (error) {
    expect(isMailregError(error), String(error)).toBe(true);
    if (!isMailregError(error)) throw error;
    expect(CODES).toContain(error.code);
    expect(`${error.message} ${JSON.stringify(error.details ?? {})}`).not.toContain(PASSWORD);
    return error.code;
  }
}

/** A JWE sealed properly to the registry key, with any header fields and plaintext. */
async function sealRaw(
  plaintext: string | Uint8Array,
  header: Record<string, unknown> = {},
): Promise<string> {
  return await new CompactEncrypt(
    typeof plaintext === "string" ? new TextEncoder().encode(plaintext) : plaintext,
  )
    .setProtectedHeader({
      alg: KEY_ALG,
      enc: CONTENT_ENC,
      kid: keyring.publicKey.kid,
      cty: PROFILE_CONTENT_TYPE,
      [HEADER_REGISTRATION_ID]: binding.registrationId,
      [HEADER_ADDRESS]: binding.address,
      ...header,
    })
    .encrypt(keyring.publicKey.key);
}

describe("open() on malformed and hostile JWE", () => {
  it("refuses a corpus of malformed values with SEAL_TAMPERED or another typed error", async () => {
    const [h, k, iv, c, t] = valid.split(".") as [string, string, string, string, string];
    const header = JSON.parse(Buffer.from(h, "base64url").toString()) as Record<string, unknown>;
    const withHeader = (extra: Record<string, unknown>) =>
      [b64(JSON.stringify({ ...header, ...extra })), k, iv, c, t].join(".");
    const corpus: [string, unknown][] = [
      ["empty", ""],
      ["null", null],
      ["number", 42],
      ["object", { toString: () => valid }],
      ["four parts", [h, k, iv, c].join(".")],
      ["six parts", `${valid}.x`],
      ["dots only", "...."],
      ["NUL", `${valid}\0`],
      ["CR/LF", `${h}\r\n.${k}.${iv}.${c}.${t}`],
      ["huge", `${h}.${k}.${iv}.${"A".repeat(4 * 1024 * 1024)}.${t}`],
      ["header not base64url", `%%%.${k}.${iv}.${c}.${t}`],
      ["header not JSON", [b64("{"), k, iv, c, t].join(".")],
      ["header an array", [b64("[]"), k, iv, c, t].join(".")],
      [
        "header with __proto__",
        [b64(`{"__proto__":{"alg":"${KEY_ALG}"},${JSON.stringify(header).slice(1)}`), k, iv, c, t].join("."),
      ],
      ["alg none", withHeader({ alg: "none" })],
      ["alg dir", withHeader({ alg: "dir" })],
      [
        "alg PBES2 with a huge count",
        withHeader({ alg: "PBES2-HS512+A256KW", p2c: 2_000_000_000, p2s: "AAAA" }),
      ],
      ["alg RSA1_5", withHeader({ alg: "RSA1_5" })],
      ["enc A128CBC-HS256", withHeader({ enc: "A128CBC-HS256" })],
      ["zip DEF", withHeader({ zip: "DEF" })],
      ["crit", withHeader({ crit: ["exp"], exp: 1 })],
      ["unknown kid", withHeader({ kid: "nope" })],
      ["kid with CR/LF", withHeader({ kid: "a\r\nX-Injected: 1" })],
      ["kid __proto__", withHeader({ kid: "__proto__" })],
      ["kid constructor", withHeader({ kid: "constructor" })],
      [
        "another registration id",
        withHeader({ [HEADER_REGISTRATION_ID]: "0193a4f2-7c1e-7000-8000-000000000002" }),
      ],
      ["another address", withHeader({ [HEADER_ADDRESS]: "eve@evil.test" })],
      ["epk of another curve", withHeader({ epk: { kty: "EC", crv: "P-384", x: "AA", y: "AA" } })],
      [
        "epk not on the curve",
        withHeader({
          epk: { kty: "EC", crv: "P-256", x: b64(new Uint8Array(32)), y: b64(new Uint8Array(32)) },
        }),
      ],
      ["cut tag", [h, k, iv, c, t.slice(0, 4)].join(".")],
      ["empty tag", [h, k, iv, c, ""].join(".")],
      ["flipped ciphertext", [h, k, iv, c.replace(/^./, c[0] === "A" ? "B" : "A"), t].join(".")],
      ["swapped key", [h, iv, k, c, t].join(".")],
    ];
    const results = new Map<string, string>();
    for (const [what, jwe] of corpus) results.set(what, await openOrRefuse(jwe));
    const outcomes = Object.fromEntries(results);
    expect(Object.entries(outcomes).filter(([, code]) => code === "ok" || code === "wrong")).toEqual([]);
    expect(outcomes["alg none"]).toBe("SEAL_TAMPERED");
    expect(outcomes["another address"]).toBe("SEAL_TAMPERED"); // the header is authenticated: altering it breaks decryption
    // the unauthenticated kid is never echoed with its line break
    expect(inspectSealed(valid).kid).toBe(keyring.publicKey.kid);
  }, 60_000);

  it("refuses hostile plaintexts sealed properly to the registry key (anyone with the public key can seal)", async () => {
    const profile = JSON.stringify(testProfile());
    const cases: [string, string | Uint8Array][] = [
      ["not JSON", "{"],
      ["invalid UTF-8", Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d])],
      ["null", "null"],
      ["array", "[]"],
      ["__proto__", `{"__proto__":{"polluted":true},${profile.slice(1)}`],
      ["duplicate address", `${profile.slice(0, -1)},"address":"eve@evil.test"}`],
      ["host with CR/LF", JSON.stringify({ ...testProfile(), host: "imap.example.org\r\nX: y" })],
      ["login with NUL", JSON.stringify({ ...testProfile(), login: "ann\0" })],
      ["port out of range", JSON.stringify({ ...testProfile(), port: 70_000 })],
      ["unknown auth", JSON.stringify({ ...testProfile(), auth: { method: "kerberos" } })],
      [
        "huge password",
        JSON.stringify({ ...testProfile(), auth: { method: "password", password: "p".repeat(2_000_000) } }),
      ],
      ["deep nesting", `${"[".repeat(100_000)}${"]".repeat(100_000)}`],
    ];
    // a Map: a "__proto__" key in a plain object would be swallowed
    const results = new Map<string, string>();
    for (const [what, plaintext] of cases) results.set(what, await openOrRefuse(await sealRaw(plaintext)));
    const outcomes = Object.fromEntries(results);
    console.log(`hostile sealed plaintexts: ${JSON.stringify(outcomes)}`);
    // only the otherwise valid profile with a "__proto__" key opens: the key is dropped, nothing polluted
    expect(
      Object.entries(outcomes)
        .filter(([, code]) => code === "ok" || code === "wrong")
        .map(([w]) => w),
    ).toEqual(["__proto__"]);
    const opened = await open(await sealRaw(cases.find(([w]) => w === "__proto__")![1]), keyring, binding);
    expect(Object.hasOwn(opened, "__proto__")).toBe(false);
    expect(Object.getPrototypeOf(opened)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 60_000);

  it("answers any mutation of a valid JWE with a typed error", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 10_000 }),
        fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom(".", "=", "+", "/", "\0", "\r\n", "")),
        fc.integer({ min: 0, max: 4 }),
        async (at, insert, cut) => {
          const i = at % valid.length;
          const mutated = `${valid.slice(0, i)}${insert}${valid.slice(i + cut)}`;
          const code = await openOrRefuse(mutated);
          if (mutated !== valid) expect(code, mutated).not.toBe("wrong");
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);
});
