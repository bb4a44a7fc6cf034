import { describe, expect, it } from "vitest";
import { applySpecialUseOverrides, type FolderPolicyInput, selectFolders } from "./folder-policy.ts";
import type { FolderInfo } from "./source.ts";

const folder = (path: string, extra: Partial<FolderInfo> = {}): FolderInfo => ({
  path,
  delimiter: ".",
  subscribed: true,
  flags: [],
  selectable: true,
  ...extra,
});
const policy = (p: Partial<FolderPolicyInput>): FolderPolicyInput => ({
  mode: "inbox",
  folders: [],
  includeSubfolders: true,
  exclude: [],
  ...p,
});
const paths = (list: FolderInfo[]) => list.map((f) => f.path);

describe("selectFolders()", () => {
  const tree = [
    folder("INBOX"),
    folder("INBOX.Kunden"),
    folder("INBOX.Kunden.a"),
    folder("INBOX.Kundendienst"),
    folder("Archiv", { flags: ["\\Noselect"], selectable: false }),
    folder("Archiv.2025", { subscribed: false }),
    folder("Papierkorb", { specialUse: "\\Trash" }),
  ];

  it("never takes a sibling whose name merely starts like the selected folder", () => {
    expect(paths(selectFolders(tree, policy({ mode: "selected", folders: ["INBOX.Kunden"] })))).toEqual([
      "INBOX.Kunden",
      "INBOX.Kunden.a",
    ]);
  });

  it("accepts names written with '/' on a '.' server and INBOX in any case", () => {
    expect(
      paths(
        selectFolders(
          tree,
          policy({ mode: "selected", folders: ["inbox/Kunden"], includeSubfolders: false }),
        ),
      ),
    ).toEqual(["INBOX.Kunden"]);
  });

  it("never collects a \\Noselect container, even when named", () => {
    expect(paths(selectFolders(tree, policy({ mode: "selected", folders: ["Archiv"] })))).toEqual([
      "Archiv.2025",
    ]);
  });

  it("excludes by special use and a whole subtree by name", () => {
    expect(paths(selectFolders(tree, policy({ mode: "all", exclude: ["\\Trash", "INBOX.Kunden"] })))).toEqual(
      ["INBOX", "INBOX.Kundendienst", "Archiv.2025"],
    );
  });

  it("takes only subscribed folders in mode subscribed", () => {
    expect(paths(selectFolders(tree, policy({ mode: "subscribed" })))).not.toContain("Archiv.2025");
  });

  it("collects other users' and public folders only where the policy names them", () => {
    const withShared = [
      folder("INBOX"),
      folder("Projekte"),
      folder("shared.bob.Projekte", { namespace: "other" }),
      folder("Public.Team", { namespace: "shared" }),
    ];
    expect(paths(selectFolders(withShared, policy({ mode: "all" })))).toEqual(["INBOX", "Projekte"]);
    expect(paths(selectFolders(withShared, policy({ mode: "subscribed" })))).toEqual(["INBOX", "Projekte"]);
    expect(
      paths(
        selectFolders(withShared, policy({ mode: "selected", folders: ["INBOX", "shared/bob/Projekte"] })),
      ),
    ).toEqual(["INBOX", "shared.bob.Projekte"]);
  });

  it("never excludes a folder by a special use guessed from its name, only once an override confirms it", () => {
    const guessed = [
      folder("INBOX"),
      folder("INBOX.Entwürfe", { specialUse: "\\Drafts", specialUseGuessed: true }),
    ];
    const noDrafts = policy({ mode: "all", exclude: ["\\Drafts"] });
    expect(paths(selectFolders(guessed, noDrafts))).toEqual(["INBOX", "INBOX.Entwürfe"]);
    const confirmed = applySpecialUseOverrides(guessed, { "\\Drafts": "INBOX.Entwürfe" });
    expect(confirmed[1]).toMatchObject({ specialUse: "\\Drafts" });
    expect(confirmed[1]?.specialUseGuessed).toBeUndefined();
    expect(paths(selectFolders(confirmed, noDrafts))).toEqual(["INBOX"]);
  });
});

describe("applySpecialUseOverrides()", () => {
  it("moves a special use to the named folder and takes it from the one the server marked", () => {
    const out = applySpecialUseOverrides([folder("Trash", { specialUse: "\\Trash" }), folder("Gelöscht")], {
      "\\Trash": "Gelöscht",
    });
    expect(out.map((f) => [f.path, f.specialUse])).toEqual([
      ["Trash", undefined],
      ["Gelöscht", "\\Trash"],
    ]);
  });
});
