/**
 * Types `inject("mailservers")` in tests: the module augmentation below applies as soon as any file
 * of the program imports `@mailreg/mailservers`.
 *
 * @module
 */

// loads vitest's types so that the augmentation below has a module to extend
import type {} from "vitest";
import type { MailServersInfo } from "./servers.ts";

declare module "vitest" {
  interface ProvidedContext {
    /** The servers the global setup started (see `MailServersInfo`). */
    mailservers: MailServersInfo;
  }
}
