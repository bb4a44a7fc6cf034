/**
 * `mailreg serve`: the registration site and admin app on the config's host and port, until SIGINT
 * or SIGTERM. `--public-key-only` runs it as a registration site in a DMZ would: holding only the
 * registry public key, it can seal but never open a secret (apply is then refused).
 *
 * @module
 */
import { type StartOptions, startRegistrationServer } from "@mailreg/registration/node";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { configContext } from "../context.ts";
import type { Io } from "../io.ts";
import { UsageError } from "../usage-error.ts";

/**
 * Serves the app until the command is told to stop.
 *
 * @param io the environment (and the stop signal)
 * @param options config file, listen overrides, key policy, the app's other dependencies
 * @returns the exit code
 */
export async function serveUntilStopped(
  io: Io,
  options: {
    config?: string | undefined;
    host?: string | undefined;
    port?: number | undefined;
    publicKeyOnly?: boolean;
    app?: Partial<Omit<StartOptions, "config" | "host" | "port" | "publicKeyOnly">>;
  },
): Promise<number> {
  const { config } = await configContext(io, options.config);
  const server = await startRegistrationServer({
    ...options.app,
    config,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.publicKeyOnly === true ? { publicKeyOnly: true } : {}),
  });
  io.out(
    `registration page: ${server.url}/register\nadmin:             ${server.url}/admin\nAPI docs:          ${server.url}/api/v1/docs\n`,
  );
  const signal = await io.untilStopped();
  io.err(`${signal}: stopping\n`);
  await server.close();
  return 0;
}

/**
 * Parses `--port`.
 *
 * @param value the option value
 * @returns the port, or undefined
 */
export function portOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError("--port must be 0 to 65535");
  return port;
}

export const serveCommand: Command = {
  words: ["serve"],
  summary: "Run the registration site and admin app until SIGINT/SIGTERM",
  usage: "serve [--host H] [--port P] [--public-key-only] [--config FILE]",
  async run(argv, io) {
    const { values } = parse(argv, {
      host: { type: "string" },
      port: { type: "string" },
      "public-key-only": { type: "boolean" },
    });
    return await serveUntilStopped(io, {
      config: values.config,
      host: values.host,
      port: portOption(values.port),
      publicKeyOnly: values["public-key-only"] === true,
    });
  },
};
