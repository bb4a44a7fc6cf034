/** @jsxImportSource hono/jsx */
/**
 * The public registration page: closed notice with the next window, success notice, or the form
 * with per-field errors and the submitted values (never the password).
 *
 * @module
 */
import type { Config } from "@mailreg/core";
import { link } from "../http/base-path.tsx";
import type { FieldErrors } from "../http/field-errors.ts";
import type { Locale, Translate } from "../i18n/i18n.ts";
import { oauthTemplate } from "../oauth/oauth-registration.ts";
import { ErrorSummary } from "./error-summary.tsx";
import { Field } from "./field.tsx";
import { formatTime } from "./format-time.ts";
import { Layout } from "./layout.tsx";
import { providerName } from "./provider-name.ts";
import { ServerChoice } from "./server-choice.tsx";

/** Properties of {@link RegisterPage}. */
export interface RegisterPageProps {
  t: Translate;
  locale: Locale;
  url: URL;
  config: Config;
  timeZone: string;
  /** Closed: with the next window's opening, if any. */
  closed?: { nextOpen: string | null } | undefined;
  /** Show the success message (and an empty form). */
  done?: boolean;
  values?: Record<string, string>;
  errors?: FieldErrors;
}

function _Closed(p: { t: Translate; locale: Locale; timeZone: string; nextOpen: string | null }) {
  const [before, after] = p.t("register.nextOpen", { time: "\u0000" }).split("\u0000");
  return (
    <div class="notice warn" role="status">
      <strong>{p.t("register.closed")}</strong>
      <p>
        {p.nextOpen === null ? (
          p.t("register.noNext")
        ) : (
          <>
            {before}
            <time datetime={p.nextOpen}>{formatTime(p.nextOpen, p.locale, p.timeZone)}</time>
            {after}
          </>
        )}
      </p>
    </div>
  );
}

/**
 * The registration page.
 *
 * @param p state, values and errors
 * @returns the page
 */
export function RegisterPage(p: RegisterPageProps) {
  const { t, config } = p;
  const values = p.values ?? {};
  const errors = p.errors ?? {};
  const labels: Record<string, string> = {
    address: t("register.address"),
    displayName: t("register.displayName"),
    login: t("register.login"),
    password: t("register.password"),
    template: t("register.server"),
    server: t("register.server"),
    "server.host": t("register.host"),
    "server.port": t("register.port"),
  };
  // a provider signs in only where a server template is linked to it (servers[].oauthProvider)
  const providers = Object.entries(config.oauth.providers).filter(
    ([id]) => oauthTemplate(config, id) !== undefined,
  );
  return (
    <Layout t={t} locale={p.locale} url={p.url} title={t("register.heading")} narrow>
      <div class="card">
        <h1>{t("register.heading")}</h1>
        {p.closed !== undefined ? (
          <_Closed t={t} locale={p.locale} timeZone={p.timeZone} nextOpen={p.closed.nextOpen} />
        ) : (
          <>
            <p class="lead">{t("register.intro")}</p>
            {p.done === true ? (
              <p class="notice ok" role="status" id="success">
                {t("register.success")}
              </p>
            ) : null}
            <ErrorSummary t={t} errors={errors} labels={labels} heading={t("register.errors")} />
            {providers.length === 0 ? null : (
              <>
                <div class="oauth">
                  {providers.map(([id, provider]) => (
                    <a class="button secondary" href={link(`/register/oauth/${id}/start`)}>
                      {t("register.oauth", { provider: providerName(id, provider.kind) })}
                    </a>
                  ))}
                </div>
                <p class="muted">{t("register.oauth.or")}</p>
              </>
            )}
            <form method="post" action={link("/register")} novalidate>
              <Field
                t={t}
                name="address"
                type="email"
                label={labels.address!}
                hint={t("register.address.hint")}
                value={values.address}
                error={errors.address}
                required
                maxlength={320}
                autocomplete="email"
              />
              <Field
                t={t}
                name="displayName"
                label={labels.displayName!}
                value={values.displayName}
                error={errors.displayName}
                optional
                maxlength={200}
                autocomplete="name"
              />
              <Field
                t={t}
                name="login"
                label={labels.login!}
                hint={t("register.login.hint")}
                value={values.login}
                error={errors.login}
                optional
                maxlength={320}
                autocomplete="username"
              />
              <Field
                t={t}
                name="password"
                type="password"
                label={labels.password!}
                hint={t("register.password.hint")}
                error={errors.password}
                required
                maxlength={1024}
                autocomplete="current-password"
              />
              <ServerChoice t={t} config={config} values={values} errors={errors} />
              <button type="submit">{t("register.submit")}</button>
            </form>
          </>
        )}
      </div>
    </Layout>
  );
}
