/**
 * The checks of a registration beyond its shape: the address (syntax, normalisation, allowed
 * domains), the server (an offered template, or a typed-in server where the config allows it and
 * the private-network policy does not refuse it). Every problem is reported at once, per field.
 *
 * @module
 */
import {
  addressDomain,
  type Config,
  HostSchema,
  isMailregError,
  networkPolicy,
  normalizeAddress,
  type Protocol,
  type Security,
  type TlsPolicy,
} from "@mailreg/core";
import { SOURCES } from "@mailreg/imap-sync";
import type { ResolveHost } from "../deps.ts";
import { type FieldErrors, fieldsError } from "../http/field-errors.ts";
import { checkHostPolicy } from "./network-policy.ts";
import type { RegistrationBody } from "./registration-body.ts";

/** The server a registration names, resolved. */
export interface ChosenServer {
  protocol: Protocol;
  host: string;
  port: number;
  security: Security;
  /** The template id, when one was chosen. */
  template?: string;
  /** The certificate policy (the template's; typed-in servers verify). */
  tls: TlsPolicy;
}

/** A registration that passed every check. */
export interface CheckedRegistration {
  address: string;
  displayName?: string;
  login: string;
  password: string;
  server: ChosenServer;
}

/**
 * The normalised address, or undefined with the problem recorded in `fields.address`.
 *
 * @param address the address as typed
 * @param allowed the allowed domains (normalised; empty allows any)
 * @param fields where a problem is recorded
 * @param unusual whether quoted local parts, address literals and dotless domains are accepted
 *   (`registration.allowUnusualAddresses`); they are valid in RFC 5321 but nearly always a trick
 * @returns the normalised address, or undefined
 */
export function checkAddress(
  address: string,
  allowed: readonly string[],
  fields: FieldErrors,
  unusual = false,
): string | undefined {
  try {
    const normalized = normalizeAddress(address);
    const domain = addressDomain(normalized);
    if (!unusual && (normalized.startsWith('"') || domain.startsWith("[") || !domain.includes("."))) {
      fields.address = { code: "address-unusual" };
      return undefined;
    }
    if (allowed.length > 0 && !allowed.includes(addressDomain(normalized))) {
      fields.address = { code: "domain-not-allowed" };
      return undefined;
    }
    return normalized;
  } catch (error) {
    if (!isMailregError(error, "ADDRESS_INVALID")) throw error;
    fields.address = { code: "address-invalid", reason: String(error.details?.reason) };
    return undefined;
  }
}

async function _server(
  body: RegistrationBody,
  config: Config,
  resolveHost: ResolveHost | undefined,
  fields: FieldErrors,
): Promise<ChosenServer | undefined> {
  const offered = config.servers.filter((s) => config.registration.templates.includes(s.id));
  if (body.server !== undefined) {
    if (!config.registration.allowCustomServer) {
      fields.server = { code: "custom-server-not-allowed" };
      return undefined;
    }
    if (body.template !== undefined) fields.template = { code: "invalid" };
    const { protocol, host, security } = body.server;
    if (!HostSchema.safeParse(host).success) {
      fields["server.host"] = { code: "host-invalid" };
      return undefined;
    }
    const port = body.server.port ?? SOURCES.get(protocol)?.defaultPort(security);
    if (port === undefined) {
      fields["server.protocol"] = { code: "invalid" }; // no registered source (the body schema admits only those)
      return undefined;
    }
    if (security === "none" && !config.registration.allowInsecureServers) {
      fields["server.security"] = { code: "insecure-not-allowed" };
    }
    const refused = await checkHostPolicy(host, port, { policy: networkPolicy(config), resolveHost });
    if (refused !== undefined)
      fields[refused === "port-not-allowed" ? "server.port" : "server.host"] = { code: refused };
    return { protocol, host, port, security, tls: { verify: true } };
  }
  const id = body.template ?? (offered.length === 1 ? offered[0]?.id : undefined);
  const template = offered.find((s) => s.id === id);
  if (template === undefined) {
    fields.template = { code: id === undefined ? "required" : "unknown-template" };
    return undefined;
  }
  const { protocol, host, port, security, tls } = template;
  return { protocol, host, port, security, template: template.id, tls };
}

/**
 * Checks a registration body against the config.
 *
 * @param body the validated body
 * @param options the config, and a resolver for typed-in host names
 * @returns the checked registration (address normalised, login defaulted, server resolved)
 * @throws {MailregError} VALIDATION with `details.fieldErrors`
 */
export async function checkSubmission(
  body: RegistrationBody,
  options: { config: Config; resolveHost?: ResolveHost | undefined },
): Promise<CheckedRegistration> {
  const fields: FieldErrors = {};
  const { allowedDomains, allowUnusualAddresses } = options.config.registration;
  const address = checkAddress(body.address, allowedDomains, fields, allowUnusualAddresses);
  const server = await _server(body, options.config, options.resolveHost, fields);
  if (address === undefined || server === undefined || Object.keys(fields).length > 0) {
    throw fieldsError("VALIDATION", fields);
  }
  const login = body.login?.trim() || address;
  return {
    address,
    ...(body.displayName?.trim() ? { displayName: body.displayName.trim() } : {}),
    login,
    password: body.password,
    server,
  };
}
