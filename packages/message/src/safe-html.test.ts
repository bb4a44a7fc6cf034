import { describe, expect, it } from "vitest";
import { safeHtml } from "./safe-html.ts";

describe("safeHtml", () => {
  it("removes scripts, event handlers and javascript: links", () => {
    const out = safeHtml(
      '<p onclick="steal()" onmouseover="x()">Hi<script>alert(1)</script></p><a href="javascript:alert(2)">x</a>' +
        '<svg onload="y()"><script>z()</script></svg><body onload="q()">b</body>',
    );
    expect(out).not.toMatch(/script|onclick|onmouseover|onload|alert|javascript:|steal/i);
    expect(out).toContain("Hi");
  });

  it("loads nothing remote: images, styles, frames, forms, objects and base tags go", () => {
    const out = safeHtml(
      [
        '<img src="https://tracker.example/p.gif" width="1">',
        '<img src="//tracker.example/p2.gif">',
        '<div style="background:url(https://tracker.example/bg.png)">bg</div>',
        '<p style="color: red; background-image: url(&quot;http://t.example/x&quot;)">red</p>',
        "<style>body{background:url(https://tracker.example/css.png)}</style>",
        '<link rel="stylesheet" href="https://tracker.example/s.css">',
        '<iframe src="https://evil.example/"></iframe>',
        '<form action="https://evil.example/post"><input name="pw"></form>',
        '<object data="https://evil.example/o.swf"></object>',
        '<base href="https://evil.example/">',
        '<table background="https://tracker.example/t.png"><tr><td>cell</td></tr></table>',
        '<video poster="https://tracker.example/v.png" src="https://tracker.example/v.mp4"></video>',
      ].join(""),
    );
    expect(out).not.toMatch(
      /tracker\.example|evil\.example|url\(|<iframe|<form|<input|<object|<link|<base|<style/i,
    );
    expect(out).toContain("bg");
    expect(out).toContain("cell");
    expect(out).toMatch(/<p style="color:red">red<\/p>/);
  });

  it("keeps images that come from the message itself and plain links, which open apart", () => {
    const out = safeHtml(
      '<img src="cid:img1@example.org" alt="logo"><a href="https://example.org/x">site</a>',
    );
    expect(out).toContain('<img src="cid:img1@example.org" alt="logo" />');
    expect(out).toContain('href="https://example.org/x"');
    expect(out).toContain('rel="noopener noreferrer nofollow"');
  });

  it("drops images and links that would point into the server showing the message (relative URLs)", () => {
    const out = safeHtml(
      '<img src="x" onerror="alert(1)"><img src="/admin/logout.png"><img src="../a.gif">' +
        '<a href="/admin/registrations/1/apply">apply</a><a href="mailto:a@example.org">mail</a>',
    );
    expect(out).not.toMatch(/<img|onerror/);
    expect(out).not.toContain("/admin/");
    expect(out).toContain(">apply</a>");
    expect(out).toContain('href="mailto:a@example.org"');
  });
});
