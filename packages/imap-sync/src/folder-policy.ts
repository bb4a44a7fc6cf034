/**
 * Which folders a mailbox's policy collects (DESIGN §6): INBOX only, all, subscribed, or selected
 * folders (with their subfolders), minus exclusions; and special-use overrides for servers that do
 * not mark Sent or Trash. Pure functions over the server's folder list.
 *
 * Folder names in a policy are written with the server's own delimiter ("INBOX.Archiv" on a '.'
 * server) or with '/' whatever the server uses ("INBOX/Archiv" matches "INBOX.Archiv" there too).
 * INBOX matches case-insensitively. An exclusion also excludes the folder's subfolders; an exclusion
 * written as a special use (`\Trash`, `\Junk`) excludes the folder that has it — as the server marks
 * it or an override names it, never by a guess from the folder's name.
 *
 * Only the owner's personal namespace is collected by "all" and "subscribed": other users' folders
 * shared with the owner (`shared/bob/…`, `#shared.bob.…`) and public folders only where the policy
 * names them ("selected"), so that mail reachable from two registered mailboxes is collected from the
 * one that owns it.
 *
 * @module
 */
import type { FolderMode } from "@mailreg/core";
import type { FolderInfo, SpecialUse } from "./source.ts";

/** A folder policy (the config's `FolderPolicy`; read-only arrays welcome). */
export interface FolderPolicyInput {
  readonly mode: FolderMode;
  readonly folders: readonly string[];
  readonly includeSubfolders: boolean;
  readonly exclude: readonly string[];
}

/** Explicit special-use folders, e.g. `{ "\\Trash": "Gelöschte Elemente" }`; they win over the server's marks. */
export type SpecialUseOverrides = Partial<Record<SpecialUse, string>>;

/**
 * The folders with the overrides applied: the named folder gets the special use, any other folder
 * the server marked with it loses it. A name that matches no folder changes nothing.
 *
 * @param folders the server's folders
 * @param overrides special use → folder path
 * @returns new folder objects
 * @example
 * ```ts
 * import { applySpecialUseOverrides } from "@mailreg/imap-sync";
 * const folders = [{ path: "Papierkorb", delimiter: "/", subscribed: true, flags: [], selectable: true }];
 * console.log(applySpecialUseOverrides(folders, { "\\Trash": "Papierkorb" })[0]?.specialUse); // \Trash
 * ```
 */
export function applySpecialUseOverrides(
  folders: readonly FolderInfo[],
  overrides: SpecialUseOverrides,
): FolderInfo[] {
  const entries = Object.entries(overrides).filter(
    (e): e is [SpecialUse, string] => typeof e[1] === "string",
  );
  return folders.map((folder) => {
    const named = entries.find(([, name]) => folderMatches(name, folder, false));
    if (named !== undefined) {
      // named by the administrator: confirmed, no longer a guess
      const { specialUseGuessed: _guess, ...confirmed } = folder;
      return { ...confirmed, specialUse: named[0] };
    }
    if (folder.specialUse !== undefined && entries.some(([use]) => use === folder.specialUse)) {
      const { specialUse: _dropped, specialUseGuessed: _guessed, ...rest } = folder;
      return rest;
    }
    return { ...folder };
  });
}

/**
 * The folders a policy collects, in the server's order. Containers that hold no messages
 * (`\Noselect`) are never collected.
 *
 * @param folders the server's folders (after {@link applySpecialUseOverrides})
 * @param policy the mailbox's folder policy
 * @returns the folders to collect
 * @example
 * ```ts
 * import { selectFolders } from "@mailreg/imap-sync";
 * const f = (path: string) => ({ path, delimiter: ".", subscribed: false, flags: [], selectable: true });
 * const chosen = selectFolders([f("INBOX"), f("INBOX.Kunden"), f("INBOX.Kunden.a"), f("Spam")], {
 *   mode: "selected", folders: ["INBOX/Kunden"], includeSubfolders: true, exclude: [],
 * });
 * console.log(chosen.map((x) => x.path)); // ["INBOX.Kunden", "INBOX.Kunden.a"]
 * ```
 */
export function selectFolders(folders: readonly FolderInfo[], policy: FolderPolicyInput): FolderInfo[] {
  return folders.filter((folder) => {
    if (!folder.selectable) return false;
    if (policy.exclude.some((name) => _excludes(name, folder))) return false;
    const personal = folder.namespace === undefined || folder.namespace === "personal";
    switch (policy.mode) {
      case "inbox":
        return _isInbox(folder.path);
      case "all":
        return personal;
      case "subscribed":
        return personal && folder.subscribed;
      case "selected":
        return policy.folders.some((name) => folderMatches(name, folder, policy.includeSubfolders));
    }
    return false;
  });
}

/**
 * Whether a policy's folder name names `folder` (or, with `subfolders`, one of its ancestors).
 *
 * @param name the name as the policy writes it
 * @param folder the server's folder
 * @param subfolders whether a subfolder of the named folder matches too
 * @returns true when it matches
 */
export function folderMatches(name: string, folder: FolderInfo, subfolders: boolean): boolean {
  const path = _canonical(folder.path, folder.delimiter);
  const wanted = [
    name,
    ...(folder.delimiter !== null && folder.delimiter !== "/"
      ? [name.replaceAll("/", folder.delimiter)]
      : []),
  ].map((n) => _canonical(n, folder.delimiter));
  return wanted.some(
    (w) =>
      path === w || (subfolders && folder.delimiter !== null && path.startsWith(`${w}${folder.delimiter}`)),
  );
}

function _excludes(name: string, folder: FolderInfo): boolean {
  if (name.startsWith("\\"))
    return (
      folder.specialUse !== undefined &&
      folder.specialUseGuessed !== true &&
      folder.specialUse.toLowerCase() === name.toLowerCase()
    );
  return folderMatches(name, folder, true);
}

function _isInbox(path: string): boolean {
  return path.toUpperCase() === "INBOX";
}

/** The path with a leading INBOX component upper-cased (INBOX is case-insensitive, RFC 3501 5.1). */
function _canonical(path: string, delimiter: string | null): string {
  if (_isInbox(path)) return "INBOX";
  if (delimiter !== null && path.toUpperCase().startsWith(`INBOX${delimiter}`))
    return `INBOX${path.slice(5)}`;
  return path;
}
