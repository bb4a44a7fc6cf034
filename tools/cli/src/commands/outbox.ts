/**
 * `mailreg outbox copy-to-sent ID`: copies a sent message into its mailbox's Sent folder again, after
 * the copy failed (the worker logged it at warn level; the admin's mailbox page lists it). Never sends.
 *
 * @module
 */
import { copyToSentNow } from "@mailreg/worker";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { configContext, keyringFor, withStore } from "../context.ts";
import { emit } from "../output.ts";
import { UsageError } from "../usage-error.ts";

export const outboxCopyToSentCommand: Command = {
  words: ["outbox", "copy-to-sent"],
  summary: "Copy a sent message into its mailbox's Sent folder again (after the copy failed); sends nothing",
  usage: "outbox copy-to-sent OUTBOX-ID [--json]",
  async run(argv, io) {
    const { values, positionals } = parse(argv, {});
    if (positionals.length !== 1) throw new UsageError("expected exactly one outbox message id");
    const id = positionals[0]!;
    const { config } = await configContext(io, values.config);
    const keyring = await keyringFor(config);
    const folder = await withStore(config, (store) =>
      copyToSentNow({ config, store, keyring, env: io.env }, id),
    );
    emit(io, values.json, { id, sentFolder: folder ?? null }, () =>
      folder === undefined
        ? `${id}: the mailbox has no Sent folder (POP3, or none configured or marked \\Sent): nothing copied\n`
        : `${id}: copied to ${folder}\n`,
    );
    return 0;
  },
};
