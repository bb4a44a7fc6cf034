/** @jsxImportSource hono/jsx */
/**
 * A page for an error that no form handles itself.
 *
 * @module
 */

import { link } from "../http/base-path.tsx";
import type { Locale, Translate } from "../i18n/i18n.ts";
import { Layout } from "./layout.tsx";

/**
 * The error page.
 *
 * @param props language, URL, and the message to show
 * @returns the page
 */
export function ErrorPage(props: { t: Translate; locale: Locale; url: URL; message: string }) {
  const { t } = props;
  return (
    <Layout t={t} locale={props.locale} url={props.url} title={t("error.title")} narrow>
      <div class="card">
        <h1>{t("error.title")}</h1>
        <p class="notice error" role="alert">
          {props.message}
        </p>
        <a class="button secondary" href={link("/register")}>
          {t("error.back")}
        </a>
      </div>
    </Layout>
  );
}
