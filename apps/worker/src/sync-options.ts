/**
 * What the config says about collecting one mailbox, as `@mailreg/imap-sync` options: the server
 * template's certificate policy (verify, alternative name) and its Sent/Trash folders for servers
 * that do not mark them, the instance's folder policy, and delete after fetch forced by the
 * worker-wide override (MultiPOP's "always delete") or the instance, and the instance's routing
 * rules (the instance-wide ones and the mailbox's own, see `routingForMailbox`).
 *
 * @module
 */
import { type Config, networkPolicy } from "@mailreg/core";
import {
  type ConnectOptions,
  routingForMailbox,
  type SpecialUseOverrides,
  type SyncMailboxOptions,
  templateTls,
} from "@mailreg/imap-sync";
import type { Mailbox } from "@mailreg/store";

/** The config-derived part of a mailbox's sync options. */
export type ConfiguredSyncOptions = Pick<
  SyncMailboxOptions,
  "folderPolicy" | "specialUse" | "connect" | "alwaysDeleteAfterFetch" | "routing"
>;

/**
 * The sync options the config gives a mailbox.
 *
 * @param config the config
 * @param mailbox the mailbox (its template and instance ids)
 * @param extra certificates to trust besides the system's; the connect timeout
 * @returns folder policy, special-use overrides, connect options, the delete override and routing
 * @example
 * ```ts
 * import { sampleConfig } from "@mailreg/core/testing";
 * import { syncOptionsFor } from "@mailreg/worker";
 * const config = sampleConfig();
 * const options = syncOptionsFor(config, { template: config.servers[0]!.id, instanceId: "main" });
 * console.log(options.connect?.tls);
 * ```
 */
export function syncOptionsFor(
  config: Config,
  mailbox: Pick<Mailbox, "template" | "instanceId"> & { address?: string },
  extra: { ca?: string | string[]; timeoutMs?: number } = {},
): ConfiguredSyncOptions {
  const instance = config.instances.find((i) => i.id === mailbox.instanceId);
  const routing =
    mailbox.address === undefined ? instance?.routing : routingForMailbox(instance?.routing, mailbox.address);
  return {
    ...(routing === undefined ? {} : { routing }),
    connect: connectOptionsFor(config, mailbox, extra),
    specialUse: specialUseFor(config, mailbox),
    ...(instance === undefined ? {} : { folderPolicy: instance.folderPolicy }),
    alwaysDeleteAfterFetch: config.worker.alwaysDeleteAfterFetch || instance?.deleteAfterFetch === true,
  };
}

/**
 * The connect options of a mailbox: its template's certificate policy (a typed-in server is verified)
 * and the network policy (a typed-in server is resolved once per connection and only reached on an
 * address and port the policy allows; the configured templates are trusted).
 *
 * @param config the config
 * @param mailbox the mailbox (its template id)
 * @param extra certificates to trust besides the system's; the timeout
 * @returns the connect options
 */
export function connectOptionsFor(
  config: Config,
  mailbox: Pick<Mailbox, "template">,
  extra: { ca?: string | string[]; timeoutMs?: number } = {},
): Omit<ConnectOptions, "accessToken"> {
  return {
    tls: templateTls(config.servers.find((s) => s.id === mailbox.template)?.tls, extra.ca),
    policy: networkPolicy(config),
    ...(extra.timeoutMs === undefined ? {} : { timeoutMs: extra.timeoutMs }),
  };
}

/**
 * The Sent and Trash folders the mailbox's template names, for servers that do not mark them.
 *
 * @param config the config
 * @param mailbox the mailbox (its template id)
 * @returns the overrides (empty without a template or names)
 */
export function specialUseFor(config: Config, mailbox: Pick<Mailbox, "template">): SpecialUseOverrides {
  const template = config.servers.find((s) => s.id === mailbox.template);
  return {
    ...(template?.sentFolder === undefined ? {} : { "\\Sent": template.sentFolder }),
    ...(template?.trashFolder === undefined ? {} : { "\\Trash": template.trashFolder }),
  };
}
