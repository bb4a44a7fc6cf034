/** @jsxImportSource hono/jsx */
/**
 * A labelled form field with its hint and error tied to it (`aria-describedby`, `aria-invalid`).
 *
 * @module
 */
import type { Child } from "hono/jsx";
import { type FieldError, fieldMessage } from "../http/field-errors.ts";
import type { Translate } from "../i18n/i18n.ts";

/** The element id of a field name (`server.host` → `f-server-host`). */
export function fieldId(name: string): string {
  return `f-${name.replaceAll(".", "-")}`;
}

/** Properties of {@link Field}. */
export interface FieldProps {
  t: Translate;
  name: string;
  label: string;
  hint?: string | undefined;
  error?: FieldError | undefined;
  type?: "text" | "email" | "password" | "search" | "datetime-local";
  value?: string | undefined;
  required?: boolean;
  optional?: boolean;
  maxlength?: number;
  autocomplete?: string;
  inputmode?: "numeric" | "email" | "text";
  children?: Child;
}

/**
 * One input with label, hint and error.
 *
 * @param p the field
 * @returns the field's markup
 */
export function Field(p: FieldProps) {
  const id = fieldId(p.name);
  const described = [
    p.hint === undefined ? undefined : `${id}-hint`,
    p.error === undefined ? undefined : `${id}-error`,
  ]
    .filter((x) => x !== undefined)
    .join(" ");
  return (
    <div class="field">
      <label for={id}>
        {p.label}
        {p.optional === true ? <span class="optional"> ({p.t("register.optional")})</span> : null}
      </label>
      {p.hint === undefined ? null : (
        <span class="hint" id={`${id}-hint`}>
          {p.hint}
        </span>
      )}
      {p.error === undefined ? null : (
        <span class="error-text" id={`${id}-error`}>
          {fieldMessage(p.error, p.t)}
        </span>
      )}
      <input
        type={p.type ?? "text"}
        id={id}
        name={p.name}
        value={p.value ?? ""}
        required={p.required === true}
        aria-required={p.required === true ? "true" : undefined}
        aria-invalid={p.error === undefined ? undefined : "true"}
        aria-describedby={described === "" ? undefined : described}
        maxlength={p.maxlength}
        autocomplete={p.autocomplete}
        inputmode={p.inputmode}
      />
    </div>
  );
}
