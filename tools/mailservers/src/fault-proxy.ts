/**
 * A fault-injecting TCP proxy for tests: it listens on a free loopback port and forwards every
 * connection, byte for byte, to a target (so TLS, STARTTLS included, passes through untouched).
 * Per connection, or for the next N connections, it can cut the connection after N bytes (exactly:
 * the bytes before the cut are delivered, then both sides are closed), cut it at a random point
 * drawn from a seeded generator (the same seed replays the same cuts), stall (forward nothing for
 * a while, or for good), or slow it to a number of bytes per second. It counts connections and
 * the faults it fired. Node only (test tooling).
 *
 * @module
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/** Which bytes a fault counts: client → server ("up"), server → client ("down"), or both together. */
export type FaultDirection = "up" | "down" | "both";

/** What to do to a connection. */
export type Fault =
  /** Deliver exactly `afterBytes` bytes (counted in `direction`), then close both sides. */
  | { kind: "cut"; afterBytes: number; direction?: FaultDirection }
  /** Cut after a number of bytes drawn uniformly from [0, `withinBytes`) with the proxy's seeded generator. */
  | { kind: "cut-random"; withinBytes: number; direction?: FaultDirection }
  /** After `afterBytes` bytes (default 0), forward nothing either way for `ms` (default: for good). */
  | { kind: "stall"; afterBytes?: number; direction?: FaultDirection; ms?: number }
  /** Forward at most `bytesPerSecond` in each direction. */
  | { kind: "slow"; bytesPerSecond: number };

/** What happened on one proxied connection. */
export interface ProxiedConnection {
  /** 1, 2, 3 … in order of arrival. */
  id: number;
  /** The fault it was given, with a random cut resolved to its byte count (`cut-random` → `cut`). */
  fault: Fault | undefined;
  /** Whether the fault fired (a cut or stall reached its byte count; a slow connection always). */
  fired: boolean;
  /** Bytes forwarded client → server and server → client. */
  up: number;
  down: number;
  closed: boolean;
  /** With `record`: the bytes forwarded each way, in order. */
  recorded?: { up: Uint8Array[]; down: Uint8Array[] };
}

/** Counters of a {@link FaultProxy}. */
export interface FaultProxyStats {
  connections: number;
  /** Faults that fired. */
  faults: number;
  bytesUp: number;
  bytesDown: number;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Where to forward to. */
  target: { host: string; port: number };
  /** The seed of the generator behind `cut-random` (default: drawn at random; read it from `seed`). */
  seed?: number;
  /** Keep every forwarded byte in `connections[i].recorded` (to find protocol points in a plain session). */
  record?: boolean;
}

/** A running proxy. */
export interface FaultProxy {
  host: "127.0.0.1";
  port: number;
  /** The seed in use: print it when a test fails, pass it back to replay the same random cuts. */
  readonly seed: number;
  /**
   * Gives `fault` to new connections: the next `connections` of them (default every one until
   * {@link FaultProxy.reset}). Faults queued earlier are used up first.
   */
  inject(fault: Fault, options?: { connections?: number }): void;
  /** Back to plain pass-through for new connections (open ones keep their fault). */
  reset(): void;
  /** Cuts every open connection now. @returns how many were open */
  cutAll(): number;
  /** Every connection so far (live). */
  readonly connections: readonly ProxiedConnection[];
  stats(): FaultProxyStats;
  /** Closes the listener and every open connection. */
  close(): Promise<void>;
}

/**
 * Starts a fault-injecting proxy on 127.0.0.1 and a free port.
 *
 * @param options the target and the seed
 * @returns the running proxy, passing everything through until told otherwise
 * @example
 * ```ts
 * import { startFaultProxy } from "@mailreg/mailservers";
 * const proxy = await startFaultProxy({ target: { host: "127.0.0.1", port: 143 }, seed: 7 });
 * proxy.inject({ kind: "cut", afterBytes: 300, direction: "down" }, { connections: 1 });
 * // … connect a client to proxy.port: it sees 300 bytes of the server, then the connection ends
 * console.log(proxy.stats()); // { connections: 1, faults: 1, … }
 * await proxy.close();
 * ```
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  const random = _mulberry32(seed);
  const connections: ProxiedConnection[] = [];
  const open = new Set<() => void>();
  let manualCuts = 0;
  let queue: { fault: Fault; left: number }[] = [];

  const nextFault = (): Fault | undefined => {
    const head = queue[0];
    if (head === undefined) return undefined;
    head.left--;
    if (head.left <= 0) queue.shift();
    return head.fault.kind === "cut-random"
      ? {
          kind: "cut",
          afterBytes: Math.floor(random() * head.fault.withinBytes),
          direction: head.fault.direction ?? "both",
        }
      : head.fault;
  };

  const server: Server = createServer((client) => {
    const record: ProxiedConnection = {
      id: connections.length + 1,
      fault: nextFault(),
      fired: false,
      up: 0,
      down: 0,
      closed: false,
      ...(options.record === true ? { recorded: { up: [], down: [] } } : {}),
    };
    connections.push(record);
    const upstream = tcpConnect({ host: options.target.host, port: options.target.port });
    const cut = _forward(client, upstream, record);
    open.add(cut);
    client.once("close", () => open.delete(cut));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject).listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no TCP port");

  return {
    host: "127.0.0.1",
    port: address.port,
    seed,
    connections,
    inject(fault, injectOptions = {}) {
      queue.push({ fault, left: injectOptions.connections ?? Number.POSITIVE_INFINITY });
    },
    reset() {
      queue = [];
    },
    cutAll() {
      const cuts = [...open];
      for (const cut of cuts) cut();
      manualCuts += cuts.length;
      return cuts.length;
    },
    stats: () => ({
      connections: connections.length,
      faults: connections.filter((c) => c.fired).length + manualCuts,
      bytesUp: connections.reduce((n, c) => n + c.up, 0),
      bytesDown: connections.reduce((n, c) => n + c.down, 0),
    }),
    async close() {
      queue = [];
      for (const cut of [...open]) cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Pumps both directions under the connection's fault; returns the function that cuts it now. */
function _forward(client: Socket, upstream: Socket, record: ProxiedConnection): () => void {
  const fault = record.fault;
  let gate: Promise<void> | undefined; // set while stalled: both pumps wait on it
  /** Closes both sides; `last`, the side just written to, gets its bytes and a FIN rather than a reset. */
  const cut = (last?: Socket) => {
    if (record.closed) return;
    record.closed = true;
    for (const socket of [client, upstream]) {
      if (socket !== last) {
        socket.destroy();
        continue;
      }
      socket.end();
      setTimeout(() => socket.destroy(), 2_000).unref();
    }
  };
  // a peer's error or close ends the other side too: what a real network does
  for (const [socket, other] of [
    [client, upstream],
    [upstream, client],
  ] as const) {
    socket.on("error", () => {});
    socket.once("close", () => {
      if (record.closed) return;
      record.closed = true;
      other.destroy();
    });
  }
  /** Bytes this chunk may still carry before the fault fires, counted in `dir`. */
  const room = (dir: "up" | "down"): number => {
    // a cut-random fault was resolved to a cut when the connection arrived
    if (fault === undefined || fault.kind === "slow" || fault.kind === "cut-random" || record.fired) {
      return Number.POSITIVE_INFINITY;
    }
    const direction = fault.direction ?? "both";
    if (direction !== "both" && direction !== dir) return Number.POSITIVE_INFINITY;
    const counted = direction === "both" ? record.up + record.down : record[direction];
    return Math.max(0, (fault.afterBytes ?? 0) - counted);
  };
  const fire = (): boolean => {
    if (fault === undefined || fault.kind === "slow" || record.fired) return false;
    record.fired = true;
    if (fault.kind === "stall") {
      gate =
        fault.ms === undefined
          ? new Promise<void>(() => {})
          : new Promise<void>((resolve) =>
              setTimeout(() => {
                gate = undefined;
                resolve();
              }, fault.ms),
            );
      return false;
    }
    return true; // a cut
  };
  const pump = async (from: Socket, to: Socket, dir: "up" | "down") => {
    const slice = fault?.kind === "slow" ? Math.max(1, Math.floor(fault.bytesPerSecond / 20)) : Infinity;
    if (fault?.kind === "slow") record.fired = true;
    // a cut or stall at byte 0 fires before anything flows
    if (room(dir) === 0 && fire()) return cut();
    try {
      for await (const chunk of from as AsyncIterable<Buffer>) {
        let offset = 0;
        while (offset < chunk.length) {
          if (gate !== undefined) await gate;
          if (record.closed) return;
          const n = Math.min(chunk.length - offset, room(dir), slice);
          if (n > 0) {
            record[dir] += n; // counted before the write is awaited, so "both" never overshoots
            const part = chunk.subarray(offset, offset + n);
            offset += n;
            record.recorded?.[dir].push(Uint8Array.from(part));
            await new Promise<void>((resolve) => to.write(part, () => resolve()));
            if (fault?.kind === "slow") await _sleep((n / fault.bytesPerSecond) * 1000);
          }
          if (room(dir) === 0 && fire()) return cut(to);
        }
      }
    } catch {
      // the source was destroyed: the close handlers end the other side
    }
    // the source ended cleanly (FIN): pass the half-close on
    if (!record.closed) to.end();
  };
  void pump(client, upstream, "up");
  void pump(upstream, client, "down");
  return cut;
}

function _sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A small seeded generator (mulberry32): the same seed gives the same sequence in [0, 1). */
function _mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
