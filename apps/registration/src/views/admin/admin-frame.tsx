/** @jsxImportSource hono/jsx */
/**
 * The frame of a signed-in admin page: the layout with navigation, the page heading and the
 * one-time messages of the last action.
 *
 * @module
 */
import type { Child } from "hono/jsx";
import type { AdminSession } from "../../http/env.ts";
import type { Flash } from "../../http/flash.ts";
import type { Locale, Translate } from "../../i18n/i18n.ts";
import { Layout } from "../layout.tsx";

/** What every admin page gets. */
export interface AdminPageBase {
  t: Translate;
  locale: Locale;
  url: URL;
  session: AdminSession;
  flash: Flash[];
}

/**
 * An admin page.
 *
 * @param p the base properties, the heading and the content
 * @returns the page
 */
export function AdminFrame(p: AdminPageBase & { heading: string; children?: Child }) {
  return (
    <Layout
      t={p.t}
      locale={p.locale}
      url={p.url}
      title={p.heading}
      admin={{ user: p.session.user, csrf: p.session.csrf }}
    >
      <h1>{p.heading}</h1>
      {p.flash.length === 0 ? null : (
        <div role="status" id="flash">
          {p.flash.map((m) => (
            <p class={`notice ${m.kind === "ok" ? "ok" : "error"}`}>{m.text}</p>
          ))}
        </div>
      )}
      {p.children}
    </Layout>
  );
}

/** The hidden CSRF field of an admin form. */
export function Csrf(p: { session: AdminSession }) {
  return <input type="hidden" name="_csrf" value={p.session.csrf} />;
}
