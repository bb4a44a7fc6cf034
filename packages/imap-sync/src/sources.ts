/**
 * The source registry: protocol (or kind) → factory. Adding a source is one new file and one line here.
 *
 * @module
 */
import { imapSource } from "./imap-source.ts";
import { pop3Source } from "./pop3-source.ts";
import type { SourceFactory } from "./source.ts";

/** Every source mailreg knows, by the profile's `protocol`. */
export const SOURCES: ReadonlyMap<string, SourceFactory> = new Map<string, SourceFactory>([
  ["imap", imapSource],
  ["pop3", pop3Source],
]);
