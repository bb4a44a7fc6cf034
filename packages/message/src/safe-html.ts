/**
 * A safe rendering of a message's HTML body: nothing in it runs, and nothing in it loads from the
 * network when it is shown.
 *
 * @module
 */
import sanitizeHtml from "sanitize-html";

/** Inline style values that cannot fetch or run anything (no `url(`, `expression(`, escapes, `@`). */
const _SAFE_STYLE_VALUE = /^(?!.*(?:url\s*\(|expression\s*\(|\\|@|javascript:))[-#%,.()\w\s"']*$/i;

const _STYLE_PROPERTIES = [
  "color",
  "background-color",
  "font-family",
  "font-size",
  "font-style",
  "font-weight",
  "text-align",
  "text-decoration",
  "line-height",
  "margin",
  "padding",
  "border",
  "width",
  "height",
  "vertical-align",
  "white-space",
];

const _OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    ...sanitizeHtml.defaults.allowedTags.filter((t) => t !== "style"),
    "img",
    "font",
    "center",
    "span",
    "div",
  ],
  disallowedTagsMode: "discard",
  // script, style, textarea … are dropped with their content; forms, iframes, objects, svg with theirs too
  nonTextTags: [
    "script",
    "style",
    "textarea",
    "option",
    "noscript",
    "title",
    "head",
    "iframe",
    "object",
    "svg",
  ],
  allowedAttributes: {
    a: ["href", "name", "title", "rel", "target"],
    img: ["src", "alt", "title", "width", "height"],
    font: ["color", "face", "size"],
    td: ["colspan", "rowspan", "align", "valign", "width"],
    th: ["colspan", "rowspan", "align", "valign", "width"],
    table: ["width", "border", "cellpadding", "cellspacing", "align"],
    "*": ["style", "dir", "lang", "align"],
  },
  // links stay (they load nothing until clicked); images only from the message itself
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesByTag: { img: ["cid", "data"] },
  allowedSchemesAppliedToAttributes: ["href", "src", "cite", "action", "background", "poster"],
  allowProtocolRelative: false,
  allowedStyles: {
    "*": Object.fromEntries(_STYLE_PROPERTIES.map((p) => [p, [_SAFE_STYLE_VALUE]])),
  },
  transformTags: {
    // a link keeps its target only when it is absolute (http, https, mailto): a relative one would
    // point into the server showing the message
    a: (_tag, attribs) => {
      const { href, ...rest } = attribs;
      const absolute = href !== undefined && /^\s*(?:https?:|mailto:)/i.test(href);
      return {
        tagName: "a",
        attribs: {
          ...rest,
          ...(absolute ? { href } : {}),
          rel: "noopener noreferrer nofollow",
          target: "_blank",
        },
      };
    },
  },
  // an image whose src was dropped (remote) is dropped with it, and so is one with a relative src
  // (it would load from the server showing the message)
  exclusiveFilter: (frame) => frame.tag === "img" && !/^(?:cid:|data:image\/)/i.test(frame.attribs.src ?? ""),
};

/**
 * The HTML body made safe to show: no script, event handler, form, frame, object, `<style>` or
 * `<link>`; no attribute that loads a remote resource (an `<img>` keeps only a `cid:` or `data:`
 * source, so a remote image is dropped and a tracking pixel never fires); inline styles limited to
 * plain values (no `url(…)`); links kept with `rel="noopener noreferrer nofollow"`, `target="_blank"`.
 * Show the result in a sandboxed frame (`<iframe sandbox srcdoc=…>`) with a Content-Security-Policy
 * that forbids remote loads, as a second line of defence.
 *
 * @param html the message's HTML body
 * @returns the safe HTML
 * @example
 * ```ts
 * import { safeHtml } from "@mailreg/message";
 * console.log(safeHtml('<p onclick="x()">Hi<script>alert(1)</script><img src="https://t.example/p.gif"></p>'));
 * // <p>Hi</p>
 * ```
 */
export function safeHtml(html: string): string {
  return sanitizeHtml(html, _OPTIONS);
}
