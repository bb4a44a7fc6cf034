/**
 * Sending 1,000 messages through one pooled SMTP connection to the SMTP sink (in a process of its
 * own), three ways side by side: plain nodemailer, `@mailreg/smtp-resolver`'s Sender, and the
 * durable outbox (enqueue into a libSQL file, then `drainOutbox` through the same kind of Sender).
 * The ratios to plain nodemailer are the figures; every message must arrive exactly once (counted by
 * Message-ID at the sink). Median of three rounds, in rotating order, after a warm-up round.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { type ChildProcess, fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newId } from "@mailreg/core";
import { drainOutbox, enqueue, type Outbox, Sender, type SendTarget } from "@mailreg/smtp-resolver";
import {
  applyRegistration,
  countOutbox,
  insertRegistration,
  openStore,
  storeOutbox,
  upsertInstances,
} from "@mailreg/store";
import { makeProfile, makeRegistration } from "@mailreg/store/testing";
import nodemailer from "nodemailer";
import type { Benchmark, BenchResult } from "./benchmark.ts";

/** A ~2 KB message with a unique Message-ID, as bytes (what every way under test sends). */
function _message(i: number): { id: string; raw: Buffer; envelope: { from: string; to: string[] } } {
  const id = `<${newId()}@bench.example>`;
  const to = `rcpt${i % 50}@bench.example`;
  const body = `Line ${"x".repeat(70)}\r\n`.repeat(25);
  const raw = `Message-ID: ${id}\r\nDate: ${new Date().toUTCString()}\r\nFrom: ann@bench.example\r\nTo: ${to}\r\nSubject: Message ${i}\r\n\r\n${body}`;
  return { id, raw: Buffer.from(raw), envelope: { from: "ann@bench.example", to: [to] } };
}

/** The sink process and what it received. */
interface _Sink {
  host: "127.0.0.1";
  port: number;
  ids(): Promise<string[]>;
  clear(): Promise<void>;
  stop(): void;
}

async function _startSinkProcess(): Promise<_Sink> {
  const source = import.meta.url.endsWith(".ts");
  const script = new URL(`./_smtp-sink-process.${source ? "ts" : "js"}`, import.meta.url);
  const child: ChildProcess = fork(script, [], {
    execArgv: source ? ["--import", "tsx"] : [],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ask = <T>(command: string, key: string) =>
    new Promise<T>((resolve) => {
      const on = (m: Record<string, unknown>) => {
        if (!(key in m)) return;
        child.off("message", on);
        resolve(m[key] as T);
      };
      child.on("message", on);
      if (command !== "") child.send(command);
    });
  const port = await ask<number>("", "port");
  return {
    host: "127.0.0.1",
    port,
    ids: () => ask<string[]>("ids", "ids"),
    clear: async () => {
      await ask<boolean>("clear", "cleared");
    },
    stop: () => child.send("stop"),
  };
}

/** Whether every expected Message-ID arrived exactly once. */
function _check(ids: string[], expected: Set<string>): { ok: boolean; text: string } {
  const distinct = new Set(ids);
  const known = [...distinct].filter((id) => expected.has(id)).length;
  const ok = ids.length === expected.size && distinct.size === ids.length && known === expected.size;
  return {
    ok,
    text: `${ids.length} received, ${distinct.size} distinct, ${known} of ${expected.size} expected`,
  };
}

export const smtpSendBenchmark: Benchmark = {
  name: "smtp-send",
  summary:
    "1,000 messages through one pooled SMTP connection: nodemailer, Sender, outbox (median of 3 rounds)",
  async run(args) {
    const count = Number(args.count ?? 1000);
    const rounds = Number(args.rounds ?? 3);
    const dir = await mkdtemp(join(tmpdir(), "mailreg-bench-smtp-"));
    const sink = await _startSinkProcess();
    const pool = { maxConnections: 1, maxMessages: count };
    const target: SendTarget = {
      settings: { host: sink.host, port: sink.port, tls: { verify: true } },
      credentials: { method: "none" },
    };
    const store = await openStore({ url: `file:${join(dir, "outbox.db")}` });
    const times: Record<string, number[]> = {};
    const checks = new Set<string>();
    let ok = true;
    const timed = async (step: string, expected: Set<string> | undefined, run: () => Promise<unknown>) => {
      await sink.clear();
      const t = performance.now();
      await run();
      const list = times[step] ?? [];
      list.push(performance.now() - t);
      times[step] = list;
      if (expected === undefined) return;
      const check = _check(await sink.ids(), expected);
      ok &&= check.ok;
      checks.add(`${step}: ${check.text}`);
    };
    const batch = () => Array.from({ length: count }, (_, i) => _message(i));
    const ids = (messages: { id: string }[]) => new Set(messages.map((m) => m.id));
    try {
      await upsertInstances(store, [{ id: "bench", label: "Bench" }]);
      const record = await insertRegistration(store, makeRegistration({ address: "ann@bench.example" }));
      const { mailbox } = await applyRegistration(store, {
        id: record.id,
        instanceId: "bench",
        actor: "bench",
        profile: makeProfile(record),
      });
      const rows = async () => (await countOutbox(store)).sent;

      const plainRound = async () => {
        const messages = batch();
        const transport = nodemailer.createTransport({
          host: sink.host,
          port: sink.port,
          pool: true,
          ...pool,
          logger: false,
        });
        await timed(PLAIN, ids(messages), () =>
          Promise.all(messages.map((m) => transport.sendMail({ envelope: m.envelope, raw: m.raw }))),
        );
        transport.close();
      };
      const senderRound = async () => {
        const messages = batch();
        const sender = new Sender(pool);
        await timed(SENDER, ids(messages), () => Promise.all(messages.map((m) => sender.send(target, m))));
        sender.close();
      };
      const outboxRound = async (step: string, groupCommitMs: number) => {
        const messages = batch();
        const sender = new Sender(pool);
        const before = await rows();
        const outbox: Outbox = storeOutbox(store);
        await timed(ENQUEUE, undefined, async () => {
          for (const m of messages)
            await enqueue(outbox, { mailboxId: mailbox.id, raw: m.raw, envelope: m.envelope });
        });
        await timed(step, ids(messages), () =>
          drainOutbox(outbox, sender, { targetFor: async () => target, groupCommitMs }),
        );
        sender.close();
        const sent = (await rows()) - before;
        ok &&= sent === count;
        checks.add(`outbox rows marked sent per round: ${sent}`);
      };

      await plainRound(); // warm-up: JIT, the sink, the database file
      delete times[PLAIN];
      for (let r = 0; r < rounds; r++) {
        // rotate the order, so no way always runs on the warmest process
        const order = [
          plainRound,
          senderRound,
          () => outboxRound(DELIVER, 0),
          () => outboxRound(DELIVER_GROUPED, 2),
        ];
        for (let i = 0; i < order.length; i++) await order[(i + r) % order.length]!();
      }
      const median = (step: string) => {
        const sorted = [...(times[step] ?? [])].sort((a, b) => a - b);
        return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
      };
      const row = (step: string, ms: number): BenchResult => ({
        step,
        records: count,
        seconds: ms / 1000,
        perSecond: Math.round(count / (ms / 1000)),
      });
      const [plain, sender, enqueued, delivered, grouped] = [
        median(PLAIN),
        median(SENDER),
        median(ENQUEUE),
        median(DELIVER),
        median(DELIVER_GROUPED),
      ];
      const ratio = (ms: number) => (plain / ms).toFixed(2);
      return {
        results: [
          row(PLAIN, plain),
          row(SENDER, sender),
          row(DELIVER, delivered),
          row(DELIVER_GROUPED, grouped),
          row(ENQUEUE, enqueued),
          row("outbox: enqueue + deliver", enqueued + delivered),
        ],
        notes: [
          `throughput relative to plain nodemailer: Sender ${ratio(sender)}, outbox delivery ${ratio(delivered)} (group commit 2 ms: ${ratio(grouped)}), outbox enqueue + delivery ${ratio(enqueued + delivered)}`,
          `outbox delivery takes ${Math.round((delivered / plain - 1) * 100)}% longer than plain nodemailer, ${Math.round((grouped / plain - 1) * 100)}% with a 2 ms group commit (goal: under 20%)`,
          ...checks,
        ],
        ok,
      };
    } finally {
      store.close();
      sink.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

const PLAIN = "nodemailer (pooled, 1 connection)";
const SENDER = "Sender (pooled, 1 connection)";
const DELIVER = "outbox: drainOutbox, each answer recorded at once";
const DELIVER_GROUPED = "outbox: drainOutbox, 2 ms group commit";
const ENQUEUE = "outbox: enqueue (one transaction each)";
