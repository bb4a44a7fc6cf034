import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "./config-loader.ts";
import { isMailregError } from "./errors.ts";
import { REGISTRATION_FILE_MAX_LINE, readRegistrationFile } from "./registration-file.ts";

// Hostile input against the config loader (file and environment) and the registration file reader
// (what a DMZ site hands an administrator): every input either loads or is refused with a typed
// MailregError, never another exception, never a polluted prototype. MAILREG_SOAK=1 runs 25 times
// as many generated inputs.

const RUNS = process.env.MAILREG_SOAK === "1" ? 5_000 : 200;
const SECRET = "Hostile-Secret-4471";
const enc = new TextEncoder();
let dir: string;
const tried = { config: 0, env: 0, registrationFile: 0 };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hostile-core-"));
});
afterAll(async () => {
  console.log(`core hostile inputs tried: ${JSON.stringify(tried)}`);
  await rm(dir, { recursive: true, force: true });
});

function expectClean(): void {
  const probe = {} as Record<string, unknown>;
  expect(probe.polluted).toBeUndefined();
  expect(probe.admin).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty("polluted");
}

/** Loads a config file holding `bytes` (with `env`); a typed error or a config, nothing else. */
async function loadOrRefuse(bytes: Uint8Array | string, env: Record<string, string> = {}) {
  const path = join(dir, "mailreg.config.json");
  await writeFile(path, bytes);
  try {
    const loaded = await loadConfig({ path, env, cwd: dir });
    return { ok: true as const, config: loaded.config };
  } catch (error) {
    expect(isMailregError(error), String(error)).toBe(true);
    if (!isMailregError(error)) throw error;
    expect(["CONFIG_PARSE", "CONFIG_INVALID"]).toContain(error.code);
    expect(error.message).not.toContain(SECRET);
    expect(JSON.stringify(error.details ?? {})).not.toContain(SECRET);
    return { ok: false as const, code: error.code, message: error.message };
  } finally {
    expectClean();
  }
}

describe("the config loader on hostile files and environments", () => {
  it("refuses a corpus of nasty files with CONFIG_PARSE or CONFIG_INVALID, quoting no secret", async () => {
    const huge = `{"server":{"host":"${"a".repeat(8 * 1024 * 1024)}"}}`;
    const corpus: (string | Uint8Array)[] = [
      "",
      "\0",
      "{",
      `{"oauth":{"providers":{"g":{"clientSecret":"${SECRET}"`,
      `{"database": {"url": "file:x", "authToken": "${SECRET}",}}`,
      "[]",
      "null",
      '"string"',
      "1e999",
      "[".repeat(100_000),
      '{"a":'.repeat(50_000),
      huge,
      Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), // {"\xff\xfe":1}
      Uint8Array.from([0xef, 0xbb, 0xbf, ...enc.encode('{"server":{"port":"80\u0000"}}')]),
      `{"__proto__":{"polluted":"yes"}}`,
      `{"server":{"__proto__":{"polluted":"yes"}}}`,
      `{"constructor":{"prototype":{"polluted":"yes"}}}`,
      `{"admin":{"users":[{"name":"x","passwordHash":"y","__proto__":{"admin":true}}]}}`,
      `{"server":{"port":80,"port":"eighty"}}`,
      `{"server":{"host":"127.0.0.1\\r\\nX-Injected: 1"}}`,
      `{"server":{"publicUrl":"javascript:alert(1)"}}`,
      `{"registration":{"templates":["${"t".repeat(100_000)}"]}}`,
      `{"servers":[{"id":"a\\u0000b","label":"x","protocol":"imap","host":"h","security":"tls"}]}`,
      `{"servers":[{"id":"x","label":"x","protocol":"imap","host":"xn--80ak6aa92e.com\\u202e","security":"tls"}]}`,
      `{"worker":{"concurrency":1e308}}`,
      `{"worker":{"concurrency":-1}}`,
      `{"database":{"url":"file:${SECRET}\\u0000"}}`,
    ];
    const codes: string[] = [];
    for (const text of corpus) {
      tried.config++;
      const outcome = await loadOrRefuse(text);
      codes.push(outcome.ok ? "loaded" : outcome.code);
    }
    // the empty file and the valid-but-odd ones aside, everything above is refused
    expect(codes.filter((c) => c === "loaded").length).toBeLessThanOrEqual(2);
  }, 60_000);

  it("loads or refuses any JSON document, prototype keys included, without polluting a prototype", async () => {
    const key = fc.oneof(
      fc.constantFrom(
        "__proto__",
        "constructor",
        "prototype",
        "server",
        "port",
        "host",
        "admin",
        "users",
        "polluted",
      ),
      fc.string({ maxLength: 8 }),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.jsonValue({ maxDepth: 1 }),
        fc.dictionary(key, tie("node"), { maxKeys: 5 }),
        fc.array(tie("node"), { maxLength: 4 }),
      ),
    })).node;
    await fc.assert(
      fc.asyncProperty(value, async (doc) => {
        tried.config++;
        // JSON.stringify drops a "__proto__" key set by assignment: write the keys by hand
        await loadOrRefuse(_stringify(doc));
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it("refuses or applies any MAILREG_ environment override without polluting a prototype or throwing an untyped error", async () => {
    const segment = fc.constantFrom(
      "__PROTO__",
      "PROTO",
      "CONSTRUCTOR",
      "PROTOTYPE",
      "SERVER",
      "PORT",
      "HOST",
      "OAUTH",
      "PROVIDERS",
      "GOOGLE",
      "SERVERS",
      "0",
      "99999999",
      "-1",
      "ADMIN",
      "USERS",
      "",
      "POLLUTED",
      "TO_STRING",
      "HAS_OWN_PROPERTY",
    );
    const envValue = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom('{"polluted":"yes"}', '{"__proto__":{"polluted":"yes"}}', "[]", "null", "1e999", "\0"),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.array(segment, { minLength: 1, maxLength: 5 }), envValue), { maxLength: 4 }),
        async (vars) => {
          tried.env++;
          const env = Object.fromEntries(vars.map(([path, v]) => [`MAILREG_${path.join("__")}`, v]));
          await loadOrRefuse("{}", env);
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);
});

// --- registration file -----------------------------------------------------------------------------

const HEADER = '{"format":"mailreg-registrations","version":1,"keyId":"k1"}';
const RECORD = {
  id: "0190a5c0-0000-7000-8000-000000000001",
  receivedAt: "2026-01-01T00:00:00.000Z",
  address: "ann@example.com",
  protocol: "imap",
  template: "example-imap",
  host: "imap.example.com",
  port: 993,
  security: "tls",
  login: "ann@example.com",
  authMethod: "password",
  status: "pending",
  keyId: "k1",
  sealed: "eyJhbGciOiJFQ0RILUVTIiwiZW5jIjoiQTI1NkdDTSJ9.x.y.z.w",
};

/** Reads a whole file; the records or the typed error. */
async function readOrRefuse(chunks: (string | Uint8Array)[]) {
  tried.registrationFile++;
  try {
    const file = await readRegistrationFile(
      (async function* () {
        yield* chunks;
      })(),
    );
    const records = [];
    for await (const r of file.records) records.push(r);
    return { ok: true as const, records };
  } catch (error) {
    expect(isMailregError(error), String(error)).toBe(true);
    if (!isMailregError(error)) throw error;
    expect(["REGFILE_HEADER", "REGFILE_VERSION", "REGFILE_LINE"]).toContain(error.code);
    expect(typeof error.details?.line).toBe("number");
    return { ok: false as const, code: error.code, line: error.details?.line as number };
  } finally {
    expectClean();
  }
}

describe("the registration file reader on hostile files", () => {
  it("refuses a corpus of nasty files with a typed error naming the line", async () => {
    const line = (o: object) => JSON.stringify(o);
    // valid JSON, so only the length can refuse it
    const long = JSON.stringify({ ...RECORD, displayName: "x".repeat(REGISTRATION_FILE_MAX_LINE) });
    const corpus: [string, (string | Uint8Array)[]][] = [
      ["empty", [""]],
      ["NUL", ["\0"]],
      ["header only, wrong format", ['{"format":"other","version":1,"keyId":"k"}\n']],
      [
        "header with __proto__",
        ['{"format":"mailreg-registrations","version":1,"keyId":"k","__proto__":{"polluted":1}}\n'],
      ],
      ["version 2", ['{"format":"mailreg-registrations","version":2,"keyId":"k"}\n']],
      ["invalid UTF-8 in a record", [`${HEADER}\n`, Uint8Array.from([0x7b, 0xc3, 0x28, 0x7d, 0x0a])]],
      [
        "a record with a CR/LF in the address",
        [`${HEADER}\n${line({ ...RECORD, address: "ann@example.com\r\nBcc: x@y" })}\n`],
      ],
      ["a record with a NUL in the login", [`${HEADER}\n${line({ ...RECORD, login: "ann\0" })}\n`]],
      [
        "a record with __proto__",
        [`${HEADER}\n${line(RECORD).slice(0, -1)},"__proto__":{"polluted":"yes"}}\n`],
      ],
      [
        "a record with constructor",
        [`${HEADER}\n${line({ ...RECORD, constructor: { prototype: { polluted: 1 } } })}\n`],
      ],
      ["a duplicate id", [`${HEADER}\n${line(RECORD)}\n${line(RECORD)}\n`]],
      [
        "a duplicate key smuggling a second address",
        [`${HEADER}\n${line(RECORD).slice(0, -1)},"address":"eve@evil.test\\u0000"}\n`],
      ],
      ["an IDNA-unnormalised address", [`${HEADER}\n${line({ ...RECORD, address: "ann@EXAMPLE.com" })}\n`]],
      ["a fullwidth address", [`${HEADER}\n${line({ ...RECORD, address: "ann@ｅｘａｍｐｌｅ.com" })}\n`]],
      ["an over-long line in one chunk", [`${HEADER}\n${long}\n`]],
      [
        "an over-long line in many chunks",
        [`${HEADER}\n`, ...Array.from({ length: 20 }, () => long.slice(0, 60_000))],
      ],
      ["deep nesting", [`${HEADER}\n${"[".repeat(200_000)}\n`]],
      ["a bare string", [`${HEADER}\n"x"\n`]],
      ["status applied with no who", [`${HEADER}\n${line({ ...RECORD, status: "applied" })}\n`]],
    ];
    const refused: string[] = [];
    for (const [what, chunks] of corpus) {
      const outcome = await readOrRefuse(chunks);
      if (!outcome.ok) refused.push(what);
      if (what.startsWith("an over-long line"))
        expect(outcome, what).toMatchObject({ code: "REGFILE_LINE", line: 2 });
    }
    // every case is refused, but those whose only oddity is a key the format does not know (the
    // reader drops it: nothing polluted, nothing of it in the record) or a decision without a name
    const tolerated = [
      "header with __proto__",
      "a record with __proto__",
      "a record with constructor",
      "status applied with no who",
    ];
    expect(corpus.map(([w]) => w).filter((w) => !refused.includes(w) && !tolerated.includes(w))).toEqual([]);
    for (const what of ["a record with __proto__", "a record with constructor"]) {
      const outcome = await readOrRefuse(corpus.find(([w]) => w === what)![1]);
      if (outcome.ok) {
        const record = outcome.records[0] as unknown as Record<string, unknown>;
        expect(Object.keys(record)).not.toContain("__proto__");
        expect(Object.hasOwn(record, "constructor")).toBe(false);
        expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
      }
    }
  }, 60_000);

  it("reads or refuses any sequence of lines and chunks with a typed error, whatever the bytes", async () => {
    const field = fc.constantFrom(...Object.keys(RECORD), "__proto__", "constructor", "sealed");
    const nastyString = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: "binary", maxLength: 30 }),
      fc.constantFrom("\r\n", "\0", "xn--", "ｅｘａｍｐｌｅ", "\u202e", "ß", "İ", "a@b@c", ""),
    );
    const mutatedRecord = fc
      .array(fc.tuple(field, fc.oneof(nastyString, fc.integer(), fc.constant(null))), { maxLength: 4 })
      .map((edits) => {
        let text = JSON.stringify(RECORD).slice(0, -1);
        for (const [k, v] of edits) text += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
        return `${text}}`;
      });
    const lineArb = fc.oneof(mutatedRecord, fc.string({ maxLength: 40 }), fc.constant(""));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(HEADER), fc.string({ maxLength: 60 })),
        fc.array(lineArb, { maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        async (header, lines, cuts, asBytes) => {
          const text = `${header}\n${lines.join("\r\n")}`;
          const bytes = enc.encode(text);
          // the same file in chunks cut at arbitrary points (inside UTF-8 sequences too)
          const chunks: (string | Uint8Array)[] = [];
          const total = asBytes ? bytes.length : text.length;
          let at = 0;
          for (const n of cuts) {
            if (at >= total) break;
            chunks.push(asBytes ? bytes.subarray(at, at + n) : text.slice(at, at + n));
            at += n;
          }
          if (at < total) chunks.push(asBytes ? bytes.subarray(at) : text.slice(at));
          const split = await readOrRefuse(chunks);
          const whole = await readOrRefuse([text]);
          // chunking changes nothing
          expect(split.ok).toBe(whole.ok);
          if (split.ok && whole.ok) expect(split.records).toEqual(whole.records);
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);
});

/** JSON text of a value whose objects may hold a "__proto__" own key (as JSON.parse makes them). */
function _stringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(_stringify).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.keys(value)
      .map((k) => `${JSON.stringify(k)}:${_stringify((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
