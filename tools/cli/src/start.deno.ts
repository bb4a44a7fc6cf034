/**
 * `deno task start`: what `npm start` does, on Deno — initialise the folder on first run (config,
 * registry keys, database, first admin credentials), then serve the registration site and admin app
 * with `Deno.serve` and run the worker in the same process, on the same config and database, until
 * SIGINT or SIGTERM.
 *
 * Permissions (see the root deno.json task): --allow-net (the app listens; the worker connects to the
 * mail servers the administrator configured), --allow-read and --allow-write (config, keys, database
 * under the working directory), --allow-env (MAILREG_* overrides), --allow-ffi (libSQL's native
 * binding), --allow-sys (host name and time zone).
 *
 * @module
 */

import { loadConfig } from "@mailreg/core";
import { CONNECTORS } from "@mailreg/registration";
import { serveDeno } from "@mailreg/registration/deno";
import { startWorkerDeno } from "@mailreg/worker/deno";
import { describeInit, initialise } from "./commands/init.ts";
import { processIo } from "./io.ts";

interface _Deno {
  args: string[];
  addSignalListener(signal: "SIGINT" | "SIGTERM", handler: () => void): void;
}
const _deno = (globalThis as unknown as { Deno: _Deno }).Deno;

const at = _deno.args.indexOf("--config");
const configArg = at >= 0 ? _deno.args[at + 1] : undefined;
const io = processIo();
const result = await initialise(io, configArg === undefined ? {} : { config: configArg });
io.out(`mailreg is set up here:\n${describeInit(result)}\n`);
const { config } = await loadConfig({
  path: result.config.path,
  env: io.env,
  cwd: io.cwd,
  connectors: CONNECTORS,
});
const worker = await startWorkerDeno({ config });
const app = await serveDeno({
  config,
  requestSync: async (id: string, actor: string) => {
    await worker.worker.requestSync(id, actor);
  },
});
io.out(
  `registration page: ${app.url}/register\nadmin:             ${app.url}/admin\nworker:            running\n`,
);
const stop = async () => {
  await app.close();
  await worker.stop();
  io.err("stopped\n");
};
await new Promise<void>((resolve) => {
  for (const s of ["SIGINT", "SIGTERM"] as const) _deno.addSignalListener(s, () => resolve());
});
await stop();
