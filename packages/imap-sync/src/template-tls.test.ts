import { describe, expect, it } from "vitest";
import { templateTls } from "./template-tls.ts";

describe("templateTls()", () => {
  it("checks the certificate against an alternative name, trusting the given certificates too", () => {
    expect(templateTls({ verify: true, servername: "mail.corp.example" }, "PEM")).toEqual({
      rejectUnauthorized: true,
      servername: "mail.corp.example",
      ca: "PEM",
    });
  });

  it("accepts any certificate only where the template turns checking off", () => {
    expect(templateTls({ verify: false })).toEqual({ rejectUnauthorized: false });
  });

  it("checks the certificate of a server typed in without a template", () => {
    expect(templateTls(undefined, ["A", "B"])).toEqual({ rejectUnauthorized: true, ca: ["A", "B"] });
  });
});
