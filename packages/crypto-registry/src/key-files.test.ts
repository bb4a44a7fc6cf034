import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expectMailregError, expectNoSecret } from "@mailreg/core/testing";
import { decodeProtectedHeader } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateRegistryKey } from "./key.ts";
import { loadKeyring, loadPublicKey, writeKeyPair } from "./key-files.ts";
import { open } from "./open.ts";
import { PBES2_COUNT } from "./private-key-file.ts";
import { seal } from "./seal.ts";
import { testProfile } from "./testing.ts";

const PASSPHRASE = "wombat-passphrase-17";
const binding = { registrationId: "0193a4f2-7c1e-7000-8000-000000000001", address: "ann@example.org" };

let dir: string;
let files: { publicKeyFile: string; privateKeyDir: string };
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailreg-keys-"));
  files = { publicKeyFile: join(dir, "registry.pub.jwk"), privateKeyDir: join(dir, "private") };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe("writeKeyPair()", () => {
  it("writes the public key 0644 and the private key as <kid>.jwk 0600 in a 0700 directory", async () => {
    const key = await generateRegistryKey();
    const privateFile = await writeKeyPair(key, files);
    expect(privateFile).toBe(join(files.privateKeyDir, `${key.kid}.jwk`));
    expect(await mode(files.publicKeyFile)).toBe(0o644);
    expect(await mode(privateFile)).toBe(0o600);
    expect(await mode(files.privateKeyDir)).toBe(0o700);
    expect(JSON.parse(await readFile(files.publicKeyFile, "utf8"))).toEqual(key.publicJwk);
    expect(JSON.parse(await readFile(files.publicKeyFile, "utf8"))).not.toHaveProperty("d");
  });

  it("refuses to overwrite an existing key unless told to, and changes nothing", async () => {
    const first = await generateRegistryKey();
    await writeKeyPair(first, files);
    const error = await expectMailregError(writeKeyPair(await generateRegistryKey(), files), "KEY_EXISTS");
    expect(error.details).toEqual({ file: files.publicKeyFile });
    expect((await loadKeyring(files)).publicKey.kid).toBe(first.kid);

    const second = await generateRegistryKey();
    await writeKeyPair(second, { ...files, overwrite: true });
    const keyring = await loadKeyring(files);
    expect(keyring.publicKey.kid).toBe(second.kid);
    expect([...keyring.privateKeys.keys()].sort()).toEqual([first.kid, second.kid].sort());
  });

  it("with a passphrase, stores the private key only inside a PBES2 JWE", async () => {
    const key = await generateRegistryKey();
    const privateFile = await writeKeyPair(key, { ...files, passphrase: PASSPHRASE });
    const text = await readFile(privateFile, "utf8");
    const envelope = JSON.parse(text);
    expect(envelope).toMatchObject({ format: "mailreg-private-key", version: 1, kid: key.kid });
    expect(text).not.toContain(key.privateJwk.d);
    const header = decodeProtectedHeader(envelope.jwe);
    expect(header).toMatchObject({ alg: "PBES2-HS512+A256KW", enc: "A256GCM", kid: key.kid });
    expect(header.p2c).toBeGreaterThanOrEqual(600_000);
    expect(header.p2c).toBe(PBES2_COUNT);
    expect(await mode(privateFile)).toBe(0o600);
  });

  it("refuses an empty passphrase", async () => {
    await expectMailregError(
      writeKeyPair(await generateRegistryKey(), { ...files, passphrase: "" }),
      "KEY_PASSPHRASE",
    );
  });
});

describe("loadKeyring()", () => {
  it("opens what was sealed to the public key loaded from file", async () => {
    await writeKeyPair(await generateRegistryKey(), files);
    const jwe = await seal(testProfile(), await loadPublicKey(files.publicKeyFile), binding);
    expect(await open(jwe, await loadKeyring(files), binding)).toEqual(testProfile());
  });

  it("loads a protected private key with the right passphrase", async () => {
    const key = await generateRegistryKey();
    await writeKeyPair(key, { ...files, passphrase: PASSPHRASE });
    const keyring = await loadKeyring({ ...files, passphrase: PASSPHRASE });
    const jwe = await seal(testProfile(), keyring.publicKey, binding);
    expect(await open(jwe, keyring, binding)).toEqual(testProfile());
  });

  it("refuses a wrong or missing passphrase (KEY_PASSPHRASE) without quoting it", async () => {
    const key = await generateRegistryKey();
    await writeKeyPair(key, { ...files, passphrase: PASSPHRASE });
    const wrong = "not-the-wombat-passphrase";
    const error = await expectMailregError(loadKeyring({ ...files, passphrase: wrong }), "KEY_PASSPHRASE");
    expect(error.message).toContain(`${key.kid}.jwk`);
    expectNoSecret(error, wrong, PASSPHRASE, key.privateJwk.d ?? "d");
    expectNoSecret(await expectMailregError(loadKeyring(files), "KEY_PASSPHRASE"), PASSPHRASE);
  });

  it("in a process with only the public key file, holds no private key and cannot open anything", async () => {
    const key = await generateRegistryKey();
    await writeKeyPair(key, files);
    const site = { publicKeyFile: files.publicKeyFile, privateKeyDir: join(dir, "site-has-no-private-dir") };
    const admin = await loadKeyring(files);
    const siteKeyring = await loadKeyring(site);
    expect(siteKeyring.publicKey.kid).toBe(key.kid);
    expect(siteKeyring.privateKeys.size).toBe(0);
    const jwe = await seal(testProfile(), siteKeyring.publicKey, binding);
    await expectMailregError(open(jwe, siteKeyring, binding), "SEAL_NO_PRIVATE_KEY");
    expect(await open(jwe, admin, binding)).toEqual(testProfile());
  });

  it("names a garbage private key file without quoting its contents (KEY_INVALID)", async () => {
    await writeKeyPair(await generateRegistryKey(), files);
    const garbage = join(files.privateKeyDir, "broken.jwk");
    const contents = 'secret-material-9f3a {"d":';
    await writeFile(garbage, contents, { mode: 0o600 });
    const error = await expectMailregError(loadKeyring(files), "KEY_INVALID");
    expect(error.message).toContain(garbage);
    expectNoSecret(error, "secret-material-9f3a");
  });

  it("refuses a private key file that holds a public key, or is named after another kid", async () => {
    const key = await generateRegistryKey();
    await writeKeyPair(key, files);
    const stray = join(files.privateKeyDir, "other.jwk");
    await writeFile(stray, JSON.stringify(key.publicJwk), { mode: 0o600 });
    expect((await expectMailregError(loadKeyring(files), "KEY_INVALID")).message).toContain(stray);
    await writeFile(stray, JSON.stringify(key.privateJwk));
    expect((await expectMailregError(loadKeyring(files), "KEY_INVALID")).message).toMatch(
      /not named after its key id/,
    );
  });

  it("refuses to load a private key file that group or others may read, before reading it", async () => {
    const key = await generateRegistryKey();
    const file = await writeKeyPair(key, files);
    for (const loose of [0o644, 0o640, 0o604, 0o660, 0o601]) {
      await chmod(file, loose);
      const error = await expectMailregError(loadKeyring(files), "KEY_FILE_PERMISSIONS");
      expect(error.message).toContain(file);
      expect(error.details).toEqual({ file, mode: `0${loose.toString(8)}` });
    }
    for (const tight of [0o600, 0o400]) {
      await chmod(file, tight);
      expect([...(await loadKeyring(files)).privateKeys.keys()]).toEqual([key.kid]);
    }
    // a garbage file with loose permissions is refused for its mode: its contents were never parsed
    await writeFile(join(files.privateKeyDir, "zz-loose.jwk"), "not json at all", { mode: 0o644 });
    await chmod(join(files.privateKeyDir, "zz-loose.jwk"), 0o644);
    await expectMailregError(loadKeyring(files), "KEY_FILE_PERMISSIONS");
  });

  it("names a garbage public key file (KEY_INVALID) and a missing one (KEY_NOT_FOUND)", async () => {
    await expectMailregError(loadKeyring(files), "KEY_NOT_FOUND");
    await writeFile(files.publicKeyFile, "x-secret-public-garbage");
    const error = await expectMailregError(loadKeyring(files), "KEY_INVALID");
    expect(error.message).toContain(files.publicKeyFile);
    expectNoSecret(error, "x-secret-public-garbage");
  });
});
