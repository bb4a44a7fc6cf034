/**
 * Registration file round trip: 100,000 records written as a registration file, imported with
 * `mailreg registrations import`, exported again with `mailreg registrations export`, and the two
 * files compared byte for byte. Prints records/s for each step.
 *
 * The records' sealed parts are random strings of a real sealed profile's shape and length (~820
 * characters): import and export move them as they are, and sealing 100,000 real profiles
 * (~700/s here) would measure the crypto, not the file format.
 *
 * @module
 */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "@mailreg/cli/testing";
import { newId, type RegistrationRecord, writeRegistrationFile } from "@mailreg/core";
import { loadPublicKey } from "@mailreg/crypto-registry";
import type { Benchmark, BenchResult } from "./benchmark.ts";

function _b64url(n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil((n * 3) / 4)));
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "").slice(0, n);
}

function* _records(count: number, keyId: string): Generator<RegistrationRecord> {
  const header = _b64url(300);
  for (let i = 0; i < count; i++) {
    const address = `user${i}@domain${i % 97}.example`;
    yield {
      id: newId(),
      receivedAt: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(),
      address,
      displayName: `User ${i}`,
      protocol: i % 5 === 0 ? "pop3" : "imap",
      host: `mail.domain${i % 97}.example`,
      port: i % 5 === 0 ? 995 : 993,
      security: "tls",
      login: address,
      authMethod: "password",
      status: "pending",
      keyId,
      sealed: `${header}.${_b64url(54)}.${_b64url(16)}.${_b64url(420)}.${_b64url(22)}`,
    };
  }
}

export const registrationFileBenchmark: Benchmark = {
  name: "registration-file",
  summary: "100,000 registrations: write file, import, export, compare",
  async run(args) {
    const count = Number(args.count ?? 100_000);
    const dir = await mkdtemp(join(tmpdir(), "mailreg-bench-"));
    try {
      const init = await runCli(["init"], { cwd: dir });
      if (init.code !== 0) throw new Error(init.stderr);
      const { kid } = await loadPublicKey(join(dir, "keys/registry.public.jwk"));
      const source = join(dir, "source.jsonl");
      const exported = join(dir, "exported.jsonl");
      const results: BenchResult[] = [];

      let t = performance.now();
      await writeFile(source, writeRegistrationFile(_records(count, kid), { keyId: kid }));
      results.push(_row("write file", count, performance.now() - t, (await stat(source)).size));

      t = performance.now();
      const imported = await runCli(["registrations", "import", source, "--json"], { cwd: dir });
      if (imported.code !== 0) throw new Error(imported.stderr);
      results.push(_row("import (check + store)", count, performance.now() - t));
      const { inserted } = imported.json<{ inserted: number }>();

      t = performance.now();
      const out = await runCli(["registrations", "export", "--out", exported, "--json"], { cwd: dir });
      if (out.code !== 0) throw new Error(out.stderr);
      results.push(_row("export", count, performance.now() - t));

      const same = (await readFile(source)).equals(await readFile(exported));
      const ok = inserted === count && same;
      return {
        results,
        notes: [
          `round trip: ${inserted} of ${count} imported; exported file ${same ? "identical to" : "DIFFERENT from"} the source`,
        ],
        ok,
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

function _row(step: string, records: number, ms: number, bytes?: number): BenchResult {
  return {
    step,
    records,
    seconds: ms / 1000,
    perSecond: Math.round(records / (ms / 1000)),
    ...(bytes === undefined ? {} : { mb: bytes / 1_048_576 }),
  };
}
