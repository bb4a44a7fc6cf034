import { access, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expectMailregError, expectNoSecret } from "@mailreg/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateRegistryKey } from "./key.ts";
import { type KeyFilesOptions, loadKeyring, writeKeyPair } from "./key-files.ts";
import { inspectSealed, open } from "./open.ts";
import { reseal, rotateKeys } from "./rotate.ts";
import { seal } from "./seal.ts";
import { testKeyring, testProfile } from "./testing.ts";

const PASSPHRASE = "wombat-passphrase-17";

/** A stand-in for the caller's store: registration id → address and sealed profile. */
type Rows = Map<string, { address: string; sealed: string }>;

let dir: string;
let files: KeyFilesOptions;
let oldKid: string;
let rows: Rows;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-rotate-"));
  files = { publicKeyFile: join(dir, "registry.pub.jwk"), privateKeyDir: join(dir, "private") };
  const key = await generateRegistryKey();
  oldKid = key.kid;
  await writeKeyPair(key, files);
  const keyring = await loadKeyring(files);
  rows = new Map();
  for (const [i, address] of ["ann@example.org", "bob@example.org", "cy@example.org"].entries()) {
    const registrationId = `0193a4f2-7c1e-7000-8000-00000000000${i}`;
    const profile = testProfile({ address, login: address });
    rows.set(registrationId, {
      address,
      sealed: await seal(profile, keyring.publicKey, { registrationId, address }),
    });
  }
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

async function resealAll(
  rows: Rows,
  resealOne: (jwe: string, b: { registrationId: string; address: string }) => Promise<string>,
) {
  for (const [registrationId, row] of rows)
    row.sealed = await resealOne(row.sealed, { registrationId, address: row.address });
}

describe("reseal()", () => {
  it("moves a value to the new key with the same binding", async () => {
    const old = await testKeyring();
    const next = await testKeyring();
    const binding = { registrationId: "r1", address: "ann@example.org" };
    const jwe = await seal(testProfile(), old.publicKey, binding);
    const moved = await reseal(jwe, old, next.publicKey, binding);
    expect(inspectSealed(moved)).toEqual({ kid: next.publicKey.kid, ...binding });
    expect(await open(moved, next, binding)).toEqual(testProfile());
    await expectMailregError(
      reseal(jwe, old, next.publicKey, { ...binding, registrationId: "r2" }),
      "SEAL_BINDING_MISMATCH",
    );
  });
});

describe("rotateKeys()", () => {
  it("re-seals every value to a new key; old values still open while the callback runs", async () => {
    const before = new Map([...rows].map(([id, r]) => [id, r.sealed]));
    const result = await rotateKeys({
      ...files,
      reseal: async (resealOne) => {
        // Mid-rotation, a freshly loaded keyring has the new public key and both private keys.
        const during = await loadKeyring(files);
        expect(during.publicKey.kid).not.toBe(oldKid);
        expect(during.privateKeys.size).toBe(2);
        for (const [registrationId, row] of rows) {
          await open(row.sealed, during, { registrationId, address: row.address });
        }
        await resealAll(rows, resealOne);
      },
    });
    expect(result).toEqual({ oldKid, newKid: expect.any(String), resealed: 3, retired: [oldKid] });
    const after = await loadKeyring(files);
    expect(after.publicKey.kid).toBe(result.newKid);
    expect([...after.privateKeys.keys()]).toEqual([result.newKid]);
    for (const [registrationId, row] of rows) {
      expect(inspectSealed(row.sealed).kid).toBe(result.newKid);
      const profile = await open(row.sealed, after, { registrationId, address: row.address });
      expect(profile.address).toBe(row.address);
    }
    // The old key is retired: kept on disk, no longer loaded, so a value still sealed to it is refused.
    expect(await exists(join(files.privateKeyDir, "retired", `${oldKid}.jwk`))).toBe(true);
    expect(await exists(join(files.privateKeyDir, `${oldKid}.jwk`))).toBe(false);
    const [registrationId, address] = ["0193a4f2-7c1e-7000-8000-000000000000", "ann@example.org"];
    const stale = before.get(registrationId) ?? "";
    const error = await expectMailregError(open(stale, after, { registrationId, address }), "KEY_NOT_FOUND");
    expect(error.details).toEqual({ kid: oldKid });
  });

  it("retires nothing when the callback fails, and both keys keep working", async () => {
    const failure = new Error("database went away");
    const thrown = await rotateKeys({
      ...files,
      reseal: async (resealOne) => {
        const [registrationId, row] = [...rows][0] ?? ["", { address: "", sealed: "" }];
        row.sealed = await resealOne(row.sealed, { registrationId, address: row.address });
        throw failure;
      },
    }).catch((e: unknown) => e);
    expect(thrown).toBe(failure);
    expect(await exists(join(files.privateKeyDir, "retired"))).toBe(false);
    const keyring = await loadKeyring(files);
    expect(keyring.privateKeys.size).toBe(2);
    const kids = new Set<string>();
    for (const [registrationId, row] of rows) {
      kids.add(inspectSealed(row.sealed).kid);
      await open(row.sealed, keyring, { registrationId, address: row.address });
    }
    expect(kids.size).toBe(2); // one value on the new key, two still on the old one
  });

  it("after a failed rotation, the next one re-seals from both keys and retires both", async () => {
    await rotateKeys({ ...files, reseal: () => Promise.reject(new Error("interrupted")) }).catch(() => {});
    const result = await rotateKeys({ ...files, reseal: (resealOne) => resealAll(rows, resealOne) });
    expect(result.retired).toHaveLength(2);
    expect(result.retired).toContain(oldKid);
    expect((await readdir(join(files.privateKeyDir, "retired"))).sort()).toEqual(
      result.retired.map((kid) => `${kid}.jwk`).sort(),
    );
    expect([...(await loadKeyring(files)).privateKeys.keys()]).toEqual([result.newKid]);
  });

  it("protects the new private key with the passphrase", async () => {
    await rm(dir, { recursive: true, force: true });
    await writeKeyPair(await generateRegistryKey(), { ...files, passphrase: PASSPHRASE });
    const result = await rotateKeys({ ...files, passphrase: PASSPHRASE, reseal: async () => {} });
    const text = await readFile(join(files.privateKeyDir, `${result.newKid}.jwk`), "utf8");
    expect(JSON.parse(text)).toMatchObject({ format: "mailreg-private-key", kid: result.newKid });
    expectNoSecret(await expectMailregError(loadKeyring(files), "KEY_PASSPHRASE"), PASSPHRASE);
  });

  it("refuses to rotate where the current private key is not held, changing nothing", async () => {
    const site = { publicKeyFile: files.publicKeyFile, privateKeyDir: join(dir, "none") };
    const publicBefore = await readFile(files.publicKeyFile, "utf8");
    let called = false;
    await expectMailregError(
      rotateKeys({
        ...site,
        reseal: async () => {
          called = true;
        },
      }),
      "KEY_NOT_FOUND",
    );
    expect(called).toBe(false);
    expect(await readFile(files.publicKeyFile, "utf8")).toBe(publicBefore);
    expect(await exists(site.privateKeyDir)).toBe(false);
  });
});
