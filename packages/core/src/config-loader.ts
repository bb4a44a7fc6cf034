/**
 * Loading `mailreg.config.json`: find the file, parse it, apply environment overrides, validate,
 * resolve relative paths. Either a complete typed {@link Config} or one error listing every problem.
 *
 * @module
 */
import { _cwd, _dirname, _isAbsolute, _processEnv, _readTextFile, _resolvePath } from "./_fs.ts";
import { _jsonSyntaxError } from "./_json-error.ts";
import { _formatPath, type ValidationIssue } from "./_zod.ts";
import { type Config, ConfigSchema, checkConfig, configInvalidError, configSchema } from "./config-schema.ts";
import type { ConnectorRegistries } from "./connectors.ts";
import { MailregError } from "./errors.ts";

/** The file looked for in the working directory when no path is named. */
export const DEFAULT_CONFIG_FILE = "mailreg.config.json";
/** The prefix of environment variables that override config values. */
export const ENV_PREFIX = "MAILREG_";

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** The config file; default `env.MAILREG_CONFIG`, else `./mailreg.config.json`. */
  path?: string;
  /** The environment to read overrides from; default the process environment. */
  env?: Record<string, string | undefined>;
  /** The folder relative paths are resolved against; default the process's working directory. */
  cwd?: string;
  /**
   * The sources, sinks and OAuth providers to check the config's connector sections against (and
   * take a server's default port from); omitted: their generic shape only. The apps and the CLI pass
   * `SOURCES`, `SINKS` (`@mailreg/imap-sync`) and `OAUTH_PROVIDERS` (`@mailreg/oauth`).
   */
  connectors?: ConnectorRegistries;
}

/** What {@link loadConfig} found. */
export interface LoadedConfig {
  /** The complete, validated config, relative paths resolved against the config file's folder. */
  config: Config;
  /** The absolute path of the config file (looked for, even when not found). */
  path: string;
  /** Whether the file existed; false means defaults plus environment overrides. */
  found: boolean;
  /**
   * What the caller should show once as a warning: at most one line naming every `MAILREG_` variable
   * that was ignored because it names no setting and is no near miss of one (orchestrators inject
   * such variables: Kubernetes sets `MAILREG_PORT=tcp://…` for a Service named `mailreg`).
   */
  warnings: string[];
}

/**
 * Loads the config: the file named by `path`, else by `env.MAILREG_CONFIG`, else
 * `./mailreg.config.json` (whose absence means defaults); then environment overrides, then validation
 * of everything at once, then relative paths resolved against the config file's folder.
 *
 * Overrides: `MAILREG_` + the path in upper case with `__` between levels
 * (`MAILREG_SERVER__PORT=9000`, `MAILREG_OAUTH__PROVIDERS__GOOGLE__CLIENT_SECRET=…`,
 * `MAILREG_SERVERS__0__HOST=…` for an array element). Numbers and booleans are converted as the schema
 * expects; arrays and objects are given as JSON (`MAILREG_REGISTRATION__TEMPLATES='["a","b"]'`).
 * `PORT` sets `server.port` (a `MAILREG_SERVER__PORT` wins over it). Empty variables are ignored.
 * A `MAILREG_` variable that names no setting is ignored with one warning (`warnings`), unless it
 * looks like a mistyped setting — its first part names a section (`MAILREG_SERVER__POTR`) or it is
 * within two letters of a setting (`MAILREG_SERVER_PORT`) — which is a problem that says "did you
 * mean" the setting.
 *
 * @param options path, environment and working directory
 * @returns the config, the file's path and whether it was found
 * @throws {MailregError} CONFIG_NOT_FOUND (a named file is missing), CONFIG_UNREADABLE, CONFIG_PARSE
 *   (`details.line`, `details.column`), CONFIG_INVALID (`details.issues`: every `{ path, message }`)
 * @example
 * ```ts
 * import { loadConfig } from "@mailreg/core";
 * const { config, path, found } = await loadConfig({ env: { MAILREG_SERVER__PORT: "9000" } });
 * console.log(found ? path : "defaults", config.server.port); // … 9000
 * ```
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? _processEnv();
  const cwd = options.cwd ?? _cwd();
  const named = options.path ?? (env.MAILREG_CONFIG || undefined);
  const path = _resolvePath(cwd, named ?? DEFAULT_CONFIG_FILE);
  const text = await _read(path, named !== undefined);
  const raw = text === undefined ? {} : _parse(text, path);
  const schema = configSchema(options.connectors) as unknown as _Schema;
  const { value, issues: envIssues, origins, ignored } = _applyEnv(raw, env, schema);
  const result = checkConfig(value, options.connectors);
  const issues = [...envIssues, ...(result.ok ? [] : result.issues.map((i) => _withOrigin(i, origins)))];
  if (!result.ok || issues.length > 0) {
    throw configInvalidError(issues, text === undefined ? "The configuration (defaults)" : path);
  }
  const warnings =
    ignored.length === 0
      ? []
      : [
          `Ignored ${ignored.length === 1 ? "an environment variable" : `${ignored.length} environment variables`} ` +
            `that name${ignored.length === 1 ? "s" : ""} no config setting: ${ignored.join(", ")}`,
        ];
  return {
    config: resolveConfigPaths(result.config, _dirname(path)),
    path,
    found: text !== undefined,
    warnings,
  };
}

/**
 * The config with its relative file paths made absolute against `baseDir`: a `file:` database URL,
 * `keys.publicKeyFile`, `keys.privateKeyDir` and `keys.sessionKeyFile`. Absolute paths and other URLs are kept.
 *
 * @param config a validated config
 * @param baseDir the folder of the config file
 * @returns a new config
 * @example
 * ```ts
 * import { defaultConfig, resolveConfigPaths } from "@mailreg/core";
 * const config = resolveConfigPaths(defaultConfig(), "/etc/mailreg");
 * console.log(config.database.url); // file:/etc/mailreg/data/mailreg.db
 * ```
 */
export function resolveConfigPaths(config: Config, baseDir: string): Config {
  let url = config.database.url;
  if (url.startsWith("file:")) {
    const rest = url.slice(5);
    const q = rest.indexOf("?");
    const file = q < 0 ? rest : rest.slice(0, q);
    if (file !== "" && !file.startsWith("/") && !_isAbsolute(file)) {
      url = `file:${_resolvePath(baseDir, file)}${q < 0 ? "" : rest.slice(q)}`;
    }
  }
  return {
    ...config,
    database: { ...config.database, url },
    keys: {
      ...config.keys,
      publicKeyFile: _resolvePath(baseDir, config.keys.publicKeyFile),
      privateKeyDir: _resolvePath(baseDir, config.keys.privateKeyDir),
      sessionKeyFile: _resolvePath(baseDir, config.keys.sessionKeyFile),
    },
  };
}

async function _read(path: string, named: boolean): Promise<string | undefined> {
  try {
    return await _readTextFile(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      if (!named) return undefined;
      throw new MailregError("CONFIG_NOT_FOUND", `Config file ${path} does not exist`, { details: { path } });
    }
    throw new MailregError("CONFIG_UNREADABLE", `Config file ${path} cannot be read (${String(code)})`, {
      cause: error,
      details: { path },
    });
  }
}

function _parse(text: string, path: string): unknown {
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(json);
  } catch {
    // The engine's message quotes the text, which may hold a secret: locate the error ourselves.
    const { line, column, reason } = _jsonSyntaxError(json);
    throw new MailregError(
      "CONFIG_PARSE",
      `${path}: invalid JSON at line ${line}, column ${column}: ${reason}`,
      {
        details: { path, line, column },
      },
    );
  }
}

// --- environment overrides ---------------------------------------------------------------------

interface _Def {
  type: string;
  catchall?: _Schema;
  innerType?: _Schema;
  in?: _Schema;
  shape?: Record<string, _Schema>;
  valueType?: _Schema;
  element?: _Schema;
  options?: _Schema[];
  discriminator?: string;
}
interface _Schema {
  _zod: { def: _Def };
}
type _Container = Record<string, unknown> | unknown[];

const _WRAPPERS = new Set(["default", "prefault", "optional", "nullable", "readonly", "pipe"]);

function _unwrap(schema: _Schema): _Schema {
  let s = schema;
  for (;;) {
    const def = s._zod.def;
    const inner = _WRAPPERS.has(def.type) ? (def.innerType ?? def.in) : undefined;
    if (inner === undefined) return s;
    s = inner;
  }
}

const _screaming = (key: string) =>
  key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replaceAll("-", "_")
    .toUpperCase();

const _camel = (segment: string) =>
  segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const _isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The child key and schema that an env segment names under `schema`, given the current value. */
function _step(
  schema: _Schema,
  container: _Container,
  segment: string,
): { key: string | number; schema: _Schema } | undefined {
  const def = _unwrap(schema)._zod.def;
  if (def.type === "object" && def.shape !== undefined) {
    const key = Object.keys(def.shape).find((k) => _screaming(k) === segment);
    if (key !== undefined) return { key, schema: def.shape[key]! };
    // a connector's options without its registry (a loose object): the key as written, else camelCase
    if (def.catchall === undefined || def.catchall._zod.def.type === "never") return undefined;
    const written = Array.isArray(container)
      ? undefined
      : Object.keys(container).find((k) => _screaming(k) === segment);
    return { key: written ?? _camel(segment), schema: def.catchall };
  }
  if (def.type === "record" && def.valueType !== undefined && !Array.isArray(container)) {
    const key =
      Object.keys(container).find((k) => _screaming(k) === segment) ??
      segment.toLowerCase().replaceAll("_", "-");
    return { key, schema: def.valueType };
  }
  if (def.type === "array" && def.element !== undefined && Array.isArray(container)) {
    const index = /^\d+$/.test(segment) ? Number(segment) : -1;
    return index >= 0 && index <= container.length ? { key: index, schema: def.element } : undefined;
  }
  if (def.type === "union" && def.options !== undefined && !Array.isArray(container)) {
    // A discriminated union of objects: the option the value's discriminator picks, else any option.
    const tag = def.discriminator === undefined ? undefined : container[def.discriminator];
    const options = def.options.filter((o) => {
      const shape = _unwrap(o)._zod.def.shape;
      const literal = shape?.[def.discriminator ?? ""]?._zod.def as { values?: unknown[] } | undefined;
      return tag === undefined || literal?.values?.includes(tag) === true;
    });
    for (const option of options.length > 0 ? options : def.options) {
      const found = _step(option, container, segment);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Converts an env string to what the schema expects: number, boolean, JSON for arrays and objects. */
function _coerce(schema: _Schema, text: string): { value: unknown } | { problem: string } {
  const type = _unwrap(schema)._zod.def.type;
  if (type === "number") {
    return /^\s*-?\d+(?:\.\d+)?\s*$/.test(text) ? { value: Number(text) } : { value: text };
  }
  if (type === "boolean") {
    const t = text.trim().toLowerCase();
    if (["true", "1", "yes", "on"].includes(t)) return { value: true };
    if (["false", "0", "no", "off"].includes(t)) return { value: false };
    return { value: text };
  }
  if (type === "array" || type === "object" || type === "record" || type === "union") {
    try {
      return { value: JSON.parse(text) };
    } catch {
      return { problem: `must be a JSON ${type === "array" ? "array" : "object"}` };
    }
  }
  return { value: text };
}

function _applyEnv(
  raw: unknown,
  env: Record<string, string | undefined>,
  root: _Schema,
): { value: unknown; issues: ValidationIssue[]; origins: Map<string, string>; ignored: string[] } {
  const issues: ValidationIssue[] = [];
  const origins = new Map<string, string>();
  const ignored: string[] = [];
  if (!_isObject(raw)) return { value: raw, issues, origins, ignored };
  const value = structuredClone(raw);
  const vars = Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && name !== "MAILREG_CONFIG")
    .sort()
    .map((name) => [name, name.slice(ENV_PREFIX.length).split("__")] as const);
  if (env.PORT) vars.unshift(["PORT", ["SERVER", "PORT"]]);
  for (const [name, segments] of vars) {
    const text = env[name];
    if (text === undefined || text === "") continue;
    let schema = root;
    let container: _Container = value;
    const path: (string | number)[] = [];
    let problem: string | undefined;
    for (const [i, segment] of segments.entries()) {
      const step = _step(schema, container, segment.toUpperCase());
      if (step === undefined) {
        // below a known section it is a mistake; at the top, only when it is close to a setting
        const guess = _nearMiss(name, i === 0 ? undefined : { schema, before: segments.slice(0, i) });
        if (i === 0 && guess === undefined) ignored.push(name);
        else
          problem = `does not name a config setting${guess === undefined ? "" : `; did you mean ${guess}?`}`;
        break;
      }
      path.push(step.key);
      schema = step.schema;
      const slot = container as Record<string | number, unknown>;
      if (i === segments.length - 1) {
        const coerced = _coerce(schema, text);
        if ("problem" in coerced) problem = coerced.problem;
        else slot[step.key] = coerced.value;
        break;
      }
      const child = slot[step.key];
      if (typeof child !== "object" || child === null) {
        slot[step.key] = _unwrap(schema)._zod.def.type === "array" ? [] : {};
      }
      container = slot[step.key] as _Container;
    }
    if (problem !== undefined) issues.push({ path: name, message: problem });
    else if (!ignored.includes(name)) origins.set(_formatPath(path), name);
  }
  return { value, issues, origins, ignored };
}

/**
 * The setting a mistyped variable most likely meant, or undefined when it is no near miss (then it is
 * someone else's variable). Below a known section (`at`), the closest key there, however far; at the
 * top, a setting within two letters of the whole name.
 */
function _nearMiss(name: string, at: { schema: _Schema; before: string[] } | undefined): string | undefined {
  if (at !== undefined) {
    const wrong = name.slice(ENV_PREFIX.length).split("__")[at.before.length] ?? "";
    const shape = _unwrap(at.schema)._zod.def.shape;
    const keys = Object.keys(shape ?? {}).map(_screaming);
    const best = keys.sort((a, b) => _distance(a, wrong) - _distance(b, wrong))[0];
    return best === undefined ? undefined : `${ENV_PREFIX}${[...at.before, best].join("__")}`;
  }
  const wanted = name.slice(ENV_PREFIX.length);
  let best: { name: string; distance: number } | undefined;
  for (const known of _settingNames(ConfigSchema as unknown as _Schema, [], 3)) {
    const distance = _distance(known, wanted);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name: known, distance };
  }
  return best === undefined ? undefined : `${ENV_PREFIX}${best.name}`;
}

/** Every variable name (without the prefix) of the schema's object settings, to `depth` levels. */
function _settingNames(schema: _Schema, before: string[], depth: number): string[] {
  const shape = _unwrap(schema)._zod.def.shape;
  if (shape === undefined || depth === 0) return before.length === 0 ? [] : [before.join("__")];
  return [
    ...(before.length === 0 ? [] : [before.join("__")]),
    ...Object.entries(shape).flatMap(([key, child]) =>
      _settingNames(child, [...before, _screaming(key)], depth - 1),
    ),
  ];
}

/** Levenshtein distance. */
function _distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function _withOrigin(issue: ValidationIssue, origins: Map<string, string>): ValidationIssue {
  for (const [path, name] of origins) {
    if (issue.path === path || issue.path.startsWith(`${path}.`) || issue.path.startsWith(`${path}[`)) {
      return { path: issue.path, message: `${issue.message} (from ${name})` };
    }
  }
  return issue;
}
