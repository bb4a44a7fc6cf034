// Deno smoke tests: key generation, key files, sealing and opening run under Deno as they are.
import assert from "node:assert/strict";
import { MailregError } from "@mailreg/core";
import { generateRegistryKey } from "./key.ts";
import { inspectSealed, loadKeyring, open, rotateKeys, seal, writeKeyPair } from "./mod.ts";
import { testKeyring, testProfile } from "./testing.ts";

const binding = { registrationId: "0193a4f2-7c1e-7000-8000-000000000001", address: "ann@example.org" };

Deno.test("seal() and open() round-trip a profile under Deno", async () => {
  const keyring = await testKeyring();
  const jwe = await seal(testProfile(), keyring.publicKey, binding);
  assert.deepEqual(inspectSealed(jwe), { kid: keyring.publicKey.kid, ...binding });
  assert.deepEqual(await open(jwe, keyring, binding), testProfile());
});

Deno.test("open() under Deno refuses another key, a tampered tag and another address", async () => {
  const keyring = await testKeyring();
  const jwe = await seal(testProfile(), keyring.publicKey, binding);
  const code = (e: unknown) => (e instanceof MailregError ? e.code : String(e));
  await assert.rejects(open(jwe, await testKeyring(), binding), (e) => code(e) === "KEY_NOT_FOUND");
  const tag = jwe.slice(jwe.lastIndexOf(".") + 1);
  const tampered = `${jwe.slice(0, jwe.lastIndexOf(".") + 1)}${tag[0] === "A" ? "B" : "A"}${tag.slice(1)}`;
  await assert.rejects(open(tampered, keyring, binding), (e) => code(e) === "SEAL_TAMPERED");
  await assert.rejects(
    open(jwe, keyring, { ...binding, address: "bob@example.org" }),
    (e) => code(e) === "SEAL_BINDING_MISMATCH",
  );
});

Deno.test("key files written and rotated under Deno load again with mode 0600", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mailreg-deno-" });
  try {
    const files = { publicKeyFile: `${dir}/registry.pub.jwk`, privateKeyDir: `${dir}/private` };
    const key = await generateRegistryKey();
    const privateFile = await writeKeyPair(key, files);
    assert.equal((await Deno.stat(privateFile)).mode! & 0o777, 0o600);
    const jwe = await seal(testProfile(), (await loadKeyring(files)).publicKey, binding);
    let sealed = jwe;
    const result = await rotateKeys({
      ...files,
      reseal: async (resealOne) => {
        sealed = await resealOne(sealed, binding);
      },
    });
    assert.equal(result.oldKid, key.kid);
    const keyring = await loadKeyring(files);
    assert.deepEqual([...keyring.privateKeys.keys()], [result.newKid]);
    assert.deepEqual(await open(sealed, keyring, binding), testProfile());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
