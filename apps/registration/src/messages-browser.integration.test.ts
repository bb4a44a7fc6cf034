import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { newId } from "@mailreg/core";
import { parseEnvelope } from "@mailreg/imap-sync";
import { searchText } from "@mailreg/message";
import { commitMessageChunk, indexPendingMessageText } from "@mailreg/store";
import { insertTestMailbox } from "@mailreg/store/testing";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, launchChromium, shot, startServer } from "../test/browser-harness.ts";

let server: Awaited<ReturnType<typeof startServer>>;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;
let page: Page;
/** A tiny web server standing in for a tracker: every request a page makes to it is counted. */
let tracker: Server;
const trackerHits: string[] = [];
let mailboxId: string;

function raw(lines: string): Uint8Array {
  return new TextEncoder().encode(lines.replaceAll("\n", "\r\n"));
}

beforeAll(async () => {
  tracker = createServer((req, res) => {
    trackerHits.push(req.url ?? "");
    res.writeHead(200, { "content-type": "image/gif" }).end("GIF89a");
  });
  await new Promise<void>((resolve) => tracker.listen(0, "127.0.0.1", resolve));
  const remote = `http://127.0.0.1:${(tracker.address() as AddressInfo).port}`;
  server = await startServer({ instances: [{ id: "main", label: "Head office" }] });
  const store = server.context.store;
  mailboxId = await insertTestMailbox(store, { instanceId: "main" });
  const messages = [
    raw(
      `From: Newsletter <news@letters.example>\nTo: owner@example.test\nSubject: Spring offers\n` +
        `MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="alt"\n\n` +
        `--alt\nContent-Type: text/plain; charset=utf-8\n\nSpring offers in plain text\n` +
        `--alt\nContent-Type: text/html; charset=utf-8\n\n` +
        `<html><head><link rel="stylesheet" href="${remote}/style.css"><style>@import url(${remote}/import.css);</style></head>` +
        `<body><p>Twenty percent off everything</p>` +
        `<script>window.__ran = true; document.title = "script ran"; fetch("${remote}/fetch");</script>` +
        `<img src="${remote}/pixel.gif" alt="tracking pixel">` +
        `<img src="x" onerror="window.__ran = true; new Image().src='${remote}/onerror'">` +
        `<div style="background-image:url(${remote}/bg.png)">background</div>` +
        `<iframe src="${remote}/frame"></iframe><a href="javascript:window.__ran=true">click</a></body></html>\n` +
        `--alt--\n`,
    ),
    raw(
      `From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@kunde.example>\nTo: owner@example.test\n` +
        `Subject: =?UTF-8?Q?Rechnung_4711_=E2=80=93_f=C3=A4llig?=\nMIME-Version: 1.0\n` +
        `Content-Type: multipart/mixed; boundary="mix"\n\n--mix\nContent-Type: text/plain; charset=utf-8\n\n` +
        `Anbei die Rechnung.\n--mix\nContent-Type: application/pdf; name="rechnung.pdf"\n` +
        `Content-Disposition: attachment; filename="rechnung.pdf"\nContent-Transfer-Encoding: base64\n\n` +
        `JVBERi0xLjQKJcOkw7zDtsOf\n--mix--\n`,
    ),
    ...Array.from({ length: 60 }, (_, i) => raw(`From: a@example.org\nSubject: Filler ${i}\n\nfiller\n`)),
  ];
  const storedAt = Date.now() - 60_000;
  await commitMessageChunk(store, {
    inserts: messages.map((r, i) => ({
      id: newId(),
      mailboxId,
      folder: i < 2 ? "INBOX" : "Archiv",
      uidvalidity: 1,
      uid: i + 1,
      contentHash: "0".repeat(64),
      size: r.byteLength,
      flags: [],
      envelope: parseEnvelope(r) as unknown as Record<string, unknown>,
      raw: r,
      storedAt: new Date(storedAt + i).toISOString(),
    })),
  });
  await indexPendingMessageText(store, { extractText: searchText });
  chromium = await launchChromium();
  context = await chromium.browser.newContext({ locale: "en-GB", viewport: { width: 1100, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await server?.close();
  await new Promise((resolve) => tracker?.close(resolve));
});

async function signIn(p: Page) {
  await p.goto(`${server.url}/admin?lang=en`);
  await p.getByLabel("User name").fill(ADMIN.user);
  await p.getByLabel("Password").fill(ADMIN.password);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.waitForURL(/\/admin\/registrations/);
}

describe("collected mail in the admin (Chromium)", () => {
  it("the admin finds a message by subject from the mailbox page and opens it; its script never runs and nothing remote loads", async () => {
    await signIn(page);
    await page.goto(`${server.url}/admin/mailboxes/${mailboxId}`);
    await page.getByRole("link", { name: "Browse its messages" }).click();
    await page.waitForURL(/\/messages$/);
    // folders with their counts
    await expect.poll(() => page.locator("#folders").textContent()).toMatch(/All folders\s*\(62\)/);
    expect(await page.locator('[data-folder="INBOX"]').textContent()).toMatch(/INBOX\s*\(2\)/);
    expect(await page.locator('[data-folder="Archiv"]').textContent()).toMatch(/Archiv\s*\(60\)/);
    // paging: 50 newest, then the older ones
    expect(await page.locator("#messages tbody tr").count()).toBe(50);
    await page.getByRole("link", { name: "Older messages" }).click();
    expect(await page.locator("#messages tbody tr").count()).toBe(12);
    // the search box
    await page.getByLabel("Words in subject, sender, recipients or text").fill("fällig");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => page.locator("#messages tbody tr").count()).toBe(1);
    await page.getByLabel("Words in subject, sender, recipients or text").fill("spring offers");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => page.locator("#messages tbody tr").count()).toBe(1);
    await shot(page, "messages-search");
    await page.getByRole("link", { name: "Spring offers" }).click();
    await page.waitForURL(/\/admin\/messages\//);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Spring offers");
    expect(await page.locator("#message-html p").first().textContent()).toBe("Twenty percent off everything");
    expect(await page.locator("#message-headers").textContent()).toContain("news@letters.example");
    await page.waitForTimeout(500);
    await shot(page, "message-html");
    expect(await page.evaluate(() => (window as unknown as { __ran?: boolean }).__ran)).toBeUndefined();
    expect(await page.title()).not.toBe("script ran");
    expect(await page.locator("#message-html script, #message-html iframe, #message-html img").count()).toBe(
      0,
    );
    expect(trackerHits).toEqual([]);
    // the page itself forbids scripts and remote loads
    const response = await page.request.get(page.url());
    expect(response.headers()["content-security-policy"]).toMatch(
      /default-src 'none'.*img-src data:.*sandbox/,
    );
    // the text part on request
    await page.getByRole("link", { name: "Show the text part" }).click();
    expect(await page.locator("#message-text").textContent()).toContain("Spring offers in plain text");
    expect(trackerHits).toEqual([]);
  });

  it("the admin opens a message with a non-ASCII subject and downloads its attachment", async () => {
    await page.goto(`${server.url}/admin/mailboxes/${mailboxId}/messages?subject=rechnung`);
    await page.getByRole("link", { name: "Rechnung 4711 – fällig" }).click();
    expect(await page.locator("#message-headers").textContent()).toContain("Jürgen Müller");
    expect(await page.locator("#message-text").textContent()).toContain("Anbei die Rechnung.");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "rechnung.pdf" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("rechnung.pdf");
    const bytes = await download.createReadStream().then(async (s) => {
      const chunks: Buffer[] = [];
      for await (const c of s) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    });
    expect(bytes.toString("latin1").startsWith("%PDF-1.4")).toBe(true);
    expect(trackerHits).toEqual([]);
  });
});
