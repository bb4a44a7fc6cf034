/**
 * `mailreg mailboxes reroute ADDRESS|ID`: re-run the current routing rules of the mailbox's
 * instance over its stored messages, once: each message goes to the sinks the rules now choose
 * that it has not reached yet (a message already delivered to a sink is never delivered again, so
 * a second run delivers nothing more). Runs under the mailbox's lease and is audited; while a
 * worker holds the mailbox (collecting it, or watching it with IDLE) it leaves a request that
 * worker serves after its run. Webhook secrets come from the environment variables the config names.
 *
 * @module
 */
import { rerouteMailboxNow } from "@mailreg/worker";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { actorName, configContext, keyringFor, withStore } from "../context.ts";
import { block, emit } from "../output.ts";
import { UsageError } from "../usage-error.ts";
import { findMailbox } from "./mailboxes.ts";

export const mailboxesRerouteCommand: Command = {
  words: ["mailboxes", "reroute"],
  summary:
    "Apply the current routing rules to a mailbox's stored messages once (nothing is delivered to a sink twice)",
  usage: "mailboxes reroute ADDRESS|ID [--instance X] [--actor NAME] [--json]",
  async run(argv, io) {
    const { values, positionals } = parse(argv, { instance: { type: "string" }, actor: { type: "string" } });
    if (positionals.length !== 1) throw new UsageError("expected exactly one mailbox id or address");
    const { config } = await configContext(io, values.config);
    const keyring = await keyringFor(config);
    const out = await withStore(config, async (store) => {
      const mailbox = await findMailbox(store, positionals[0]!, values.instance);
      const result = await rerouteMailboxNow({ config, store, keyring, env: io.env }, mailbox.id, {
        actor: actorName(io, values.actor),
      });
      return { mailboxId: mailbox.id, address: mailbox.address, ...result };
    });
    if (!out.ran) {
      emit(
        io,
        values.json,
        out,
        () =>
          `${out.address}: a worker is collecting or watching it; it applies the rules after its current run\n`,
      );
      return 0;
    }
    emit(io, values.json, out, () =>
      block([
        ["mailbox", `${out.address} (${out.mailboxId})`],
        ["messages", out.messages],
        ["delivered", out.delivered],
        ["failed", out.failed === 0 ? 0 : `${out.failed} (kept as dead letters)`],
        ["unchanged", out.unchanged],
        [
          "purged",
          out.skippedPurged === 0 ? undefined : `${out.skippedPurged} (raw source purged: not sent)`,
        ],
      ]),
    );
    return out.failed === 0 ? 0 : 1;
  },
};
