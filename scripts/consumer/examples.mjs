// README examples: the first ```ts block of each package README's "## Example" section, type-checked
// and built with tsc (strict, skipLibCheck false) in a consumer project, run with node and with
// `deno run` over the project's node_modules, against real test servers the check starts itself
// (Dovecot, an SMTP sink and an OAuth provider from tools/mailservers' build), each run with a fresh
// IMAP user.
import { mkdtempSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { run, tail } from "./run.mjs";
import { STRICT } from "./typecheck.mjs";

/**
 * The example of a README: the first ```ts (or ```typescript) block in its `## Example` section.
 *
 * @param {string} readme
 * @returns {string | undefined}
 */
export function extractExample(readme) {
  const lines = readme.split("\n");
  const start = lines.findIndex((l) => /^##\s+Example\s*$/.test(l));
  if (start < 0) return undefined;
  let inBlock = false;
  const code = [];
  for (const line of lines.slice(start + 1)) {
    if (!inBlock && /^##\s/.test(line)) return undefined;
    if (!inBlock && /^```(ts|typescript)\s*$/.test(line.trim())) {
      inBlock = true;
      continue;
    }
    if (inBlock && /^```\s*$/.test(line.trim())) return `${code.join("\n")}\n`;
    if (inBlock) code.push(line);
  }
  return undefined;
}

/**
 * Starts the servers examples may use: Dovecot (IMAP with STARTTLS, POP3), an SMTP sink without
 * AUTH or TLS, and an OpenID provider that signs anybody in without a page (EXAMPLE_OAUTH_ISSUER, an
 * addition to the convention for @mailreg/oauth's example). `envFor` gives each example run its own
 * user with three messages in INBOX and its own
 * empty folder, as the EXAMPLE_* variables of the README convention.
 *
 * @param {string} root the repository (its tools/mailservers build is used)
 * @param {string} work a temp folder outside the repository
 */
export async function startExampleServers(root, work) {
  const ms = await import(pathToFileURL(join(root, "tools/mailservers/dist/mod.js")).href);
  const dovecot = await ms.startDovecot({ users: [] });
  let sink;
  let oauth;
  try {
    sink = await ms.startSmtpSink({});
    oauth = await ms.startOAuthProvider();
  } catch (error) {
    await Promise.allSettled([dovecot.stop(), sink?.stop()]);
    throw error;
  }
  const caFile = join(work, "example-ca.pem");
  writeFileSync(caFile, dovecot.caPem);
  let n = 0;
  return {
    dovecot,
    sink,
    /** @param {string} label */
    async envFor(label) {
      const k = ++n;
      const user = `example-${k}-${label.replace(/[^a-z0-9]+/gi, "-")}`.toLowerCase();
      const password = `pw-${k}-${Math.random().toString(36).slice(2)}`;
      dovecot.addUser(user, password);
      await ms.seedMaildir(dovecot, user, "INBOX", ms.generateMessages({ count: 3, seed: k }));
      const dir = join(work, `example-dir-${k}`);
      await mkdir(dir);
      return {
        EXAMPLE_IMAP_HOST: dovecot.host,
        EXAMPLE_IMAP_PORT: String(dovecot.imapPort),
        EXAMPLE_POP3_PORT: String(dovecot.pop3Port),
        EXAMPLE_IMAP_USER: user,
        EXAMPLE_IMAP_PASSWORD: password,
        EXAMPLE_CA_FILE: caFile,
        EXAMPLE_SMTP_HOST: sink.host ?? "127.0.0.1",
        EXAMPLE_SMTP_PORT: String(sink.port),
        EXAMPLE_DIR: dir,
        EXAMPLE_OAUTH_ISSUER: oauth.issuer,
      };
    },
    async stop() {
      await Promise.allSettled([dovecot.stop(), sink.stop(), oauth.stop()]);
    },
  };
}

/**
 * Writes the examples into `dir/examples/<short>.ts` and builds them with tsc (nodenext, strict,
 * skipLibCheck false) into `dir/build/`; returns the type errors per example.
 *
 * @param {string} tsc
 * @param {string} dir an installed consumer project
 * @param {{ short: string, code: string }[]} examples
 * @returns {Promise<Map<string, string[]>>} short name -> error lines
 */
export async function buildExamples(tsc, dir, examples) {
  await mkdir(join(dir, "examples"), { recursive: true });
  for (const e of examples) writeFileSync(join(dir, "examples", `${e.short}.ts`), e.code);
  writeFileSync(
    join(dir, "tsconfig.examples.json"),
    JSON.stringify(
      {
        compilerOptions: {
          ...STRICT,
          module: "nodenext",
          moduleResolution: "nodenext",
          rootDir: "examples",
          outDir: "build",
          noEmitOnError: false,
        },
        include: ["examples/*.ts"],
      },
      null,
      2,
    ),
  );
  const r = await run(tsc, ["-p", "tsconfig.examples.json", "--pretty", "false"], {
    cwd: dir,
    timeoutMs: 180_000,
  });
  const errors = `${r.stdout}\n${r.stderr}`.split("\n").filter((l) => /error TS\d+/.test(l));
  const byExample = new Map();
  // errors in the packages' own types are the consumer type-check's to report; here only the examples'
  for (const line of errors) {
    const short = /^examples\/([^.(]+)\.ts/.exec(line)?.[1];
    if (short === undefined) continue;
    if (!byExample.has(short)) byExample.set(short, []);
    byExample.get(short).push(line);
  }
  if (r.status !== 0 && errors.length === 0) byExample.set("(tsc)", [tail(`${r.stdout}\n${r.stderr}`)]);
  return byExample;
}

/**
 * Runs one built example with node, or its source with deno, in the project; exit code 0 is success.
 *
 * @param {"node" | "deno"} runtime
 * @param {string} deno the deno binary
 * @param {string} dir the project
 * @param {string} short
 * @param {Record<string, string>} exampleEnv
 */
export async function runExample(runtime, deno, dir, short, exampleEnv) {
  const env = {
    ...process.env,
    ...exampleEnv,
    DENO_NO_UPDATE_CHECK: "1",
    DENO_NO_PROMPT: "1",
    NO_COLOR: "1",
  };
  const r =
    runtime === "node"
      ? await run(process.execPath, [join("build", `${short}.js`)], { cwd: dir, env, timeoutMs: 60_000 })
      : await run(deno, ["run", "-A", "--node-modules-dir=manual", join("examples", `${short}.ts`)], {
          cwd: dir,
          env,
          timeoutMs: 60_000,
        });
  return {
    ok: r.status === 0,
    ms: r.ms,
    detail: r.timedOut
      ? `did not finish within 60 s\n${tail(`${r.stdout}\n${r.stderr}`)}`
      : `exit code ${r.status}\n${tail(`${r.stdout}\n${r.stderr}`)}`,
  };
}

/** A temp folder outside the repository. */
export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}
