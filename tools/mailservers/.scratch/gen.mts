import { generateMessages } from "../src/messages.ts";
for (let k = 0; k < 3; k++) {
const t = performance.now(); let n = 0;
for (const m of generateMessages({ count: 10_000, seed: 42, minSize: 2000, maxSize: 6000 })) n += m.size;
console.log(Math.round(performance.now() - t), n);
}
