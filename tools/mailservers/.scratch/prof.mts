import { generateMessages } from "../src/messages.ts";
import { seedMaildir } from "../src/seed.ts";
import fs from "node:fs";
const gen = [...generateMessages({ count: 10_000, seed: 42, minSize: 2000, maxSize: 6000 })];
const dir = fs.mkdtempSync(process.env.WDIR ?? "/tmp/wbench-");
const fake = { separator: "/" as const, doveadm: async () => `${dir}/x\n` };
for (let k = 0; k < 3; k++) {
const r = await seedMaildir(fake, "alice", "INBOX", gen);
console.log(r.messagesPerSecond, Math.round(r.elapsedMs));
fs.rmSync(`${dir}/x`, { recursive: true });
}
