#!/usr/bin/env node
// A plain Node program outside the repository imports the built packages: a temporary folder whose
// node_modules links to the workspace's, a .mjs file importing @mailreg/core, @mailreg/crypto-registry
// and @mailreg/store without any export condition (so Node takes the built dist/), run with plain node.
// Interim: `npm test` runs this until the real consumer check, scripts/check-consumer.mjs (tarballs
// installed outside the repository), passes on main; then this file goes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "mailreg-consumer-"));
try {
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  writeFileSync(
    join(dir, "main.mjs"),
    `import { normalizeAddress, validateConfig } from "@mailreg/core";
import { generateRegistryKey, importPublicKey, createKeyring, seal, open, importPrivateKey } from "@mailreg/crypto-registry";
import { openStore, countRegistrations } from "@mailreg/store";
const address = normalizeAddress("Ann@Bücher.Example");
const config = validateConfig({});
const k = await generateRegistryKey();
const pub = await importPublicKey(k.publicJwk);
const priv = await importPrivateKey(k.privateJwk);
const profile = { v: 1, address, protocol: "imap", host: "imap.example.com", port: 993, security: "tls", login: address, auth: { method: "password", password: "pw" } };
const binding = { registrationId: "0193a3f0-0000-7000-8000-000000000000", address };
const jwe = await seal(profile, pub, binding);
const back = await open(jwe, createKeyring(pub, [priv]), binding);
const store = await openStore({ url: "file::memory:" });
const n = await countRegistrations(store);
store.close();
console.log(JSON.stringify({ address, port: config.server.port, opened: back.login === address, registrations: n, from: import.meta.resolve("@mailreg/core") }));
`,
  );
  const r = spawnSync(process.execPath, ["main.mjs"], { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) {
    console.error(`A plain Node consumer could not use the built packages:\n${r.stderr}`);
    process.exit(1);
  }
  const out = JSON.parse(r.stdout);
  if (!out.from.includes("/dist/")) {
    console.error(`@mailreg/core resolved to ${out.from}, not to its built dist/`);
    process.exit(1);
  }
  console.log(`plain Node consumer ok: ${r.stdout.trim()}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
