// The mailbox page warns about sent mail whose copy to the Sent folder failed (the mail went out once;
// the worker logs the same at warn level), and says nothing when every copy landed.
import { newId } from "@mailreg/core";
import { storeOutboxQueue } from "@mailreg/store";
import { afterEach, describe, expect, it } from "vitest";
import { call, createTestApp, signIn, TEST_ADMIN, type TestApp } from "./testing.ts";

let t: TestApp;
afterEach(() => t?.close());

async function applyOne(address: string): Promise<string> {
  const res = await call(t.app, "POST", "/api/v1/registrations", {
    json: { address, password: "mailbox-password" },
  });
  const { id } = (await res.json()) as { id: string };
  const applied = await call(t.app, "POST", `/api/v1/admin/registrations/${id}/apply`, {
    token: TEST_ADMIN.token,
  });
  return ((await applied.json()) as { mailbox: { id: string } }).mailbox.id;
}

async function sent(mailboxId: string, copy: { folder: string } | { error: string; errorCode: string }) {
  const queue = storeOutboxQueue(t.store);
  const id = newId();
  const messageId = `<${id}@example.com>`;
  await queue.insert({
    id,
    mailboxId,
    messageId,
    raw: new TextEncoder().encode("Subject: x\r\n\r\nx\r\n"),
    envelope: { from: "ann@example.com", to: ["bob@example.org"] },
  });
  await queue.markSent([{ id, at: new Date(), response: "250 OK" }]);
  await queue.recordSentCopy(id, copy);
  return messageId;
}

describe("the mailbox page and failed Sent copies", () => {
  it("lists the sent messages whose Sent copy failed, with the reason, and nothing for copies that landed", async () => {
    t = await createTestApp();
    const mailboxId = await applyOne("ann@example.com");
    const { cookie } = await signIn(t.app);
    const page = async () =>
      await (await call(t.app, "GET", `/admin/mailboxes/${mailboxId}`, { cookie })).text();

    await sent(mailboxId, { folder: "Sent" });
    expect(await page()).not.toContain('id="sent-copy-failures"');

    const failed = await sent(mailboxId, {
      error: "Sent, but not copied to the Sent folder: Message contains bare newlines",
      errorCode: "MAIL_PROTOCOL",
    });
    const html = await page();
    expect(html).toContain('id="sent-copy-failures"');
    expect(html).toContain("Sent, but not copied to the Sent folder (1)");
    expect(html).toContain("mailreg outbox copy-to-sent ID");
    expect(html).toContain(failed.replace("<", "&lt;").replace(">", "&gt;"));
    expect(html).toContain("Message contains bare newlines");
    expect(html).toContain('data-error-code="MAIL_PROTOCOL"');
  });
});
