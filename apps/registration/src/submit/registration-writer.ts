/**
 * Group commit for new registrations: records submitted while a write is running are stored
 * together in the next batch (one multi-row INSERT, one transaction), so many owners registering
 * at once cost one commit per batch instead of one each. Each caller waits for its own batch.
 *
 * @module
 */
import { MailregError, type RegistrationRecord } from "@mailreg/core";
import { importRegistrations, type Store } from "@mailreg/store";

/** Stores registrations, batching the ones that arrive together. */
export type RegistrationWriter = (record: RegistrationRecord) => Promise<void>;

interface _Pending {
  record: RegistrationRecord;
  done(error?: unknown): void;
}

/** The most records one batch holds. */
const _MAX_BATCH = 500;

/**
 * A writer for one store.
 *
 * @param store the open store
 * @returns the writer: resolves once the record is committed, rejects when its batch failed
 */
export function registrationWriter(store: Store): RegistrationWriter {
  let queue: _Pending[] = [];
  let running = false;
  const flush = async () => {
    running = true;
    while (queue.length > 0) {
      const batch = queue.slice(0, _MAX_BATCH);
      queue = queue.slice(batch.length);
      try {
        const { inserted } = await importRegistrations(
          store,
          batch.map((p) => p.record),
          { batchSize: batch.length },
        );
        const error =
          inserted === batch.length
            ? undefined
            : new MailregError("CONFLICT", "A registration id already existed");
        for (const p of batch) p.done(error);
      } catch (error) {
        for (const p of batch) p.done(error);
      }
    }
    running = false;
  };
  return (record) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ record, done: (error) => (error === undefined ? resolve() : reject(error)) });
      if (!running) {
        running = true;
        // after this turn of the event loop's I/O: the requests read in the same turn join the batch
        setImmediate(() => void flush());
      }
    });
}
