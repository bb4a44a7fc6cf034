/**
 * Every `mailreg` command. Adding one: a new file in `commands/` and one line here.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { configSchemaCommand, configValidateCommand } from "./commands/config.ts";
import { initCommand } from "./commands/init.ts";
import { keysGenerateCommand, keysRotateCommand } from "./commands/keys.ts";
import { mailboxesCheckCommand, mailboxesListCommand, mailboxesSyncCommand } from "./commands/mailboxes.ts";
import { mailboxesAddCommand } from "./commands/mailboxes-add.ts";
import { mailboxesRerouteCommand } from "./commands/mailboxes-reroute.ts";
import { messagesExportCommand, messagesListCommand, messagesShowCommand } from "./commands/messages.ts";
import { outboxCopyToSentCommand } from "./commands/outbox.ts";
import {
  registrationsApplyCommand,
  registrationsExportCommand,
  registrationsImportCommand,
  registrationsListCommand,
  registrationsRejectCommand,
  registrationsShowCommand,
} from "./commands/registrations.ts";
import { serveCommand } from "./commands/serve.ts";
import { smtpResolveCommand } from "./commands/smtp.ts";
import { startCommand } from "./commands/start.ts";
import { workerCommand } from "./commands/worker.ts";

/** The commands, in the order `mailreg help` lists them. */
export const COMMANDS: readonly Command[] = [
  initCommand,
  startCommand,
  serveCommand,
  workerCommand,
  configValidateCommand,
  configSchemaCommand,
  keysGenerateCommand,
  keysRotateCommand,
  registrationsListCommand,
  registrationsShowCommand,
  registrationsApplyCommand,
  registrationsRejectCommand,
  registrationsExportCommand,
  registrationsImportCommand,
  mailboxesListCommand,
  mailboxesAddCommand,
  mailboxesCheckCommand,
  mailboxesSyncCommand,
  mailboxesRerouteCommand,
  outboxCopyToSentCommand,
  messagesListCommand,
  messagesShowCommand,
  messagesExportCommand,
  smtpResolveCommand,
];
