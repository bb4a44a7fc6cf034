import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session } from "node:inspector/promises";
import { writeFileSync } from "node:fs";
import { startSmtpSink } from "@mailreg/mailservers";
import { deliverDue, drainOutbox, Sender } from "@mailreg/smtp-resolver";
import * as st from "@mailreg/store";
import { makeProfile, makeRegistration } from "@mailreg/store/testing";
import { newId } from "@mailreg/core";
import nodemailer from "nodemailer";
const dir = await mkdtemp(join(tmpdir(), "p-"));
const store = await st.openStore({ url: `file:${join(dir, "o.db")}` });
import { fork } from "node:child_process";
const child = fork(new URL("./.sink-child.mts", import.meta.url).pathname, [], { execArgv: ["--conditions=source", "--import", "tsx"] });
const port: number = await new Promise((r) => child.once("message", (m: any) => r(m.port)));
const sink = process.env.REMOTE ? { host: "127.0.0.1", port, clear() { child.send("clear"); }, async stop() { child.send("stop"); } } : await startSmtpSink();
if (!process.env.REMOTE) child.kill();
await st.upsertInstances(store, [{ id: "b", label: "B" }]);
const record = await st.insertRegistration(store, makeRegistration({ address: "ann@bench.example" }));
const { mailbox } = await st.applyRegistration(store, { id: record.id, instanceId: "b", actor: "b", profile: makeProfile(record) });
const target = { settings: { host: sink.host, port: sink.port, tls: { verify: true } }, credentials: { method: "none" as const } };
const raw = () => `Message-ID: <${newId()}@x>\r\nFrom: ann@bench.example\r\nTo: r@x.example\r\nSubject: s\r\n\r\n${"Line xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n".repeat(30)}`;
const fill = async (n: number) => { for (let i = 0; i < n; i++) { const id = newId(); await st.insertOutboxMessage(store, { id, mailboxId: mailbox.id, messageId: `<${id}@x>`, raw: new TextEncoder().encode(raw()), envelope: { from: "a@x", to: ["b@x"] } }); } };
const tr = nodemailer.createTransport({ host: sink.host, port: sink.port, pool: true, maxConnections: 1, maxMessages: 50000, logger: false });
const sender = new Sender({ maxConnections: 1, maxMessages: 50000 });
const plain = async () => { const t = performance.now(); await Promise.all(Array.from({ length: 1000 }, () => tr.sendMail({ envelope: { from: "a@x", to: ["b@x"] }, raw: Buffer.from(raw()) }))); return performance.now() - t; };
const deliver = async () => { const t = performance.now(); if (process.env.LANES) { await drainOutbox(store, sender, { targetFor: async () => target, lanes: Number(process.env.LANES), limit: Number(process.env.LIMIT ?? 100), window: Number(process.env.WINDOW ?? 16), groupCommitMs: Number(process.env.GC ?? 2) }); return performance.now() - t; } for (;;) { const r = await deliverDue(store, sender, { targetFor: async () => target, limit: Number(process.env.LIMIT ?? 200), window: Number(process.env.WINDOW ?? 32), groupCommitMs: Number(process.env.GC ?? 2) }); if (r.claimed === 0) break; } return performance.now() - t; };
await plain(); await fill(1000); await deliver();
for (let i = 0; i < 3; i++) { await fill(1000); sink.clear(); const d = await deliver(); sink.clear(); const p = await plain(); console.log("plain", p.toFixed(0), "deliver", d.toFixed(0)); }
if (process.env.PROF) {
  await fill(2000);
  const session = new Session(); session.connect(); await session.post("Profiler.enable"); await session.post("Profiler.start");
  await deliver();
  const { profile } = await session.post("Profiler.stop");
  writeFileSync("/tmp/prof/deliver.cpuprofile", JSON.stringify(profile));
}
console.log(JSON.stringify((await import("../../packages/smtp-resolver/src/outbox.ts")).__t));
tr.close(); sender.close(); await sink.stop(); store.close();
