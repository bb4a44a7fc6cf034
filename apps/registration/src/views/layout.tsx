/** @jsxImportSource hono/jsx */
/**
 * The page frame: head with the inline stylesheet, a top bar (site name, admin navigation when
 * signed in, language switch), and the main region.
 *
 * @module
 */
import type { Child } from "hono/jsx";
import { link } from "../http/base-path.tsx";
import { LOCALES, type Locale, type Translate } from "../i18n/i18n.ts";
import { STYLES } from "./styles.ts";

/** Admin navigation entries: path and label key. */
const _ADMIN_NAV = [
  ["/admin/registrations", "admin.nav.registrations"],
  ["/admin/window", "admin.nav.window"],
  ["/admin/mailboxes", "admin.nav.mailboxes"],
  ["/admin/dead-letters", "admin.nav.deadLetters"],
  ["/admin/oauth", "admin.nav.oauth"],
  ["/admin/config", "admin.nav.config"],
  ["/admin/audit", "admin.nav.audit"],
  ["/api/v1/docs", "admin.nav.docs"],
] as const;

/** Properties of {@link Layout}. */
export interface LayoutProps {
  t: Translate;
  locale: Locale;
  /** The page title (the site name is added). */
  title: string;
  /** The current URL (its path inside the app) and query, for the language links. */
  url: URL;
  /** Set on admin pages once signed in. */
  admin?: { user: string; csrf: string } | undefined;
  /** A narrow main column (forms). */
  narrow?: boolean;
  children?: Child;
}

function _langHref(url: URL, locale: Locale): string {
  const params = new URLSearchParams(url.search);
  params.set("lang", locale);
  params.delete("done");
  return `${url.pathname}?${params}`;
}

/**
 * The page frame.
 *
 * @param props title, language, current URL, admin session, content
 * @returns the page
 */
export function Layout(props: LayoutProps) {
  const { t, locale, url, admin } = props;
  const home = admin === undefined ? "/register" : "/admin";
  return (
    <html lang={locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} – ${t(admin === undefined ? "site.title" : "admin.title")}`}</title>
        <style>{STYLES}</style>
      </head>
      <body>
        <a class="skip" href="#main">
          {t("site.skip")}
        </a>
        <header class="top">
          <div class="bar">
            <a class="brand" href={link(home)}>
              {t(admin === undefined ? "site.title" : "admin.title")}
            </a>
            {admin === undefined ? null : (
              <nav aria-label={t("admin.title")}>
                {_ADMIN_NAV.map(([path, key]) => (
                  <a href={link(path)} aria-current={url.pathname.startsWith(path) ? "page" : undefined}>
                    {t(key)}
                  </a>
                ))}
              </nav>
            )}
            <nav class="lang" aria-label={t("lang.switch")}>
              {LOCALES.map((l) => (
                <a
                  href={link(_langHref(url, l))}
                  lang={l}
                  hreflang={l}
                  aria-current={l === locale ? "true" : undefined}
                >
                  {l.toUpperCase()}
                </a>
              ))}
            </nav>
            {admin === undefined ? null : (
              <form method="post" action={link("/admin/logout")}>
                <span class="who">{t("admin.signedInAs", { user: admin.user })} </span>
                <input type="hidden" name="_csrf" value={admin.csrf} />
                <button type="submit" class="secondary small">
                  {t("admin.logout")}
                </button>
              </form>
            )}
          </div>
        </header>
        <main id="main" class={props.narrow === true ? "narrow" : undefined} tabindex={-1}>
          {props.children}
        </main>
      </body>
    </html>
  );
}
