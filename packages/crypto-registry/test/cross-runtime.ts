// Seals or opens a connection profile with the key files, under Node or Deno, to prove that both
// runtimes read each other's sealed values and key files.
//
//   seal <publicKeyFile> <registrationId>                  profile JSON on stdin → JWE on stdout
//   open <publicKeyFile> <privateKeyDir> <registrationId> <address>
//                                                         JWE on stdin → profile JSON on stdout
//
// The passphrase, if any, comes from MAILREG_KEY_PASSPHRASE (never from the command line). Sealing
// binds to the profile's address. A MailregError ends it with exit code 1 and "CODE: message" on stderr. Run with `node --import tsx test/cross-runtime.ts`
// or `npx deno run -A test/cross-runtime.ts`.
import process from "node:process";
import { MailregError } from "@mailreg/core";
import { loadKeyring, loadPublicKey, open, seal } from "../src/mod.ts";

async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
  return new TextDecoder().decode(Buffer.concat(chunks)).trim();
}

const [command, ...args] = process.argv.slice(2);
const passphrase = process.env.MAILREG_KEY_PASSPHRASE;
const runtime = "Deno" in globalThis ? "deno" : "node";
try {
  if (command === "seal" && args.length === 2) {
    const [publicKeyFile = "", registrationId = ""] = args;
    const profile = JSON.parse(await readStdin());
    const jwe = await seal(profile, await loadPublicKey(publicKeyFile), {
      registrationId,
      address: profile.address,
    });
    process.stdout.write(`${jwe}\n`);
  } else if (command === "open" && args.length === 4) {
    const [publicKeyFile = "", privateKeyDir = "", registrationId = "", address = ""] = args;
    const jwe = await readStdin();
    const keyring = await loadKeyring({
      publicKeyFile,
      privateKeyDir,
      ...(passphrase ? { passphrase } : {}),
    });
    const profile = await open(jwe, keyring, { registrationId, address });
    process.stdout.write(`${JSON.stringify({ runtime, profile })}\n`);
  } else {
    process.stderr.write(
      "usage: cross-runtime.ts seal <publicKeyFile> <registrationId> | open <publicKeyFile> <privateKeyDir> <registrationId> <address>\n",
    );
    process.exit(2);
  }
} catch (error) {
  // One line with the stable code, so a caller can tell failures apart under either runtime.
  if (!(error instanceof MailregError)) throw error;
  process.stderr.write(`${error.code}: ${error.message}\n`);
  process.exit(1);
}
