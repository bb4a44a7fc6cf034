import { isMailregError } from "@mailreg/core";
import { countRegistrations, insertRegistration } from "@mailreg/store";
import { makeRegistration, openMemoryStore } from "@mailreg/store/testing";
import { describe, expect, it } from "vitest";
import { registrationWriter } from "./registration-writer.ts";

describe("registrationWriter()", () => {
  it("stores every one of many concurrent registrations, each caller waiting for its own commit", async () => {
    const store = await openMemoryStore();
    try {
      const write = registrationWriter(store);
      const records = Array.from({ length: 120 }, () => makeRegistration());
      await Promise.all(
        records.map(async (r) => {
          await write(r);
          expect(await countRegistrations(store)).toBeGreaterThan(0);
        }),
      );
      expect(await countRegistrations(store)).toBe(120);
    } finally {
      store.close();
    }
  });

  it("fails the callers of a batch that could not be stored, and goes on with the next", async () => {
    const store = await openMemoryStore();
    try {
      const write = registrationWriter(store);
      const taken = await insertRegistration(store, makeRegistration());
      const error = await write(makeRegistration({ id: taken.id })).catch((e: unknown) => e);
      expect(isMailregError(error, "CONFLICT")).toBe(true);
      await write(makeRegistration());
      expect(await countRegistrations(store)).toBe(2);
    } finally {
      store.close();
    }
  });
});
