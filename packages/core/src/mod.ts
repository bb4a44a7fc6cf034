/**
 * Config schema and loader, domain types, registration file format,
 * SMTP-address normalisation, ids and typed errors. Pure TypeScript; no I/O beyond reading files.
 *
 * @module
 */
export * from "./address.ts";
export * from "./admin-secrets.ts";
export * from "./config-loader.ts";
export * from "./config-schema.ts";
export * from "./connectors.ts";
export * from "./errors.ts";
export * from "./ids.ts";
export * from "./logger.ts";
export * from "./network-policy.ts";
export * from "./registration.ts";
export * from "./registration-file.ts";
export * from "./routing-config.ts";
