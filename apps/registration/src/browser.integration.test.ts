import { attachDovecot } from "@mailreg/mailservers";
import { listMailboxes, listRegistrations, setOpenNow } from "@mailreg/store";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { ADMIN, launchChromium, shot, startServer, tabTo } from "../test/browser-harness.ts";
import { imapSyncChecks } from "./mail-checks.ts";
import { setSchedule } from "./windows/window-store.ts";

const dovecot = inject("mailservers").dovecot;
const owner = { user: `browser-${process.pid}`, password: "Owner-Pa55-word" };
const address = `${owner.user}@example.test`;

let server: Awaited<ReturnType<typeof startServer>>;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  attachDovecot(dovecot).addUser(owner.user, owner.password);
  server = await startServer(
    {
      registration: { enabled: true, templates: ["dovecot", "other"], verifyOnSubmit: true },
      servers: [
        {
          id: "dovecot",
          label: "Company mail (IMAP)",
          protocol: "imap",
          host: dovecot.host,
          port: dovecot.imapsPort,
          security: "tls",
          tls: { verify: true, servername: dovecot.servername },
        },
        {
          id: "other",
          label: "Branch office (POP3)",
          protocol: "pop3",
          host: dovecot.host,
          port: dovecot.pop3sPort,
        },
      ],
      instances: [
        { id: "main", label: "Head office" },
        { id: "sales", label: "Sales" },
      ],
    },
    imapSyncChecks({ ca: dovecot.caPem }),
  );
  chromium = await launchChromium();
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await server?.close();
});

beforeEach(async () => {
  await context?.close();
  context = await chromium.browser.newContext({ locale: "en-GB", viewport: { width: 1100, height: 900 } });
  page = await context.newPage();
});

const store = () => server.context.store;

async function fillRegistration(p: Page, values: { address: string; name?: string; password: string }) {
  await p.goto(`${server.url}/register`);
  await p.getByLabel("Email address").fill(values.address);
  if (values.name !== undefined) await p.getByLabel("Display name").fill(values.name);
  await p.getByLabel("Login name").fill(owner.user);
  await p.getByLabel("Password").fill(values.password);
  await p.getByLabel("Company mail (IMAP)").check();
}

async function signIn(p: Page) {
  await p.goto(`${server.url}/admin?lang=en`);
  await expect.poll(() => p.url()).toContain("/admin/login");
  await p.getByLabel("User name").fill(ADMIN.user);
  await p.getByLabel("Password").fill(ADMIN.password);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.waitForURL(/\/admin\/registrations/);
}

async function decide(
  p: Page,
  registrationAddress: string,
  action: "Apply selected" | "Reject selected",
  instance?: string,
  replace = false,
) {
  await p.goto(`${server.url}/admin/registrations?status=pending`);
  await p
    .getByRole("checkbox", { name: `Select ${registrationAddress}` })
    .first()
    .check();
  if (instance !== undefined) await p.getByLabel("Apply to instance").selectOption(instance);
  if (replace) await p.getByLabel("Replace existing mailboxes (login, server and secret)").check();
  await p.getByRole("button", { name: action }).click();
  await p.waitForURL(/\/admin\/registrations/);
}

describe("in a real browser", () => {
  it("an owner registers with the keyboard alone, sees the success message and empty fields", async () => {
    await page.goto(`${server.url}/register`);
    await shot(page, "01-register-form");
    await tabTo(page, "f-address");
    await page.keyboard.type(address);
    await page.keyboard.press("Tab");
    await page.keyboard.type("Olivia Owner");
    await page.keyboard.press("Tab");
    await page.keyboard.type(owner.user);
    await page.keyboard.press("Tab");
    await page.keyboard.type(owner.password);
    await tabTo(page, "f-template-dovecot");
    await page.keyboard.press("Enter");
    await page.waitForURL(/done=1/);
    await expect.poll(() => page.locator("#success").textContent()).toContain("your mailbox is registered");
    expect(await page.getByLabel("Email address").inputValue()).toBe("");
    expect(await page.getByLabel("Password").inputValue()).toBe("");
    await shot(page, "02-register-success");
    expect((await listRegistrations(store())).map((r) => r.address)).toEqual([address]);
  });

  it("a wrong field shows its message next to it and keeps the other values", async () => {
    await fillRegistration(page, {
      address: "olivia.example.test",
      name: "Olivia Owner",
      password: owner.password,
    });
    await page.getByRole("button", { name: "Register" }).click();
    const field = page.getByLabel("Email address");
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    const describedBy = (await field.getAttribute("aria-describedby")) ?? "";
    expect(await page.locator(`#${describedBy.split(" ").at(-1)}`).textContent()).toContain(
      "not a valid email address",
    );
    expect(await field.inputValue()).toBe("olivia.example.test");
    expect(await page.getByLabel("Display name").inputValue()).toBe("Olivia Owner");
    expect(await page.getByLabel("Password").inputValue()).toBe("");
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Email address");
    await shot(page, "03-register-field-error");
  });

  it("a wrong password is refused as 'login refused' after the server was asked", async () => {
    await fillRegistration(page, { address, password: "not-the-password" });
    await page.getByRole("button", { name: "Register" }).click();
    expect(await page.locator("#f-password-error").textContent()).toMatch(/^Signing in did not work/);
    await shot(page, "04-register-login-refused");
  });

  it("the same while closed is refused with the next window's time", async () => {
    await fillRegistration(page, { address, password: owner.password });
    const from = "2099-03-02T08:00:00.000Z";
    await setSchedule(store(), [{ from, until: "2099-03-02T17:00:00.000Z" }], {
      actor: "test",
      now: new Date(),
    });
    server.context.windows.changed();
    const before = (await listRegistrations(store())).length;
    await page.getByRole("button", { name: "Register" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Registration is closed");
    expect(await page.locator("time").getAttribute("datetime")).toBe(from);
    expect(await page.locator("time").textContent()).toBe("Monday, 2 March 2099 at 08:00 UTC");
    await shot(page, "05-register-closed");
    expect(await listRegistrations(store())).toHaveLength(before);
    await setOpenNow(store(), true, { actor: "test" });
    server.context.windows.changed();
  });

  it("the admin signs in, sees the registration and applies it to an instance: the mailbox appears", async () => {
    await signIn(page);
    await expect.poll(() => page.locator("tbody").textContent()).toContain(address);
    await shot(page, "06-admin-registrations");
    await decide(page, address, "Apply selected", "sales");
    await expect
      .poll(() => page.locator("#flash").textContent())
      .toContain(`Applied ${address} to sales: mailbox created`);
    await page.getByRole("link", { name: "Mailboxes" }).click();
    await expect.poll(() => page.locator("#mailboxes").textContent()).toContain(address);
    await page.getByRole("button", { name: `Check ${address}` }).click();
    await expect.poll(() => page.locator("#flash").textContent()).toContain(`${address}: login works`);
    await shot(page, "07-admin-mailboxes");
    const mailboxes = await listMailboxes(store());
    expect(mailboxes.map((m) => [m.address, m.instanceId])).toEqual([[address, "sales"]]);
  });

  it("a second registration of the same address shows what applying would replace, and updates that mailbox (still one) once confirmed", async () => {
    const [first] = await listMailboxes(store());
    await fillRegistration(page, { address, password: owner.password });
    await page.getByRole("button", { name: "Register" }).click();
    await page.waitForURL(/done=1/);
    await signIn(page);
    await decide(page, address, "Apply selected", "sales");
    await expect.poll(() => page.locator("#flash").textContent()).toContain("already has a mailbox");
    expect(await page.locator("#flash").textContent()).toContain("the password or token");
    expect((await listMailboxes(store()))[0]?.registrationId).toBe(first?.registrationId);
    await decide(page, address, "Apply selected", "sales", true);
    await expect.poll(() => page.locator("#flash").textContent()).toContain("mailbox updated");
    const mailboxes = await listMailboxes(store());
    expect(mailboxes).toHaveLength(1);
    expect(mailboxes[0]?.id).toBe(first?.id);
    expect(mailboxes[0]?.registrationId).not.toBe(first?.registrationId);
  });

  it("a rejected registration leaves the pending list and makes no mailbox", async () => {
    const other = `other-${process.pid}@example.test`;
    attachDovecot(dovecot).addUser(owner.user, owner.password);
    await fillRegistration(page, { address: other, password: owner.password });
    await page.getByRole("button", { name: "Register" }).click();
    await page.waitForURL(/done=1/);
    await signIn(page);
    await decide(page, other, "Reject selected");
    await expect.poll(() => page.locator("#flash").textContent()).toContain(`Rejected ${other}`);
    expect(await page.locator("main").textContent()).not.toContain(`Select ${other}`);
    await page.goto(`${server.url}/admin/registrations?status=rejected`);
    await expect.poll(() => page.locator("tbody").textContent()).toContain(other);
    await shot(page, "08-admin-rejected");
    expect((await listMailboxes(store())).map((m) => m.address)).toEqual([address]);
  });

  it("the pages speak German, and the admin window, audit and API docs pages render", async () => {
    await page.goto(`${server.url}/register?lang=de`);
    expect(await page.locator("h1").textContent()).toBe("Postfach registrieren");
    await shot(page, "09-register-german");
    await signIn(page);
    await page.goto(`${server.url}/admin/window?lang=en`);
    await expect.poll(() => page.locator("#window-state").textContent()).toBe("open");
    await shot(page, "10-admin-window");
    await page.goto(`${server.url}/admin/audit`);
    await expect.poll(() => page.locator("#audit").textContent()).toContain("registration.reject");
    await shot(page, "11-admin-audit");
    await page.goto(`${server.url}/api/v1/docs`);
    await expect.poll(() => page.locator("main").textContent()).toContain("POST /api/v1/registrations");
    await shot(page, "12-api-docs");
  });
});
