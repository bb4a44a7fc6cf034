const { smtpSendBenchmark } = await import("/work/main/tools/bench/src/smtp-send.ts");
const out = await smtpSendBenchmark.run({});
for (const r of out.results) console.log(r.step.padEnd(42), String(r.perSecond).padStart(7), "msg/s", r.seconds.toFixed(2), "s");
for (const n of out.notes) console.log(n);
console.log("ok", out.ok);
