// Where a JSON text first goes wrong, as line and column, with a short reason that never quotes the
// text (a config file may hold secrets, and the engines' own messages quote it).

/** The first syntax error of a JSON text. */
export interface JsonSyntaxError {
  /** 1-based line. */
  line: number;
  /** 1-based column, in UTF-16 code units. */
  column: number;
  /** What is wrong there, without quoting the text. */
  reason: string;
}

class _Stop {
  readonly at: number;
  readonly reason: string;
  constructor(at: number, reason: string) {
    this.at = at;
    this.reason = reason;
  }
}

const _NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const _LITERAL = /true|false|null/y;

/**
 * Finds the first syntax error of `text` (call only when `JSON.parse` failed).
 *
 * @param text the JSON text
 * @returns its position and reason
 */
export function _jsonSyntaxError(text: string): JsonSyntaxError {
  let i = 0;
  const stop = (reason: string, at = i): never => {
    throw new _Stop(at, reason);
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const expectEnd = (what: string) => {
    if (i >= text.length) stop(`unexpected end of input, expected ${what}`);
  };
  const string = () => {
    const start = i++;
    for (;;) {
      if (i >= text.length) stop("unterminated string", start);
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) stop("control character in string (escape it)");
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) stop("bad \\u escape");
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else stop("bad escape in string");
      } else i++;
    }
    i++;
  };
  const value = (): void => {
    ws();
    expectEnd("a value");
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        expectEnd("a property name");
        if (text[i] !== '"')
          stop(text[i] === "}" ? "trailing comma" : "expected a double-quoted property name");
        string();
        ws();
        expectEnd("':'");
        if (text[i] !== ":") stop("expected ':' after property name");
        i++;
        value();
        ws();
        expectEnd("',' or '}'");
        if (text[i] === "}") {
          i++;
          return;
        }
        if (text[i] !== ",") stop("expected ',' or '}' after property value");
        i++;
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] === "]") stop("trailing comma");
        value();
        ws();
        expectEnd("',' or ']'");
        if (text[i] === "]") {
          i++;
          return;
        }
        if (text[i] !== ",") stop("expected ',' or ']' after array element");
        i++;
      }
    }
    if (c === '"') {
      string();
      return;
    }
    for (const re of [_NUMBER, _LITERAL]) {
      re.lastIndex = i;
      if (re.test(text)) {
        i = re.lastIndex;
        return;
      }
    }
    stop("unexpected character");
  };
  let at = 0;
  let reason = "not valid JSON";
  try {
    if (text.charCodeAt(0) === 0xfeff) i = 1;
    value();
    ws();
    if (i < text.length) stop("unexpected content after the JSON value");
  } catch (error) {
    if (error instanceof _Stop) {
      at = error.at;
      reason = error.reason;
    } else if (error instanceof RangeError) {
      at = i;
      reason = "nested too deeply";
    } else throw error;
  }
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  return { line, column: at - (before.lastIndexOf("\n") + 1) + 1, reason };
}
