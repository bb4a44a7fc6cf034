import { ImapFlow } from "imapflow";
import { readFileSync } from "node:fs";
const ca = readFileSync("/tmp/dvtest/cert.pem");
for (const pass of ["secret", "bad", "secret", "bad", "bad", "secret"]) {
const t0 = Date.now();
const c = new ImapFlow({ host: "127.0.0.1", port: 14301, secure: false, tls: { ca, servername: "localhost" }, auth: { user: "alice", pass }, logger: false });
try { await c.connect(); console.log(pass, "ok", Date.now()-t0); await c.logout(); } catch (e) { console.log(pass, "fail", e.responseText, Date.now()-t0); }
}
