/**
 * The POP3 source: one folder (INBOX), messages named by UIDL. What was fetched before is what the
 * store holds (the engine answers `isStored`), so leaving mail on the server fetches only new mail
 * next time. Deletes are DELE in the same session, committed by QUIT at `close()`: a run that dies
 * before QUIT deletes nothing.
 *
 * @module
 */
import type { ConnectionProfile } from "@mailreg/core";
import type { ConnectOptions } from "./connect-options.ts";
import { defineSource, type SourceConnector } from "./connector.ts";
import { toMailError } from "./mail-error.ts";
import type { Pop3Client } from "./pop3-client.ts";
import { connectPop3 } from "./pop3-connect.ts";
import type { FetchContext, Source, SourceEvent, SourceKey } from "./source.ts";

/** The one folder a POP3 maildrop has. */
export const POP3_FOLDER = "INBOX";

/**
 * Connects to a POP3 server and returns it as a {@link Source}.
 *
 * @param profile the opened connection profile (protocol "pop3")
 * @param options timeouts, certificate policy, access token
 * @returns the connected source; `close()` it to commit deletions
 * @throws {MailregError} MAIL_AUTH_FAILED, MAIL_CONNECTION_FAILED, MAIL_TLS_FAILED or MAIL_PROTOCOL
 */
export const pop3Source: SourceConnector = defineSource(
  // new messages are those whose UIDL is not stored: one deleted from the store comes back
  {
    kind: "pop3",
    label: "POP3",
    defaultPorts: { tls: 995, starttls: 110, none: 110 },
    refetchesDeleted: true,
  },
  async (profile: ConnectionProfile, options: ConnectOptions) => {
    const client = await connectPop3(profile, options);
    const where = { host: profile.host, port: profile.port };
    /** UIDL → message number in this session, from the last `fetchNew`. */
    let numbers = new Map<string, number>();
    const source: Source = {
      kind: "pop3",
      capabilities: { folders: false, flags: false, vanished: false, move: false },
      listFolders: async () => [
        {
          path: POP3_FOLDER,
          delimiter: null,
          specialUse: "\\Inbox",
          subscribed: true,
          flags: [],
          selectable: true,
        },
      ],
      fetchNew(folder, _since, context) {
        return _fetchNew(client, folder, context, where, (map) => {
          numbers = map;
        });
      },
      async delete(_folder, keys) {
        let deleted = 0;
        try {
          for (const key of keys) {
            const n = "uidl" in key ? numbers.get(key.uidl) : undefined;
            if (n === undefined) continue;
            await client.dele(n);
            numbers.delete((key as { uidl: string }).uidl);
            deleted++;
          }
        } catch (error) {
          throw toMailError(error, where);
        }
        return deleted;
      },
      async close() {
        try {
          await client.quit();
        } catch (error) {
          client.close();
          throw toMailError(error, where);
        }
      },
    };
    return source;
  },
);

async function* _fetchNew(
  client: Pop3Client,
  folder: string,
  context: FetchContext,
  where: { host: string; port: number },
  remember: (numbers: Map<string, number>) => void,
): AsyncGenerator<SourceEvent, void, undefined> {
  if (folder !== POP3_FOLDER) return;
  let entries: [number, string][];
  let sizes: Map<number, number>;
  try {
    entries = [...(await client.uidl())];
    sizes = await client.list();
  } catch (error) {
    throw toMailError(error, where);
  }
  remember(new Map(entries.map(([n, uidl]) => [uidl, n])));
  const keys: SourceKey[] = entries.map(([, uidl]) => ({ uidl }));
  const stored = await context.isStored(keys);
  const fresh = entries.filter((_, i) => stored[i] !== true);
  yield {
    type: "status",
    status: { uidValidity: 0, uidNext: 0, exists: entries.length },
    expected: fresh.length,
  };
  if (context.listStored === true) {
    const old = keys.filter((_, i) => stored[i] === true);
    if (old.length > 0) yield { type: "stored", keys: old };
  }
  for (const [n, uidl] of fresh) {
    if (context.signal?.aborted === true) return;
    yield {
      type: "message",
      message: { key: { uidl }, flags: [], size: sizes.get(n) ?? 0, source: _guarded(client.retr(n), where) },
    };
  }
}

async function* _guarded(
  chunks: AsyncIterable<Uint8Array>,
  where: { host: string; port: number },
): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    yield* chunks;
  } catch (error) {
    throw toMailError(error, where);
  }
}
