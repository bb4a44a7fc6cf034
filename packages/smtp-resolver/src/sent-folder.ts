/**
 * Where a sent message is copied so its owner sees it in "Sent" on every device. The worker wires an
 * IMAP implementation (`imapSentFolder` of the `@mailreg/smtp-resolver/imap-sent-folder` subpath,
 * which needs `imapflow`); without one, sent messages stay in the outbox, with status sent, for the
 * admin to see.
 *
 * @module
 */
import type { SendingMailbox } from "./ports.ts";

/** Where a copy went. */
export interface SentCopy {
  /** The folder path on the server, e.g. `Sent` or `INBOX.Sent Items`. */
  folder: string;
}

/** Copies a sent message into its mailbox's Sent folder. */
export interface SentFolderAppender {
  /**
   * Appends `raw` with `flags` to the mailbox's Sent folder.
   *
   * @param raw the message exactly as sent
   * @param flags e.g. `["\\Seen"]`
   * @param mailbox the mailbox that sent it
   * @returns the folder, or undefined when the mailbox has no Sent folder (nothing was copied)
   */
  append(raw: Uint8Array, flags: readonly string[], mailbox: SendingMailbox): Promise<SentCopy | undefined>;
}
