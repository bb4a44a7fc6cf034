/**
 * A resolution as the CLI, the admin API and the admin UI show it: a JSON-safe summary (never the
 * level's password) and a text explanation.
 *
 * @module
 */
import type { EffectiveSmtp, PassedOver, SmtpLevel, SmtpResolution } from "./resolve.ts";
import type { SmtpWarning } from "./warnings.ts";

/** What {@link summarizeResolution} returns: the resolution without anything secret. */
export interface ResolutionSummary {
  resolved: boolean;
  level?: SmtpLevel;
  source?: string;
  effective?: EffectiveSmtp;
  passedOver: PassedOver[];
  warnings: SmtpWarning[];
}

/**
 * The resolution without the level's settings (which may hold its password): safe to return from an
 * API or print with `--json`.
 *
 * @param resolution a resolution
 * @returns the summary
 */
export function summarizeResolution(resolution: SmtpResolution): ResolutionSummary {
  const { passedOver, warnings } = resolution;
  if (!resolution.resolved) return { resolved: false, passedOver, warnings };
  const { level, source, effective } = resolution;
  return { resolved: true, level, source, effective, passedOver, warnings };
}

const _SECURITY: Record<EffectiveSmtp["security"], string> = {
  tls: "implicit TLS",
  starttls: "STARTTLS, required",
  opportunistic: "STARTTLS when offered, else unencrypted",
  none: "no encryption",
};

/**
 * A few lines explaining which level won, how it connects and logs in, why each earlier level was
 * passed over, and the warnings (danger first, in capitals where the admin must not miss them).
 *
 * @param resolution a resolution
 * @param who the address the resolution is for, to name in the first line
 * @returns the explanation, ending in a newline
 * @example
 * ```ts
 * import { explainResolution, resolve } from "@mailreg/smtp-resolver";
 * console.log(explainResolution(resolve({ default: { host: "localhost", port: 25 } })));
 * ```
 */
export function explainResolution(resolution: SmtpResolution, who?: string): string {
  const lines: string[] = [];
  const subject = who === undefined ? "Mail" : who;
  if (resolution.resolved) {
    const e = resolution.effective;
    lines.push(
      `${subject} is sent through ${e.host}:${e.port} (level ${resolution.level}, from ${resolution.source})`,
    );
    lines.push(
      `  security:    ${_SECURITY[e.security]} (${e.securitySource === "port" ? `follows from port ${e.port}` : "set explicitly"})`,
    );
    lines.push(`  certificate: ${_certificate(e)}`);
    lines.push(`  login:       ${_login(e)}`);
    if (e.from !== undefined) lines.push(`  envelope:    MAIL FROM ${e.from}`);
  } else {
    lines.push(`${subject} cannot be sent: no level of the SMTP chain is usable`);
  }
  lines.push(resolution.passedOver.length === 0 ? "Passed over: none" : "Passed over:");
  for (const p of resolution.passedOver) lines.push(`  ${p.level} (${p.source}): ${p.reason}: ${p.detail}`);
  for (const w of [...resolution.warnings].sort((a, b) =>
    a.severity === b.severity ? 0 : a.severity === "danger" ? -1 : 1,
  )) {
    lines.push(`${w.severity === "danger" ? "DANGER" : "Warning"}: ${w.message}`);
  }
  return `${lines.join("\n")}\n`;
}

function _certificate(e: EffectiveSmtp): string {
  if (e.security === "none") return "not used (no TLS)";
  if (!e.tls.verify) return "NOT CHECKED";
  return e.tls.servername === undefined
    ? `checked against ${e.host}`
    : `checked against the alternative name ${e.tls.servername}`;
}

function _login(e: EffectiveSmtp): string {
  const { method, user, credentials } = e.auth;
  if (method === "none") return "none";
  const whose =
    credentials === "level"
      ? "the level's own password"
      : method === "xoauth2"
        ? "the mailbox's OAuth 2.0 grant"
        : "the mailbox's password";
  return `${method.toUpperCase()} as ${user ?? "?"} with ${whose}`;
}
