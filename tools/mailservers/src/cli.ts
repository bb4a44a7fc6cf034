/**
 * `npx tsx tools/mailservers/src/cli.ts up [--separator /|.] [--no-condstore] [--messages N] [--seed N]`
 *
 * Starts Dovecot, the SMTP sink and the OAuth provider for trying things out by hand, seeds alice's
 * INBOX and a few nested folders, prints where everything is, shows each message the sink receives,
 * and stops all on Ctrl-C. Needs root (Dovecot).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { generateMessages } from "./messages.ts";
import { createFolders, seedMaildir } from "./seed.ts";
import { type MailServers, startMailServers } from "./servers.ts";

const USAGE = "usage: cli.ts up [--separator / | .] [--no-condstore] [--messages N] [--seed N]";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    separator: { type: "string", default: "/" },
    "no-condstore": { type: "boolean", default: false },
    messages: { type: "string", default: "200" },
    seed: { type: "string", default: "1" },
  },
});
const count = Number(values.messages);
const seed = Number(values.seed);
if (
  positionals[0] !== "up" ||
  (values.separator !== "/" && values.separator !== ".") ||
  !(count >= 0) ||
  !(seed >= 0)
) {
  console.error(USAGE);
  process.exit(2);
}

const servers = await startMailServers({ separator: values.separator, condstore: !values["no-condstore"] });
try {
  await _seed(servers);
} catch (error) {
  await servers.stop();
  throw error;
}
_print(servers);

let shown = 0;
const watcher = setInterval(() => {
  for (const m of servers.smtpSink.messages.slice(shown)) {
    const subject = /^Subject: (.*)$/im.exec(m.raw)?.[1] ?? "";
    console.log(
      `sink: #${m.id} from <${m.mailFrom}> to ${m.rcptTo.map((r) => `<${r}>`).join(", ")}: ${subject}`,
    );
  }
  shown = servers.smtpSink.messages.length;
}, 500);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    clearInterval(watcher);
    console.log("\nstopping …");
    void servers.stop().then(() => process.exit(0));
  });
}

async function _seed({ dovecot }: MailServers): Promise<void> {
  const sep = dovecot.separator;
  await createFolders(dovecot, "alice", [
    ["Firma", "Kundenbetreuung", "kunden", "a"].join(sep),
    `Projekte${sep}v1.2`,
  ]);
  const result = await seedMaildir(dovecot, "alice", "INBOX", generateMessages({ count, seed }));
  console.log(`seeded ${result.count} messages into alice's INBOX (${result.messagesPerSecond} msg/s)`);
}

function _print({ info }: MailServers): void {
  const d = info.dovecot;
  const users = d.users.map((u) => `${u.user} / ${u.password}`).join(", ");
  const sinkUser = info.smtpSink.users[0];
  console.log(`mail servers are up on ${d.host} (Ctrl-C stops them):
  IMAP        ${d.imapPort} (STARTTLS)    IMAPS ${d.imapsPort}
  POP3        ${d.pop3Port} (STLS)        POP3S ${d.pop3sPort}
  submission  ${d.submissionPort} (STARTTLS, relays to the SMTP sink)
  SMTP sink   ${info.smtpSink.port} (STARTTLS; AUTH optional: ${sinkUser?.user} / ${sinkUser?.password}; reject-550@… is refused)
  users       ${users}   (any other login works with an OAuth token)
  separator   '${d.separator}'   CONDSTORE/QRESYNC ${d.condstore ? "advertised" : "not advertised"}
  TLS         trust ${info.caPath}, verify the name "localhost"
              e.g. openssl s_client -connect ${d.host}:${d.imapsPort} -CAfile ${info.caPath} -verify_hostname localhost
  Courier     IMAP ${info.courier.imapPort} (plain; no UIDNEXT on SELECT, no CONDSTORE/SPECIAL-USE; folders INBOX.x)
  Cyrus       IMAP ${info.cyrus.imapPort} (plain; refuses bare LF; Other Users/ namespace; ${info.cyrus.users.map((u) => u.user).join(", ")})
  OAuth       issuer ${info.oauth.issuer}
              token: curl -s -d grant_type=client_credentials -d email=alice ${info.oauth.tokenEndpoint}
  logs        ${d.logPath}`);
}
