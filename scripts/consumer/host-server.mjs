// A host application, as a user of @mailreg/registration writes it: its own Hono app (on the hono
// version the host chose) with the registration app mounted under /mail. The consumer check copies
// this file into a project that installed the tarballs and runs it there; the file's imports resolve in
// that project, never in the repository. It prints one JSON line when it listens, then the host
// logger's lines (`{"host-log": …}`) as they come; the registration app must write nothing else.
//
// Settings come from the environment: HOST_DIR (a folder for the database), HOST_IMAP_PORT and
// HOST_POP3_PORT (the servers the two offered templates point at), HOST_ADMIN_USER,
// HOST_ADMIN_PASSWORD, HOST_API_TOKEN.
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { hashPassword, hashToken, validateConfig } from "@mailreg/core";
import {
  createKeyring,
  generateRegistryKey,
  importPrivateKey,
  importPublicKey,
} from "@mailreg/crypto-registry";
import { createApp } from "@mailreg/registration";
import { openStore } from "@mailreg/store";
import { Hono } from "hono";

const env = process.env;
const config = validateConfig({
  database: { url: `file:${join(env.HOST_DIR, "mailreg.db")}` },
  // two offered servers, so the form shows a choice (one alone is a hidden field)
  registration: { enabled: true, templates: ["company", "branch"] },
  servers: [
    {
      id: "company",
      label: "Company mail (IMAP)",
      protocol: "imap",
      host: "127.0.0.1",
      port: Number(env.HOST_IMAP_PORT),
      security: "starttls",
    },
    {
      id: "branch",
      label: "Branch office (POP3)",
      protocol: "pop3",
      host: "127.0.0.1",
      port: Number(env.HOST_POP3_PORT),
      security: "starttls",
    },
  ],
  admin: {
    users: [{ name: env.HOST_ADMIN_USER, passwordHash: await hashPassword(env.HOST_ADMIN_PASSWORD) }],
    tokens: [{ name: "host", hash: await hashToken(env.HOST_API_TOKEN) }],
  },
});
const key = await generateRegistryKey();
const keyring = createKeyring(await importPublicKey(key.publicJwk), [await importPrivateKey(key.privateJwk)]);
const store = await openStore({ url: config.database.url });

const logger = {
  info: (msg, fields) => console.log(JSON.stringify({ "host-log": { level: "info", msg, ...fields } })),
  warn: (msg, fields) => console.log(JSON.stringify({ "host-log": { level: "warn", msg, ...fields } })),
  error: (msg, fields) => console.log(JSON.stringify({ "host-log": { level: "error", msg, ...fields } })),
};

const host = new Hono();
host.get("/", (c) => c.text("the host's own page"));
const { app } = createApp({ config, store, keyring, logger });
host.route("/mail", app);

const server = serve({ fetch: host.fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
  console.log(JSON.stringify({ listening: `http://127.0.0.1:${info.port}` }));
});
for (const signal of ["SIGTERM", "SIGINT"])
  process.once(signal, () => {
    server.close();
    store.close();
    process.exit(0);
  });
