import assert from "node:assert/strict";
import { parseMessage, readPart, safeHtml, searchText } from "./mod.ts";

const raw = new TextEncoder().encode(
  [
    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=",
    'Content-Type: multipart/mixed; boundary="b"',
    "",
    "--b",
    "Content-Type: text/html",
    "",
    '<p onclick="x()">Hallo<script>alert(1)</script><img src="https://t.example/p.gif"></p>',
    "--b",
    "Content-Type: application/octet-stream",
    "Content-Disposition: attachment; filename*=UTF-8''B%C3%BCro.bin",
    "Content-Transfer-Encoding: base64",
    "",
    "AQID",
    "--b--",
  ].join("\r\n"),
);

Deno.test("under Deno, a message decodes, its attachment reads back and its HTML is made safe", async () => {
  const message = await parseMessage(raw);
  assert.equal(message.subject, "Grüße");
  assert.equal(message.parts[0]?.filename, "Büro.bin");
  const { content } = await readPart(raw, "1");
  assert.deepEqual([...content], [1, 2, 3]);
  assert.equal(safeHtml(message.html ?? "").trim(), "<p>Hallo</p>");
  assert.equal(await searchText(raw), "Hallo");
});
