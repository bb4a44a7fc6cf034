import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as st from "@mailreg/store";
import { makeProfile, makeRegistration } from "@mailreg/store/testing";
import { newId } from "@mailreg/core";
const dir = await mkdtemp(join(tmpdir(), "p-"));
const store = await st.openStore({ url: `file:${join(dir, "o.db")}` });
await st.upsertInstances(store, [{ id: "b", label: "B" }]);
const record = await st.insertRegistration(store, makeRegistration({ address: "ann@bench.example" }));
const { mailbox } = await st.applyRegistration(store, { id: record.id, instanceId: "b", actor: "b", profile: makeProfile(record) });
const ids: string[] = [];
for (let i = 0; i < 3000; i++) { const id = newId(); ids.push(id); await st.insertOutboxMessage(store, { id, mailboxId: mailbox.id, messageId: `<${id}@x>`, raw: new Uint8Array(2000), envelope: { from: "a", to: ["b"] } }); }
let k = 0;
for (const size of [1, 4, 16, 64]) {
  const t = performance.now(); let n = 0;
  while (n < 600) { await st.markOutboxSent(store, ids.slice(k, k + size).map((id) => ({ id, at: new Date(), response: "250 ok" }))); k += size; n += size; }
  console.log("batch", size, ((performance.now() - t) / n).toFixed(3), "ms/row");
}
let t = performance.now();
for (let i = 0; i < 200; i++) await st.writeTransaction(store, async () => {});
console.log("empty tx", ((performance.now() - t) / 200).toFixed(3), "ms");
t = performance.now();
for (let i = 0; i < 200; i++) await st.getOutboxMessage(store, ids[i]!);
console.log("select by id", ((performance.now() - t) / 200).toFixed(3), "ms");
store.close();
