import { startDovecot } from "/work/main/tools/mailservers/src/dovecot.ts";
import { seedMaildir, createFolders } from "/work/main/tools/mailservers/src/seed.ts";
import { generateMessages } from "/work/main/tools/mailservers/src/messages.ts";
import { ImapFlow } from "imapflow";
const d = await startDovecot({ users: [{ user: "alice", password: "pw-alice" }] });
let t = performance.now();
const gen = [...generateMessages({ count: 10_000, seed: 42, minSize: 2000, maxSize: 6000 })];
console.log("generate ms", Math.round(performance.now() - t));
const r = await seedMaildir(d, "alice", "INBOX", gen);
console.log(r);
console.log(await createFolders(d, "alice", ["Firma/Kundenbetreuung/kunden/a", "Projekte/v1.2"]));
const c = new ImapFlow({ host: d.host, port: d.imapPort, secure: false, tls: { ca: d.caPem, servername: "localhost" }, auth: { user: "alice", pass: "pw-alice" }, logger: false });
await c.connect();
t = performance.now();
const mb = await c.mailboxOpen("INBOX");
console.log("select ms", Math.round(performance.now() - t), mb.exists);
let bad = 0, i = 0;
for await (const m of c.fetch("1:*", { size: true, internalDate: true, flags: true, envelope: true })) {
  const g = gen[i++];
  if (m.size !== g.size || m.internalDate.getTime() !== Math.floor(g.internalDate.getTime()/1000)*1000 || m.envelope.subject !== g.subject) { if (bad++ < 3) console.log(m.seq, m.size, g.size, m.internalDate, g.internalDate, m.envelope.subject, g.subject, m.flags, g.flags); }
}
console.log("bad", bad);
console.log((await c.list()).map((m) => `${m.path} ${m.delimiter} ${m.specialUse ?? ""} ${m.subscribed} ${[...m.flags].join(",")}`).join("\n"));
await c.logout();
await d.stop();
