/**
 * Sending a server-rendered page.
 *
 * @module
 */
import type { Context } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * Answers with a whole HTML document.
 *
 * @param c the request context
 * @param page the page element (a `Layout`)
 * @param status the HTTP status; default 200
 * @returns the response
 */
export async function renderPage(
  c: Context,
  page: JSX.Element,
  status: ContentfulStatusCode = 200,
): Promise<Response> {
  c.header("Cache-Control", "no-store");
  return c.html(`<!DOCTYPE html>${await page.toString()}`, status);
}
