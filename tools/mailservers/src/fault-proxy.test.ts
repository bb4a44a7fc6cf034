import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer, connect as tlsConnect } from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { createTestCertificate } from "./cert.ts";
import { type FaultProxy, startFaultProxy } from "./fault-proxy.ts";

/** A peer that sends `size` bytes (0, 1, 2 … mod 251) on connect and echoes what it receives. */
async function startPeer(size: number): Promise<Server> {
  const payload = Buffer.from(Array.from({ length: size }, (_, i) => i % 251));
  const server = createServer((socket) => {
    socket.on("error", () => {});
    socket.write(payload);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

const portOf = (server: Server) => (server.address() as { port: number }).port;

/** Connects through the proxy, sends `send`, and collects what arrives until the connection ends or `idleMs` passes quietly. */
async function session(
  proxy: FaultProxy,
  send = Buffer.alloc(0),
  idleMs = 300,
): Promise<{ received: Buffer; ended: "closed" | "idle"; ms: number }> {
  const started = performance.now();
  return await new Promise((resolve) => {
    const socket = tcpConnect({ host: proxy.host, port: proxy.port });
    const chunks: Buffer[] = [];
    let timer = setTimeout(() => finish("idle"), idleMs);
    const finish = (ended: "closed" | "idle") => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), ended, ms: performance.now() - started });
    };
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      clearTimeout(timer);
      timer = setTimeout(() => finish("idle"), idleMs);
    });
    socket.once("close", () => finish("closed"));
    if (send.length > 0) socket.write(send);
  });
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function setup(size: number, seed?: number): Promise<FaultProxy> {
  const peer = await startPeer(size);
  const proxy = await startFaultProxy({
    target: { host: "127.0.0.1", port: portOf(peer) },
    ...(seed === undefined ? {} : { seed }),
  });
  cleanup.push(async () => {
    await proxy.close();
    await new Promise((resolve) => peer.close(resolve));
  });
  return proxy;
}

describe("startFaultProxy()", () => {
  it("passes every byte through both ways and counts the connections", async () => {
    const proxy = await setup(100_000);
    const sent = Buffer.alloc(50_000, 7);
    const { received } = await session(proxy, sent);
    expect(received.length).toBe(150_000);
    expect(received.subarray(100_000).equals(sent)).toBe(true);
    expect(proxy.stats()).toEqual({ connections: 1, faults: 0, bytesUp: 50_000, bytesDown: 150_000 });
  });

  it("cuts a connection after exactly N bytes from the server, for the next connection only", async () => {
    const proxy = await setup(10_000);
    proxy.inject({ kind: "cut", afterBytes: 1234, direction: "down" }, { connections: 1 });
    const cut = await session(proxy);
    expect(cut).toMatchObject({ ended: "closed" });
    expect(cut.received.length).toBe(1234);
    const clean = await session(proxy);
    expect(clean.received.length).toBe(10_000);
    expect(proxy.stats()).toMatchObject({ connections: 2, faults: 1 });
    expect(proxy.connections[0]).toMatchObject({ fired: true, down: 1234, closed: true });
  });

  it("counts bytes in both directions together when cutting a whole session at N", async () => {
    const proxy = await setup(100);
    proxy.inject({ kind: "cut", afterBytes: 150, direction: "both" });
    const { received } = await session(proxy, Buffer.alloc(200, 1));
    const [conn] = proxy.connections;
    expect(conn!.up + conn!.down).toBe(150);
    expect(received.length).toBe(conn!.down);
  });

  it("cuts at random points that the same seed replays exactly", async () => {
    const points = async (seed: number) => {
      const proxy = await setup(5_000, seed);
      proxy.inject({ kind: "cut-random", withinBytes: 5_000, direction: "down" });
      const lengths: number[] = [];
      for (let i = 0; i < 5; i++) lengths.push((await session(proxy)).received.length);
      expect(proxy.seed).toBe(seed);
      expect(lengths, `seed ${seed}`).toEqual(
        proxy.connections.map((c) => (c.fault?.kind === "cut" ? c.fault.afterBytes : -1)),
      );
      return lengths;
    };
    const a = await points(42);
    expect(await points(42)).toEqual(a);
    expect(await points(43)).not.toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(1);
  });

  it("stalls for a while and then delivers everything, or stalls for good until reset", async () => {
    const proxy = await setup(4_000);
    proxy.inject({ kind: "stall", afterBytes: 1_000, direction: "down", ms: 400 }, { connections: 1 });
    const late = await session(proxy, Buffer.alloc(0), 700);
    expect(late.received.length).toBe(4_000);
    expect(late.ms).toBeGreaterThanOrEqual(400 + 700 - 50);

    proxy.inject({ kind: "stall", direction: "down" });
    const stuck = await session(proxy, Buffer.alloc(0), 300);
    expect(stuck).toMatchObject({ ended: "idle" });
    expect(stuck.received.length).toBe(0);
    proxy.reset();
    expect((await session(proxy)).received.length).toBe(4_000);
    expect(proxy.stats()).toMatchObject({ connections: 3, faults: 2 });
  });

  it("slows a connection to the given rate", async () => {
    const proxy = await setup(3_000);
    proxy.inject({ kind: "slow", bytesPerSecond: 10_000 });
    const { received, ms } = await session(proxy, Buffer.alloc(0), 400);
    expect(received.length).toBe(3_000);
    expect(ms - 400).toBeGreaterThanOrEqual(250);
  });

  it("cutAll() ends every open connection at once", async () => {
    const proxy = await setup(10);
    const pending = [session(proxy, Buffer.alloc(0), 5_000), session(proxy, Buffer.alloc(0), 5_000)];
    while (proxy.connections.filter((c) => c.down === 10).length < 2)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(proxy.cutAll()).toBe(2);
    expect((await Promise.all(pending)).map((s) => s.ended)).toEqual(["closed", "closed"]);
    expect(proxy.stats().faults).toBe(2);
  });

  it("passes TLS through untouched", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fault-proxy-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const cert = await createTestCertificate(dir);
    const server = createTlsServer({ cert: cert.certPem, key: cert.keyPem }, (socket) => {
      socket.on("error", () => {});
      socket.end("hello over TLS");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanup.push(() => new Promise((resolve) => server.close(() => resolve())));
    const proxy = await startFaultProxy({ target: { host: "127.0.0.1", port: portOf(server as never) } });
    cleanup.push(() => proxy.close());
    const text = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({
        host: proxy.host,
        port: proxy.port,
        ca: cert.certPem,
        servername: cert.servername,
      });
      let data = "";
      socket.setEncoding("utf8").on("data", (chunk: string) => {
        data += chunk;
      });
      socket.once("end", () => resolve(data)).once("error", reject);
    });
    expect(text).toBe("hello over TLS");
    expect(proxy.stats().bytesDown).toBeGreaterThan(500); // the handshake went through it too
  });
});
