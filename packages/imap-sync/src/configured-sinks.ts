/**
 * The sinks a config names (top-level `sinks`, by id), built for the worker, the admin's re-run and
 * dead-letter retry, each by its kind's connector in `SINKS`. Secrets a sink needs (a webhook's HMAC
 * secret) are read from the environment variables the config names; they never appear in an error
 * or log.
 *
 * @module
 */
import { MailregError, type SinkConfigEntry, type ValidationIssue } from "@mailreg/core";
import type { SinkConnector } from "./connector.ts";
import type { Sink } from "./sink.ts";
import { createSink, SINKS } from "./sinks.ts";

/**
 * Builds every configured sink, named by its config id (what routing rules, `message_sinks` and
 * dead letters call it).
 *
 * @param sinks the config's `sinks`
 * @param env the environment holding the secrets the sinks name (the process's, at the edge)
 * @param registry the sink kinds; default {@link SINKS}
 * @returns the sinks, in the config's order
 * @throws {MailregError} CONFIG_INVALID listing every sink that cannot be built by its config path
 *   (`sinks.crm.secretEnv: …` when a webhook's secret variable is unset: by name only)
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
  registry: ReadonlyMap<string, SinkConnector> = SINKS,
): Sink[] {
  const problems: ValidationIssue[] = [];
  const out: Sink[] = [];
  for (const [id, entry] of Object.entries(sinks)) {
    try {
      out.push(createSink(entry, id, env, registry));
    } catch (error) {
      const issues = (error as MailregError).details?.issues;
      if (!(error instanceof MailregError) || error.code !== "CONFIG_INVALID" || !Array.isArray(issues)) {
        throw error;
      }
      for (const issue of issues as ValidationIssue[]) {
        problems.push({ path: `sinks.${id}.${issue.path}`, message: issue.message });
      }
    }
  }
  if (problems.length > 0) {
    throw new MailregError(
      "CONFIG_INVALID",
      `A configured sink cannot be built: ${problems.map((m) => `${m.path}: ${m.message}`).join("; ")}`,
      { details: { issues: problems } },
    );
  }
  return out;
}
