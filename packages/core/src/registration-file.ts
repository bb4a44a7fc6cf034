/**
 * The registration file (DESIGN §4): JSON Lines, a header line
 * `{"format":"mailreg-registrations","version":1,"keyId":"…"}`, then one {@link RegistrationRecord}
 * per line. What `mailreg registrations export|import` write and read, so a registration site in a
 * DMZ can hand its registrations to an internal administrator.
 *
 * Reading and writing stream line by line over Web streams (no whole-file buffering), so they run
 * the same on Node and Deno.
 *
 * @module
 */
import { z } from "zod";
import { _issueList } from "./_zod.ts";
import { MailregError } from "./errors.ts";
import { type RegistrationRecord, RegistrationRecordSchema } from "./registration.ts";

/** The `format` of a registration file's header. */
export const REGISTRATION_FILE_FORMAT = "mailreg-registrations";
/** The format version this package reads and writes. */
export const REGISTRATION_FILE_VERSION = 1;
/** The longest line accepted, in UTF-16 code units (a record's sealed part is at most 64 KiB). */
export const REGISTRATION_FILE_MAX_LINE = 1_048_576;

/** The first line of a registration file. */
export const RegistrationFileHeaderSchema: z.ZodObject<
  { format: z.ZodLiteral<"mailreg-registrations">; version: z.ZodNumber; keyId: z.ZodString },
  z.core.$strip
> = z.object({
  format: z.literal(REGISTRATION_FILE_FORMAT),
  version: z.number().int().min(1),
  keyId: z.string().min(1).max(128),
});
export type RegistrationFileHeader = z.infer<typeof RegistrationFileHeaderSchema>;

/** What {@link readRegistrationFile} returns: the checked header and the records, read lazily. */
export interface RegistrationFile {
  header: RegistrationFileHeader;
  /** The records in file order; iterating reads the rest of the source, once. */
  records: AsyncIterable<RegistrationRecord>;
}

/** A source of file content: a byte stream, or any async iterable of text or byte chunks. */
export type RegistrationFileSource = ReadableStream<Uint8Array> | AsyncIterable<string | Uint8Array>;

async function* _chunks(source: RegistrationFileSource): AsyncGenerator<string | Uint8Array> {
  if (!(source instanceof ReadableStream)) {
    yield* source;
    return;
  }
  const reader = source.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    // A reader that stops early (an error, a `break`) cancels the source instead of leaving it open.
    if (!finished) await reader.cancel();
    reader.releaseLock();
  }
}

/**
 * The lines of the source, without their line ends (LF or CRLF) and without a leading BOM. Bytes
 * are split at LF before decoding, so an invalid UTF-8 sequence is reported on its own line.
 */
async function* _lines(source: RegistrationFileSource): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let line = 1;
  let pending = "";
  let first = true;
  const decode = (bytes: Uint8Array, stream: boolean): string => {
    try {
      return decoder.decode(bytes, { stream });
    } catch (cause) {
      throw new MailregError("REGFILE_LINE", `line ${line}: not valid UTF-8`, { cause, details: { line } });
    }
  };
  const tooLong = () =>
    new MailregError("REGFILE_LINE", `line ${line}: longer than ${REGISTRATION_FILE_MAX_LINE} characters`, {
      details: { line },
    });
  const end = (text: string): string => {
    const out = text.endsWith("\r") ? text.slice(0, -1) : text;
    // a line that ends inside one chunk is checked here, one still open below
    if (out.length > REGISTRATION_FILE_MAX_LINE) throw tooLong();
    line++;
    return out;
  };
  for await (const chunk of _chunks(source)) {
    const lines: string[] = [];
    if (typeof chunk === "string") {
      const text = first && chunk.charCodeAt(0) === 0xfeff ? chunk.slice(1) : chunk;
      let start = 0;
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
        lines.push(end(pending + text.slice(start, nl)));
        pending = "";
        start = nl + 1;
      }
      pending += text.slice(start);
    } else {
      let start = 0;
      for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
        lines.push(end(pending + decode(chunk.subarray(start, nl), false)));
        pending = "";
        start = nl + 1;
      }
      pending += decode(chunk.subarray(start), true);
    }
    if (chunk.length > 0) first = false;
    if (pending.length > REGISTRATION_FILE_MAX_LINE) throw tooLong();
    yield* lines;
  }
  pending += decode(new Uint8Array(0), false);
  if (pending !== "") yield end(pending);
}

function _lineError(code: "REGFILE_HEADER" | "REGFILE_LINE", line: number, what: string, issues?: unknown) {
  return new MailregError(code, `line ${line}: ${what}`, {
    details: issues === undefined ? { line } : { line, issues },
  });
}

function _parseLine(text: string, line: number, code: "REGFILE_HEADER" | "REGFILE_LINE"): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw _lineError(code, line, "not valid JSON");
  }
}

/**
 * Validates one record and checks its id against the ids seen before.
 *
 * @param value the parsed line
 * @param line its 1-based line number
 * @param seen ids already read, with their lines
 * @returns the record
 */
function _checkRecord(value: unknown, line: number, seen: Map<string, number>): RegistrationRecord {
  const result = RegistrationRecordSchema.safeParse(value);
  if (!result.success) {
    const issues = _issueList(result.error.issues);
    throw _lineError("REGFILE_LINE", line, issues.map((i) => `${i.path}: ${i.message}`).join("; "), issues);
  }
  const first = seen.get(result.data.id);
  if (first !== undefined) {
    throw new MailregError(
      "REGFILE_LINE",
      `line ${line}: duplicate id ${result.data.id} (first on line ${first})`,
      {
        details: { line, firstLine: first, id: result.data.id },
      },
    );
  }
  seen.set(result.data.id, line);
  return result.data;
}

/**
 * Reads a registration file: checks the header line at once, then yields each record as it is read.
 * Blank lines after the header are skipped; CRLF, a BOM and a missing final newline are accepted.
 *
 * @param source the file's bytes (`ReadableStream<Uint8Array>`) or an async iterable of chunks
 * @returns the header and the records
 * @throws {MailregError} REGFILE_HEADER (missing or wrong header), REGFILE_VERSION (another format
 *   version), REGFILE_LINE (a line that is not a valid record, not normalised, or repeats an id);
 *   every error has `details.line`, 1-based. Record errors are thrown while iterating `records`.
 * @example
 * ```ts
 * import { readRegistrationFile } from "@mailreg/core";
 * const bytes = new Blob(['{"format":"mailreg-registrations","version":1,"keyId":"k1"}\n']).stream();
 * const file = await readRegistrationFile(bytes);
 * for await (const record of file.records) console.log(record.address);
 * console.log(file.header.keyId); // k1
 * ```
 */
export async function readRegistrationFile(source: RegistrationFileSource): Promise<RegistrationFile> {
  const lines = _lines(source);
  const first = await lines.next();
  if (first.done === true || first.value.trim() === "") {
    await lines.return(undefined);
    throw _lineError(
      "REGFILE_HEADER",
      1,
      `the first line must be the header {"format":"${REGISTRATION_FILE_FORMAT}",…}`,
    );
  }
  const parsed = _parseLine(first.value, 1, "REGFILE_HEADER");
  const result = RegistrationFileHeaderSchema.safeParse(parsed);
  if (!result.success) {
    await lines.return(undefined);
    const issues = _issueList(result.error.issues);
    const version = (parsed as { version?: unknown } | null)?.version;
    const otherVersion = issues.every((i) => i.path === "version") && typeof version === "number";
    throw otherVersion
      ? new MailregError("REGFILE_VERSION", `line 1: format version ${version} is not supported`, {
          details: { line: 1, version },
        })
      : _lineError("REGFILE_HEADER", 1, issues.map((i) => `${i.path}: ${i.message}`).join("; "), issues);
  }
  if (result.data.version !== REGISTRATION_FILE_VERSION) {
    await lines.return(undefined);
    throw new MailregError(
      "REGFILE_VERSION",
      `line 1: format version ${result.data.version} is not supported (this reads version ${REGISTRATION_FILE_VERSION})`,
      { details: { line: 1, version: result.data.version } },
    );
  }
  async function* records(): AsyncGenerator<RegistrationRecord> {
    const seen = new Map<string, number>();
    let line = 1;
    for await (const text of lines) {
      line++;
      if (text.trim() === "") continue;
      yield _checkRecord(_parseLine(text, line, "REGFILE_LINE"), line, seen);
    }
  }
  return { header: result.data, records: records() };
}

/** Options of {@link writeRegistrationFile}. */
export interface WriteRegistrationFileOptions {
  /** The id of the registry key the records are sealed to, written in the header. */
  keyId: string;
}

const _CHUNK = 65_536;

/**
 * Writes registrations as a registration file: the header line, then one validated record per line,
 * each ending in `\n`. Lines are batched into chunks of about 64 KiB.
 *
 * @param records the records, in the order to write
 * @param options the key id for the header
 * @returns the file's bytes; the stream errors with REGFILE_LINE (`details.line`) at an invalid or
 *   repeated record, so no file with a bad line is produced without notice
 * @example
 * ```ts
 * import { writeRegistrationFile } from "@mailreg/core";
 * const text = await new Response(writeRegistrationFile([], { keyId: "k1" })).text();
 * console.log(text); // {"format":"mailreg-registrations","version":1,"keyId":"k1"}
 * ```
 */
export function writeRegistrationFile(
  records: AsyncIterable<RegistrationRecord> | Iterable<RegistrationRecord>,
  options: WriteRegistrationFileOptions,
): ReadableStream<Uint8Array> {
  const header = RegistrationFileHeaderSchema.safeParse({
    format: REGISTRATION_FILE_FORMAT,
    version: REGISTRATION_FILE_VERSION,
    keyId: options.keyId,
  });
  if (!header.success) {
    throw new MailregError("REGFILE_HEADER", "keyId must be a non-empty string of at most 128 characters");
  }
  const encoder = new TextEncoder();
  const iterator =
    Symbol.asyncIterator in records
      ? records[Symbol.asyncIterator]()
      : (records as Iterable<RegistrationRecord>)[Symbol.iterator]();
  const seen = new Map<string, number>();
  let line = 1;
  let pending = `${JSON.stringify(header.data)}\n`;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) {
          if (pending !== "") controller.enqueue(encoder.encode(pending));
          controller.close();
          return;
        }
        line++;
        pending += `${JSON.stringify(_checkRecord(next.value, line, seen))}\n`;
        if (pending.length >= _CHUNK) {
          controller.enqueue(encoder.encode(pending));
          pending = "";
          return;
        }
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}
