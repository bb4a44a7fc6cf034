/**
 * `mailreg mailboxes add ADDRESS --instance X --template T`: adds a mailbox of an instance with
 * app-only OAuth access (`instances[].oauthAppOnly`), where the tenant granted the app access to
 * every mailbox and no owner has anything to enter. It is registered and applied in one step, as an
 * administrator would on the admin page (pending registration, then apply: an audit entry, an
 * upsert by SMTP address); its sealed profile holds no secret, only the app-only marker.
 *
 * @module
 */
import { type ConnectionProfile, MailregError, newId, normalizeAddress } from "@mailreg/core";
import { seal } from "@mailreg/crypto-registry";
import { appOnlyProfileAuth } from "@mailreg/oauth";
import { applyRegistration, insertRegistration } from "@mailreg/store";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { actorName, configContext, keyringFor, withStore } from "../context.ts";
import { emit } from "../output.ts";
import { UsageError } from "../usage-error.ts";

export const mailboxesAddCommand: Command = {
  words: ["mailboxes", "add"],
  summary:
    "Add a mailbox of an instance with app-only OAuth access (no owner grant): registered and applied at once",
  usage: "mailboxes add ADDRESS --instance X --template T [--login L] [--name NAME] [--actor NAME] [--json]",
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      instance: { type: "string" },
      template: { type: "string" },
      login: { type: "string" },
      name: { type: "string" },
      actor: { type: "string" },
    });
    if (positionals.length !== 1) throw new UsageError("expected exactly one address");
    if (values.instance === undefined) throw new UsageError("--instance is required");
    if (values.template === undefined) throw new UsageError("--template is required");
    const { config } = await configContext(io, values.config);
    const instance = config.instances.find((i) => i.id === values.instance);
    if (instance === undefined) {
      throw new MailregError("NOT_FOUND", `No instance ${JSON.stringify(values.instance)} in the config`, {
        details: { instance: values.instance },
      });
    }
    if (instance.oauthAppOnly === undefined) {
      const message = `Instance ${JSON.stringify(instance.id)} has no oauthAppOnly: a mailbox with credentials of its own is registered by its owner on the registration page`;
      throw new MailregError("VALIDATION", message, { details: { instance: instance.id } });
    }
    const template = config.servers.find((s) => s.id === values.template);
    if (template === undefined) {
      throw new MailregError(
        "NOT_FOUND",
        `No server template ${JSON.stringify(values.template)} in the config`,
        {
          details: { template: values.template },
        },
      );
    }
    const address = normalizeAddress(positionals[0]!);
    const profile: ConnectionProfile = {
      v: 1,
      address,
      protocol: template.protocol,
      template: template.id,
      host: template.host,
      port: template.port,
      security: template.security,
      login: values.login ?? address,
      auth: appOnlyProfileAuth(instance.oauthAppOnly.provider),
    };
    const keyring = await keyringFor(config);
    const id = newId();
    const sealed = await seal(profile, keyring.publicKey, { registrationId: id, address });
    const actor = actorName(io, values.actor);
    const result = await withStore(config, async (store) => {
      await insertRegistration(store, {
        id,
        receivedAt: new Date().toISOString(),
        address,
        ...(values.name === undefined ? {} : { displayName: values.name }),
        protocol: profile.protocol,
        template: template.id,
        host: profile.host,
        port: profile.port,
        security: profile.security,
        login: profile.login,
        authMethod: "oauth2",
        status: "pending",
        keyId: keyring.publicKey.kid,
        sealed,
      });
      // the administrator names the mailbox on the command line: adding it again is a deliberate
      // replacement (it holds no secret, only the app-only marker), recorded as such in the audit log
      return await applyRegistration(store, { id, instanceId: instance.id, actor, profile, replace: true });
    });
    const out = {
      registration: id,
      mailbox: { id: result.mailbox.id, instance: instance.id, address, login: profile.login },
      provider: instance.oauthAppOnly.provider,
      created: result.created,
    };
    emit(
      io,
      values.json,
      out,
      () =>
        `${result.created ? "Added" : "Updated"} mailbox ${out.mailbox.id} (${address}) in instance ${instance.id}: app-only access through ${out.provider}\n`,
    );
    return 0;
  },
};
