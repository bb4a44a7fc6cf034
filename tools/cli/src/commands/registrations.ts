/**
 * `mailreg registrations list|show|apply|reject|export|import`.
 *
 * @module
 */
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { Readable, Writable } from "node:stream";
import {
  endpointRefusal,
  MailregError,
  type NetworkPolicy,
  networkPolicy,
  REGISTRATION_STATUSES,
  type RegistrationRecord,
  type RegistrationStatus,
  readRegistrationFile,
  writeRegistrationFile,
} from "@mailreg/core";
import { open } from "@mailreg/crypto-registry";
import {
  applyRegistration,
  countRegistrations,
  getRegistration,
  importRegistrations,
  iterateRegistrations,
  listRegistrations,
  rejectRegistration,
} from "@mailreg/store";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { actorName, configContext, keyringFor, withStore } from "../context.ts";
import type { Io } from "../io.ts";
import { block, emit, table } from "../output.ts";
import { startProgress } from "../progress.ts";
import { UsageError } from "../usage-error.ts";

function _status(value: string | undefined): RegistrationStatus | undefined {
  if (value === undefined) return undefined;
  if (!(REGISTRATION_STATUSES as readonly string[]).includes(value)) {
    throw new UsageError(`--status must be one of ${REGISTRATION_STATUSES.join(", ")}`);
  }
  return value as RegistrationStatus;
}

function _one(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected exactly one ${what}`);
  return positionals[0]!;
}

/** A registration as listed: the clear fields, never the sealed part. */
function _listing(r: RegistrationRecord) {
  return {
    id: r.id,
    receivedAt: r.receivedAt,
    address: r.address,
    displayName: r.displayName,
    protocol: r.protocol,
    server: `${r.host}:${r.port} ${r.security}${r.template === undefined ? "" : ` (${r.template})`}`,
    login: r.login,
    authMethod: r.authMethod,
    status: r.status,
    decision: r.decision,
    keyId: r.keyId,
  };
}

export const registrationsListCommand: Command = {
  words: ["registrations", "list"],
  summary: "List registrations (all, or by --status pending|applied|rejected)",
  usage: "registrations list [--status S] [--limit N] [--after ID] [--json]",
  async run(argv, io) {
    const { values } = parse(argv, {
      status: { type: "string" },
      limit: { type: "string" },
      after: { type: "string" },
    });
    const status = _status(values.status);
    const limit = values.limit === undefined ? 100 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new UsageError("--limit must be 1 to 1000");
    const { config } = await configContext(io, values.config);
    const rows = await withStore(config, (store) =>
      listRegistrations(store, {
        limit,
        ...(status === undefined ? {} : { status }),
        ...(values.after === undefined ? {} : { after: values.after }),
      }),
    );
    const list = rows.map(_listing);
    emit(io, values.json, list, () =>
      list.length === 0
        ? "No registrations.\n"
        : table(list, [
            ["id", "ID"],
            ["status", "STATUS"],
            ["address", "ADDRESS"],
            ["protocol", "PROTO"],
            ["server", "SERVER"],
            ["receivedAt", "RECEIVED"],
          ]),
    );
    return 0;
  },
};

export const registrationsShowCommand: Command = {
  words: ["registrations", "show"],
  summary: "Show one registration's clear fields and decision",
  usage: "registrations show ID [--json]",
  async run(argv, io) {
    const { values, positionals } = parse(argv, {});
    const id = _one(positionals, "registration id");
    const { config } = await configContext(io, values.config);
    const r = _listing(await withStore(config, (store) => getRegistration(store, id)));
    emit(io, values.json, r, () =>
      block([
        ["id", r.id],
        ["status", r.status],
        ["received", r.receivedAt],
        ["address", r.address],
        ["display name", r.displayName],
        ["protocol", r.protocol],
        ["server", r.server],
        ["login", r.login],
        ["auth", r.authMethod],
        ["key id", r.keyId],
        ["decided by", r.decision?.by],
        ["decided at", r.decision?.at],
        ["instance", r.decision?.instance],
        ["reason", r.decision?.reason],
      ]),
    );
    return 0;
  },
};

export const registrationsApplyCommand: Command = {
  words: ["registrations", "apply"],
  summary:
    "Apply a pending registration: a new mailbox of its SMTP address, or (--replace) replace the existing one's login, server and secret",
  usage: "registrations apply ID --instance X [--replace] [--actor NAME] [--json]",
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      instance: { type: "string" },
      actor: { type: "string" },
      replace: { type: "boolean" },
    });
    const id = _one(positionals, "registration id");
    if (values.instance === undefined) throw new UsageError("--instance is required");
    const instanceId = values.instance;
    const { config } = await configContext(io, values.config);
    const keyring = await keyringFor(config);
    const result = await withStore(config, async (store) => {
      const record = await getRegistration(store, id);
      // The store refuses a record that is not pending or whose clear fields differ from the profile.
      const profile = await open(record.sealed, keyring, {
        registrationId: record.id,
        address: record.address,
      });
      return await applyRegistration(store, {
        id,
        instanceId,
        actor: actorName(io, values.actor),
        profile,
        replace: values.replace === true,
      });
    });
    const out = {
      registration: id,
      mailbox: {
        id: result.mailbox.id,
        instance: result.mailbox.instanceId,
        address: result.mailbox.address,
      },
      created: result.created,
    };
    emit(
      io,
      values.json,
      out,
      () =>
        `Applied ${id}: ${result.created ? "created" : "updated"} mailbox ${out.mailbox.id} (${out.mailbox.address}) in instance ${out.mailbox.instance}\n`,
    );
    return 0;
  },
};

export const registrationsRejectCommand: Command = {
  words: ["registrations", "reject"],
  summary: "Reject a pending registration",
  usage: "registrations reject ID [--reason TEXT] [--actor NAME] [--json]",
  async run(argv, io) {
    const { values, positionals } = parse(argv, { reason: { type: "string" }, actor: { type: "string" } });
    const id = _one(positionals, "registration id");
    const { config } = await configContext(io, values.config);
    const record = await withStore(config, (store) =>
      rejectRegistration(store, {
        id,
        actor: actorName(io, values.actor),
        ...(values.reason === undefined ? {} : { reason: values.reason }),
      }),
    );
    emit(io, values.json, _listing(record), () => `Rejected ${id} (${record.address})\n`);
    return 0;
  },
};

export const registrationsExportCommand: Command = {
  words: ["registrations", "export"],
  summary: "Write registrations as a registration file (JSON Lines) to --out or standard output",
  usage: "registrations export [--out FILE] [--status S] [--json]",
  async run(argv, io) {
    const { values } = parse(argv, { out: { type: "string" }, status: { type: "string" } });
    const status = _status(values.status);
    const { config } = await configContext(io, values.config);
    const keyring = await keyringFor(config);
    const count = await withStore(config, async (store) => {
      const total = await countRegistrations(store, status === undefined ? {} : { status });
      const progress = startProgress(io, "export", total, "registrations");
      let written = 0;
      const records = (async function* () {
        for await (const r of iterateRegistrations(store, {
          batchSize: 2000,
          ...(status === undefined ? {} : { status }),
        })) {
          written++;
          if (written % 1000 === 0) progress.update(written);
          yield r;
        }
      })();
      const stream = writeRegistrationFile(records, { keyId: keyring.publicKey.kid });
      try {
        if (values.out === undefined) {
          await stream.pipeTo(Writable.toWeb(_stdoutOf(io)));
        } else {
          const target = resolve(io.cwd, values.out);
          const temp = `${target}.partial`;
          try {
            await stream.pipeTo(Writable.toWeb(createWriteStream(temp, { mode: 0o600 })));
            await rename(temp, target);
          } catch (e) {
            await rm(temp, { force: true });
            throw e;
          }
        }
      } finally {
        progress.stop();
      }
      return written;
    });
    if (values.out !== undefined) {
      emit(
        io,
        values.json,
        { exported: count, file: resolve(io.cwd, values.out) },
        () => `Exported ${count} registrations to ${values.out}\n`,
      );
    } else {
      io.err(`Exported ${count} registrations\n`);
    }
    return 0;
  },
};

export const registrationsImportCommand: Command = {
  words: ["registrations", "import"],
  summary: "Import a registration file; all or nothing: a bad line stores nothing",
  usage: "registrations import FILE [--json]",
  async run(argv, io) {
    const { values, positionals } = parse(argv, {});
    const file = resolve(io.cwd, _one(positionals, "file"));
    const { config } = await configContext(io, values.config);
    const size = (
      await stat(file).catch(() => {
        throw new MailregError("NOT_FOUND", `${file} does not exist`);
      })
    ).size;
    // First pass: read and check every line (shape, and each typed-in server against the network
    // policy), so a bad line anywhere stores nothing.
    const checked = await _countRecords(io, file, size, networkPolicy(config));
    // Second pass: store, in batches.
    const result = await withStore(config, async (store) => {
      const progress = startProgress(io, "import", checked, "registrations");
      try {
        const { records } = await readRegistrationFile(_fileStream(file));
        return await importRegistrations(store, records, {
          batchSize: 1000,
          onProgress: (p) => progress.update(p.inserted + p.skipped),
        });
      } finally {
        progress.stop();
      }
    });
    const out = { file, records: checked, ...result };
    emit(
      io,
      values.json,
      out,
      () =>
        `Imported ${result.inserted} registrations from ${file}${result.skipped > 0 ? ` (${result.skipped} already there, unchanged)` : ""}\n`,
    );
    return 0;
  },
};

async function _countRecords(io: Io, file: string, size: number, policy: NetworkPolicy): Promise<number> {
  const progress = startProgress(io, "check", size, "bytes");
  let n = 0;
  const refused: { line: number; id: string; server: string; reason: string }[] = [];
  try {
    let bytes = 0;
    const source = createReadStream(file);
    source.on("data", (chunk) => {
      bytes += chunk.length;
      progress.update(bytes);
    });
    const { records } = await readRegistrationFile(Readable.toWeb(source) as ReadableStream<Uint8Array>);
    for await (const record of records) {
      n++;
      const refusal = endpointRefusal(policy, record.host, record.port);
      if (refusal !== undefined && refused.length < 20) {
        // line 1 is the header
        refused.push({
          line: n + 1,
          id: record.id,
          server: `${record.host}:${record.port}`,
          reason: refusal.detail,
        });
      }
    }
  } finally {
    progress.stop();
  }
  if (refused.length > 0) {
    throw new MailregError(
      "VALIDATION",
      `The network policy refuses the server of ${refused.length === 20 ? "20 or more registrations" : `${refused.length} registration(s)`}: ${refused
        .map((r) => `line ${r.line} ${r.server} (${r.reason})`)
        .join("; ")}; nothing was imported`,
      { details: { refused } },
    );
  }
  return n;
}

function _fileStream(file: string): ReadableStream<Uint8Array> {
  return Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
}

function _stdoutOf(io: Io): Writable {
  const decoder = new TextDecoder();
  return new Writable({
    write(chunk: Uint8Array, _enc, cb) {
      io.out(decoder.decode(chunk, { stream: true }));
      cb();
    },
    final(cb) {
      io.out(decoder.decode());
      cb();
    },
  });
}
