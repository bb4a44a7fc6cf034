/**
 * `mailreg smtp resolve ADDRESS`: which SMTP server a mailbox sends through, and why.
 *
 * @module
 */
import {
  explainResolution,
  type MailboxDirectory,
  resolveForAddress,
  summarizeResolution,
} from "@mailreg/smtp-resolver";
import { storeMailboxDirectory } from "@mailreg/store";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { configContext, withStore } from "../context.ts";
import { emit } from "../output.ts";
import { UsageError } from "../usage-error.ts";

export const smtpResolveCommand: Command = {
  words: ["smtp", "resolve"],
  summary:
    "Explain which SMTP server a mailbox sends through (mailbox → company → instance → default); exit 1 if none",
  usage: "smtp resolve ADDRESS [--instance X] [--json]",
  async run(argv, io) {
    const { values, positionals } = parse(argv, { instance: { type: "string" } });
    if (positionals.length !== 1) throw new UsageError("expected exactly one SMTP address");
    const { config } = await configContext(io, values.config);
    const resolution = await withStore(config, (store) => {
      // the store's mailboxes as smtp-resolver's directory port (the assignment checks the shape)
      const directory: MailboxDirectory = storeMailboxDirectory(store);
      return resolveForAddress(config, positionals[0]!, {
        directory,
        ...(values.instance === undefined ? {} : { instanceId: values.instance }),
      });
    });
    const { mailbox } = resolution;
    const out = {
      address: mailbox.address,
      mailbox: mailbox.id,
      instance: mailbox.instanceId,
      ...summarizeResolution(resolution),
    };
    emit(io, values.json, out, () =>
      explainResolution(resolution, `${mailbox.address} (instance ${mailbox.instanceId})`),
    );
    return resolution.resolved ? 0 : 1;
  },
};
