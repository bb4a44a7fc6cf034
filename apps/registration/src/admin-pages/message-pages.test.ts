import { newId } from "@mailreg/core";
import { parseEnvelope } from "@mailreg/imap-sync";
import { searchText } from "@mailreg/message";
import {
  commitMessageChunk,
  indexPendingMessageText,
  purgeRawOlderThan,
  storeSinkLedger,
} from "@mailreg/store";
import { insertTestMailbox } from "@mailreg/store/testing";
import { afterEach, describe, expect, it } from "vitest";
import { MESSAGE_CSP } from "../admin/message-downloads.ts";
import { call, createTestApp, signIn, type TestApp } from "../testing.ts";

let t: TestApp;
afterEach(() => t?.close());

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==",
  "base64",
);

async function store(mailboxId: string, raws: string[], storedAt?: string): Promise<string[]> {
  const ids = raws.map(() => newId());
  await commitMessageChunk(t.store, {
    inserts: raws.map((text, i) => {
      const raw = new TextEncoder().encode(text.replace(/\r?\n/g, "\r\n"));
      return {
        id: ids[i]!,
        mailboxId,
        folder: i % 2 === 0 ? "INBOX" : "Archiv",
        uidvalidity: 1,
        uid: i + 1,
        contentHash: "0".repeat(64),
        size: raw.byteLength,
        flags: [],
        envelope: parseEnvelope(raw) as unknown as Record<string, unknown>,
        raw,
        storedAt: storedAt ?? new Date().toISOString(),
      };
    }),
  });
  await indexPendingMessageText(t.store, { extractText: searchText });
  return ids;
}

describe("the admin's message pages", () => {
  it("name each sink a message went to with its kind's label from the sink registry", async () => {
    t = await createTestApp({
      config: {
        sinks: {
          invoices: { kind: "mbox", path: "/srv/mail/{mailbox}.mbox" },
          crm: { kind: "webhook", url: "https://crm.example.org/hook", secretEnv: "CRM_HOOK_SECRET" },
        },
      },
    });
    const mailboxId = await insertTestMailbox(t.store, { instanceId: "main" });
    const [id] = await store(mailboxId, ["From: Anna <anna@example.org>\nSubject: Rechnung 7\n\nanbei"]);
    await storeSinkLedger(t.store).recordSinkResults([
      { messageRowId: id!, sink: "invoices", state: "delivered" },
      { messageRowId: id!, sink: "crm", state: "failed", lastError: "HTTP 500" },
    ]);
    const { cookie } = await signIn(t.app);
    const page = await (await call(t.app, "GET", `/admin/messages/${id}?lang=en`, { cookie })).text();
    const sinks = page.slice(
      page.indexOf('id="message-sinks"'),
      page.indexOf("</td>", page.indexOf('id="message-sinks"')),
    );
    expect(sinks).toContain('invoices<span class="muted"> (mbox file)</span>');
    expect(sinks).toContain('crm<span class="muted"> (Webhook)</span>');
  });

  it("list folders with counts and the messages, search them, in English and German; signed-out admins go to sign-in", async () => {
    t = await createTestApp();
    const mailboxId = await insertTestMailbox(t.store, { instanceId: "main" });
    await store(mailboxId, [
      "From: Anna <anna@example.org>\nSubject: Quartalsbericht\n\nZahlen anbei",
      "From: Bob <bob@example.org>\nSubject: Lunch\n\nPizza?",
      "From: Carla <carla@example.org>\nSubject: Angebot\n\n<b>no</b>",
    ]);
    const { cookie } = await signIn(t.app);
    expect((await call(t.app, "GET", `/admin/mailboxes/${mailboxId}/messages`)).status).toBe(303);
    const mailboxPage = await (await call(t.app, "GET", `/admin/mailboxes/${mailboxId}`, { cookie })).text();
    expect(mailboxPage).toContain(`href="/admin/mailboxes/${mailboxId}/messages"`);
    const list = await (
      await call(t.app, "GET", `/admin/mailboxes/${mailboxId}/messages?lang=en`, { cookie })
    ).text();
    expect(list).toMatch(/data-folder="INBOX">[\s\S]*?\(2\)/);
    expect(list).toMatch(/data-folder="Archiv">[\s\S]*?\(1\)/);
    for (const subject of ["Quartalsbericht", "Lunch", "Angebot"]) expect(list).toContain(subject);
    const found = await (
      await call(t.app, "GET", `/admin/mailboxes/${mailboxId}/messages?q=zahlen`, { cookie })
    ).text();
    expect(found).toContain("Quartalsbericht");
    expect(found).not.toContain("Lunch");
    const german = await (
      await call(t.app, "GET", `/admin/mailboxes/${mailboxId}/messages?lang=de&folder=Archiv`, { cookie })
    ).text();
    expect(german).toContain("Nachrichten");
    expect(german).toContain("Lunch");
    expect(german).not.toContain("Quartalsbericht");
    const bad = await call(t.app, "GET", `/admin/mailboxes/${mailboxId}/messages?since=gestern&lang=en`, {
      cookie,
    });
    expect(bad.status).toBe(200);
    expect(await bad.text()).toContain("since must be a date");
    expect((await call(t.app, "GET", `/admin/mailboxes/${newId()}/messages`, { cookie })).status).toBe(404);
  });

  it("show a message's HTML made safe, its inline image from the message itself, under the strict policy", async () => {
    t = await createTestApp();
    const mailboxId = await insertTestMailbox(t.store, { instanceId: "main" });
    const [id] = await store(mailboxId, [
      `From: News <news@example.org>\nTo: Owner <owner@example.test>\nSubject: Hallo\nMIME-Version: 1.0\n` +
        `Content-Type: multipart/related; boundary="rel"\n\n--rel\nContent-Type: text/html; charset=utf-8\n\n` +
        `<p onclick="steal()">Grüße</p><script>steal()</script><img src="cid:logo@example.org" alt="logo">` +
        `<img src="https://tracker.example/p.gif">\n--rel\nContent-Type: image/png\nContent-ID: <logo@example.org>\n` +
        `Content-Transfer-Encoding: base64\n\n${PNG.toString("base64")}\n--rel--\n`,
    ]);
    const { cookie } = await signIn(t.app);
    const res = await call(t.app, "GET", `/admin/messages/${id}?lang=en`, { cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toBe(MESSAGE_CSP);
    const page = await res.text();
    const body = /<div id="message-html"[^>]*>([\s\S]*?)<\/div>/.exec(page)?.[1] ?? "";
    expect(body).toContain("Grüße");
    expect(body).toContain(`src="data:image/png;base64,${PNG.toString("base64")}"`);
    expect(body).not.toMatch(/script|onclick|steal|tracker\.example/);
    expect(page).toContain("Owner &lt;owner@example.test&gt;");
    expect((await call(t.app, "GET", `/admin/messages/${newId()}`, { cookie })).status).toBe(404);
  });

  it("say so when retention removed a message's source", async () => {
    t = await createTestApp();
    const mailboxId = await insertTestMailbox(t.store, { instanceId: "main" });
    const [id] = await store(
      mailboxId,
      ["From: a@example.org\nSubject: Alt\n\nalt"],
      new Date(Date.now() - 400 * 86_400_000).toISOString(),
    );
    await purgeRawOlderThan(t.store, { before: new Date(Date.now() - 365 * 86_400_000) });
    const { cookie } = await signIn(t.app);
    const page = await (await call(t.app, "GET", `/admin/messages/${id}?lang=en`, { cookie })).text();
    expect(page).toContain("The retention policy removed the raw source");
    expect(page).not.toContain(`/api/v1/admin/messages/${id}/raw`);
  });
});
