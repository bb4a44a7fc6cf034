/**
 * The SMTP sink in a process of its own, so that a benchmark's client does not share its thread with
 * the server (as it never does in production). Talks to its parent over IPC: it sends `{ port }`
 * once listening, answers "ids" with the Message-IDs received so far, "clear" by forgetting them,
 * and stops on "stop".
 *
 * @module
 */
import process from "node:process";
import { startSmtpSink } from "@mailreg/mailservers";

const sink = await startSmtpSink();
process.send?.({ port: sink.port });
process.on("message", (command: unknown) => {
  if (command === "ids") {
    process.send?.({ ids: sink.messages.map((m) => /^Message-ID: (.*)$/im.exec(m.raw)?.[1]?.trim() ?? "") });
  } else if (command === "clear") {
    sink.clear();
    process.send?.({ cleared: true });
  } else if (command === "stop") {
    void sink.stop().then(() => process.exit(0));
  }
});
