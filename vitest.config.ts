import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// One vitest run for the whole workspace: each package is a project, and the real servers
// (Dovecot, the SMTP sink, the OAuth provider) are started once by the global setup of
// tools/mailservers for the projects whose tests need them.
const packages = [
  "packages/core",
  "packages/crypto-registry",
  "packages/imap-sync",
  "packages/oauth",
  "packages/smtp-resolver",
  "packages/store",
  "apps/registration",
  "tools/cli",
  "tools/mailservers",
];

export default defineConfig({
  resolve: { conditions: ["source"] },
  test: {
    projects: packages.map((root) => ({
      extends: true,
      test: {
        name: `@mailreg/${root.split("/")[1]}`,
        root,
        include: ["src/**/*.test.ts", "src/**/*.test.tsx", "test/**/*.test.ts"],
        exclude: ["**/*.deno.test.ts", "**/node_modules/**", "**/dist/**"],
      },
    })),
    globalSetup: [fileURLToPath(new URL("./tools/mailservers/src/vitest-setup.ts", import.meta.url))],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
