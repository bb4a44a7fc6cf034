/**
 * A fake IMAP server for tests on `node:net` that behaves until a
 * chosen moment and then turns hostile — a garbage greeting, malformed answers, a line that never
 * ends, a literal of almost a gigabyte, a UIDVALIDITY that changes between SELECT and FETCH, or
 * silence. It serves one folder, INBOX, with two small messages, and keeps every command it got.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createServer, type Socket } from "node:net";

/** How the server misbehaves. */
export type HostileBehavior =
  /** Answers honestly (a control: the client must collect both messages). */
  | "honest"
  /** The greeting is binary garbage, not `* OK`. */
  | "garbage-greeting"
  /** LIST is answered with unbalanced lists, a FETCH nobody asked for and an unknown tagged status. */
  | "malformed"
  /** LIST is answered with a line that never ends (streamed until the client hangs up). */
  | "endless-line"
  /** FETCH announces a literal of 999,999,999 bytes and streams filler into it. */
  | "huge-literal"
  /** SELECT says UIDVALIDITY 100; during FETCH the server says it is 200 now, and so does every later SELECT. */
  | "uidvalidity-change"
  /** Accepts the connection and never sends a byte. */
  | "silent"
  /** Greets and accepts the login, then never answers SELECT. */
  | "silent-after-login";

/** A running hostile server. */
export interface HostileImap {
  host: string;
  port: number;
  /** Every command line received (literals inlined), in order, over all connections. */
  readonly commands: string[];
  /** Bytes written to clients so far. */
  readonly bytesSent: () => number;
  close(): Promise<void>;
}

/** The two messages the server holds, by UID. */
export const HOSTILE_MESSAGES: ReadonlyArray<{ uid: number; messageId: string; source: string }> = [1, 2].map(
  (uid) => ({
    uid,
    messageId: `hostile-${uid}@imap.test`,
    source: [
      "From: Sender <sender@imap.test>",
      "To: owner@imap.test",
      `Subject: Message ${uid}`,
      `Message-ID: <hostile-${uid}@imap.test>`,
      "Date: Tue, 24 Nov 2026 10:00:00 +0000",
      "",
      `Body ${uid}`,
      "",
    ].join("\r\n"),
  }),
);

const _FILLER = Buffer.alloc(64 * 1024, "x");

/**
 * Starts the server on a free loopback port.
 *
 * @param behavior how it misbehaves
 * @returns the server
 */
export async function startHostileImap(behavior: HostileBehavior): Promise<HostileImap> {
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  let sent = 0;
  let uidValidity = 100;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const write = (text: string | Buffer) => {
      if (socket.destroyed) return false;
      sent += text.length;
      return socket.write(text);
    };
    const flood = async (head: string) => {
      write(head);
      while (!socket.destroyed && !socket.writableEnded) {
        if (!write(_FILLER))
          await new Promise((resolve) => socket.once("drain", resolve).once("close", resolve));
      }
    };
    if (behavior === "silent") return;
    if (behavior === "garbage-greeting") {
      write(Buffer.from([0, 0xff, 0xfe, 0x1b, 0x5b, 0x32, 0x4a, 0x0d, 0x0a]));
      write("HELLO (( this is not IMAP ]]\r\n");
      return;
    }
    write("* OK [CAPABILITY IMAP4rev1] hostile test server ready\r\n");
    const answer = (tag: string, verb: string, line: string) => {
      commands.push(line);
      switch (verb) {
        case "CAPABILITY":
          return write(`* CAPABILITY IMAP4rev1\r\n${tag} OK done\r\n`);
        case "LOGIN":
          return write(`${tag} OK [CAPABILITY IMAP4rev1] logged in\r\n`);
        case "LIST":
        case "LSUB":
          if (behavior === "malformed") {
            return write(
              `* ${verb} ((\\HasNoChildren "/" INBOX\r\n* 7 FETCH (UID BODY[] {3}\r\n)))\r\n* ]]]\r\n${tag} MAYBE ))) [\r\n`,
            );
          }
          if (behavior === "endless-line") return void flood(`* ${verb} () "/" INBOX`);
          return write(`* ${verb} (\\HasNoChildren) "/" INBOX\r\n${tag} OK done\r\n`);
        case "SELECT":
        case "EXAMINE":
          if (behavior === "silent-after-login") return;
          return write(
            `* ${HOSTILE_MESSAGES.length} EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen \\Deleted)\r\n` +
              `* OK [UIDVALIDITY ${uidValidity}] UIDs valid\r\n* OK [UIDNEXT ${HOSTILE_MESSAGES.length + 1}] next\r\n` +
              `${tag} OK [READ-WRITE] selected\r\n`,
          );
        case "FETCH":
          if (behavior === "huge-literal")
            return void flood("* 1 FETCH (UID 1 FLAGS () BODY[] {999999999}\r\n");
          if (behavior === "uidvalidity-change" && uidValidity === 100) {
            uidValidity = 200;
            write("* OK [UIDVALIDITY 200] UIDs are not valid any more\r\n");
          }
          for (const [i, m] of HOSTILE_MESSAGES.entries()) {
            write(
              `* ${i + 1} FETCH (UID ${m.uid} FLAGS () INTERNALDATE "24-Nov-2026 10:00:00 +0000" BODY[] {${m.source.length}}\r\n${m.source})\r\n`,
            );
          }
          return write(`${tag} OK fetched\r\n`);
        case "SEARCH":
          return write(`* SEARCH ${HOSTILE_MESSAGES.map((m) => m.uid).join(" ")}\r\n${tag} OK done\r\n`);
        case "LOGOUT":
          write(`* BYE bye\r\n${tag} OK done\r\n`);
          return socket.end();
        default:
          return write(`${tag} OK done\r\n`);
      }
    };
    let buffer = Buffer.alloc(0);
    let line = "";
    let literal = 0;
    socket.on("data", (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      for (;;) {
        if (literal > 0) {
          if (buffer.length < literal) return;
          line += buffer.subarray(0, literal).toString("latin1");
          buffer = buffer.subarray(literal);
          literal = 0;
        }
        const end = buffer.indexOf("\r\n");
        if (end < 0) return;
        line += buffer.subarray(0, end).toString("latin1");
        buffer = buffer.subarray(end + 2);
        const announced = /\{(\d+)(\+?)\}$/.exec(line);
        if (announced !== null) {
          literal = Number(announced[1]);
          if (announced[2] === "") write("+ go ahead\r\n");
          continue;
        }
        const [tag = "", first = "", second = ""] = line.split(" ");
        const verb = (first.toUpperCase() === "UID" ? second : first).toUpperCase();
        const full = line;
        line = "";
        answer(tag, verb, full);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return {
    host: "127.0.0.1",
    port: address.port,
    commands,
    bytesSent: () => sent,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
