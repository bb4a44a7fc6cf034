/**
 * The SMTP precedence chain (myfactory's order): the mailbox's own settings (or its server
 * template's SMTP counterpart), then the company's, then the instance's, then the default. The
 * first usable level wins; the result says which, and why each earlier one was passed over.
 *
 * Pure: no I/O, no secret opened. Whether a level can log in is decided from the clear fields only
 * (the mailbox's login and auth method); the password or token is fetched at send time.
 *
 * @module
 */
import {
  type Config,
  MailregError,
  type SmtpAuthMethod,
  type SmtpSettings,
  SmtpSettingsSchema,
} from "@mailreg/core";
import type { SendingMailbox } from "./ports.ts";
import { type EffectiveSecurity, effectiveSecurity } from "./security.ts";
import { type SmtpWarning, smtpWarnings } from "./warnings.ts";

/** The levels of the chain, in the order they are tried. */
export const SMTP_LEVELS = ["mailbox", "company", "instance", "default"] as const;
/** One level of the chain. */
export type SmtpLevel = (typeof SMTP_LEVELS)[number];

/** Why a level was passed over. */
export type PassOverReason =
  | "not-set"
  | "disabled"
  | "missing-host"
  | "invalid"
  | "missing-credentials"
  | "unknown-template"
  | "unknown-instance";

/** A level (or one source of the mailbox level) that was passed over, and why. */
export interface PassedOver {
  level: SmtpLevel;
  /** `mailbox`, `template:<id>`, `company`, `instance:<id>` or `default`. */
  source: string;
  reason: PassOverReason;
  /** A sentence for the administrator. */
  detail: string;
}

/** SMTP settings as a level may hold them before validation (the host may still be missing). */
export type SmtpSettingsInput = Omit<(typeof SmtpSettingsSchema)["_zod"]["input"], "host"> & {
  host?: string;
};

/** The clear fields of a mailbox the chain looks at (a {@link SendingMailbox} has them all). */
export type SmtpMailbox = Pick<
  SendingMailbox,
  "id" | "address" | "instanceId" | "template" | "login" | "authMethod" | "smtp"
>;

/** Where the login of the resolved server comes from. */
export type CredentialSource = "level" | "mailbox" | "none";

/** The resolved server as it will be used: safe to show (holds no secret). */
export interface EffectiveSmtp {
  host: string;
  port: number;
  security: EffectiveSecurity;
  /** Whether `security` was set explicitly or follows from the port. */
  securitySource: "explicit" | "port";
  tls: { verify: boolean; servername?: string };
  auth: {
    method: SmtpAuthMethod;
    /** The login name used (absent for method none). */
    user?: string;
    /** `level`: the level's own user and password; `mailbox`: the mailbox's password or OAuth 2.0 grant. */
    credentials: CredentialSource;
  };
  /** The envelope sender used instead of the message's, if the level sets one. */
  from?: string;
}

/** A chain with a winner. `settings` is the level's validated config and may hold its password. */
export interface ResolvedSmtp {
  resolved: true;
  level: SmtpLevel;
  source: string;
  settings: SmtpSettings;
  effective: EffectiveSmtp;
  passedOver: PassedOver[];
  warnings: SmtpWarning[];
}

/** A chain where no level is usable. */
export interface UnresolvedSmtp {
  resolved: false;
  passedOver: PassedOver[];
  warnings: SmtpWarning[];
}

/** The outcome of {@link resolve}. */
export type SmtpResolution = ResolvedSmtp | UnresolvedSmtp;

/** A named source whose value was looked for but does not exist. */
export interface MissingSource {
  id: string;
  missing: true;
}

/** Everything the chain looks at. */
export interface ResolveInput {
  /** The mailbox that sends: its login and auth method serve levels that set no password. */
  mailbox?: SmtpMailbox;
  /** The mailbox's own SMTP settings, if it has any. */
  own?: SmtpSettingsInput;
  /** The mailbox's server template (its `smtp` is the counterpart), or a template id not in the config. */
  template?: { id: string; smtp?: SmtpSettingsInput | undefined } | MissingSource;
  /** The company level (config `smtp.company`). */
  company?: SmtpSettingsInput;
  /** The mailbox's instance (its `smtp` is the instance level), or an instance id not in the config. */
  instance?: { id: string; smtp?: SmtpSettingsInput | undefined } | MissingSource;
  /** The default level (config `smtp.default`). */
  default?: SmtpSettingsInput;
}

type _Candidate =
  | { level: SmtpLevel; source: string; value: SmtpSettingsInput }
  | { level: SmtpLevel; source: string; reason: PassOverReason; detail: string };

/**
 * Walks mailbox → company → instance → default and returns the first usable level.
 *
 * A level is passed over when it is not set, disabled, has no host, does not validate, or cannot
 * log in: a method that needs a password where neither the level nor the mailbox has one, or
 * XOAUTH2 for a mailbox without an OAuth 2.0 grant. A level that names a method but no password
 * logs in with the mailbox's own credentials (its login, or `auth.user` when set).
 *
 * @param input the mailbox and the settings of each level
 * @returns the winner with its effective settings and warnings, and every level passed over before it
 * @example
 * ```ts
 * import { resolve } from "@mailreg/smtp-resolver";
 * const r = resolve({
 *   company: { enabled: false, host: "smtp.corp.example", port: 587 },
 *   default: { host: "localhost", port: 25 },
 * });
 * console.log(r.resolved && r.level, r.passedOver.map((p) => `${p.level}: ${p.reason}`));
 * // default [ "mailbox: not-set", "company: disabled", "instance: not-set" ]
 * ```
 */
export function resolve(input: ResolveInput): SmtpResolution {
  const passedOver: PassedOver[] = [];
  for (const candidate of _candidates(input)) {
    if ("reason" in candidate) {
      passedOver.push({ ...candidate });
      continue;
    }
    const outcome = _evaluate(candidate.value, input.mailbox);
    if ("reason" in outcome) {
      passedOver.push({ level: candidate.level, source: candidate.source, ...outcome });
      continue;
    }
    const { settings, effective } = outcome;
    return {
      resolved: true,
      level: candidate.level,
      source: candidate.source,
      settings,
      effective,
      passedOver,
      warnings: smtpWarnings({
        host: effective.host,
        port: effective.port,
        security: { security: effective.security, source: effective.securitySource },
        authMethod: effective.auth.method,
        tls: effective.tls,
      }),
    };
  }
  return { resolved: false, passedOver, warnings: [] };
}

/**
 * Resolves the chain for a mailbox from the config: its own settings (`own`, else `mailbox.smtp`),
 * its server template (by `mailbox.template`), `smtp.company`, its instance's `smtp` and `smtp.default`.
 *
 * @param config the config
 * @param mailbox the mailbox that sends
 * @param own the mailbox's own SMTP settings (default `mailbox.smtp`)
 * @returns the resolution
 */
export function resolveFromConfig(
  config: Config,
  mailbox: SmtpMailbox,
  own?: SmtpSettingsInput,
): SmtpResolution {
  const input: ResolveInput = { mailbox };
  const ownSettings = own ?? mailbox.smtp;
  if (ownSettings !== undefined) input.own = ownSettings;
  if (mailbox.template !== null) {
    const template = config.servers.find((s) => s.id === mailbox.template);
    input.template = template === undefined ? { id: mailbox.template, missing: true } : template;
  }
  if (config.smtp.company !== undefined) input.company = config.smtp.company;
  const instance = config.instances.find((i) => i.id === mailbox.instanceId);
  input.instance = instance === undefined ? { id: mailbox.instanceId, missing: true } : instance;
  if (config.smtp.default !== undefined) input.default = config.smtp.default;
  return resolve(input);
}

/**
 * The winner of a resolution, or an error listing why every level was passed over.
 *
 * @param resolution a resolution
 * @returns the resolved server
 * @throws {MailregError} SMTP_NOT_CONFIGURED with `details.passedOver`
 */
export function requireResolved(resolution: SmtpResolution): ResolvedSmtp {
  if (resolution.resolved) return resolution;
  const reasons = resolution.passedOver.map((p) => `${p.source}: ${p.detail}`).join("; ");
  throw new MailregError("SMTP_NOT_CONFIGURED", `No SMTP server is usable (${reasons})`, {
    details: { passedOver: resolution.passedOver },
  });
}

function _candidates(input: ResolveInput): _Candidate[] {
  const out: _Candidate[] = [];
  if (input.own !== undefined) out.push({ level: "mailbox", source: "mailbox", value: input.own });
  const t = input.template;
  if (t === undefined) {
    if (input.own === undefined) {
      out.push({
        level: "mailbox",
        source: "mailbox",
        reason: "not-set",
        detail: "the mailbox has no SMTP settings of its own and no server template",
      });
    }
  } else if ("missing" in t) {
    out.push({
      level: "mailbox",
      source: `template:${t.id}`,
      reason: "unknown-template",
      detail: `server template "${t.id}" is not in the config`,
    });
  } else if (t.smtp === undefined) {
    out.push({
      level: "mailbox",
      source: `template:${t.id}`,
      reason: "not-set",
      detail: `server template "${t.id}" has no SMTP counterpart`,
    });
  } else {
    out.push({ level: "mailbox", source: `template:${t.id}`, value: t.smtp });
  }

  out.push(
    input.company === undefined
      ? { level: "company", source: "company", reason: "not-set", detail: "smtp.company is not set" }
      : { level: "company", source: "company", value: input.company },
  );

  const i = input.instance;
  if (i === undefined) {
    out.push({ level: "instance", source: "instance", reason: "not-set", detail: "no instance was given" });
  } else if ("missing" in i) {
    out.push({
      level: "instance",
      source: `instance:${i.id}`,
      reason: "unknown-instance",
      detail: `instance "${i.id}" is not in the config`,
    });
  } else if (i.smtp === undefined) {
    out.push({
      level: "instance",
      source: `instance:${i.id}`,
      reason: "not-set",
      detail: `instance "${i.id}" has no SMTP settings`,
    });
  } else {
    out.push({ level: "instance", source: `instance:${i.id}`, value: i.smtp });
  }

  out.push(
    input.default === undefined
      ? { level: "default", source: "default", reason: "not-set", detail: "smtp.default is not set" }
      : { level: "default", source: "default", value: input.default },
  );
  return out;
}

type _Evaluation =
  | { settings: SmtpSettings; effective: EffectiveSmtp }
  | { reason: PassOverReason; detail: string };

function _evaluate(value: SmtpSettingsInput, mailbox: SmtpMailbox | undefined): _Evaluation {
  if (value.enabled === false) return { reason: "disabled", detail: "turned off (enabled: false)" };
  if (typeof value.host !== "string" || value.host.trim() === "") {
    return { reason: "missing-host", detail: "no host is set" };
  }
  const parsed = SmtpSettingsSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    return { reason: "invalid", detail: `the settings are not valid (${problems.join("; ")})` };
  }
  const settings = parsed.data;
  const login = _login(settings, mailbox);
  if ("reason" in login) return login;
  const security = effectiveSecurity(settings);
  const effective: EffectiveSmtp = {
    host: settings.host,
    port: settings.port,
    security: security.security,
    securitySource: security.source,
    tls:
      settings.tls.servername === undefined
        ? { verify: settings.tls.verify }
        : { verify: settings.tls.verify, servername: settings.tls.servername },
    auth: login,
  };
  if (settings.from !== undefined) effective.from = settings.from;
  return { settings, effective };
}

function _login(
  settings: SmtpSettings,
  mailbox: SmtpMailbox | undefined,
): EffectiveSmtp["auth"] | { reason: "missing-credentials"; detail: string } {
  const { method, user, password } = settings.auth;
  const missing = (detail: string) => ({ reason: "missing-credentials" as const, detail });
  if (method === "none") return { method, credentials: "none" };
  if (method === "xoauth2") {
    if (mailbox === undefined)
      return missing("XOAUTH2 needs a mailbox's OAuth 2.0 grant, and no mailbox was given");
    if (mailbox.authMethod !== "oauth2") {
      return missing(`XOAUTH2 needs an OAuth 2.0 grant, but ${mailbox.address} signs in with a password`);
    }
    return { method, user: user ?? mailbox.login, credentials: "mailbox" };
  }
  if (password !== undefined) {
    if (user === undefined) return missing(`a password is set for ${method} but no user`);
    return { method, user, credentials: "level" };
  }
  if (mailbox === undefined) {
    return missing(`${method} needs a user and password: none is set here and no mailbox was given`);
  }
  if (mailbox.authMethod !== "password") {
    return missing(
      `${method} needs a password, but ${mailbox.address} signs in with OAuth 2.0: use xoauth2 or set user and password here`,
    );
  }
  return { method, user: user ?? mailbox.login, credentials: "mailbox" };
}
