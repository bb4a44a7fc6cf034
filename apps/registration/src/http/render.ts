/**
 * Sending a server-rendered page.
 *
 * @module
 */
import type { Context } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { basePath, withBasePath } from "./base-path.tsx";

/**
 * Answers with a whole HTML document; its `link()`s carry the prefix the app is served under.
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
  return c.html(`<!DOCTYPE html>${await withBasePath(basePath(c), page).toString()}`, status);
}
