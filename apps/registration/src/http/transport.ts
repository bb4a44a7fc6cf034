/**
 * Whether a request came over HTTPS, and so whether cookies get `Secure` and answers carry HSTS.
 *
 * @module
 */
import type { Config } from "@mailreg/core";
import type { Context } from "hono";

const _LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * True when the request came over HTTPS: its own URL is https, or the configured public URL is (TLS
 * ends at a proxy in front of the app).
 *
 * @param c the request context
 * @param config the config (`server.publicUrl`)
 * @returns whether the transport is encrypted
 */
export function isHttps(c: Context, config: Config): boolean {
  return new URL(c.req.url).protocol === "https:" || config.server.publicUrl?.startsWith("https:") === true;
}

/**
 * Whether a cookie set now must be `Secure`: always, except for plain HTTP to a loopback address
 * (trying mailreg out on one's own machine), where a browser would not send a Secure cookie back.
 *
 * @param c the request context
 * @param config the config
 * @returns true for Secure
 */
export function secureCookies(c: Context, config: Config): boolean {
  if (isHttps(c, config)) return true;
  const host = new URL(c.req.url).hostname;
  return !_LOOPBACK.test(host);
}
