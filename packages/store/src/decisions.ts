/**
 * Deciding on a registration: apply it (it becomes, or updates, a mailbox of an instance) or reject it.
 * Each decision is one transaction together with its audit entry.
 *
 * @module
 */
import {
  addressKey,
  type ConnectionProfile,
  clearFieldsMismatch,
  DecisionSchema,
  MailregError,
  newId,
  type RegistrationRecord,
} from "@mailreg/core";
import { and, eq } from "drizzle-orm";
import { addressMatch, instanceCaseSensitive } from "./address-keys.ts";
import { appendAudit } from "./audit.ts";
import type { Mailbox } from "./mailboxes.ts";
import { registrationFromRow } from "./registrations.ts";
import { instances, mailboxes, registrations } from "./schema.ts";
import type { Store, StoreTx } from "./store.ts";
import { writeTransaction } from "./write-lock.ts";

/** Input of {@link applyRegistration}. */
export interface ApplyRegistrationInput {
  /** The registration to apply. */
  id: string;
  /** The instance it becomes a mailbox of. */
  instanceId: string;
  /** Who applies it (recorded in the decision and the audit log). */
  actor: string;
  /** When (default now). */
  now?: Date;
  /** The registration's sealed profile, opened by the caller; its clear fields must match the record's. */
  profile: ConnectionProfile;
  /**
   * Confirms replacing the login, server, auth method and secret of the instance's existing mailbox
   * of the address. Without it such an apply is refused with CONFLICT and the differences.
   */
  replace?: boolean;
}

/** One difference between an existing mailbox and the registration that would replace it. */
export interface MailboxChange {
  field: "login" | "protocol" | "host" | "port" | "security" | "template" | "authMethod" | "secret";
  /** The mailbox's value now (absent for the secret, which is never shown). */
  from?: string | number | null;
  /** The registration's value (absent for the secret). */
  to?: string | number | null;
}

/** Result of {@link applyRegistration}. */
export interface ApplyRegistrationResult {
  /** The mailbox as it is now. */
  mailbox: Mailbox;
  /** True when a new mailbox was made, false when the instance's mailbox of that address was updated. */
  created: boolean;
}

/**
 * Applies a pending registration into an instance, in one transaction: the instance's mailbox of the
 * registration's address is created, or, when it exists and `replace` confirms it, gets the new
 * connection fields and sealed credentials (new credentials overwrite old — never silently: without
 * `replace` the apply is refused with CONFLICT, `details.changes` listing what would change); the
 * registration is marked applied with the decision; an audit entry `registration.apply` is written
 * (with `replaced` and the changed fields when a mailbox was replaced). The mailbox keeps the registration's sealed string
 * (its credentials stay sealed at rest) and `registrationId`, the id that sealed string is bound to.
 *
 * @param store the open store
 * @param input registration, instance, actor, time and the opened profile
 * @returns the mailbox and whether it was created
 * @throws {MailregError} NOT_FOUND, REGISTRATION_NOT_PENDING, INSTANCE_UNKNOWN, PROFILE_MISMATCH
 *   (details.fields), CONFLICT (details.mailboxId, details.changes: an existing mailbox and no
 *   `replace`) or VALIDATION (actor); nothing changes then
 * @example
 * ```ts
 * import { applyRegistration, insertRegistration, openStore, upsertInstances } from "@mailreg/store";
 * import { makeProfile, makeRegistration } from "@mailreg/store/testing";
 * const store = await openStore({ url: "file::memory:" });
 * await upsertInstances(store, [{ id: "sales", label: "Sales" }]);
 * const record = await insertRegistration(store, makeRegistration({ address: "ann@example.com" }));
 * const { mailbox, created } = await applyRegistration(store, {
 *   id: record.id, instanceId: "sales", actor: "admin", profile: makeProfile(record),
 * });
 * console.log(mailbox.address, created); // ann@example.com true
 * store.close();
 * ```
 */
export async function applyRegistration(
  store: Store,
  input: ApplyRegistrationInput,
): Promise<ApplyRegistrationResult> {
  const now = input.now ?? new Date();
  const at = now.toISOString();
  _checkDecision({ by: input.actor, at, instance: input.instanceId });
  return await writeTransaction(store, async (tx) => {
    const record = await _pending(tx, input.id);
    const instance = await tx
      .select({ id: instances.id })
      .from(instances)
      .where(eq(instances.id, input.instanceId))
      .get();
    if (instance === undefined) {
      throw new MailregError("INSTANCE_UNKNOWN", `Instance ${input.instanceId} does not exist`, {
        details: { instance: input.instanceId },
      });
    }
    const mismatch = clearFieldsMismatch(record, input.profile);
    if (mismatch.length > 0) {
      throw new MailregError(
        "PROFILE_MISMATCH",
        `Registration ${record.id}'s clear fields differ from its sealed profile`,
        {
          details: { id: record.id, fields: mismatch },
        },
      );
    }
    const connection = {
      protocol: input.profile.protocol,
      template: input.profile.template ?? record.template ?? null,
      host: input.profile.host,
      port: input.profile.port,
      security: input.profile.security,
      login: input.profile.login,
      authMethod: input.profile.auth.method,
      keyId: record.keyId,
      sealed: record.sealed,
      registrationId: record.id,
      updatedAt: at,
      credentialsUpdatedAt: at,
    };
    // one mailbox per address key: `Ann@` finds `ann@` unless the instance compares case-sensitively
    const key = addressKey(record.address, {
      caseSensitive: await instanceCaseSensitive(tx, input.instanceId),
    });
    const candidates = await tx
      .select()
      .from(mailboxes)
      .where(and(eq(mailboxes.instanceId, input.instanceId), addressMatch([key], record.address)))
      .all();
    const existing = candidates.find((m) => m.address === record.address) ?? candidates[0];
    const changes = existing === undefined ? [] : mailboxChanges(existing, connection);
    if (existing !== undefined && input.replace !== true) {
      throw new MailregError(
        "CONFLICT",
        `${record.address} already has a mailbox in instance ${input.instanceId}: applying replaces its ${changes
          .map((c) => c.field)
          .join(", ")}; confirm the replacement`,
        { details: { mailboxId: existing.id, address: record.address, changes } },
      );
    }
    const mailbox =
      existing === undefined
        ? await tx
            .insert(mailboxes)
            .values({
              id: newId(),
              instanceId: input.instanceId,
              address: record.address,
              addressKey: key,
              displayName: record.displayName ?? null,
              createdAt: at,
              ...connection,
            })
            .returning()
            .get()
        : await tx
            .update(mailboxes)
            .set(
              record.displayName === undefined
                ? connection
                : { ...connection, displayName: record.displayName },
            )
            .where(eq(mailboxes.id, existing.id))
            .returning()
            .get();
    await tx
      .update(registrations)
      .set({
        status: "applied",
        decidedBy: input.actor,
        decidedAt: at,
        decidedInstance: input.instanceId,
        reason: null,
      })
      .where(eq(registrations.id, record.id))
      .run();
    const created = existing === undefined;
    await appendAudit(tx, {
      actor: input.actor,
      action: "registration.apply",
      subjectType: "registration",
      subjectId: record.id,
      details: {
        registrationId: record.id,
        mailboxId: mailbox.id,
        instance: input.instanceId,
        created,
        ...(created ? {} : { replaced: true, changes }),
      },
      at: now,
    });
    return { mailbox, created };
  });
}

/**
 * Rejects a pending registration, in one transaction with its audit entry `registration.reject`.
 *
 * @param store the open store
 * @param input registration, actor, optional reason, time
 * @returns the registration as it is now
 * @throws {MailregError} NOT_FOUND, REGISTRATION_NOT_PENDING or VALIDATION (actor, reason)
 */
export async function rejectRegistration(
  store: Store,
  input: { id: string; actor: string; reason?: string; now?: Date },
): Promise<RegistrationRecord> {
  const now = input.now ?? new Date();
  const at = now.toISOString();
  _checkDecision(
    input.reason === undefined ? { by: input.actor, at } : { by: input.actor, at, reason: input.reason },
  );
  return await writeTransaction(store, async (tx) => {
    const record = await _pending(tx, input.id);
    const row = await tx
      .update(registrations)
      .set({
        status: "rejected",
        decidedBy: input.actor,
        decidedAt: at,
        decidedInstance: null,
        reason: input.reason ?? null,
      })
      .where(eq(registrations.id, record.id))
      .returning()
      .get();
    await appendAudit(tx, {
      actor: input.actor,
      action: "registration.reject",
      subjectType: "registration",
      subjectId: record.id,
      details:
        input.reason === undefined
          ? { registrationId: record.id }
          : { registrationId: record.id, reason: input.reason },
      at: now,
    });
    return registrationFromRow(row);
  });
}

async function _pending(tx: StoreTx, id: string): Promise<RegistrationRecord> {
  const row = await tx.select().from(registrations).where(eq(registrations.id, id)).get();
  if (row === undefined)
    throw new MailregError("NOT_FOUND", `Registration ${id} does not exist`, { details: { id } });
  if (row.status !== "pending") {
    throw new MailregError("REGISTRATION_NOT_PENDING", `Registration ${id} is already ${row.status}`, {
      details: { id, status: row.status },
    });
  }
  return registrationFromRow(row);
}

function _checkDecision(decision: unknown): void {
  const parsed = DecisionSchema.safeParse(decision);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".")))];
    throw new MailregError("VALIDATION", `The decision is not valid (${fields.join(", ")})`, {
      details: { fields },
    });
  }
}

const _COMPARED = ["login", "protocol", "host", "port", "security", "template", "authMethod"] as const;

/**
 * What applying would change on an existing mailbox: each differing connection field with its old
 * and new value, and always the secret (the sealed credentials are replaced; their content is never
 * compared or shown).
 *
 * @param mailbox the mailbox as stored
 * @param next the connection fields the registration brings
 * @returns the changes
 */
export function mailboxChanges(
  mailbox: Pick<Mailbox, (typeof _COMPARED)[number]>,
  next: Pick<Mailbox, (typeof _COMPARED)[number]>,
): MailboxChange[] {
  const changes: MailboxChange[] = [];
  for (const field of _COMPARED) {
    const from = mailbox[field] ?? null;
    const to = next[field] ?? null;
    const same = field === "host" ? String(from).toLowerCase() === String(to).toLowerCase() : from === to;
    if (!same) changes.push({ field, from, to });
  }
  changes.push({ field: "secret" });
  return changes;
}
