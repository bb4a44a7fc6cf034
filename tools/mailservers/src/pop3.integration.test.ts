import { describe, expect, inject, it } from "vitest";
import { LineClient, type TrustOptions } from "../test/line-client.ts";
import { attachDovecot } from "./dovecot.ts";
import { generateMessages } from "./messages.ts";
import { addPasswdUser } from "./passwd-file.ts";
import { seedMaildir } from "./seed.ts";

const dovecot = inject("mailservers").dovecot;
const trust: TrustOptions = { ca: dovecot.caPem, servername: dovecot.servername };

async function seededUser(
  name: string,
  count: number,
): Promise<{ user: string; password: string; octets: number }> {
  const user = `${name}-${process.pid}`;
  const password = `pw-${user}`;
  addPasswdUser(dovecot.passwdDir, { user, password });
  const messages = [...generateMessages({ count, seed: 11 })];
  await seedMaildir(attachDovecot(dovecot), user, "INBOX", messages);
  return { user, password, octets: messages.reduce((sum, m) => sum + m.size, 0) };
}

async function loginAndStat(client: LineClient, user: string, password: string): Promise<string> {
  client.send(`USER ${user}`);
  expect(await client.readLine()).toMatch(/^\+OK/);
  client.send(`PASS ${password}`);
  expect(await client.readLine()).toMatch(/^\+OK Logged in/);
  client.send("STAT");
  const stat = (await client.readLine()) ?? "";
  client.send("QUIT");
  await client.readUntil(/^\+OK/);
  client.close();
  return stat;
}

describe("POP3", () => {
  it("logs in over POP3S and STAT counts the seeded messages and their octets", async () => {
    const { user, password, octets } = await seededUser("pop3s", 40);
    const client = await LineClient.open(dovecot.host, dovecot.pop3sPort, trust);
    expect(client.authorized).toBe(true);
    expect(await client.readLine()).toMatch(/^\+OK/);
    expect(await loginAndStat(client, user, password)).toBe(`+OK 40 ${octets}`);
  });

  it("upgrades with STLS on the plain port, verifying the test certificate", async () => {
    const { user, password } = await seededUser("pop3-stls", 3);
    const client = await LineClient.open(dovecot.host, dovecot.pop3Port);
    expect(await client.readLine()).toMatch(/^\+OK/);
    client.send("STLS");
    expect(await client.readLine()).toMatch(/^\+OK/);
    await client.upgrade(trust);
    expect(client.authorized).toBe(true);
    expect(await loginAndStat(client, user, password)).toMatch(/^\+OK 3 \d+$/);
  });

  it("refuses a wrong password", async () => {
    const { user } = await seededUser("pop3-bad", 1);
    const client = await LineClient.open(dovecot.host, dovecot.pop3sPort, trust);
    await client.readLine();
    client.send(`USER ${user}`);
    await client.readLine();
    client.send("PASS wrong");
    expect(await client.readLine()).toMatch(/^-ERR/);
    client.close();
  });
});
