import { describe, expect, it } from "vitest";
import {
  generatePassword,
  generateToken,
  hashPassword,
  hashToken,
  verifyPassword,
  verifyToken,
} from "./admin-secrets.ts";

describe("admin secrets", () => {
  it("hashPassword() output verifies the same password and no other", async () => {
    const pw = generatePassword();
    const stored = await hashPassword(pw);
    expect(stored).toMatch(/^pbkdf2-sha256\$600000\$[\w-]{22}\$[\w-]{43}$/);
    expect(stored).not.toContain(pw);
    expect(await verifyPassword(pw, stored)).toBe(true);
    expect(await verifyPassword(`${pw}x`, stored)).toBe(false);
  });

  it("hashPassword() salts: the same password hashes differently twice", async () => {
    expect(await hashPassword("same")).not.toBe(await hashPassword("same"));
  });

  it("verifyPassword() answers false for a malformed stored hash instead of throwing", async () => {
    for (const bad of ["", "plain", "pbkdf2-sha256$x$y$z", "md5$1$a$b", "pbkdf2-sha256$1000$@@$@@"]) {
      expect(await verifyPassword("pw", bad)).toBe(false);
    }
  });

  it("tokens verify against their hash only", async () => {
    const t = generateToken();
    expect(t).toMatch(/^mrt_[\w-]{43}$/);
    const h = await hashToken(t);
    expect(await verifyToken(t, h)).toBe(true);
    expect(await verifyToken(generateToken(), h)).toBe(false);
  });
});
