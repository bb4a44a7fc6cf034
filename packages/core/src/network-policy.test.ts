import { describe, expect, it } from "vitest";
import { ConfigSchema } from "./config-schema.ts";
import { isMailregError } from "./errors.ts";
import {
  type AddressClass,
  addressInRange,
  classifyAddress,
  clientKeyOf,
  connectTarget,
  type NetworkPolicy,
  networkPolicy,
} from "./network-policy.ts";

const TABLE: ReadonlyArray<[string, AddressClass | undefined]> = [
  // IPv4
  ["0.0.0.0", "unspecified"],
  ["0.1.2.3", "unspecified"],
  ["10.1.2.3", "private"],
  ["100.64.0.1", "shared"],
  ["100.127.255.254", "shared"],
  ["100.128.0.1", "public"],
  ["127.0.0.1", "loopback"],
  ["127.1", "loopback"],
  ["0x7f.0.0.1", "loopback"],
  ["2130706433", "loopback"],
  ["169.254.169.254", "link-local"],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["172.32.0.1", "public"],
  ["192.0.0.8", "reserved"],
  ["192.0.2.1", "documentation"],
  ["192.88.99.1", "reserved"],
  ["192.168.1.1", "private"],
  ["198.18.0.1", "benchmarking"],
  ["198.19.255.1", "benchmarking"],
  ["198.51.100.7", "documentation"],
  ["203.0.113.9", "documentation"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast"],
  ["240.0.0.1", "reserved"],
  ["255.255.255.255", "reserved"],
  ["8.8.8.8", "public"],
  ["93.184.215.14", "public"],
  // IPv6
  ["::", "unspecified"],
  ["::1", "loopback"],
  ["[::1]", "loopback"],
  ["::127.0.0.1", "loopback"], // IPv4-compatible
  ["::8.8.8.8", "reserved"], // IPv4-compatible, deprecated
  ["::ffff:127.0.0.1", "loopback"], // IPv4-mapped
  ["::ffff:7f00:1", "loopback"],
  ["::ffff:10.0.0.1", "private"],
  ["::ffff:8.8.8.8", "public"],
  ["::ffff:0:7f00:1", "loopback"], // IPv4-translated
  ["::ffff:0:8.8.8.8", "reserved"],
  ["64:ff9b::7f00:1", "loopback"], // NAT64 of 127.0.0.1
  ["64:ff9b::10.0.0.1", "private"],
  ["64:ff9b::8.8.8.8", "public"], // DNS64 on an IPv6-only network
  ["64:ff9b:1::1", "private"], // local-use NAT64
  ["100::1", "reserved"], // discard-only
  ["2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"], // Teredo, client 127.0.0.1 inverted
  ["2001:0:4136:e378:8000:63bf:f7f7:f7f7", "reserved"], // Teredo, client 8.8.8.8
  ["2001:2::1", "benchmarking"],
  ["2001:db8::1", "documentation"],
  ["2001:10::1", "reserved"], // ORCHID, IETF protocol assignments
  ["2002:7f00:1::1", "loopback"], // 6to4 of 127.0.0.1
  ["2002:c0a8:101::1", "private"], // 6to4 of 192.168.1.1
  ["2002:808:808::1", "reserved"], // 6to4 of a public address, deprecated
  ["3fff::1", "documentation"],
  ["fc00::1", "private"],
  ["fd12:3456::1", "private"],
  ["fe80::1", "link-local"],
  ["febf::1", "link-local"],
  ["fec0::1", "site-local"],
  ["feff::1", "site-local"],
  ["ff02::1", "multicast"],
  ["4000::1", "reserved"], // outside 2000::/3
  ["2606:4700::1111", "public"],
  ["2a00:1450:4001::1", "public"],
  // names
  ["imap.example.com", undefined],
  ["localhost", undefined],
  ["1.2.3", "public"], // 1.2.0.3
];

describe("classifyAddress()", () => {
  it.each(TABLE)("classes %s as %s", (host, expected) => {
    expect(classifyAddress(host)).toBe(expected);
  });
});

const policy: NetworkPolicy = {
  allowPrivate: false,
  ports: [993, 143],
  trusted: [{ host: "imap.corp.internal", port: 993 }],
  dnsServers: [],
};

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    if (isMailregError(error)) return `${error.code}:${String(error.details?.policy)}`;
    throw error;
  }
  return "allowed";
}

describe("connectTarget()", () => {
  it("connects to the one checked address and keeps the name for the certificate", async () => {
    let lookups = 0;
    const target = await connectTarget(policy, "imap.example.org.", 993, async () => {
      lookups++;
      return ["93.184.215.14", "2606:4700::1111"];
    });
    expect(target).toEqual({ address: "93.184.215.14", servername: "imap.example.org" });
    expect(lookups).toBe(1);
  });

  it("refuses a name when any of its addresses is not public (a rebinding answer mixes them)", async () => {
    expect(
      await refusal(connectTarget(policy, "evil.example", 993, async () => ["93.184.215.14", "127.0.0.1"])),
    ).toBe("MAIL_HOST_NOT_ALLOWED:address");
    expect(await refusal(connectTarget(policy, "evil.example", 993, async () => ["::ffff:0:7f00:1"]))).toBe(
      "MAIL_HOST_NOT_ALLOWED:address",
    );
  });

  it("refuses literals, local names and ports outside the list before resolving anything", async () => {
    const never = async (): Promise<string[]> => {
      throw new Error("must not resolve");
    };
    expect(await refusal(connectTarget(policy, "[fec0::1]", 993, never))).toBe(
      "MAIL_HOST_NOT_ALLOWED:address",
    );
    expect(await refusal(connectTarget(policy, "mail.localhost", 993, never))).toBe(
      "MAIL_HOST_NOT_ALLOWED:name",
    );
    expect(await refusal(connectTarget(policy, "imap.example.org", 22, never))).toBe(
      "MAIL_HOST_NOT_ALLOWED:port",
    );
  });

  it("says a name without addresses is unreachable", async () => {
    expect(await refusal(connectTarget(policy, "nx.example", 993, async () => []))).toBe(
      "MAIL_CONNECTION_FAILED:not-found",
    );
  });

  it("trusts configured endpoints as they are, and everything without a policy", async () => {
    expect(await connectTarget(policy, "IMAP.corp.internal", 993, async () => ["10.0.0.1"])).toEqual({
      address: "IMAP.corp.internal",
    });
    // the same host on another port is not the template
    expect(await refusal(connectTarget(policy, "imap.corp.internal", 143, async () => ["10.0.0.1"]))).toBe(
      "MAIL_HOST_NOT_ALLOWED:address",
    );
    expect(await connectTarget(undefined, "127.0.0.1", 1, async () => [])).toEqual({ address: "127.0.0.1" });
  });

  it("allows private addresses where the instance allows them", async () => {
    const open = { ...policy, allowPrivate: true };
    expect(await connectTarget(open, "box.lan", 993, async () => ["192.168.1.5"])).toEqual({
      address: "192.168.1.5",
      servername: "box.lan",
    });
  });
});

describe("networkPolicy()", () => {
  it("allows the standard ports plus every template's, and trusts configured endpoints", () => {
    const config = ConfigSchema.parse({
      servers: [{ id: "corp", label: "Corp", protocol: "imap", host: "Mail.Corp.Internal", port: 10993 }],
      smtp: { default: { host: "smtp.corp.internal", port: 2525 } },
    });
    const p = networkPolicy(config);
    expect(p.ports).toEqual(expect.arrayContaining([143, 993, 110, 995, 25, 465, 587, 10993]));
    expect(p.ports).not.toContain(2525);
    expect(p.trusted).toEqual(
      expect.arrayContaining([
        { host: "mail.corp.internal", port: 10993 },
        { host: "smtp.corp.internal", port: 2525 },
      ]),
    );
    expect(p.allowPrivate).toBe(false);
  });
});

describe("clientKeyOf() and addressInRange()", () => {
  it.each([
    ["192.0.2.7", "192.0.2.7"],
    ["::ffff:192.0.2.7", "192.0.2.7"],
    ["2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"],
    ["[2001:DB8:1:2::9]", "2001:db8:1:2::/64"],
    ["unknown", "unknown"],
  ])("keys %s as %s", (ip, key) => {
    expect(clientKeyOf(ip)).toBe(key);
  });

  it.each([
    ["10.0.0.5", "10.0.0.0/24", true],
    ["10.0.1.5", "10.0.0.0/24", false],
    ["10.0.0.5", "10.0.0.5", true],
    ["::ffff:10.0.0.5", "10.0.0.0/8", true],
    ["2001:db8::1", "2001:db8::/32", true],
    ["2001:db9::1", "2001:db8::/32", false],
    ["10.0.0.5", "2001:db8::/32", false],
    ["10.0.0.5", "10.0.0.0/99", false],
    ["not-an-ip", "10.0.0.0/8", false],
  ] as const)("%s in %s: %s", (ip, range, inside) => {
    expect(addressInRange(ip, range)).toBe(inside);
  });
});
