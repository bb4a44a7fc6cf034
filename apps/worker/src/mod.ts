/**
 * Collects every applied mailbox on its schedule. `createWorker(deps)` builds the
 * scheduler without I/O (per-mailbox auto-fetch and interval with jitter, "sync now", a concurrency
 * limit, database leases shared by several processes, backoff per failing mailbox, JSON logs and
 * Prometheus metrics); `syncMailboxOnce` collects one mailbox now; `./node` runs it on Node
 * (`startWorker`), `src/main.deno.ts` on Deno.
 *
 * @module
 */
export { checkMailboxOf } from "./check.ts";
export { CONNECTORS } from "./connectors.ts";
export type { WorkerDeps } from "./deps.ts";
export { type ClaimRefusal, syncMailboxOnce } from "./leased-sync.ts";
export { createWorkerMetrics, type WorkerMetrics } from "./metrics.ts";
export { type OAuthTokensOptions, oauthAccessTokens } from "./oauth-tokens.ts";
export { copyToSentNow } from "./outbox-delivery.ts";
export { rerouteMailboxNow } from "./reroute.ts";
export {
  type ConfiguredSyncOptions,
  connectOptionsFor,
  specialUseFor,
  syncOptionsFor,
} from "./sync-options.ts";
export { createWorker, type Worker } from "./worker.ts";
