/**
 * Message search: 100,000 stored messages in one mailbox (inserted directly in batches through the
 * `messages` table, so the insert triggers fill the header fields of the FTS5 index as the store
 * sink's commits do; the text bodies set as the indexer sets them), then the latency of the first
 * page (50 messages, newest first) of each kind of search through `listMessages`, p50 and p99 over
 * varied terms. The aim: p99 under 50 ms for every kind.
 *
 * @module
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newId } from "@mailreg/core";
import { listMessages, type MessageQuery, openStore, type Store, upsertInstances } from "@mailreg/store";
import type { Benchmark, BenchResult } from "./benchmark.ts";

/** A small deterministic random source (mulberry32). */
function _random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  "Anna",
  "Jürgen",
  "Zoë",
  "José",
  "Øystein",
  "Eleni",
  "Krzysztof",
  "Fang",
  "Mehmet",
  "Sofia",
  "Lars",
  "Chloé",
];
const LAST = [
  "Müller",
  "Schmidt",
  "Çelik",
  "Núñez",
  "Ødegård",
  "Papadopoulou",
  "Wąs",
  "Wang",
  "Yılmaz",
  "Rossi",
  "Berg",
  "Dubois",
];
const DOMAINS = [
  "kunde.example",
  "lieferant.example",
  "shop.example",
  "example.cn",
  "bank.example",
  "behoerde.example",
];
const SUBJECT_WORDS = [
  "Rechnung",
  "Angebot",
  "Bestellung",
  "Lieferung",
  "Mahnung",
  "Vertrag",
  "Termin",
  "Protokoll",
  "invoice",
  "order",
  "meeting",
  "report",
  "quarterly",
  "update",
  "Gutschrift",
  "Reklamation",
  "Anfrage",
  "Bewerbung",
  "newsletter",
  "Urlaub",
];
/** Body words: a few very common, most rare (Zipf-like), so searches hit from a handful to thousands. */
const BODY_WORDS = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}x`);

function _pickZipf(rand: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(n ** rand()) - 1);
}

interface _Person {
  name: string;
  address: string;
}

function _people(rand: () => number, count: number): _Person[] {
  return Array.from({ length: count }, (_, i) => {
    const first = FIRST[Math.floor(rand() * FIRST.length)]!;
    const last = LAST[Math.floor(rand() * LAST.length)]!;
    const domain = DOMAINS[i % DOMAINS.length]!;
    return {
      name: `${first} ${last}`,
      address: `${first.toLowerCase()}.${last.toLowerCase()}${i}@${domain}`,
    };
  });
}

/** Inserts `count` messages into `mailboxId`, 500 per statement, 5,000 per transaction. */
async function _fill(
  store: Store,
  mailboxId: string,
  count: number,
  rand: () => number,
  /** Messages already in the store: the new ones are stored after them. */
  before: number,
): Promise<void> {
  const senders = _people(rand, 2000);
  const recipients = _people(rand, 300);
  const folders = ["INBOX", "INBOX", "INBOX", "Archiv", "Archiv/2024", "Sent", "Projekte/Kunde A"];
  const start = Date.UTC(2023, 0, 1);
  const span = 3 * 365 * 86_400_000;
  const encoder = new TextEncoder();
  const perStatement = 500;
  const perTransaction = 5000;
  for (let done = 0; done < count; done += perTransaction) {
    const statements: { sql: string; args: (string | number | Uint8Array | null)[] }[] = [];
    // one stored-at per chunk of 500, as the store sink commits them
    for (let s = done; s < Math.min(count, done + perTransaction); s += perStatement) {
      const n = Math.min(perStatement, count - s);
      const storedAt = new Date(start + span + (before + s) * 10).toISOString();
      const args: (string | number | Uint8Array | null)[] = [];
      const rowBodies: string[] = [];
      for (let i = 0; i < n; i++) {
        const k = s + i;
        const from = senders[_pickZipf(rand, senders.length)]!;
        const to = recipients[Math.floor(rand() * recipients.length)]!;
        const subject = `${SUBJECT_WORDS[Math.floor(rand() * SUBJECT_WORDS.length)]} ${SUBJECT_WORDS[Math.floor(rand() * SUBJECT_WORDS.length)]} Nr. ${k}`;
        const words = Array.from({ length: 40 }, () => BODY_WORDS[_pickZipf(rand, BODY_WORDS.length)]!);
        const body = words.join(" ");
        rowBodies.push(body);
        const internalDate = new Date(start + (k / count) * span + rand() * 3_600_000).toISOString();
        const raw = encoder.encode(
          `From: ${from.name} <${from.address}>\r\nTo: ${to.name} <${to.address}>\r\nSubject: ${subject}\r\n` +
            `Date: ${new Date(internalDate).toUTCString()}\r\nMessage-ID: <m${k}@bench.example>\r\n\r\n${body}\r\n`,
        );
        const envelope = JSON.stringify({
          subject,
          date: internalDate,
          messageId: `m${k}@bench.example`,
          from: [from],
          sender: [],
          replyTo: [],
          to: [to],
          cc: [],
          bcc: [],
        });
        args.push(
          newId(),
          mailboxId,
          folders[k % folders.length]!,
          1,
          k + 1,
          null,
          `m${k}@bench.example`,
          "0".repeat(64),
          raw.byteLength,
          internalDate,
          '["\\\\Seen"]',
          envelope,
          raw,
          storedAt,
        );
      }
      statements.push({
        sql: `INSERT INTO messages (id, mailbox_id, folder, uidvalidity, uid, uidl, message_id, content_hash, size,
              internal_date, flags, envelope, raw, stored_at) VALUES ${Array(n)
                .fill(`(${Array(14).fill("?").join(",")})`)
                .join(",")}`,
        args,
      });
      // the indexer's work, done in SQL with the bodies known: each queued message's text row
      // (its header fields and body; the queue, emptied after each slice, numbers them from 1)
      statements.push(
        {
          sql: `INSERT INTO message_text (message_row_id, subject, sender, recipients, body)
                SELECT m.id, json_extract(m.envelope, '$.subject'),
                  json_extract(m.envelope, '$.from[0].name') || ' ' || json_extract(m.envelope, '$.from[0].address'),
                  json_extract(m.envelope, '$.to[0].name') || ' ' || json_extract(m.envelope, '$.to[0].address'),
                  json_extract(?, '$[' || CAST(q.rowid - 1 AS INTEGER) || ']')
                FROM message_text_queue AS q JOIN messages AS m ON m.id = q.message_row_id ORDER BY q.rowid`,
          args: [JSON.stringify(rowBodies)],
        },
        { sql: "DELETE FROM message_text_queue", args: [] },
      );
    }
    await store.client.batch(statements, "write");
  }
}

/** p-th percentile (0..100) of sorted values. */
function _pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export const messageSearchBenchmark: Benchmark = {
  name: "message-search",
  summary: "100,000 stored messages: first-page latency (p50, p99) of each kind of search",
  async run(args) {
    const count = Number(args.count ?? 100_000);
    const queries = Number(args.queries ?? 200);
    const dir = await mkdtemp(join(tmpdir(), "mailreg-bench-search-"));
    const results: BenchResult[] = [];
    const notes: string[] = [];
    try {
      const store = await openStore({ url: `file:${join(dir, "mailreg.db")}` });
      await upsertInstances(store, [{ id: "bench", label: "Bench" }]);
      const addMailbox = async (address: string) => {
        const id = newId();
        const now = new Date().toISOString();
        await store.client.execute({
          sql: `INSERT INTO mailboxes (id, instance_id, address, protocol, host, port, security, login, auth_method,
                key_id, sealed, registration_id, created_at, updated_at, credentials_updated_at)
                VALUES (?, 'bench', ?, 'imap', 'h', 993, 'tls', 'bench', 'password', 'k', 's', ?, ?, ?, ?)`,
          args: [id, address, newId(), now, now, now],
        });
        return id;
      };
      // a small mailbox stored first (its matches are the oldest of the full-text index), then the big one
      const smallId = await addMailbox("small@example.test");
      const mailboxId = await addMailbox("bench@example.test");
      const small = Math.max(100, Math.round(count / 50));
      const t0 = performance.now();
      await _fill(store, smallId, small, _random(17), 0);
      await _fill(store, mailboxId, count, _random(4711), small);
      const seconds = (performance.now() - t0) / 1000;
      results.push({
        step: "insert (with FTS index)",
        records: count + small,
        seconds,
        perSecond: Math.round((count + small) / seconds),
      });
      await store.client.execute("ANALYZE");
      await store.client.execute("INSERT INTO message_fts(message_fts) VALUES ('optimize')");
      const dbBytes =
        (await stat(join(dir, "mailreg.db"))).size +
        (await stat(join(dir, "mailreg.db-wal")).catch(() => ({ size: 0 }))).size;
      notes.push(
        `Database: ${(dbBytes / 1048576).toFixed(0)} MiB for ${(count + small).toLocaleString("en")} messages.`,
      );

      const senders = _people(_random(4711), 2000);
      const qr = _random(99);
      const pick = <T>(list: readonly T[]) => list[Math.floor(qr() * list.length)]!;
      const day = (t: number) => new Date(t).toISOString().slice(0, 10);
      const start = Date.UTC(2023, 0, 1);
      const span = 3 * 365 * 86_400_000;
      const kinds: [string, () => Omit<MessageQuery, "mailboxId"> & { mailboxId?: string }][] = [
        ["list, newest first", () => ({})],
        ["list, one folder", () => ({ folder: pick(["INBOX", "Archiv", "Sent", "Projekte/Kunde A"]) })],
        ["list, page 20 (cursor)", () => ({ cursor: "" })],
        ["from (name or address word)", () => ({ from: pick(senders).name.split(" ")[qr() < 0.5 ? 0 : 1]! })],
        ["from (full address)", () => ({ from: pick(senders).address })],
        ["to (recipient)", () => ({ to: pick(LAST) })],
        ["subject word", () => ({ subject: pick(SUBJECT_WORDS) })],
        ["free text, common word", () => ({ q: BODY_WORDS[Math.floor(qr() * 5)]! })],
        ["free text, rare word", () => ({ q: BODY_WORDS[1000 + Math.floor(qr() * 4000)]! })],
        [
          "free text, two words",
          () => ({ q: `${BODY_WORDS[Math.floor(qr() * 50)]} ${BODY_WORDS[Math.floor(qr() * 500)]}` }),
        ],
        [
          "date range (one week)",
          () => {
            const from = start + qr() * (span - 7 * 86_400_000);
            return { since: day(from), until: day(from + 6 * 86_400_000) };
          },
        ],
        [
          "subject + date range (one month)",
          () => {
            const from = start + qr() * (span - 31 * 86_400_000);
            return { subject: pick(SUBJECT_WORDS), since: day(from), until: day(from + 30 * 86_400_000) };
          },
        ],
        [
          `small mailbox (${small.toLocaleString("en")}): free text, common word`,
          () => ({ mailboxId: smallId, q: BODY_WORDS[Math.floor(qr() * 5)]! }),
        ],
        [
          `small mailbox (${small.toLocaleString("en")}): subject word`,
          () => ({ mailboxId: smallId, subject: pick(SUBJECT_WORDS) }),
        ],
      ];
      // the cursor of page 20 of the whole mailbox
      let page20 = "";
      for (let p = 0; p < 19; p++) {
        page20 =
          (await listMessages(store, { mailboxId, limit: 50, ...(page20 === "" ? {} : { cursor: page20 }) }))
            .nextCursor ?? "";
      }
      const lines = [
        "| search | queries | p50 ms | p99 ms | max ms | avg hits on page 1 |",
        "|---|---:|---:|---:|---:|---:|",
      ];
      let worst = 0;
      for (const [kind, make] of kinds) {
        const times: number[] = [];
        let hits = 0;
        // one warm-up query per kind, not counted
        for (let i = -1; i < queries; i++) {
          const made = make();
          const query: MessageQuery = {
            mailboxId,
            ...made,
            ...(made.cursor === "" ? { cursor: page20 } : {}),
            limit: 50,
          };
          const t = performance.now();
          const page = await listMessages(store, query);
          const ms = performance.now() - t;
          if (i >= 0) {
            times.push(ms);
            hits += page.messages.length;
          }
        }
        times.sort((a, b) => a - b);
        const p99 = _pct(times, 99);
        worst = Math.max(worst, p99);
        lines.push(
          `| ${kind} | ${times.length} | ${_pct(times, 50).toFixed(1)} | ${p99.toFixed(1)} | ${(times.at(-1) ?? 0).toFixed(1)} | ${(hits / Math.max(1, times.length)).toFixed(0)} |`,
        );
      }
      store.close();
      const insert = results[0]!;
      notes.unshift(
        `Inserted ${(count + small).toLocaleString("en")} messages (${count.toLocaleString("en")} in one mailbox, ${small.toLocaleString("en")} in a small one) in ${insert.seconds.toFixed(1)} s (${insert.perSecond.toLocaleString("en")}/s, each slice indexed for search in the same transaction).`,
      );
      notes.push(`Worst p99: ${worst.toFixed(1)} ms (aim: under 50 ms).`);
      return { results, markdown: lines.join("\n"), notes, ok: true };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
