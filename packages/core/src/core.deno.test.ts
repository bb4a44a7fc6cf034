// Deno smoke test of the public API: the same source runs under Deno 2 as under Node.
import assert from "node:assert/strict";
import {
  isMailregError,
  loadConfig,
  newId,
  normalizeAddress,
  type RegistrationRecord,
  readRegistrationFile,
  validateConfig,
  writeRegistrationFile,
} from "./mod.ts";
import { sampleRegistration } from "./testing.ts";

Deno.test("validateConfig() reports a window that ends before it starts at its path", () => {
  assert.throws(
    () =>
      validateConfig({
        registration: { windows: [{ from: "2025-03-02T10:00:00Z", until: "2025-03-01T10:00:00Z" }] },
      }),
    (error: unknown) =>
      isMailregError(error, "CONFIG_INVALID") &&
      JSON.stringify(error.details?.issues) ===
        JSON.stringify([{ path: "registration.windows[0].until", message: "must be after from" }]),
  );
});

Deno.test("loadConfig() reads a file and environment overrides under Deno", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/mailreg.config.json`, JSON.stringify({ server: { port: 1 } }));
    const { config, found } = await loadConfig({ cwd: dir, env: { MAILREG_WORKER__CONCURRENCY: "2" } });
    assert.equal(found, true);
    assert.equal(config.server.port, 1);
    assert.equal(config.worker.concurrency, 2);
    assert.equal(config.database.url, `file:${dir}/data/mailreg.db`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("normalizeAddress() IDNA-encodes the domain and keeps the local part", () => {
  assert.equal(normalizeAddress(" Jörg@Bücher.Example "), "Jörg@xn--bcher-kva.example");
  assert.throws(
    () => normalizeAddress("a@b@c"),
    (e: unknown) => isMailregError(e, "ADDRESS_INVALID"),
  );
});

Deno.test("a registration file round-trips through Web streams", async () => {
  const records = [sampleRegistration(), sampleRegistration({ address: "bob@example.org", id: newId() })];
  const file = await readRegistrationFile(writeRegistrationFile(records, { keyId: "k1" }));
  assert.equal(file.header.keyId, "k1");
  const back: RegistrationRecord[] = [];
  for await (const r of file.records) back.push(r);
  assert.deepEqual(back, records);
});
