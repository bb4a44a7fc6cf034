/**
 * The OAuth grant state of mailboxes whose auth method is `oauth2`: the worker records "must grant
 * again" when the provider answers `invalid_grant` (and "granted" once a token works again); the
 * admin sees it and sends the owner a new grant link.
 *
 * A state belongs to the grant it was found for: it is stored with the mailbox's `registrationId`
 * of that moment, and once a new registration is applied to the mailbox (a new grant) an older
 * state no longer counts and the mailbox reads as granted.
 *
 * @module
 */
import { MailregError } from "@mailreg/core";
import { eq } from "drizzle-orm";
import { mailboxes, oauthGrants } from "./schema.ts";
import type { Store } from "./store.ts";
import { writeTransaction } from "./write-lock.ts";

/** Where a mailbox's OAuth grant stands. */
export const GRANT_STATES = ["granted", "must-grant-again"] as const;
/** A value of {@link GRANT_STATES}. */
export type GrantState = (typeof GRANT_STATES)[number];

/** The grant state of one OAuth mailbox. */
export interface MailboxGrant {
  mailboxId: string;
  state: GrantState;
  /** Why, in words, as the worker recorded it; null when granted by a registration. */
  detail: string | null;
  /** When the worker recorded the state; null when nothing was recorded for the current grant. */
  since: string | null;
}

/** The longest `detail` kept, in characters. */
const _MAX_DETAIL = 500;

/**
 * Records a mailbox's grant state, for its current grant (see the module doc).
 *
 * @param store the open store
 * @param mailboxId the mailbox's id
 * @param state `must-grant-again` after `OAUTH_INVALID_GRANT`, `granted` once a token works again
 * @param detail why, in words (e.g. the OAuth server's error_description); never a token
 * @param now when (default now)
 * @throws {MailregError} NOT_FOUND when there is no such mailbox; VALIDATION for an unknown state
 * @example
 * ```ts ignore
 * import { isMailregError } from "@mailreg/core";
 * import { setGrantState } from "@mailreg/store";
 * try {
 *   accessToken = await mailboxAccessToken({ … });
 * } catch (error) {
 *   if (isMailregError(error, "OAUTH_INVALID_GRANT")) {
 *     await setGrantState(store, mailbox.id, "must-grant-again", String(error.details?.error_description ?? ""));
 *   }
 *   throw error;
 * }
 * ```
 */
export async function setGrantState(
  store: Store,
  mailboxId: string,
  state: GrantState,
  detail?: string,
  now: Date = new Date(),
): Promise<void> {
  if (!(GRANT_STATES as readonly string[]).includes(state)) {
    throw new MailregError("VALIDATION", `There is no grant state ${JSON.stringify(state)}`, {
      details: { state, known: GRANT_STATES },
    });
  }
  const kept = detail === undefined || detail === "" ? null : detail.slice(0, _MAX_DETAIL);
  await writeTransaction(store, async (tx) => {
    const mailbox = await tx
      .select({ registrationId: mailboxes.registrationId })
      .from(mailboxes)
      .where(eq(mailboxes.id, mailboxId))
      .get();
    if (mailbox === undefined) {
      throw new MailregError("NOT_FOUND", `Mailbox ${mailboxId} does not exist`, {
        details: { id: mailboxId },
      });
    }
    const row = { state, detail: kept, registrationId: mailbox.registrationId, updatedAt: now.toISOString() };
    await tx
      .insert(oauthGrants)
      .values({ mailboxId, ...row })
      .onConflictDoUpdate({ target: oauthGrants.mailboxId, set: row })
      .run();
  });
}

/** The columns a grant state is read from. */
const _COLUMNS = {
  mailboxId: mailboxes.id,
  current: mailboxes.registrationId,
  state: oauthGrants.state,
  detail: oauthGrants.detail,
  registrationId: oauthGrants.registrationId,
  updatedAt: oauthGrants.updatedAt,
};

/** A state recorded for an earlier grant (another registration) no longer counts. */
function _grant(r: {
  mailboxId: string;
  current: string;
  state: GrantState | null;
  detail: string | null;
  registrationId: string | null;
  updatedAt: string | null;
}): MailboxGrant {
  return r.state === null || r.registrationId !== r.current
    ? { mailboxId: r.mailboxId, state: "granted", detail: null, since: null }
    : { mailboxId: r.mailboxId, state: r.state, detail: r.detail, since: r.updatedAt };
}

/**
 * The grant state of every mailbox whose auth method is `oauth2`, by address then instance.
 *
 * @param store the open store
 * @returns one entry per OAuth mailbox
 */
export async function listGrantStates(store: Store): Promise<MailboxGrant[]> {
  const rows = await store.db
    .select(_COLUMNS)
    .from(mailboxes)
    .leftJoin(oauthGrants, eq(oauthGrants.mailboxId, mailboxes.id))
    .where(eq(mailboxes.authMethod, "oauth2"))
    .orderBy(mailboxes.address, mailboxes.instanceId)
    .all();
  return rows.map(_grant);
}

/**
 * The grant state of one mailbox (granted when nothing was recorded for its current grant).
 *
 * @param store the open store
 * @param mailboxId the mailbox's id
 * @returns its grant state
 * @throws {MailregError} NOT_FOUND when there is no such mailbox
 */
export async function getGrantState(store: Store, mailboxId: string): Promise<MailboxGrant> {
  const row = await store.db
    .select(_COLUMNS)
    .from(mailboxes)
    .leftJoin(oauthGrants, eq(oauthGrants.mailboxId, mailboxes.id))
    .where(eq(mailboxes.id, mailboxId))
    .get();
  if (row === undefined) {
    throw new MailregError("NOT_FOUND", `Mailbox ${mailboxId} does not exist`, {
      details: { id: mailboxId },
    });
  }
  return _grant(row);
}
