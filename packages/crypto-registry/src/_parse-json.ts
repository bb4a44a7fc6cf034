/**
 * JSON.parse that answers `undefined` instead of throwing: V8's SyntaxError quotes the text, which
 * may be key material or a password, so the error must never travel on as a cause.
 *
 * @param text the text to parse
 * @returns the parsed value, or undefined when the text is not JSON
 */
export function _parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
