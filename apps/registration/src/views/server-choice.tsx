/** @jsxImportSource hono/jsx */
/**
 * The server part of the registration form: one offered template (named, not asked), a choice of
 * templates, and, where the config allows it, "another server" with its own fields.
 *
 * @module
 */
import type { Config } from "@mailreg/core";
import { SOURCES } from "@mailreg/imap-sync";
import type { FieldErrors } from "../http/field-errors.ts";
import { fieldMessage } from "../http/field-errors.ts";
import type { Translate } from "../i18n/i18n.ts";
import { Field, fieldId } from "./field.tsx";

/** Properties of {@link ServerChoice}. */
export interface ServerChoiceProps {
  t: Translate;
  config: Config;
  values: Record<string, string>;
  errors: FieldErrors;
}

function _Select(p: {
  name: string;
  label: string;
  options: [string, string][];
  value?: string | undefined;
}) {
  return (
    <div class="field">
      <label for={fieldId(p.name)}>{p.label}</label>
      <select id={fieldId(p.name)} name={p.name}>
        {p.options.map(([value, text]) => (
          <option value={value} selected={value === p.value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

/**
 * The server fields.
 *
 * @param p config, submitted values and errors
 * @returns the markup
 */
export function ServerChoice(p: ServerChoiceProps) {
  const { t, config, values, errors } = p;
  const offered = config.servers.filter((s) => config.registration.templates.includes(s.id));
  const custom = config.registration.allowCustomServer;
  const only = offered.length === 1 && !custom ? offered[0] : undefined;
  if (only !== undefined) {
    return (
      <p>
        <input type="hidden" name="template" value={only.id} />
        {t("register.server.only", { server: only.label })}
      </p>
    );
  }
  const chosen = values.template ?? offered[0]?.id ?? "custom";
  const error = errors.template ?? errors.server;
  return (
    <fieldset
      id={fieldId("template")}
      aria-describedby={error === undefined ? undefined : "f-template-error"}
    >
      <legend>{t("register.server")}</legend>
      {error === undefined ? null : (
        <span class="error-text" id="f-template-error">
          {fieldMessage(error, t)}
        </span>
      )}
      {offered.map((s) => (
        <div class="choice">
          <input
            type="radio"
            id={`f-template-${s.id}`}
            name="template"
            value={s.id}
            checked={chosen === s.id}
          />
          <label for={`f-template-${s.id}`}>
            {s.label} <span class="muted">({s.host})</span>
          </label>
        </div>
      ))}
      {!custom ? null : (
        <>
          <div class="choice">
            <input
              type="radio"
              id="f-template-custom"
              name="template"
              value="custom"
              checked={chosen === "custom"}
            />
            <label for="f-template-custom">{t("register.server.custom")}</label>
          </div>
          <div class="row">
            <_Select
              name="server.protocol"
              label={t("register.protocol")}
              value={values["server.protocol"]}
              options={[...SOURCES.values()].map((source) => [source.kind, source.label])}
            />
            <_Select
              name="server.security"
              label={t("register.security")}
              value={values["server.security"]}
              options={[
                ["tls", t("register.security.tls")],
                ["starttls", t("register.security.starttls")],
                ["none", t("register.security.none")],
              ]}
            />
          </div>
          <div class="row">
            <Field
              t={t}
              name="server.host"
              label={t("register.host")}
              value={values["server.host"]}
              error={errors["server.host"]}
              maxlength={253}
            />
            <Field
              t={t}
              name="server.port"
              label={t("register.port")}
              hint={t("register.port.hint")}
              value={values["server.port"]}
              error={errors["server.port"]}
              inputmode="numeric"
              maxlength={5}
            />
          </div>
        </>
      )}
    </fieldset>
  );
}
