// A deliverer in its own process, for the outbox crash test: delivers the outbox of the database at
// argv[2] (smtp-resolver's deliverDue over the store's queue) to the SMTP server on 127.0.0.1:argv[3]
// until nothing is queued or claimed any more.
// Run: node --import tsx test/deliver-child.ts <db url> <port> <lease ms>
import { deliverDue, type Outbox, Sender } from "@mailreg/smtp-resolver";
import { countOutbox, openStore, storeOutbox } from "@mailreg/store";

const [url, port, lease] = process.argv.slice(2);
const store = await openStore({ url: url ?? "" });
const outbox: Outbox = storeOutbox(store);
const sender = new Sender();
const targetFor = async () => ({
  settings: { host: "127.0.0.1", port: Number(port), tls: { verify: true } },
  credentials: { method: "none" as const },
});
for (;;) {
  const report = await deliverDue(outbox, sender, { targetFor, limit: 8, window: 4, leaseMs: Number(lease) });
  process.stdout.write(`${JSON.stringify({ claimed: report.claimed, sent: report.sent })}\n`);
  if (report.claimed > 0) continue;
  const counts = await countOutbox(store);
  if (counts.queued === 0 && counts.sending === 0) break;
  await new Promise((resolve) => setTimeout(resolve, 100)); // claims of a crashed deliverer expire
}
sender.close();
store.close();
