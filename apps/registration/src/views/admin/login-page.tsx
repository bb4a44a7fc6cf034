/** @jsxImportSource hono/jsx */
/**
 * The admin sign-in page.
 *
 * @module
 */

import { link } from "../../http/base-path.tsx";
import type { Locale, Translate } from "../../i18n/i18n.ts";
import { Layout } from "../layout.tsx";

/**
 * The sign-in form.
 *
 * @param p language, URL, where to go next, the user name tried and whether it failed
 * @returns the page
 */
export function LoginPage(p: {
  t: Translate;
  locale: Locale;
  url: URL;
  next: string;
  user?: string;
  failed?: boolean;
}) {
  const { t } = p;
  return (
    <Layout t={t} locale={p.locale} url={p.url} title={t("admin.login")} narrow>
      <div class="card">
        <h1>{t("admin.login")}</h1>
        {p.failed === true ? (
          <p class="notice error" role="alert" id="login-error">
            {t("admin.login.failed")}
          </p>
        ) : null}
        <form method="post" action={link("/admin/login")} novalidate>
          <input type="hidden" name="next" value={p.next} />
          <div class="field">
            <label for="f-user">{t("admin.login.user")}</label>
            <input
              type="text"
              id="f-user"
              name="user"
              value={p.user ?? ""}
              required
              autocomplete="username"
              aria-describedby={p.failed === true ? "login-error" : undefined}
            />
          </div>
          <div class="field">
            <label for="f-password">{t("admin.login.password")}</label>
            <input type="password" id="f-password" name="password" required autocomplete="current-password" />
          </div>
          <button type="submit">{t("admin.login")}</button>
        </form>
      </div>
    </Layout>
  );
}
