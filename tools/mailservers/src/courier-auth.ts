/**
 * The account database of a test Courier-IMAP: a server that speaks courier-authlib's authdaemon
 * protocol on a unix socket, so that Courier's own `imaplogin` checks LOGIN against our users
 * without a system-wide authdaemond or its configuration in /etc.
 *
 * The protocol (courier-authlib `authdaemon.c`): the client writes optional `NAME=value` lines, then
 * `AUTH <n>\n` and `n` bytes of `service\nauthtype\nuser\npassword\n` (authtype `login`), or
 * `PRE . service user\n` for a lookup; the answer is `NAME=value` lines ending with `.\n`, or `FAIL\n`.
 * `UID`, `GID`, `HOME` and `MAILDIR` place the session (imaplogin switches to them and runs imapd).
 *
 * @module
 */
import { chmodSync } from "node:fs";
import { createServer, type Server } from "node:net";

/** One account: where its home and maildir are and which uid/gid the session runs as. */
export interface CourierAccount {
  user: string;
  password: string;
  home: string;
  maildir: string;
  uid: number;
  gid: number;
}

/** A running authdaemon. */
export interface CourierAuthDaemon {
  /** Stops listening. */
  close(): Promise<void>;
}

const _MAX_REQUEST = 16 * 1024;

/**
 * Answers authdaemon requests on `socketPath` (accounts added later log in at once).
 *
 * @param socketPath where to listen (the directory is bind-mounted to /run/courier/authdaemon)
 * @param accounts looks an account up by its login name (lower case), on every request
 * @returns the running daemon
 */
export async function startCourierAuthDaemon(
  socketPath: string,
  accounts: (user: string) => CourierAccount | undefined,
): Promise<CourierAuthDaemon> {
  const server: Server = createServer((socket) => {
    let request = "";
    socket.setEncoding("utf8");
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: string) => {
      request += chunk;
      if (request.length > _MAX_REQUEST) {
        socket.end("FAIL\n");
        return;
      }
      const answer = _answer(request, accounts);
      if (answer !== undefined) socket.end(answer);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  chmodSync(socketPath, 0o777);
  return {
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The answer to a complete request, or undefined while it is incomplete. */
function _answer(
  request: string,
  accounts: (user: string) => CourierAccount | undefined,
): string | undefined {
  const auth = /(?:^|\n)AUTH (\d+)\n/.exec(request);
  if (auth !== null) {
    const start = auth.index + auth[0].length;
    if (request.length < start + Number(auth[1])) return undefined;
    const [, type, user, password] = request.slice(start).split("\n");
    const account = user === undefined ? undefined : accounts(user.toLowerCase());
    if (type !== "login" || account === undefined || account.password !== password) return "FAIL\n";
    return _record(account);
  }
  const pre = /(?:^|\n)PRE \S+ \S+ (\S+)\n/.exec(request);
  if (pre !== null) {
    const account = accounts((pre[1] ?? "").toLowerCase());
    return account === undefined ? "FAIL\n" : _record(account);
  }
  // only NAME=value lines so far: the request is still coming
  return request
    .split("\n")
    .slice(0, -1)
    .every((line) => /^[A-Z_]+=/.test(line))
    ? undefined
    : "FAIL\n";
}

function _record(account: CourierAccount): string {
  return (
    `UID=${account.uid}\nGID=${account.gid}\nHOME=${account.home}\nADDRESS=${account.user}\n` +
    `NAME=${account.user}\nMAILDIR=${account.maildir}\n.\n`
  );
}
