import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { validateConfig } from "@mailreg/core";
import { generateRegistryKey, writeKeyPair } from "@mailreg/crypto-registry";
import { startRegistrationServer } from "@mailreg/registration/node";
const dir = mkdtempSync("/tmp/bsrv-");
const keys = { publicKeyFile: join(dir, "registry.public.jwk"), privateKeyDir: join(dir, "private") };
await writeKeyPair(await generateRegistryKey(), keys);
const config = validateConfig({ database: { url: `file:${join(dir, "m.db")}` }, keys, server: { host: "127.0.0.1", port: 18555 },
  registration: { enabled: true, templates: ["imap"], rateLimit: { max: 100_000_000, windowSeconds: 1 } },
  servers: [{ id: "imap", label: "IMAP", protocol: "imap", host: "imap.example.com" }] });
const s = await startRegistrationServer({ config, publicKeyOnly: true });
console.error("up", s.url);
setTimeout(() => { void s.close().then(() => process.exit(0)); }, 15000);
