/**
 * JSON parsing that keeps integers beyond 2^53 exactly as written.
 *
 * An OCI spec carries uint64 values (rlimits, memory limits, swap) that a JavaScript number cannot
 * hold: 18446744073709551615 would come back as 18446744073709552000, which the Go runtime then
 * refuses to decode, and the container would not start. Such literals are swapped for a marker
 * string before JSON.parse and swapped back after JSON.stringify. Other numbers keep their value
 * (a float64 is a float64 in Go too), though not always their spelling (1.0 becomes 1).
 *
 * The scan is one pass over the text whatever it holds (a nested container's owner writes the
 * annotations): strings are skipped with indexOf, never with a backtracking regular expression,
 * and an unterminated string ends the scan, since the text cannot be JSON then.
 */

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const START = /["\d-]/g;

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

/** Index just past the string literal opening at `at`, or -1 when it is not closed. */
export function stringEnd(text: string, at: number): number {
  let from = at + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let backslash = quote - 1;
    while (backslash > at && text.charCodeAt(backslash) === 92) backslash--;
    // An even run of backslashes escapes itself, not the quote.
    if ((quote - 1 - backslash) % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** The text with every unsafe integer literal outside strings replaced by a marker string, or undefined when none. */
function swapUnsafeIntegers(text: string): { swapped: string; marker: string } | undefined {
  const parts: string[] = [];
  let copied = 0;
  let marker = "";
  START.lastIndex = 0;
  for (let found = START.exec(text); found !== null; found = START.exec(text)) {
    const at = found.index;
    if (text.charCodeAt(at) === 34) {
      const end = stringEnd(text, at);
      if (end < 0) return undefined; // not JSON: JSON.parse says where
      START.lastIndex = end;
      continue;
    }
    NUMBER.lastIndex = at;
    if (!NUMBER.test(text)) continue; // a lone "-": JSON.parse says where
    const end = NUMBER.lastIndex;
    START.lastIndex = end;
    const literal = text.slice(at, end);
    if (!isUnsafeInteger(literal)) continue;
    if (marker === "") {
      do marker = `qm-raw-number-${Math.random().toString(36).slice(2)}:`;
      while (text.includes(marker));
    }
    parts.push(text.slice(copied, at), `"${marker}${literal}"`);
    copied = end;
  }
  if (marker === "") return undefined;
  parts.push(text.slice(copied));
  return { swapped: parts.join(""), marker };
}

/** Parse JSON text; throws SyntaxError like JSON.parse. */
export function parseJson(text: string): ParsedJson {
  // Fast path: an integer JavaScript cannot hold has at least 16 digits.
  if (!/\d{16}/.test(text)) return plain(JSON.parse(text));
  const swap = swapUnsafeIntegers(text);
  if (swap === undefined) return plain(JSON.parse(text));
  const value: unknown = JSON.parse(swap.swapped);
  const restore = new RegExp(`"${swap.marker}(-?\\d+)"`, "g");
  return {
    value,
    stringify: (edited, indent) => JSON.stringify(edited, null, indent).replace(restore, "$1"),
  };
}
