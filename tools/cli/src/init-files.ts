/**
 * What `mailreg init` writes: a config naming every file it uses, a registry key pair, the database
 * and the first admin credentials. Existing files are never overwritten.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { configJsonSchema, generatePassword, generateToken, hashPassword, hashToken } from "@mailreg/core";
import { CONNECTORS } from "@mailreg/registration";

/** The clear admin credentials `init` prints once. */
export interface FirstCredentials {
  adminUser: string;
  adminPassword: string;
  apiToken: string;
}

/**
 * Writes a new `mailreg.config.json` with hashed first admin credentials.
 *
 * @param file the config path (must not exist)
 * @returns the clear credentials, to be shown once
 */
export async function writeInitialConfig(file: string): Promise<FirstCredentials> {
  const adminPassword = generatePassword();
  const apiToken = generateToken();
  // the JSON Schema with every registered connector's options, beside the config, for editors
  const schemaFile = join(dirname(file), "config.schema.json");
  await mkdir(dirname(file), { recursive: true });
  if (!existsSync(schemaFile)) {
    await writeFile(schemaFile, `${JSON.stringify(configJsonSchema(CONNECTORS), null, 2)}\n`, { flag: "wx" });
  }
  const config = {
    $schema: "./config.schema.json",
    database: { url: "file:./data/mailreg.db" },
    keys: { publicKeyFile: "./keys/registry.public.jwk", privateKeyDir: "./keys/private" },
    server: { host: "127.0.0.1", port: 8080 },
    registration: { enabled: false, windows: [], templates: [] },
    servers: [],
    instances: [{ id: "default", label: "Default instance" }],
    admin: {
      users: [{ name: "admin", passwordHash: await hashPassword(adminPassword) }],
      tokens: [{ name: "admin-cli", hash: await hashToken(apiToken) }],
    },
  };
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`, { flag: "wx", mode: 0o600 });
  return { adminUser: "admin", adminPassword, apiToken };
}
