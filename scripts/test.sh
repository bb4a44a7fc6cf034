#!/usr/bin/env bash
# The one test command (`npm test`): installs what the real-server tests need where it can,
# builds, type-checks and lints the workspace, uses the packed packages as a consumer outside the repository
# would (scripts/check-consumer.mjs), runs the Node suite (vitest, real Dovecot, SMTP sink,
# OAuth provider) and then the Deno suite.
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
cd "$(dirname "$0")/.."
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "mail servers: checking what is installed"
node tools/mailservers/bin/ensure-deps.mjs
node scripts/ensure-chromium.mjs

step "build and typecheck (turbo)"
npx turbo run build typecheck --output-logs=errors-only

step "lint (biome)"
npx biome check .

step "package exports (package.json, deno.json and tsconfig paths agree; tarballs and deno publish --dry-run are clean)"
node scripts/check-exports.mjs
node scripts/check-engines.mjs
node scripts/check-publish.mjs
node scripts/readme-api.mjs --check packages/core packages/crypto-registry packages/message packages/oauth packages/store

step "consumer check (the tarballs installed outside the repository: sizes, import times, tsc strict, README examples on Node and Deno, no database under smtp-resolver, the registration app under /mail of a host on another hono minor in Chromium)"
node scripts/check-consumer.mjs --no-build

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

step "Node suite (vitest)"
# worker processes started by the tests run the build made above (apps/worker/test/worker-process.ts);
# not a MAILREG_ name: those are config overrides, and an unknown one is refused
export TEST_USE_BUILD=1
npx vitest run --reporter=default --reporter=json --outputFile.json="$results/vitest.json"

step "Deno: every member's entry points type-check (deno check)"
node scripts/deno-check.mjs

step "Deno suite (deno test)"
node scripts/deno-test.mjs --junit-path="$results/deno.xml"

node scripts/test-summary.mjs "$results/vitest.json" "$results/deno.xml"
