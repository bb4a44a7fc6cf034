import { commitMessageChunk } from "@mailreg/store";
import { afterEach, describe, expect, it } from "vitest";
import { call, createTestApp, signIn, TEST_ADMIN, type TestApp } from "./testing.ts";

let t: TestApp;
afterEach(() => t?.close());

/** An applied mailbox with one dead letter of the webhook sink. */
async function _withDeadLetter(): Promise<string> {
  t = await createTestApp();
  const res = await call(t.app, "POST", "/api/v1/registrations", {
    json: { address: "ann@example.com", password: "pw-123456" },
  });
  const { id } = (await res.json()) as { id: string };
  const applied = await call(t.app, "POST", `/api/v1/admin/registrations/${id}/apply`, {
    token: TEST_ADMIN.token,
  });
  const mailboxId = ((await applied.json()) as { mailbox: { id: string } }).mailbox.id;
  await commitMessageChunk(t.store, {
    deadLetters: [
      {
        mailboxId,
        messageRowId: null,
        sink: "webhook:https://hooks.example.org/mail",
        event: "message.stored",
        payload: { event: "message.stored" },
        attempts: 5,
        lastError: "HTTP 503 from the receiver",
        createdAt: "2026-11-25T10:00:00.000Z",
      },
    ],
  });
  return mailboxId;
}

describe("dead letters in the admin", () => {
  it("the API lists a webhook's dead letter with its mailbox address, and refuses without credentials", async () => {
    const mailboxId = await _withDeadLetter();
    expect((await call(t.app, "GET", "/api/v1/admin/dead-letters")).status).toBe(401);
    const res = await call(t.app, "GET", "/api/v1/admin/dead-letters", { token: TEST_ADMIN.token });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { deadLetters: object[] };
    expect(body.deadLetters).toEqual([
      expect.objectContaining({
        mailboxId,
        address: "ann@example.com",
        sink: "webhook:https://hooks.example.org/mail",
        event: "message.stored",
        attempts: 5,
        lastError: "HTTP 503 from the receiver",
        createdAt: "2026-11-25T10:00:00.000Z",
      }),
    ]);
    expect(JSON.stringify(body)).not.toContain("payload");
  });

  it("the admin page shows the dead letter in English and German, linked from the navigation", async () => {
    await _withDeadLetter();
    const { cookie } = await signIn(t.app);
    const mailboxes = await (await call(t.app, "GET", "/admin/mailboxes", { cookie })).text();
    expect(mailboxes).toContain('href="/admin/dead-letters"');
    const en = await call(t.app, "GET", "/admin/dead-letters?lang=en", { cookie });
    expect(en.status).toBe(200);
    const html = await en.text();
    expect(html).toContain("Dead letters");
    expect(html).toContain("ann@example.com");
    expect(html).toContain("HTTP 503 from the receiver");
    const de = await (await call(t.app, "GET", "/admin/dead-letters?lang=de", { cookie })).text();
    expect(de).toContain("Unzustellbare Ereignisse");
    expect(de).toContain("Versuche");
  });

  it("the admin page says so when there are none, and asks to sign in without a session", async () => {
    t = await createTestApp();
    expect((await call(t.app, "GET", "/admin/dead-letters")).status).toBe(303);
    const { cookie } = await signIn(t.app);
    const html = await (await call(t.app, "GET", "/admin/dead-letters?lang=en", { cookie })).text();
    expect(html).toContain("No dead letters");
  });
});
