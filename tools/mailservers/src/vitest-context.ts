/**
 * What the global test setup provides to tests: `inject("mailservers")` is typed by the module
 * augmentation below as soon as any file of the program imports `@mailreg/mailservers`.
 *
 * @module
 */
import type { DovecotInfo } from "./dovecot.ts";
import type { MailUser } from "./passwd-file.ts";

// loads vitest's types so that the augmentation below has a module to extend
import type {} from "vitest";

/** The servers one test run shares (all on 127.0.0.1, all with the same test certificate). */
export interface MailServersInfo {
  /** Dovecot, separator '/', submission relaying to `smtpSink`, OAuth logins from `oauth`. */
  dovecot: DovecotInfo;
  /** The SMTP sink Dovecot's submission relays to: STARTTLS, AUTH optional, `reject-NNN@…` refused with NNN. */
  smtpSink: {
    host: "127.0.0.1";
    port: number;
    /** Each accepted message as a JSON file: read it with `readSpool` / `waitForSpool`. */
    spoolDir: string;
    /** Users that may log in to the sink (PLAIN, LOGIN, CRAM-MD5). */
    users: MailUser[];
  };
  /** The OAuth provider whose tokens Dovecot accepts; pass `email` to its token endpoint. */
  oauth: {
    issuer: string;
    tokenEndpoint: string;
    authorizationEndpoint: string;
    jwksUri: string;
    kid: string;
  };
}

declare module "vitest" {
  interface ProvidedContext {
    mailservers: MailServersInfo;
  }
}
