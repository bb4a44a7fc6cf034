// Deno smoke test: the chain, the transport options, and a message through the outbox to a real
// SMTP server (the smtp-server package) over the in-memory queue, all from the same source as under Node.
import assert from "node:assert/strict";
import { SMTPServer } from "smtp-server";
import {
  drainOutbox,
  enqueue,
  explainResolution,
  memoryOutbox,
  requireResolved,
  resolve,
  Sender,
  transportOptions,
} from "./mod.ts";

Deno.test("resolve() walks the chain and transportOptions() requires STARTTLS on 587 under Deno", () => {
  const resolved = requireResolved(
    resolve({
      company: { enabled: false, host: "corp.example.org", port: 587 },
      default: { host: "smtp.example.org", port: 587 },
    }),
  );
  assert.equal(resolved.level, "default");
  assert.deepEqual(
    resolved.passedOver.map((p) => p.reason),
    ["not-set", "disabled", "not-set"],
  );
  assert.match(explainResolution(resolved), /STARTTLS, required/);
  const options = transportOptions(resolved.settings, { method: "none" });
  assert.equal(options.requireTLS, true);
  assert.equal(options.secure, false);
});

Deno.test("a queued message reaches a real SMTP server once, through drainOutbox(), under Deno", async () => {
  const received: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    disableReverseLookup: true,
    logger: false,
    onData(stream, _session, callback) {
      let text = "";
      stream.on("data", (chunk: Uint8Array) => {
        text += new TextDecoder().decode(chunk);
      });
      stream.on("end", () => {
        received.push(text);
        callback(null);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  const outbox = memoryOutbox({
    mailboxes: [
      {
        id: "ann",
        address: "ann@example.org",
        instanceId: "deno",
        template: null,
        login: "ann",
        authMethod: "password",
      },
    ],
  });
  const sender = new Sender();
  try {
    const { messageId } = await enqueue(outbox, {
      mailboxId: "ann",
      message: { to: "bob@example.org", subject: "Deno", text: "hi" },
    });
    const report = await drainOutbox(outbox, sender, {
      targetFor: async () => ({
        settings: { host: "127.0.0.1", port, tls: { verify: true } },
        credentials: { method: "none" },
      }),
    });
    assert.equal(report.sent, 1);
    assert.equal(received.length, 1);
    assert.ok(received[0]?.includes(`Message-ID: ${messageId}`));
  } finally {
    sender.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
