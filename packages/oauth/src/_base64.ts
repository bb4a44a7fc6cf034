// Standard base64 (with padding) of a string's UTF-8 bytes; Node 20 lacks Uint8Array#toBase64.

/**
 * @param text any string
 * @returns base64 of its UTF-8 encoding
 */
export function _base64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
