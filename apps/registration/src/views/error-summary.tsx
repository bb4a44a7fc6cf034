/** @jsxImportSource hono/jsx */
/**
 * The list of a form's problems above it, each linking to its field.
 *
 * @module
 */
import { type FieldErrors, fieldMessage } from "../http/field-errors.ts";
import type { Translate } from "../i18n/i18n.ts";
import { fieldId } from "./field.tsx";

/**
 * The error summary (a live alert), or nothing when there is no error.
 *
 * @param props the problems, their labels and the heading
 * @returns the summary
 */
export function ErrorSummary(props: {
  t: Translate;
  errors: FieldErrors;
  labels: Record<string, string>;
  heading: string;
}) {
  const entries = Object.entries(props.errors);
  if (entries.length === 0) return null;
  return (
    <div class="notice error" role="alert" id="error-summary" tabindex={-1}>
      <strong>{props.heading}</strong>
      <ul>
        {entries.map(([name, error]) => (
          <li>
            <a href={`#${fieldId(name in props.labels ? name : "address")}`}>
              {props.labels[name] ?? name}: {fieldMessage(error, props.t)}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}
