import { startSmtpSink } from "@mailreg/mailservers";
const sink = await startSmtpSink();
process.send?.({ port: sink.port });
process.on("message", (m: string) => {
  if (m === "ids") process.send?.({ ids: sink.messages.map((x) => /^Message-ID: (.*)$/im.exec(x.raw)?.[1]?.trim()) });
  if (m === "clear") { sink.clear(); process.send?.({ cleared: true }); }
  if (m === "stop") void sink.stop().then(() => process.exit(0));
});
