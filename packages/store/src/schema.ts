/**
 * The database schema (drizzle sqlite-core), the single source of the SQL migrations in `drizzle/`.
 *
 * Conventions:
 * - Times are ISO-8601 UTC text as `Date#toISOString()` writes it (`2026-11-25T15:52:00.000Z`), in every
 *   table, leases included: one fixed-width format, so text comparison is time comparison. The one
 *   exception is `registrations.received_at` and `decided_at`, kept exactly as the registration record
 *   carries them (the file format allows an offset) so that an export reproduces the imported file.
 * - Ids are UUIDv7 text (sortable by creation time), except `audit_log.id` (an autoincrement integer).
 * - JSON columns are text holding JSON; booleans are integers 0/1.
 * - `sealed` columns hold JWE compact strings (see `@mailreg/crypto-registry`), never a clear secret.
 *   A registration's sealed profile is bound to the registration's id and address; a mailbox keeps the
 *   sealed string of the registration last applied to it, so its binding id is `mailboxes.registration_id`.
 *
 * @module
 */
import { desc, sql } from "drizzle-orm";
import {
  blob,
  check,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  unique,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

/** Mail server templates, mirrored from the config (the config is the source of truth). */
export const serverTemplates = sqliteTable("server_templates", {
  id: text("id").primaryKey(),
  label: text("label").notNull(),
  protocol: text("protocol").notNull(),
  host: text("host").notNull(),
  port: integer("port").notNull(),
  security: text("security", { enum: ["tls", "starttls", "none"] }).notNull(),
  /** Everything else the config says about the template (auth methods, certificate policy, SMTP). */
  extras: text("extras", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
  updatedAt: text("updated_at").notNull(),
});

/** Instances (the tenants mailboxes are applied into), mirrored from the config. */
export const instances = sqliteTable("instances", {
  id: text("id").primaryKey(),
  label: text("label").notNull(),
  /** The instance's settings from the config (folder policy, schedule, SMTP …). */
  settings: text("settings", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
  updatedAt: text("updated_at").notNull(),
});

/** Registrations: every field of `RegistrationRecord`, the decision as columns. */
export const registrations = sqliteTable(
  "registrations",
  {
    id: text("id").primaryKey(),
    receivedAt: text("received_at").notNull(),
    address: text("address").notNull(),
    displayName: text("display_name"),
    protocol: text("protocol").notNull(),
    template: text("template"),
    host: text("host").notNull(),
    port: integer("port").notNull(),
    security: text("security", { enum: ["tls", "starttls", "none"] }).notNull(),
    login: text("login").notNull(),
    authMethod: text("auth_method", { enum: ["password", "oauth2"] }).notNull(),
    status: text("status", { enum: ["pending", "applied", "rejected"] }).notNull(),
    decidedBy: text("decided_by"),
    decidedAt: text("decided_at"),
    decidedInstance: text("decided_instance"),
    reason: text("reason"),
    keyId: text("key_id").notNull(),
    sealed: text("sealed").notNull(),
  },
  (t) => [
    index("registrations_status_id").on(t.status, t.id),
    index("registrations_address").on(t.address),
    check("registrations_status_check", sql`${t.status} in ('pending', 'applied', 'rejected')`),
  ],
);

/** Mailboxes: applied registrations, one per (instance, normalised address). */
export const mailboxes = sqliteTable(
  "mailboxes",
  {
    id: text("id").primaryKey(),
    instanceId: text("instance_id")
      .notNull()
      .references(() => instances.id, { onDelete: "restrict" }),
    /** The normalised SMTP address (as the registration carries it), as first typed: for display. */
    address: text("address").notNull(),
    /**
     * What addresses are compared by (core's `addressKey`: local part lower-cased unless the instance
     * compares case-sensitively); unique per instance. Null only for a mailbox that, when this column
     * was added, differed from an older one of its instance only by case (reported by `migrate`, kept
     * as it was, found by its exact address).
     */
    addressKey: text("address_key"),
    displayName: text("display_name"),
    protocol: text("protocol").notNull(),
    /** The server template the profile named, if any (for its SMTP counterpart). */
    template: text("template"),
    host: text("host").notNull(),
    port: integer("port").notNull(),
    security: text("security", { enum: ["tls", "starttls", "none"] }).notNull(),
    login: text("login").notNull(),
    authMethod: text("auth_method", { enum: ["password", "oauth2"] }).notNull(),
    keyId: text("key_id").notNull(),
    /** The sealed profile, copied from the registration last applied (bound to `registrationId`). */
    sealed: text("sealed").notNull(),
    /** The registration last applied to this mailbox; the sealed profile's binding id. */
    registrationId: text("registration_id").notNull(),
    autoFetch: integer("auto_fetch", { mode: "boolean" }).notNull().default(true),
    /** Seconds between collections; null means the instance's (or worker's) default. */
    intervalSeconds: integer("interval_seconds"),
    deleteAfterFetch: integer("delete_after_fetch", { mode: "boolean" }).notNull().default(false),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    credentialsUpdatedAt: text("credentials_updated_at").notNull(),
  },
  (t) => [
    unique("mailboxes_instance_address").on(t.instanceId, t.address),
    uniqueIndex("mailboxes_instance_address_key").on(t.instanceId, t.addressKey),
  ],
);

/** Per-folder sync state of a mailbox. */
export const folderState = sqliteTable(
  "folder_state",
  {
    mailboxId: text("mailbox_id")
      .notNull()
      .references(() => mailboxes.id, { onDelete: "cascade" }),
    /** The folder path as the server names it. */
    folder: text("folder").notNull(),
    /** The server's hierarchy delimiter ('/', '.', …), null when flat. */
    delimiter: text("delimiter"),
    uidvalidity: integer("uidvalidity"),
    lastUid: integer("last_uid"),
    /** HIGHESTMODSEQ as decimal text: it is a 63-bit number, beyond a JS number's exact range. */
    highestModseq: text("highest_modseq"),
    /** RFC 6154 special use (`\Sent`, `\Trash` …), detected or overridden. */
    specialUse: text("special_use"),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.mailboxId, t.folder] })],
);

/** Collected messages. IMAP rows are keyed by (folder, uidvalidity, uid), POP3 rows by `uidl`. */
export const messages = sqliteTable(
  "messages",
  {
    id: text("id").primaryKey(),
    mailboxId: text("mailbox_id")
      .notNull()
      .references(() => mailboxes.id, { onDelete: "cascade" }),
    folder: text("folder").notNull(),
    uidvalidity: integer("uidvalidity"),
    uid: integer("uid"),
    /** POP3 UIDL (null for IMAP). */
    uidl: text("uidl"),
    /** The Message-ID header, if any. */
    messageId: text("message_id"),
    /** Hex SHA-256 of the raw message. */
    contentHash: text("content_hash").notNull(),
    size: integer("size").notNull(),
    internalDate: text("internal_date"),
    flags: text("flags", { mode: "json" }).$type<string[]>().notNull().default([]),
    envelope: text("envelope", { mode: "json" }).$type<Record<string, unknown>>(),
    /** The raw source; an empty blob once retention purged it (`raw_purged_at` set). */
    raw: blob("raw", { mode: "buffer" }).$type<Uint8Array>().notNull(),
    storedAt: text("stored_at").notNull(),
    /** When retention dropped the raw source (metadata and search text stay); null: raw present. */
    rawPurgedAt: text("raw_purged_at"),
  },
  (t) => [
    unique("messages_mailbox_folder_uid").on(t.mailboxId, t.folder, t.uidvalidity, t.uid),
    uniqueIndex("messages_mailbox_uidl").on(t.mailboxId, t.uidl),
    index("messages_mailbox_hash").on(t.mailboxId, t.contentHash),
    // list paging, newest first, with a stable cursor (stored_at, id): per folder and per mailbox
    index("messages_mailbox_folder_stored").on(t.mailboxId, t.folder, desc(t.storedAt), desc(t.id)),
    index("messages_mailbox_stored").on(t.mailboxId, desc(t.storedAt), desc(t.id)),
    // searches by date range, newest received first (received-at: INTERNALDATE, else stored-at)
    index("messages_mailbox_received").on(
      t.mailboxId,
      sql`coalesce(${t.internalDate}, ${t.storedAt}) desc`,
      desc(t.id),
    ),
    // retention: the oldest first, across mailboxes
    index("messages_stored").on(t.storedAt),
  ],
);

/**
 * The searchable text of each stored message, one row per message: sender and recipients (names
 * and addresses), subject, and the text body. The FTS5 index `message_fts` (a custom migration,
 * not expressible in drizzle) indexes these columns with this table as its external content, kept
 * in step by triggers: the indexer (`message-index.ts`) adds a message's row once it is stored
 * (header fields from `envelope`, the body from the raw source), a message delete removes it, and
 * setting `body` re-indexes it. `body` null: a row made before migration 0008 (the header fields
 * were indexed by a trigger then) whose body is not extracted yet.
 */
export const messageText = sqliteTable(
  "message_text",
  {
    /** The FTS5 rowid (an INTEGER PRIMARY KEY, so stable across VACUUM). */
    docId: integer("doc_id").primaryKey({ autoIncrement: true }),
    messageRowId: text("message_row_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    subject: text("subject").notNull().default(""),
    /** From and Sender: names and addresses, space-separated. */
    sender: text("sender").notNull().default(""),
    /** To, Cc and Bcc: names and addresses, space-separated. */
    recipients: text("recipients").notNull().default(""),
    body: text("body"),
  },
  (t) => [
    uniqueIndex("message_text_message").on(t.messageRowId),
    index("message_text_pending").on(t.docId).where(sql`body is null`),
  ],
);

/**
 * Stored messages not indexed for search yet, oldest first (the rowid): a trigger adds each
 * message as it is stored — one small row instead of the text row and its FTS5 entry, which the
 * collection path would otherwise pay per message — and the indexer takes them from here. A row
 * whose message was deleted meanwhile is dropped by the indexer.
 */
export const messageTextQueue = sqliteTable("message_text_queue", {
  messageRowId: text("message_row_id").notNull(),
});

/** Where each stored message was handed on (routing), and what became of it there. */
export const messageSinks = sqliteTable(
  "message_sinks",
  {
    messageRowId: text("message_row_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    /** The sink, e.g. `webhook:https://hooks.example.org/mail` or `maildir:/srv/mail` (no credentials). */
    sink: text("sink").notNull(),
    state: text("state", { enum: ["delivered", "dropped", "failed", "dead-letter"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.messageRowId, t.sink] }),
    index("message_sinks_sink_state").on(t.sink, t.state),
    check("message_sinks_state_check", sql`${t.state} in ('delivered', 'dropped', 'failed', 'dead-letter')`),
  ],
);

/** One collection run of one mailbox. */
export const syncRuns = sqliteTable(
  "sync_runs",
  {
    id: text("id").primaryKey(),
    mailboxId: text("mailbox_id")
      .notNull()
      .references(() => mailboxes.id, { onDelete: "cascade" }),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
    status: text("status", { enum: ["running", "ok", "failed"] }).notNull(),
    fetched: integer("fetched").notNull().default(0),
    deleted: integer("deleted").notNull().default(0),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
  },
  (t) => [index("sync_runs_mailbox_started").on(t.mailboxId, t.startedAt)],
);

/** Worker leases: one owner per mailbox until `expires_at`. */
export const leases = sqliteTable("leases", {
  mailboxId: text("mailbox_id")
    .primaryKey()
    .references(() => mailboxes.id, { onDelete: "cascade" }),
  owner: text("owner").notNull(),
  expiresAt: text("expires_at").notNull(),
});

/** Mail queued for sending, and what became of it. */
export const outbox = sqliteTable(
  "outbox",
  {
    id: text("id").primaryKey(),
    mailboxId: text("mailbox_id")
      .notNull()
      .references(() => mailboxes.id, { onDelete: "cascade" }),
    messageId: text("message_id"),
    /** Bytes of the raw message (kept in `outbox_raw`). */
    size: integer("size").notNull().default(0),
    /** The SMTP envelope: `MAIL FROM` and the `RCPT TO` list (Bcc recipients are only here). */
    envelope: text("envelope", { mode: "json" })
      .$type<{ from: string; to: string[] }>()
      .notNull()
      .default({ from: "", to: [] }),
    status: text("status", { enum: ["queued", "sending", "sent", "failed"] })
      .notNull()
      .default("queued"),
    /** Attempts started (a claim counts, so a message that crashes its deliverer is not retried forever). */
    attempts: integer("attempts").notNull().default(0),
    /** queued: when it is due; sending: when the claim expires and it is due again. */
    nextAttemptAt: text("next_attempt_at"),
    /** The claim of the deliverer sending it now (status sending). */
    claimToken: text("claim_token"),
    lastError: text("last_error"),
    /** The MailregError code of `last_error`. */
    errorCode: text("error_code"),
    /** The SMTP server's last answer: the 250 with its queue id, or the refusal. */
    response: text("response"),
    createdAt: text("created_at").notNull(),
    sentAt: text("sent_at"),
    /** The IMAP folder the sent message was copied to; null: only kept here. */
    sentFolder: text("sent_folder"),
  },
  (t) => [
    index("outbox_status_next").on(t.status, t.nextAttemptAt),
    uniqueIndex("outbox_mailbox_message_id").on(t.mailboxId, t.messageId),
    check("outbox_status_check", sql`${t.status} in ('queued', 'sending', 'sent', 'failed')`),
  ],
);

/**
 * The raw source of each outbox message, apart from its state: claiming and marking a message
 * update the small `outbox` row only, never rewrite a message that may be megabytes long.
 */
export const outboxRaw = sqliteTable("outbox_raw", {
  outboxId: text("outbox_id")
    .primaryKey()
    .references(() => outbox.id, { onDelete: "cascade" }),
  raw: blob("raw", { mode: "buffer" }).$type<Uint8Array>().notNull(),
});

/** Who did what to which subject. `details` never holds a secret. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: text("at").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id"),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index("audit_log_subject").on(t.subjectId, t.id)],
);

/** Scheduled registration windows set by an administrator. */
export const registrationWindows = sqliteTable("registration_windows", {
  id: text("id").primaryKey(),
  opensAt: text("opens_at").notNull(),
  closesAt: text("closes_at").notNull(),
  createdBy: text("created_by").notNull(),
  createdAt: text("created_at").notNull(),
});

/** Small key → JSON settings (e.g. whether registration is open now). */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value", { mode: "json" }).$type<unknown>().notNull(),
  updatedAt: text("updated_at").notNull(),
});

/**
 * Events a sink (a webhook) could not deliver after its retries, kept for the administrator to see,
 * retry or drop. `payload` is the event without the raw source (that stays in `messages.raw`).
 */
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: text("id").primaryKey(),
    mailboxId: text("mailbox_id")
      .notNull()
      .references(() => mailboxes.id, { onDelete: "cascade" }),
    /** The stored message the event was about, when it still exists. */
    messageRowId: text("message_row_id").references(() => messages.id, { onDelete: "set null" }),
    /** Which sink gave up, e.g. `webhook:https://hooks.example.org/mail` (no credentials). */
    sink: text("sink").notNull(),
    event: text("event").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    attempts: integer("attempts").notNull(),
    lastError: text("last_error").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("dead_letters_mailbox_created").on(t.mailboxId, t.createdAt)],
);

/**
 * The OAuth grant of a mailbox whose auth method is `oauth2`, as the worker last found it. No row:
 * granted. A row counts only while `registration_id` is still the mailbox's: applying a new
 * registration (a new grant) makes an older "must grant again" stale without touching this table.
 */
export const oauthGrants = sqliteTable(
  "oauth_grants",
  {
    mailboxId: text("mailbox_id")
      .primaryKey()
      .references(() => mailboxes.id, { onDelete: "cascade" }),
    state: text("state", { enum: ["granted", "must-grant-again"] }).notNull(),
    /** Why, in words (the OAuth server's error description; never a token). */
    detail: text("detail"),
    /** The mailbox's `registration_id` when the state was set. */
    registrationId: text("registration_id").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [check("oauth_grants_state_check", sql`${t.state} in ('granted', 'must-grant-again')`)],
);

/**
 * Rate-limit hits, shared by every app process on the database and kept across restarts: one row per
 * request counted (a refused request is not counted), per `scope` (which limit: `register`,
 * `admin-login`) and `key` (the client: address, IPv6 by /64). Rows older than their window are
 * pruned as hits come in.
 */
export const rateLimitHits = sqliteTable(
  "rate_limit_hits",
  {
    scope: text("scope").notNull(),
    key: text("key").notNull(),
    at: text("at").notNull(),
  },
  (t) => [
    index("rate_limit_hits_scope_key_at").on(t.scope, t.key, t.at),
    index("rate_limit_hits_scope_at").on(t.scope, t.at),
  ],
);
