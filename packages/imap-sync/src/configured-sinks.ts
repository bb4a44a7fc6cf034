/**
 * The sinks a config names (top-level `sinks`, by id), built for the worker, the admin's re-run and
 * dead-letter retry. A webhook's HMAC secret is read from the environment variable the config names;
 * it never appears in an error or log.
 *
 * @module
 */
import { MailregError, type SinkConfigEntry } from "@mailreg/core";
import type { Sink } from "./sink.ts";
import { createSink } from "./sinks.ts";

/**
 * Builds every configured sink, named by its config id (what routing rules, `message_sinks` and
 * dead letters call it).
 *
 * @param sinks the config's `sinks`
 * @param env the environment holding the webhook secrets (the process's, at the edge)
 * @returns the sinks, in the config's order
 * @throws {MailregError} CONFIG_INVALID when a webhook's secret variable is unset or empty (by name only)
 * @example
 * ```ts
 * import { sinksFromConfig } from "@mailreg/imap-sync";
 * const sinks = sinksFromConfig(
 *   { crm: { kind: "webhook", url: "https://crm.example.org/hook", secretEnv: "CRM_HOOK_SECRET" } },
 *   { CRM_HOOK_SECRET: "s3cret" },
 * );
 * console.log(sinks.map((s) => s.id)); // ["crm"]
 * ```
 */
export function sinksFromConfig(
  sinks: Readonly<Record<string, SinkConfigEntry>>,
  env: Readonly<Record<string, string | undefined>>,
): Sink[] {
  const missing: { path: string; message: string }[] = [];
  const out: Sink[] = [];
  for (const [id, entry] of Object.entries(sinks)) {
    if (entry.kind === "maildir") {
      out.push(createSink({ kind: "maildir", root: entry.root }, id));
      continue;
    }
    const secret = env[entry.secretEnv];
    if (secret === undefined || secret === "") {
      missing.push({
        path: `sinks.${id}.secretEnv`,
        message: `the environment variable ${entry.secretEnv} (the webhook's HMAC secret) is not set`,
      });
      continue;
    }
    out.push(
      createSink(
        {
          kind: "webhook",
          url: entry.url,
          secret,
          ...(entry.attempts === undefined ? {} : { attempts: entry.attempts }),
          ...(entry.backoffMs === undefined ? {} : { backoffMs: entry.backoffMs }),
          ...(entry.timeoutMs === undefined ? {} : { timeoutMs: entry.timeoutMs }),
        },
        id,
      ),
    );
  }
  if (missing.length > 0) {
    throw new MailregError(
      "CONFIG_INVALID",
      `A configured sink cannot be built: ${missing.map((m) => `${m.path}: ${m.message}`).join("; ")}`,
      { details: { issues: missing } },
    );
  }
  return out;
}
