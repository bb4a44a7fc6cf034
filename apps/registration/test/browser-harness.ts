/**
 * For the browser tests: a real server (the Node adapter, a file database and key files in a temp
 * folder) and Debian's Chromium driven by playwright-core, with screenshots kept under
 * `test-artifacts/`. Not built, not exported.
 *
 * @module
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ConfigInput, hashPassword, validateConfig } from "@mailreg/core";
import { generateRegistryKey, writeKeyPair } from "@mailreg/crypto-registry";
import { type Browser, chromium, type Page } from "playwright-core";
import { CONNECTORS } from "../src/connectors.ts";
import { type RunningServer, type StartOptions, startRegistrationServer } from "../src/main.node.ts";

/** Where screenshots go (gitignored). */
export const ARTIFACTS = fileURLToPath(new URL("../test-artifacts/", import.meta.url));

/** The admin of the browser tests. */
export const ADMIN = { user: "admin", password: "browser-admin-password" };

/**
 * Launches Debian's Chromium headless, as this machine allows it. playwright-core gives the browser
 * a fresh profile folder of its own (its `--user-data-dir`) and removes it on close.
 */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

/** A server on a free loopback port over a temp folder (database, keys). */
export async function startServer(
  config: ConfigInput,
  deps: Omit<StartOptions, "config"> = {},
): Promise<RunningServer & { dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "mailreg-browser-"));
  const keys = {
    publicKeyFile: join(dir, "keys/registry.public.jwk"),
    privateKeyDir: join(dir, "keys/private"),
  };
  await writeKeyPair(await generateRegistryKey(), keys);
  const full = validateConfig(
    {
      database: { url: `file:${join(dir, "data/mailreg.db")}` },
      keys,
      server: { host: "127.0.0.1", port: 0 },
      admin: { users: [{ name: ADMIN.user, passwordHash: await hashPassword(ADMIN.password) }] },
      ...config,
    },
    CONNECTORS,
  );
  const server = await startRegistrationServer({ config: full, timeZone: "UTC", ...deps });
  return {
    ...server,
    dir,
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as `test-artifacts/<name>.png`. */
export async function shot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Presses Tab until the element with `id` has focus (at most 40 times); fails otherwise. */
export async function tabTo(page: Page, id: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    if ((await page.evaluate(() => document.activeElement?.id)) === id) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`#${id} never got the keyboard focus`);
}
