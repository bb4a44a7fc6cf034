// A host application on another hono minor version than the workspace's mounts the registration app
// under /mail (scripts/consumer/host-server.mjs, run in a consumer project); Debian's Chromium, driven
// by playwright-core, opens its pages, posts its forms, follows its redirects, and the check calls its
// API. Each point is judged on its own, so one failing point does not hide the others.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { run } from "./run.mjs";

const SUBJECT = "host app (@mailreg/registration under /mail)";

/**
 * The hono version for the host: the newest 4.x of another minor than the workspace's that the
 * registration package's peer range (if any) admits.
 *
 * @param {string} root the repository
 * @param {string | undefined} peerRange registration's `peerDependencies.hono`
 * @returns {Promise<{ version?: string, workspace: string, why?: string }>}
 */
export async function chooseHono(root, peerRange) {
  const workspace = JSON.parse(readFileSync(join(root, "node_modules/hono/package.json"), "utf8")).version;
  const semver = _semver(root);
  const r = await run("npm", ["view", "hono", "versions", "--json", "--prefer-offline"], {
    timeoutMs: 60_000,
  });
  if (r.status !== 0) return { workspace, why: `npm view hono versions failed: ${r.stderr.trim()}` };
  const [major, minor] = workspace.split(".").map(Number);
  const candidates = JSON.parse(r.stdout)
    .filter((v) => /^\d+\.\d+\.\d+$/.test(v))
    .filter((v) => {
      const [ma, mi] = v.split(".").map(Number);
      return ma === major && mi !== minor;
    })
    .filter((v) => peerRange === undefined || semver.satisfies(v, peerRange))
    .sort(semver.compare);
  const version = candidates.at(-1);
  return version === undefined
    ? {
        workspace,
        why: `no hono ${major}.x of another minor than ${workspace} satisfies registration's peer range ${peerRange}`,
      }
    : { version, workspace };
}

function _semver(root) {
  const require = createRequire(join(root, "package.json"));
  try {
    return require("semver");
  } catch {
    const parse = (v) => v.split(".").map(Number);
    return {
      compare: (a, b) => {
        const [x, y] = [parse(a), parse(b)];
        return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
      },
      satisfies: () => true,
    };
  }
}

/** Every installed copy of hono in a project: `path -> version`. */
export function honoCopies(dir) {
  const copies = [];
  const stack = [join(dir, "node_modules")];
  while (stack.length > 0) {
    const nm = stack.pop();
    if (!existsSync(nm)) continue;
    const hono = join(nm, "hono", "package.json");
    if (existsSync(hono))
      copies.push({
        path: hono.slice(dir.length + 1),
        version: JSON.parse(readFileSync(hono, "utf8")).version,
      });
    for (const entry of readdirSync(nm, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const pkgs = entry.name.startsWith("@")
        ? readdirSync(join(nm, entry.name)).map((n) => join(nm, entry.name, n))
        : [join(nm, entry.name)];
      for (const p of pkgs) stack.push(join(p, "node_modules"));
    }
  }
  return copies;
}

/**
 * Runs the host app in `dir` and drives it; adds every failing point to `problems`.
 *
 * @param {object} o
 * @param {string} o.root the repository (playwright-core comes from its node_modules)
 * @param {string} o.dir the installed host project
 * @param {number} o.imapPort the IMAP port the first offered template points at
 * @param {number} o.pop3Port the POP3 port of the second
 * @param {import("./run.mjs").Problems} o.problems
 * @returns {Promise<string[]>} the points that passed
 */
export async function checkHostApp({ root, dir, imapPort, pop3Port, problems }) {
  const passed = [];
  const fail = (point, detail) => problems.add(SUBJECT, point, detail);
  copyFileSync(new URL("./host-server.mjs", import.meta.url), join(dir, "host-server.mjs"));
  const admin = { user: "host-admin", password: "host-admin-password-1" };
  const token = `host-token-${Math.random().toString(36).slice(2)}`;
  const host = await _startHost(dir, {
    HOST_DIR: dir,
    HOST_IMAP_PORT: String(imapPort),
    HOST_POP3_PORT: String(pop3Port),
    HOST_ADMIN_USER: admin.user,
    HOST_ADMIN_PASSWORD: admin.password,
    HOST_API_TOKEN: token,
  });
  if (host.url === undefined) {
    fail("the host app starts", host.output());
    return passed;
  }
  const base = `${host.url}/mail`;
  const require = createRequire(join(root, "apps/registration/package.json"));
  const { chromium } = require("playwright-core");
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
    ],
  });
  const serverErrors = [];
  try {
    const context = await browser.newContext({ locale: "en-GB" });
    const page = await context.newPage();
    page.setDefaultTimeout(5000);
    page.on("response", (res) => {
      if (res.status() >= 500) serverErrors.push(`${res.status()} ${res.request().method()} ${res.url()}`);
    });
    const step = async (point, fn) => {
      try {
        await fn();
        passed.push(point);
      } catch (error) {
        fail(point, error instanceof Error ? error.message : String(error));
      }
    };
    const outsideMail = async () =>
      page.evaluate(() =>
        [...document.querySelectorAll("a[href], form[action], link[href], script[src], img[src]")]
          .map((el) => el.getAttribute("href") ?? el.getAttribute("action") ?? el.getAttribute("src") ?? "")
          .filter(
            (u) => u.startsWith("/") && !u.startsWith("//") && !u.startsWith("/mail/") && u !== "/mail",
          ),
      );

    await step("the host's own route still answers", async () => {
      const res = await fetch(`${host.url}/`);
      const text = await res.text();
      if (res.status !== 200 || !text.includes("the host's own page"))
        throw new Error(`GET / -> ${res.status}: ${text.slice(0, 200)}`);
    });

    await step("GET /mail/register shows the form", async () => {
      const res = await page.goto(`${base}/register?lang=en`);
      if (res?.status() !== 200)
        throw new Error(`GET /mail/register -> ${res?.status()}: ${_gist(await res?.text())}`);
      await page.getByLabel("Email address").waitFor({ timeout: 5000 });
    });

    await step("the register page's links and form action stay under /mail", async () => {
      const outside = await outsideMail();
      if (outside.length > 0)
        throw new Error(`links/actions outside /mail: ${[...new Set(outside)].join(", ")}`);
    });

    const address = `host-owner-${Date.now()}@example.test`;
    await step("the form post redirects to /mail/register?done=1 with the success message", async () => {
      await page.getByLabel("Email address").fill(address);
      await page.getByLabel("Login name").fill("host-owner");
      await page.getByLabel("Password").fill("Owner-Pa55-word");
      await page.getByLabel("Company mail (IMAP)").check();
      await page.getByRole("button", { name: "Register" }).click();
      await page.waitForLoadState("load");
      const url = new URL(page.url());
      if (!url.pathname.startsWith("/mail/") || url.searchParams.get("done") !== "1")
        throw new Error(
          `after the post the browser is at ${url.pathname}${url.search}, not /mail/register?done=1`,
        );
      await page.locator("#success").waitFor({ timeout: 5000 });
    });

    await step(
      "/mail/admin redirects to /mail/admin/login; signing in sets a /mail cookie and lands on /mail/admin/registrations",
      async () => {
        await page.goto(`${base}/admin?lang=en`);
        const login = new URL(page.url());
        if (login.pathname !== "/mail/admin/login")
          throw new Error(`GET /mail/admin ended at ${login.pathname}`);
        const outside = await outsideMail();
        if (outside.length > 0)
          throw new Error(`login page links/actions outside /mail: ${[...new Set(outside)].join(", ")}`);
        await page.getByLabel("User name").fill(admin.user);
        await page.getByLabel("Password").fill(admin.password);
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.waitForLoadState("load");
        const after = new URL(page.url());
        if (!after.pathname.startsWith("/mail/admin/registrations"))
          throw new Error(`after signing in the browser is at ${after.pathname}`);
        const session = (await context.cookies()).filter((c) => c.name === "mailreg_session");
        if (session.length !== 1 || session[0].path !== "/mail")
          throw new Error(
            `the session cookie's path is ${session.map((c) => c.path).join(", ") || "(no cookie)"}, not /mail`,
          );
        if (!(await page.content()).includes(address))
          throw new Error("the registrations page does not list the new registration");
        const outsideAdmin = await outsideMail();
        if (outsideAdmin.length > 0)
          throw new Error(`admin page links/actions outside /mail: ${[...new Set(outsideAdmin)].join(", ")}`);
      },
    );

    await step("POST /mail/api/v1/registrations answers 201; the admin API lists it", async () => {
      const apiAddress = `host-api-${Date.now()}@example.test`;
      const res = await fetch(`${base}/api/v1/registrations`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          address: apiAddress,
          login: "host-api",
          password: "Api-Pa55-word",
          template: "company",
        }),
      });
      const body = await res.text();
      if (res.status !== 201)
        throw new Error(`POST /mail/api/v1/registrations -> ${res.status}: ${_gist(body)}`);
      const list = await fetch(`${base}/api/v1/admin/registrations`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const listed = await list.text();
      if (list.status !== 200 || !listed.includes(apiAddress) || !listed.includes(address))
        throw new Error(`GET /mail/api/v1/admin/registrations -> ${list.status}: ${_gist(listed)}`);
    });

    await step("no page or call answered 5xx", async () => {
      if (serverErrors.length > 0) {
        const logged = host
          .stdoutLines()
          .filter((l) => l.includes('"level":"error"'))
          .slice(0, 3);
        throw new Error(
          [...serverErrors, ...(logged.length > 0 ? ["the host's logger got:", ...logged] : [])].join("\n"),
        );
      }
    });
    await context.close();
  } finally {
    await browser.close();
    await host.stop();
  }
  const lines = host.stdoutLines();
  const own = lines.filter((l) => !l.startsWith('{"listening"') && !l.startsWith('{"host-log"'));
  const requestLines = lines.filter((l) => l.startsWith('{"host-log"') && l.includes('"path":"/mail/'));
  if (own.length > 0)
    fail(
      "the mounted app logs only through the host's logger",
      `it wrote to stdout itself:\n${own.slice(0, 5).join("\n")}`,
    );
  else if (requestLines.length === 0)
    fail(
      "the mounted app logs only through the host's logger",
      "the host's logger got no request line with a /mail/ path",
    );
  else passed.push("the mounted app logs only through the host's logger");
  return passed;
}

/** A response body in a line: the page title or the text without tags, cut short. */
function _gist(body = "") {
  const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1];
  const text =
    title ??
    body
      .replace(/<style[\s\S]*?<\/style>/gi, "")
      .replace(/<[^>]+>/g, " ")
      .replace(/\s+/g, " ");
  return text.trim().slice(0, 240);
}

/** Starts host-server.mjs in `dir`; resolves when it listens (or exits, or 30 s pass). */
function _startHost(dir, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["host-server.mjs"], {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let settled = false;
    const handle = (url) => ({
      url,
      output: () => `${stdout}\n${stderr}`.trim().slice(-3000),
      stdoutLines: () => stdout.split("\n").filter((l) => l.trim() !== ""),
      stop: () =>
        new Promise((done) => {
          if (child.exitCode !== null) return done();
          child.once("exit", () => done());
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 3000).unref();
        }),
    });
    const settle = (url) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(handle(url));
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      settle(undefined);
    }, 30_000);
    child.stdout.setEncoding("utf8").on("data", (d) => {
      stdout += d;
      const m = /\{"listening":"([^"]+)"\}/.exec(stdout);
      if (m !== null) settle(m[1]);
    });
    child.stderr.setEncoding("utf8").on("data", (d) => {
      stderr += d;
    });
    child.on("exit", () => settle(undefined));
  });
}
