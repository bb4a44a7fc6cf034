/**
 * "Check mailbox" (myfactory's "Postfach prüfen"): reach the server, log in, list the folders with
 * their special use, log out — each step with its time and, on failure, a reason the owner or the
 * administrator can act on.
 *
 * @module
 */
import { type ConnectionProfile, isMailregError } from "@mailreg/core";
import { _tcpProbe } from "./_tcp-probe.ts";
import { type ConnectOptions, DEFAULT_TIMEOUT_MS, profileSecret } from "./connect-options.ts";
import { applySpecialUseOverrides, type SpecialUseOverrides } from "./folder-policy.ts";
import { type MailFailureReason, mailFailureMessage, mailFailureReason } from "./mail-error.ts";
import type { FolderInfo, Source, SourceFactory } from "./source.ts";
import { SOURCES } from "./sources.ts";

/** One step of a check. */
export interface CheckStep {
  step: "connect" | "login" | "folders" | "logout";
  ok: boolean;
  /** How long it took, in ms. */
  ms: number;
  /** What it found ("14 folders; Sent: Gesendet, Trash: Papierkorb"). */
  detail?: string;
  /** Why it failed. */
  reason?: MailFailureReason;
  /** The failure, in a sentence (never holds a secret). */
  message?: string;
}

/** What {@link checkMailbox} found. */
export interface CheckResult {
  /** Every step succeeded. */
  ok: boolean;
  steps: CheckStep[];
  /** The folders, with delimiter and special use (empty when the login failed). */
  folders: FolderInfo[];
}

/** Options of {@link checkMailbox}. */
export interface CheckMailboxOptions extends ConnectOptions {
  /** Special-use overrides to show applied. */
  specialUse?: SpecialUseOverrides;
  /** The source registry. Default {@link SOURCES}. */
  sources?: ReadonlyMap<string, SourceFactory>;
}

/**
 * Checks a mailbox step by step; stops at the first failing step. Never throws for a server's refusal.
 *
 * @param profile the opened connection profile
 * @param options timeouts, certificate policy, access token, special-use overrides
 * @returns the steps and the folders
 * @example
 * ```ts
 * import { checkMailbox } from "@mailreg/imap-sync";
 * const result = await checkMailbox(
 *   { v: 1, address: "ann@example.org", protocol: "imap", host: "127.0.0.1", port: 1, security: "tls",
 *     login: "ann", auth: { method: "password", password: "pw" } },
 *   { timeoutMs: 2_000 },
 * );
 * for (const s of result.steps) console.log(s.step, s.ok ? "ok" : s.reason, `${s.ms} ms`, s.message ?? s.detail ?? "");
 * ```
 */
export async function checkMailbox(
  profile: ConnectionProfile,
  options: CheckMailboxOptions = {},
): Promise<CheckResult> {
  const steps: CheckStep[] = [];
  let folders: FolderInfo[] = [];
  const secret = profileSecret(profile, options.accessToken);
  const run = async <T>(step: CheckStep["step"], work: () => Promise<T>, detail?: (value: T) => string) => {
    const started = performance.now();
    try {
      const value = await work();
      const entry: CheckStep = { step, ok: true, ms: _ms(started) };
      if (detail !== undefined) entry.detail = detail(value);
      steps.push(entry);
      return { ok: true as const, value };
    } catch (error) {
      const reason = mailFailureReason(error);
      steps.push({
        step,
        ok: false,
        ms: _ms(started),
        reason,
        message: isMailregError(error) ? error.message : mailFailureMessage(reason, error, profile, secret),
      });
      return { ok: false as const };
    }
  };

  const factory = (options.sources ?? SOURCES).get(profile.protocol);
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const reached = await run(
    "connect",
    () => _tcpProbe(profile.host, profile.port, timeout, options.policy),
    () => `${profile.host}:${profile.port} accepts connections`,
  );
  if (!reached.ok || factory === undefined) return { ok: false, steps, folders };
  const { sources: _s, specialUse: _u, ...connect } = options;
  const login = await run(
    "login",
    () => factory(profile, connect),
    () => `Logged in as ${profile.login} (${profile.protocol.toUpperCase()}, ${profile.security})`,
  );
  if (!login.ok) return { ok: false, steps, folders };
  const source: Source = login.value;
  const listed = await run(
    "folders",
    async () => applySpecialUseOverrides(await source.listFolders(), options.specialUse ?? {}),
    _describeFolders,
  );
  if (listed.ok) folders = listed.value;
  const closed = await run("logout", () => source.close());
  return { ok: listed.ok && closed.ok, steps, folders };
}

function _describeFolders(folders: FolderInfo[]): string {
  const special = folders
    .filter((f) => f.specialUse !== undefined && f.specialUse !== "\\Inbox")
    .map((f) => `${f.specialUse!.slice(1)}: ${f.path}`);
  const delimiter = folders.find((f) => f.delimiter !== null)?.delimiter;
  return [
    `${folders.length} folder${folders.length === 1 ? "" : "s"}`,
    ...(delimiter === undefined ? [] : [`delimiter "${delimiter}"`]),
    ...special,
  ].join("; ");
}

function _ms(started: number): number {
  return Math.round(performance.now() - started);
}
