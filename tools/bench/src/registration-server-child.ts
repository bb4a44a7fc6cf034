/**
 * The server side of the registration-submit benchmark, run in a child process so that the load
 * generator does not share its event loop: reads the config from `process.argv[2]` (JSON), starts
 * the registration app holding only the registry public key, and sends its URL to the parent.
 *
 * @module
 */
import { validateConfig } from "@mailreg/core";
import { CONNECTORS } from "@mailreg/registration";
import { startRegistrationServer } from "@mailreg/registration/node";

const config = validateConfig(JSON.parse(process.argv[2] ?? "{}"), CONNECTORS);
const server = await startRegistrationServer({ config, publicKeyOnly: true });
process.send?.({ url: server.url });
process.on("disconnect", () => {
  void server.close().then(() => process.exit(0));
});
