import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// One vitest run for the whole workspace: each package is a project, and the real servers
// (Dovecot, the SMTP sink, the OAuth provider) are started once by the global setup of
// tools/mailservers for the projects whose tests need them.
const packages = [
  "packages/core",
  "packages/crypto-registry",
  "packages/imap-sync",
  "packages/message",
  "packages/oauth",
  "packages/smtp-resolver",
  "packages/store",
  "apps/registration",
  "apps/worker",
  "tools/cli",
  "tools/mailservers",
];

const root = fileURLToPath(new URL(".", import.meta.url));

// Tests run the TypeScript sources of the workspace's own packages, never a (possibly stale or
// missing) dist/: every `@mailreg/...` specifier is aliased to the source file that tsconfig.base.json's
// `paths` names (the same map the type-checker uses; the published package.json files know only dist/).
const { paths } = JSON.parse(readFileSync(join(root, "tsconfig.base.json"), "utf8")).compilerOptions as {
  paths: Record<string, [string]>;
};
const sources = Object.entries(paths).map(([specifier, [target]]) => ({
  find: new RegExp(`^${specifier.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`),
  replacement: join(root, target),
}));

export default defineConfig({
  resolve: { alias: sources },
  test: {
    projects: packages.map((dir) => ({
      extends: true,
      test: {
        name: `@mailreg/${dir.split("/")[1]}`,
        root: dir,
        include: ["src/**/*.test.ts", "src/**/*.test.tsx", "test/**/*.test.ts"],
        exclude: ["**/*.deno.test.ts", "**/node_modules/**", "**/dist/**"],
      },
    })),
    globalSetup: [join(root, "tools/mailservers/src/vitest-setup.ts")],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
