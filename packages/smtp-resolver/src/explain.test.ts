import { describe, expect, it } from "vitest";
import { explainResolution, summarizeResolution } from "./explain.ts";
import { resolve } from "./resolve.ts";

const resolution = resolve({
  company: { enabled: false, host: "corp.example.org", port: 587 },
  default: {
    host: "10.0.0.5",
    port: 465,
    auth: { method: "plain", user: "relay", password: "relay-secret" },
    tls: { verify: false, servername: "smtp.example.org" },
  },
});

describe("summarizeResolution()", () => {
  it("shows the winner, the levels passed over and the warnings, but never the level's password", () => {
    const summary = summarizeResolution(resolution);
    expect(summary).toMatchObject({ resolved: true, level: "default", source: "default" });
    expect(summary.effective?.auth).toEqual({ method: "plain", user: "relay", credentials: "level" });
    expect(summary.passedOver.map((p) => p.reason)).toEqual(["not-set", "disabled", "not-set"]);
    expect(JSON.stringify(summary)).not.toContain("relay-secret");
  });
});

describe("explainResolution()", () => {
  it("explains the winner, each level passed over, and puts the danger first in capitals", () => {
    const text = explainResolution(resolution, "ann@example.org");
    expect(text.split("\n")).toEqual([
      "ann@example.org is sent through 10.0.0.5:465 (level default, from default)",
      "  security:    implicit TLS (follows from port 465)",
      "  certificate: NOT CHECKED",
      "  login:       PLAIN as relay with the level's own password",
      "Passed over:",
      "  mailbox (mailbox): not-set: the mailbox has no SMTP settings of its own and no server template",
      "  company (company): disabled: turned off (enabled: false)",
      "  instance (instance): not-set: no instance was given",
      expect.stringMatching(/^DANGER: CERTIFICATE CHECKING IS OFF for 10\.0\.0\.5:465/),
      "Warning: The alternative certificate name smtp.example.org has no effect while certificate checking is off.",
      "",
    ]);
    expect(text).not.toContain("relay-secret");
  });

  it("says plainly when nothing can send", () => {
    const text = explainResolution(resolve({}));
    expect(text.split("\n")[0]).toBe("Mail cannot be sent: no level of the SMTP chain is usable");
    expect(text).toContain("  default (default): not-set: smtp.default is not set");
  });
});
