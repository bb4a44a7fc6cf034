import { describe, expect, it } from "vitest";
import { MailregError } from "./errors.ts";
import type { RegistrationRecord } from "./registration.ts";
import { readRegistrationFile, writeRegistrationFile } from "./registration-file.ts";
import { sampleRegistration } from "./testing.ts";

const HEADER = '{"format":"mailreg-registrations","version":1,"keyId":"k1"}';
const encoder = new TextEncoder();

function byteStream(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

function textStream(...chunks: string[]): ReadableStream<Uint8Array> {
  return byteStream(chunks.map((c) => encoder.encode(c)));
}

async function readAll(source: Parameters<typeof readRegistrationFile>[0]): Promise<RegistrationRecord[]> {
  const file = await readRegistrationFile(source);
  const out: RegistrationRecord[] = [];
  for await (const r of file.records) out.push(r);
  return out;
}

async function failure(promise: Promise<unknown>): Promise<MailregError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MailregError);
    return error as MailregError;
  }
  throw new Error("expected a MailregError");
}

const line = (r: RegistrationRecord | Record<string, unknown>) => JSON.stringify(r);

describe("readRegistrationFile()", () => {
  it("reads the header and the records in order", async () => {
    const a = sampleRegistration();
    const b = sampleRegistration({ address: "bob@example.org", status: "applied" });
    const file = await readRegistrationFile(textStream(`${HEADER}\n${line(a)}\n${line(b)}\n`));
    expect(file.header).toEqual({ format: "mailreg-registrations", version: 1, keyId: "k1" });
    const records: RegistrationRecord[] = [];
    for await (const r of file.records) records.push(r);
    expect(records).toEqual([a, b]);
  });

  it("accepts CRLF, a BOM, blank lines, a blank trailing line and a last line without newline", async () => {
    const a = sampleRegistration();
    const b = sampleRegistration();
    expect(await readAll(textStream(`\uFEFF${HEADER}\r\n${line(a)}\r\n\r\n${line(b)}`))).toEqual([a, b]);
    expect(await readAll(textStream(`${HEADER}\n${line(a)}\n\n`))).toEqual([a]);
    expect(await readAll(textStream(`\uFEFF${HEADER}`))).toEqual([]);
  });

  it("joins lines and multi-byte characters split across chunks at any byte", async () => {
    const a = sampleRegistration({ address: "jörg@xn--bcher-kva.example", displayName: "Jörg Bücher 📬" });
    const bytes = encoder.encode(`${HEADER}\r\n${line(a)}\r\n`);
    for (const size of [1, 2, 3, 7, 64]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(await readAll(byteStream(chunks))).toEqual([a]);
    }
  });

  it("reads from an async iterable of strings as well as from a byte stream", async () => {
    const a = sampleRegistration();
    async function* source() {
      yield `${HEADER}\n${line(a).slice(0, 10)}`;
      yield `${line(a).slice(10)}\n`;
    }
    expect(await readAll(source())).toEqual([a]);
  });

  it.each([
    ["", "REGFILE_HEADER"],
    ["\n", "REGFILE_HEADER"],
    ["not json\n", "REGFILE_HEADER"],
    ['{"format":"something-else","version":1,"keyId":"k"}\n', "REGFILE_HEADER"],
    ['{"format":"mailreg-registrations","version":1}\n', "REGFILE_HEADER"],
    ['{"format":"mailreg-registrations","version":2,"keyId":"k"}\n', "REGFILE_VERSION"],
    ['{"format":"mailreg-registrations","version":0,"keyId":"k"}\n', "REGFILE_VERSION"],
  ])("refuses the header %j with %s on line 1", async (text, code) => {
    const error = await failure(readRegistrationFile(textStream(text)));
    expect(error.code).toBe(code);
    expect(error.details?.line).toBe(1);
    expect(error.message).toMatch(/^line 1: /);
  });

  it("names the field of a wrong header", async () => {
    const error = await failure(
      readRegistrationFile(textStream('{"format":"mailreg-registrations","version":1}')),
    );
    expect(error.message).toMatch(/^line 1: keyId: /);
  });

  it("says which line is not JSON", async () => {
    const text = `${HEADER}\n${line(sampleRegistration())}\n\n{oops\n`;
    const error = await failure(readAll(textStream(text)));
    expect(error.code).toBe("REGFILE_LINE");
    expect(error.details?.line).toBe(4);
    expect(error.message).toBe("line 4: not valid JSON");
  });

  it("names the line and the zod path of an invalid record", async () => {
    const good = sampleRegistration();
    const bad = { ...sampleRegistration(), port: 0, status: "maybe" };
    const text = [HEADER, line(good), line(good).replace(good.id, sampleRegistration().id), line(bad)].join(
      "\n",
    );
    const error = await failure(readAll(textStream(text)));
    expect(error.code).toBe("REGFILE_LINE");
    expect(error.details?.line).toBe(4);
    expect(error.message).toMatch(/^line 4: port: .*; status: /);
    expect(error.details?.issues).toEqual([
      { path: "port", message: expect.any(String) },
      { path: "status", message: expect.any(String) },
    ]);
  });

  it("refuses an address that is not in normalised form", async () => {
    for (const address of ["Alice@EXAMPLE.com", " alice@example.com", "alice@bücher.example", "a@b@c"]) {
      const text = `${HEADER}\n${line({ ...sampleRegistration(), address })}\n`;
      const error = await failure(readAll(textStream(text)));
      expect(error.code).toBe("REGFILE_LINE");
      expect(error.message).toMatch(/^line 2: address: must be/);
    }
  });

  it("refuses a repeated id, naming both lines", async () => {
    const a = sampleRegistration();
    const text = [
      HEADER,
      line(a),
      line(sampleRegistration()),
      line({ ...a, address: "other@example.com" }),
    ].join("\n");
    const error = await failure(readAll(textStream(text)));
    expect(error.code).toBe("REGFILE_LINE");
    expect(error.details).toMatchObject({ line: 4, firstLine: 2, id: a.id });
    expect(error.message).toBe(`line 4: duplicate id ${a.id} (first on line 2)`);
  });

  it("refuses bytes that are not UTF-8, naming the line", async () => {
    const bytes = new Uint8Array([
      ...encoder.encode(`${HEADER}\n{"a":"`),
      0xff,
      0xfe,
      ...encoder.encode('"}\n'),
    ]);
    const error = await failure(readAll(byteStream([bytes])));
    expect(error.code).toBe("REGFILE_LINE");
    expect(error.details?.line).toBe(2);
  });

  it("refuses a line longer than 1 MiB without waiting for its end", async () => {
    async function* endless() {
      yield `${HEADER}\n{"x":"`;
      for (;;) yield "y".repeat(65_536);
    }
    const error = await failure(readAll(endless()));
    expect(error.code).toBe("REGFILE_LINE");
    expect(error.details?.line).toBe(2);
  });

  it("cancels the source stream when the reader stops early", async () => {
    let cancelled = false;
    const records = Array.from({ length: 10 }, () => line(sampleRegistration()));
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(`${HEADER}\n`));
        for (const r of records) controller.enqueue(encoder.encode(`${r}\n`));
      },
      cancel() {
        cancelled = true;
      },
    });
    const file = await readRegistrationFile(source);
    for await (const _ of file.records) break;
    expect(cancelled).toBe(true);
  });
});

describe("writeRegistrationFile()", () => {
  it("writes the header line and one record per line, each ending in a newline", async () => {
    const a = sampleRegistration();
    const text = await new Response(writeRegistrationFile([a], { keyId: "k1" })).text();
    expect(text).toBe(`${HEADER}\n${JSON.stringify(a)}\n`);
  });

  it("round-trips records through a file, from an async iterable", async () => {
    const records = [
      sampleRegistration(),
      sampleRegistration({ address: "Jörg@xn--bcher-kva.example", displayName: "Jörg", status: "rejected" }),
      sampleRegistration({
        status: "applied",
        decision: { by: "admin", at: new Date().toISOString(), instance: "main" },
      }),
    ];
    async function* source() {
      yield* records;
    }
    const file = await readRegistrationFile(writeRegistrationFile(source(), { keyId: "key-2025" }));
    expect(file.header.keyId).toBe("key-2025");
    const back: RegistrationRecord[] = [];
    for await (const r of file.records) back.push(r);
    expect(back).toEqual(records);
  });

  it("errors the stream at an invalid record, naming its line", async () => {
    const bad = { ...sampleRegistration(), address: "Not@Normalised.COM" };
    const stream = writeRegistrationFile([sampleRegistration(), bad], { keyId: "k1" });
    const error = await failure(new Response(stream).text());
    expect(error.code).toBe("REGFILE_LINE");
    expect(error.details?.line).toBe(3);
  });

  it("refuses to write the same id twice", async () => {
    const a = sampleRegistration();
    const error = await failure(new Response(writeRegistrationFile([a, a], { keyId: "k1" })).text());
    expect(error.message).toBe(`line 3: duplicate id ${a.id} (first on line 2)`);
  });

  it("refuses an empty key id", () => {
    expect(() => writeRegistrationFile([], { keyId: "" })).toThrow(MailregError);
  });

  it("streams 100,000 records through write and read", async () => {
    const template = sampleRegistration();
    function* many() {
      for (let i = 0; i < 100_000; i++) {
        yield { ...template, id: `${template.id.slice(0, 24)}${i.toString(16).padStart(12, "0")}` };
      }
    }
    const started = performance.now();
    const file = await readRegistrationFile(writeRegistrationFile(many(), { keyId: "k1" }));
    let count = 0;
    let last = "";
    for await (const r of file.records) {
      count++;
      last = r.id;
    }
    console.log(`100,000 records written and read in ${Math.round(performance.now() - started)} ms`);
    expect(count).toBe(100_000);
    expect(last.endsWith((99_999).toString(16).padStart(12, "0"))).toBe(true);
  });
});
