import { importRegistrations, openStore } from "./mod.ts";
import { makeRegistration } from "./testing.ts";
const N = 100_000;
const recs = Array.from({ length: N }, (_, i) => makeRegistration({ address: `user${i}@example.com` }));
for (const batchSize of [500, 1000]) {
  const store = await openStore({ url: `file:/tmp/lt/prof-${Date.now()}.db` });
  const t = performance.now();
  const r = await importRegistrations(store, recs, { batchSize });
  const s = (performance.now() - t) / 1000;
  const t2 = performance.now();
  const r2 = await importRegistrations(store, recs, { batchSize });
  const s2 = (performance.now() - t2) / 1000;
  console.log(`batch ${batchSize}: ${r.inserted} in ${s.toFixed(2)} s = ${Math.round(N / s)}/s; re-import ${r2.skipped} skipped ${Math.round(N / s2)}/s`);
  store.close();
}
