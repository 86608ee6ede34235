/**
 * JSON parsing that keeps integers beyond 2^53 exactly as written.
 *
 * An OCI spec carries uint64 values (rlimits, memory limits, swap) that a JavaScript number cannot
 * hold: 18446744073709551615 would come back as 18446744073709552000, which the Go runtime then
 * refuses to decode, and the container would not start. Such literals are swapped for a marker
 * string before JSON.parse and swapped back after JSON.stringify. Other numbers keep their value
 * (a float64 is a float64 in Go too), though not always their spelling (1.0 becomes 1).
 */

// A string literal (skipped) or a number literal (checked).
const TOKEN = /"(?:[^"\\]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

export interface ParsedJson {
  readonly value: unknown;
  /** Serialize a (possibly edited) value, restoring the preserved integer literals. */
  stringify(value: unknown, indent?: number): string;
}

const plain = (value: unknown): ParsedJson => ({
  value,
  stringify: (edited, indent) => JSON.stringify(edited, null, indent),
});

const isUnsafeInteger = (literal: string): boolean =>
  /^-?\d+$/.test(literal) && !Number.isSafeInteger(Number(literal));

/** Parse JSON text; throws SyntaxError like JSON.parse. */
export function parseJson(text: string): ParsedJson {
  // Fast path: an integer JavaScript cannot hold has at least 16 digits.
  if (!/\d{16}/.test(text)) return plain(JSON.parse(text));
  let marker = "";
  const swapped = text.replace(TOKEN, (token) => {
    if (token.charCodeAt(0) === 34 || !isUnsafeInteger(token)) return token;
    if (marker === "") {
      do marker = `qm-raw-number-${Math.random().toString(36).slice(2)}:`;
      while (text.includes(marker));
    }
    return `"${marker}${token}"`;
  });
  if (marker === "") return plain(JSON.parse(text));
  const value: unknown = JSON.parse(swapped);
  const restore = new RegExp(`"${marker}(-?\\d+)"`, "g");
  return {
    value,
    stringify: (edited, indent) => JSON.stringify(edited, null, indent).replace(restore, "$1"),
  };
}
