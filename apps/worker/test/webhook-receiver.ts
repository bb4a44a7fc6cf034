/**
 * Test helper (not built): a real local HTTP webhook receiver that keeps every request it gets,
 * checks each one's HMAC-SHA256 signature with the secret of its path, and can be told to fail.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the receiver got. */
export interface ReceivedHook {
  /** The path, e.g. `/crm`. */
  path: string;
  /** Whether `X-Mailreg-Signature` is the HMAC of the body with the path's secret. */
  signed: boolean;
  /** `X-Mailreg-Delivery` (the stored message's id). */
  delivery: string;
  /** The parsed JSON body. */
  body: { event: string; id: string; envelope: { subject?: string }; raw?: string };
  /** The status it was answered with. */
  status: number;
}

/** A running receiver. */
export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Every request so far, in order. */
  received: ReceivedHook[];
  /** The accepted (2xx) `message.stored` requests to `path`. */
  accepted(path: string): ReceivedHook[];
  /** Answer requests to `path` with this status from now on (default 204). */
  answer(path: string, status: number): void;
  close(): Promise<void>;
}

/**
 * Starts a receiver on a free loopback port.
 *
 * @param secrets the HMAC secret per path (`/crm` → secret)
 * @returns the receiver
 */
export async function startWebhookReceiver(secrets: Record<string, string>): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = [];
  const statuses = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const path = new URL(req.url ?? "/", "http://x").pathname;
      const secret = secrets[path];
      const expected =
        secret === undefined ? "" : `sha256=${createHmac("sha256", secret).update(text).digest("hex")}`;
      const got = String(req.headers["x-mailreg-signature"] ?? "");
      const signed =
        expected !== "" &&
        got.length === expected.length &&
        timingSafeEqual(Buffer.from(got), Buffer.from(expected));
      const status = statuses.get(path) ?? 204;
      received.push({
        path,
        signed,
        delivery: String(req.headers["x-mailreg-delivery"] ?? ""),
        body: JSON.parse(text) as ReceivedHook["body"],
        status,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    accepted: (path) =>
      received.filter((r) => r.path === path && r.status < 300 && r.body.event === "message.stored"),
    answer: (path, status) => void statuses.set(path, status),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
