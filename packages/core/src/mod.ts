/**
 * @mailreg/core: config schema and loader, domain types, the registration file format,
 * SMTP-address normalisation and typed errors. Pure TypeScript; no I/O beyond reading files.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./registration.ts";
