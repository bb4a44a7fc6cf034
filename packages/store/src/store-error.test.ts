import { errorInfo } from "@mailreg/core";
import { describe, expect, it } from "vitest";
import { instances } from "./schema.ts";
import { isUniqueViolation } from "./store-error.ts";
import { openMemoryStore } from "./testing.ts";

describe("a refused commit", () => {
  it("is reported with the documented code STORE_CONSTRAINT, not libSQL's SQLITE_CONSTRAINT", async () => {
    const store = await openMemoryStore();
    try {
      const row = { id: "main", label: "Main", updatedAt: new Date().toISOString() };
      await store.db.insert(instances).values(row).run();
      const refused = await store.db
        .insert(instances)
        .values({ ...row, label: "private label" })
        .run()
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(isUniqueViolation(refused)).toBe(true); // a real libSQL refusal underneath drizzle's wrapper
      const info = errorInfo(refused);
      expect(info.code).toBe("STORE_CONSTRAINT");
      expect(info.message).toMatch(/constraint failed/i);
      expect(info.message).not.toContain("private label"); // the query's parameters stay out
    } finally {
      store.close();
    }
  });
});
