import type { NetworkPolicy } from "@mailreg/core";
import { describe, expect, it } from "vitest";
import { checkHostPolicy } from "./network-policy.ts";

const policy: NetworkPolicy = { allowPrivate: false, ports: [993, 143], trusted: [], dnsServers: [] };

describe("checkHostPolicy()", () => {
  it("refuses localhost names and non-public literals without asking the resolver, allows anything when permitted", async () => {
    const resolveHost = async (): Promise<string[]> => {
      throw new Error("not asked");
    };
    expect(await checkHostPolicy("LOCALHOST.", 993, { policy, resolveHost })).toBe("host-not-allowed");
    expect(await checkHostPolicy("db.localhost", 993, { policy, resolveHost })).toBe("host-not-allowed");
    expect(await checkHostPolicy("::ffff:0:7f00:1", 993, { policy, resolveHost })).toBe("host-not-allowed");
    expect(
      await checkHostPolicy("10.0.0.1", 993, { policy: { ...policy, allowPrivate: true }, resolveHost }),
    ).toBe(undefined);
  });

  it("refuses a name when any of its addresses is not public", async () => {
    const resolveHost = async () => ["198.51.100.7", "10.0.0.1"];
    expect(await checkHostPolicy("mixed.example.com", 993, { policy, resolveHost })).toBe("host-not-allowed");
  });

  it("refuses a port outside the allowed list", async () => {
    expect(
      await checkHostPolicy("imap.example.com", 22, { policy, resolveHost: async () => ["8.8.8.8"] }),
    ).toBe("port-not-allowed");
  });

  it("answers a name without addresses as a forbidden one (no oracle for internal names), and judges only literals without a resolver", async () => {
    expect(await checkHostPolicy("nx.example.com", 993, { policy, resolveHost: async () => [] })).toBe(
      "host-not-allowed",
    );
    expect(await checkHostPolicy("imap.example.com", 993, { policy })).toBeUndefined();
  });
});
