import { describe, expect, it } from "vitest";
import { RegistrationRecordSchema } from "./registration.ts";
import { sampleConfig, sampleRegistration } from "./testing.ts";

describe("testing fakes", () => {
  it("sampleRegistration() is a valid record with a fresh id each time", () => {
    const a = sampleRegistration();
    expect(RegistrationRecordSchema.parse(a)).toEqual(a);
    expect(sampleRegistration().id).not.toBe(a.id);
  });

  it("sampleRegistration() applies overrides", () => {
    expect(sampleRegistration({ status: "applied", port: 143 })).toMatchObject({
      status: "applied",
      port: 143,
    });
  });

  it("sampleConfig() offers its server template through an open registration", () => {
    const c = sampleConfig();
    expect(c.registration.templates).toEqual(["example-imap"]);
    expect(c.servers[0]).toMatchObject({ id: "example-imap", port: 993 });
    expect(c.instances.map((i) => i.id)).toEqual(["main"]);
  });

  it("sampleConfig() replaces whole sections and validates the result", () => {
    expect(sampleConfig({ server: { port: 0 } }).server).toEqual({ host: "127.0.0.1", port: 0 });
    expect(() => sampleConfig({ registration: { templates: ["missing"] } })).toThrow(/no server template/);
  });
});
