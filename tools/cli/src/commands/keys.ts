/**
 * `mailreg keys generate` and `mailreg keys rotate`.
 *
 * Rotation makes a new key pair current, re-seals every stored secret (registrations and mailboxes)
 * to it, and only then retires the old private keys; if re-sealing fails, nothing is retired and
 * both keys keep working, so the rotation can simply be run again.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { MailregError } from "@mailreg/core";
import { generateRegistryKey, inspectSealed, rotateKeys, writeKeyPair } from "@mailreg/crypto-registry";
import { appendAudit, iterateSealed, replaceSealed } from "@mailreg/store";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { actorName, configContext, withStore } from "../context.ts";
import { block, emit } from "../output.ts";
import { startProgress } from "../progress.ts";

export const keysGenerateCommand: Command = {
  words: ["keys", "generate"],
  summary: "Create the registry key pair the config names (refuses to replace one: use rotate)",
  usage: "keys generate [--config FILE] [--json]",
  async run(argv, io) {
    const { values } = parse(argv, {});
    const { config } = await configContext(io, values.config);
    if (existsSync(config.keys.publicKeyFile)) {
      throw new MailregError(
        "KEY_EXISTS",
        `${config.keys.publicKeyFile} exists; use \`mailreg keys rotate\` to replace the registry key`,
      );
    }
    const key = await generateRegistryKey();
    const privateFile = await writeKeyPair(key, {
      publicKeyFile: config.keys.publicKeyFile,
      privateKeyDir: config.keys.privateKeyDir,
      ...(config.keys.passphrase === undefined ? {} : { passphrase: config.keys.passphrase }),
    });
    const result = { kid: key.kid, publicKeyFile: config.keys.publicKeyFile, privateKeyFile: privateFile };
    emit(io, values.json, result, () =>
      block([
        ["kid", result.kid],
        ["public key", result.publicKeyFile],
        ["private key", result.privateKeyFile],
      ]),
    );
    return 0;
  },
};

export const keysRotateCommand: Command = {
  words: ["keys", "rotate"],
  summary: "Make a new registry key current and re-seal every stored secret to it",
  usage: "keys rotate [--actor NAME] [--config FILE] [--json]",
  async run(argv, io) {
    const { values } = parse(argv, { actor: { type: "string" } });
    const { config } = await configContext(io, values.config);
    const result = await withStore(config, async (store) => {
      const total = await _countSealed(store.client);
      const progress = startProgress(io, "re-seal", total, "secrets");
      try {
        const rotated = await rotateKeys({
          publicKeyFile: config.keys.publicKeyFile,
          privateKeyDir: config.keys.privateKeyDir,
          ...(config.keys.passphrase === undefined ? {} : { passphrase: config.keys.passphrase }),
          reseal: async (resealOne) => {
            let done = 0;
            for await (const entry of iterateSealed(store)) {
              const sealed = await resealOne(entry.sealed, {
                registrationId: entry.bindingId,
                address: entry.address,
              });
              if (sealed !== entry.sealed) {
                const { kid } = inspectSealed(sealed);
                await replaceSealed(store, entry.table, entry.id, {
                  keyId: kid,
                  sealed,
                  previous: entry.sealed,
                });
              }
              progress.update(++done);
            }
          },
        });
        await appendAudit(store, {
          actor: actorName(io, values.actor),
          action: "keys.rotate",
          subjectType: "registry-key",
          subjectId: rotated.newKid,
          details: { oldKid: rotated.oldKid, resealed: rotated.resealed, retired: rotated.retired },
        });
        return rotated;
      } finally {
        progress.stop();
      }
    });
    emit(io, values.json, result, () =>
      block([
        ["old kid", result.oldKid],
        ["new kid", result.newKid],
        ["re-sealed", result.resealed],
        ["retired", result.retired.join(", ") || "-"],
      ]),
    );
    return 0;
  },
};

async function _countSealed(client: { execute(sql: string): Promise<{ rows: ArrayLike<unknown>[] }> }) {
  const r = await client.execute(
    "select (select count(*) from registrations) + (select count(*) from mailboxes) as n",
  );
  return Number(r.rows[0]?.[0] ?? 0);
}
