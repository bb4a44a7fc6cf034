/**
 * Test helper (not built): the registration app as its own process, as `mailreg serve` runs it —
 * `node --import tsx test/server-process.ts CONFIG_FILE` — printing
 * `listening URL` on stdout once it serves.
 *
 * @module
 */
import { loadConfig } from "@mailreg/core";
import { CONNECTORS } from "../src/connectors.ts";
import { startRegistrationServer } from "../src/main.node.ts";

const { config } = await loadConfig({ path: process.argv[2]!, env: {}, connectors: CONNECTORS });
const server = await startRegistrationServer({ config });
process.stdout.write(`listening ${server.url}\n`);
process.once("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
