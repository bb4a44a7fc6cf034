import { describe, expect, it } from "vitest";
import { SEARCH_TEXT_LIMIT, searchText } from "./search-text.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("searchText", () => {
  it("takes the text part of a multipart/alternative message, not the HTML", async () => {
    const raw = enc(
      [
        'Content-Type: multipart/alternative; boundary="a"',
        "",
        "--a",
        "Content-Type: text/plain; charset=iso-8859-1",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "Caf=E9   au\tlait",
        "--a",
        "Content-Type: text/html",
        "",
        "<p>html only words</p>",
        "--a--",
      ].join("\r\n"),
    );
    expect(await searchText(raw)).toBe("Café au lait");
  });

  it("turns an HTML-only body into its words, without script or style content", async () => {
    const raw = enc(
      "Content-Type: text/html\r\n\r\n<style>p{color:red}</style><p>Fish &amp; <b>chips</b></p><div>next</div><script>var secret=1</script>",
    );
    expect(await searchText(raw)).toBe("Fish & chips next");
  });

  it("caps a huge body", async () => {
    const raw = enc(`Content-Type: text/plain\r\n\r\n${"word ".repeat(100_000)}`);
    expect((await searchText(raw)).length).toBe(SEARCH_TEXT_LIMIT);
  });
});
