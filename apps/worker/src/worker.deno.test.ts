// Deno smoke test: the worker schedules a mailbox, serves a "sync now", records a failed run with a
// clear error and backoff, counts it in its metrics and stops with no lease left — under Deno.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { type ConnectionProfile, jsonLogger, newId } from "@mailreg/core";
import { sampleConfig } from "@mailreg/core/testing";
import { seal } from "@mailreg/crypto-registry";
import { testKeyring } from "@mailreg/crypto-registry/testing";
import {
  applyRegistration,
  insertRegistration,
  listLeases,
  mailboxSyncState,
  openStore,
  requestSync,
  upsertInstances,
} from "@mailreg/store";
import { createWorker } from "./mod.ts";

Deno.test("the worker collects on request and records a refused connection under Deno", async () => {
  // a port that accepts and closes at once: the IMAP greeting never comes
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const dir = await Deno.makeTempDir();
  const store = await openStore({ url: `file:${dir}/mailreg.db` });
  const keyring = await testKeyring();
  const lines: string[] = [];
  try {
    await upsertInstances(store, [
      { id: "main", label: "Main", settings: { schedule: { autoFetch: false } } },
    ]);
    const id = newId();
    const address = "ann@example.org";
    const clear = {
      address,
      protocol: "imap",
      host: "127.0.0.1",
      port,
      security: "none",
      login: "ann",
    } as const;
    const profile: ConnectionProfile = {
      v: 1,
      ...clear,
      auth: { method: "password", password: "pw-secret" },
    };
    await insertRegistration(store, {
      id,
      receivedAt: new Date().toISOString(),
      ...clear,
      authMethod: "password",
      status: "pending",
      keyId: keyring.publicKey.kid,
      sealed: await seal(profile, keyring.publicKey, { registrationId: id, address }),
    });
    const { mailbox } = await applyRegistration(store, { id, instanceId: "main", actor: "test", profile });
    const worker = createWorker({
      // a typed-in server on loopback: allowed here, so the connection itself is what fails
      config: sampleConfig({ registration: { allowPrivateNetworks: true, allowedPorts: [port] } }),
      store,
      keyring,
      tickMs: 100,
      timeoutMs: 2000,
      logger: jsonLogger((line) => lines.push(line)),
    });
    worker.start();
    await requestSync(store, mailbox.id, { actor: "admin" });
    let state = await mailboxSyncState(store, mailbox.id);
    for (let i = 0; i < 100 && state.status !== "failed"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = await mailboxSyncState(store, mailbox.id);
    }
    await worker.stop();
    assert.equal(state.status, "failed");
    assert.match(state.lastError?.code ?? "", /^MAIL_(CONNECTION_FAILED|PROTOCOL)$/);
    assert.equal(state.next.reason, "off");
    assert.deepEqual(await listLeases(store), []);
    assert.match(
      await worker.metrics.registry.metrics(),
      /mailreg_worker_errors_total\{mailbox="[^"]+",code="MAIL_/,
    );
    assert.ok(lines.some((l) => l.includes('"msg":"sync"') && l.includes('"status":"failed"')));
    assert.ok(!lines.join("\n").includes("pw-secret"));
  } finally {
    store.close();
    server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
