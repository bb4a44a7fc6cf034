import { startFaultProxy, startSmtpSink } from "@mailreg/mailservers";
import { expect, it } from "vitest";
import { Sender, type SendTarget } from "./sender.ts";

it("sends started together towards a new server share one pooled connection, which close() ends", async () => {
  const sink = await startSmtpSink();
  // a pass-through proxy in front of the sink counts the connections the sender opens
  const proxy = await startFaultProxy({ target: { host: sink.host, port: sink.port } });
  const sender = new Sender({ maxConnections: 1 });
  try {
    const target: SendTarget = {
      settings: { host: proxy.host, port: proxy.port, tls: { verify: true } },
      credentials: { method: "none" },
    };
    const message = (i: number) => ({
      raw: `From: a@example.org\r\nTo: b${i}@example.org\r\nSubject: ${i}\r\n\r\nx\r\n`,
      envelope: { from: "a@example.org", to: [`b${i}@example.org`] },
    });
    const results = await Promise.all([0, 1, 2, 3].map((i) => sender.send(target, message(i))));
    expect(results.map((r) => r.response.slice(0, 3))).toEqual(["250", "250", "250", "250"]);
    expect(sink.messages).toHaveLength(4);
    expect(proxy.connections).toHaveLength(1);
    expect(sender.poolCount).toBe(1);
    sender.close();
    for (let i = 0; i < 50 && proxy.connections.some((c) => !c.closed); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(proxy.connections.map((c) => c.closed)).toEqual([true]);
  } finally {
    sender.close();
    await proxy.close();
    await sink.stop();
  }
});
