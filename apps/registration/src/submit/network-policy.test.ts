import { describe, expect, it } from "vitest";
import { addressKind, checkHostPolicy } from "./network-policy.ts";

describe("addressKind()", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.1", "loopback"],
    ["0x7f.0.0.1", "loopback"],
    ["2130706433", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.5.4", "private"],
    ["172.32.0.1", "public"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["169.254.169.254", "link-local"],
    ["0.0.0.0", "special"],
    ["224.0.0.1", "special"],
    ["198.51.100.7", "public"],
    ["[::1]", "loopback"],
    ["::1", "loopback"],
    ["fd00::1", "private"],
    ["fe80::1", "link-local"],
    ["::ffff:10.0.0.1", "private"],
    ["[::ffff:127.0.0.1]", "loopback"],
    ["2001:db8::1", "public"],
  ])("%s is %s", (host, kind) => {
    expect(addressKind(host)).toBe(kind);
  });

  it("leaves names to the resolver", () => {
    expect(addressKind("imap.example.com")).toBeUndefined();
  });
});

describe("checkHostPolicy()", () => {
  it("refuses localhost names without asking the resolver, allows anything when permitted", async () => {
    const resolveHost = async () => {
      throw new Error("not asked");
    };
    expect(await checkHostPolicy("LOCALHOST.", { allowPrivate: false, resolveHost })).toBe(
      "host-not-allowed",
    );
    expect(await checkHostPolicy("db.localhost", { allowPrivate: false, resolveHost })).toBe(
      "host-not-allowed",
    );
    expect(await checkHostPolicy("10.0.0.1", { allowPrivate: true, resolveHost })).toBeUndefined();
  });

  it("refuses a name when any of its addresses is private", async () => {
    const resolveHost = async () => ["198.51.100.7", "10.0.0.1"];
    expect(await checkHostPolicy("mixed.example.com", { allowPrivate: false, resolveHost })).toBe(
      "host-not-allowed",
    );
  });
});
