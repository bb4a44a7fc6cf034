/**
 * The source registry: protocol → connector. Adding a source is one new file exporting a
 * {@link SourceConnector} (see `defineSource`) and one line here; the sync engine, the mailbox check,
 * config validation (a server template's `protocol`, its default port) and the registration form's
 * protocol choice all ask this Map.
 *
 * @module
 */
import type { SourceConnector } from "./connector.ts";
import { imapSource } from "./imap-source.ts";
import { pop3Source } from "./pop3-source.ts";

/** Every source mailreg knows, by the profile's `protocol`. */
export const SOURCES: ReadonlyMap<string, SourceConnector> = new Map<string, SourceConnector>([
  ["imap", imapSource],
  ["pop3", pop3Source],
]);
