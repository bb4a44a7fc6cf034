import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSmtpSink } from "@mailreg/mailservers";
import { deliverDue, enqueue, Sender } from "@mailreg/smtp-resolver";
import * as st from "@mailreg/store";
import { makeProfile, makeRegistration } from "@mailreg/store/testing";
import { newId } from "@mailreg/core";
const dir = await mkdtemp(join(tmpdir(), "p-"));
const store = await st.openStore({ url: `file:${join(dir, "o.db")}` });
const sink = await startSmtpSink();
await st.upsertInstances(store, [{ id: "b", label: "B" }]);
const record = await st.insertRegistration(store, makeRegistration({ address: "ann@bench.example" }));
const { mailbox } = await st.applyRegistration(store, { id: record.id, instanceId: "b", actor: "b", profile: makeProfile(record) });
const target = { settings: { host: sink.host, port: sink.port, tls: { verify: true } }, credentials: { method: "none" as const } };
for (let round = 0; round < 3; round++) {
  for (let i = 0; i < 1000; i++) await enqueue(store, { mailboxId: mailbox.id, raw: `Message-ID: <${newId()}@x>\r\nFrom: ann@bench.example\r\nTo: r@x.example\r\nSubject: ${i}\r\n\r\n${"Line xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n".repeat(30)}` });
  const sender = new Sender({ maxConnections: 1, maxMessages: 1000 });
  const t = performance.now();
  let t2 = 0;
  for (;;) {
    const a = performance.now();
    const r = await deliverDue(store, sender, { targetFor: async () => target, limit: 200, window: 32 });
    t2 += performance.now() - a;
    if (r.claimed === 0) break;
  }
  console.log("round", round, (performance.now() - t).toFixed(0), "ms");
  sender.close();
  sink.clear();
}
await sink.stop();
store.close();
