/** @jsxImportSource hono/jsx */
/**
 * The API docs page: every operation of the OpenAPI document, rendered on the server (no script,
 * no external assets), with the schemas at the end.
 *
 * @module
 */

import { link } from "../http/base-path.tsx";
import type { Locale, Translate } from "../i18n/i18n.ts";
import { Layout } from "../views/layout.tsx";

interface _Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Array<Record<string, unknown>>;
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string }>;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string }>;
}

/** The parts of an OpenAPI document the page shows. */
export interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, _Operation>>;
  components?: { schemas?: Record<string, unknown> };
}

const _METHODS = ["get", "put", "post", "delete", "patch"];

function _schemaName(schema: unknown): string {
  const ref = (schema as { $ref?: string } | undefined)?.$ref;
  return ref === undefined ? "JSON" : ref.replace("#/components/schemas/", "");
}

/**
 * The docs page.
 *
 * @param props the document, language and URL
 * @returns the page
 */
export function DocsPage(props: { doc: OpenApiDocument; t: Translate; locale: Locale; url: URL }) {
  const { doc, t } = props;
  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    _METHODS.filter((m) => item[m] !== undefined).map((m) => ({ path, method: m, op: item[m]! })),
  );
  return (
    <Layout t={t} locale={props.locale} url={props.url} title={t("docs.title")}>
      <h1>
        {doc.info.title} <span class="muted">{doc.info.version}</span>
      </h1>
      <p class="lead">
        {t("docs.intro")}
        <a href={link("/api/v1/openapi.json")}>{link("/api/v1/openapi.json")}</a>
      </p>
      {operations.map(({ path, method, op }) => (
        <section class="card" aria-labelledby={`op-${method}-${path}`}>
          <h2 id={`op-${method}-${path}`}>
            <code>
              {method.toUpperCase()} {path}
            </code>
          </h2>
          <p>
            <strong>{op.summary}</strong>
            {op.security !== undefined ? <span class="badge"> admin</span> : null}
          </p>
          {op.description === undefined ? null : <p class="muted">{op.description}</p>}
          {op.parameters === undefined || op.parameters.length === 0 ? null : (
            <p>
              {op.parameters.map((p) => (
                <span>
                  <code>{p.name}</code> ({p.in}
                  {p.required === true ? ", required" : ""}){" "}
                </span>
              ))}
            </p>
          )}
          {op.requestBody?.content?.["application/json"] === undefined ? null : (
            <p>
              Body: <code>{_schemaName(op.requestBody.content["application/json"].schema)}</code>
            </p>
          )}
          <ul>
            {Object.entries(op.responses ?? {}).map(([status, r]) => (
              <li>
                <code>{status}</code> {r.description}
              </li>
            ))}
          </ul>
        </section>
      ))}
      <h2>Schemas</h2>
      {Object.entries(doc.components?.schemas ?? {}).map(([name, schema]) => (
        <details class="card">
          <summary>
            <code>{name}</code>
          </summary>
          <pre>{JSON.stringify(schema, null, 2)}</pre>
        </details>
      ))}
    </Layout>
  );
}
