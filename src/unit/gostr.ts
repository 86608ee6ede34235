/**
 * Quadlet reads unit files as Go strings: byte sequences, UTF-8 only where a function decodes runes.
 * The quadlet engine keeps text the same way, as "byte strings" (JS strings whose every char code is one
 * byte, 0-255), so that trimming, escaping and splitting treat every input, invalid UTF-8 included, the
 * way quadlet does. These helpers are the Go functions that engine needs, written for byte strings.
 */

/** Text (UTF-16) to a byte string holding its UTF-8 encoding. */
export const toBytes = (text: string): string => Buffer.from(text, "utf8").toString("latin1");
/** A byte string back to text; invalid UTF-8 becomes U+FFFD. */
export const fromBytes = (bytes: string): string => Buffer.from(bytes, "latin1").toString("utf8");
/** A byte string as the bytes it stands for. */
export const bytesBuffer = (bytes: string): Buffer => Buffer.from(bytes, "latin1");

export const RUNE_ERROR = 0xfffd;

const isCont = (b: number): boolean => (b & 0xc0) === 0x80;

/** utf8.DecodeRuneInString from index i: [rune, size]; invalid input gives [RUNE_ERROR, 1]. */
export function decodeRune(s: string, i = 0): [number, number] {
  const b0 = s.charCodeAt(i);
  if (Number.isNaN(b0)) return [RUNE_ERROR, 0];
  if (b0 < 0x80) return [b0, 1];
  const at = (k: number): number => (i + k < s.length ? s.charCodeAt(i + k) : -1);
  const b1 = at(1);
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    if (b1 < 0 || !isCont(b1)) return [RUNE_ERROR, 1];
    return [((b0 & 0x1f) << 6) | (b1 & 0x3f), 2];
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    const b2 = at(2);
    if (b1 < lo || b1 > hi || b2 < 0 || !isCont(b2)) return [RUNE_ERROR, 1];
    return [((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f), 3];
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    const b2 = at(2);
    const b3 = at(3);
    if (b1 < lo || b1 > hi || b2 < 0 || !isCont(b2) || b3 < 0 || !isCont(b3)) return [RUNE_ERROR, 1];
    return [((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f), 4];
  }
  return [RUNE_ERROR, 1];
}

/** utf8.DecodeLastRuneInString over s[0:end]: [rune, size]. */
export function decodeLastRune(s: string, end = s.length): [number, number] {
  if (end <= 0) return [RUNE_ERROR, 0];
  const last = s.charCodeAt(end - 1);
  if (last < 0x80) return [last, 1];
  const lim = Math.max(0, end - 4);
  let start = end - 1;
  for (start--; start >= lim; start--) if (!isCont(s.charCodeAt(start))) break;
  if (start < 0) start = 0;
  const [r, size] = decodeRune(s.slice(start, end));
  return start + size === end ? [r, size] : [RUNE_ERROR, 1];
}

/** The runes of a byte string, as Go's `for _, r := range s` yields them. */
export function* runes(s: string): Generator<number> {
  for (let i = 0; i < s.length; ) {
    const [r, size] = decodeRune(s, i);
    yield r;
    i += size;
  }
}

/** unicode.IsSpace */
export function isSpace(r: number): boolean {
  if (r <= 0xff) return r === 0x20 || (r >= 0x09 && r <= 0x0d) || r === 0x85 || r === 0xa0;
  return (
    r === 0x1680 ||
    (r >= 0x2000 && r <= 0x200a) ||
    r === 0x2028 ||
    r === 0x2029 ||
    r === 0x202f ||
    r === 0x205f ||
    r === 0x3000
  );
}

/** unicode.IsControl */
export const isControl = (r: number): boolean => r < 0x20 || (r >= 0x7f && r < 0xa0);

const asciiSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

export function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length && asciiSpace(s.charCodeAt(i))) i++;
  if (i >= s.length || s.charCodeAt(i) < 0x80) return i === 0 ? s : s.slice(i);
  while (i < s.length) {
    const [r, size] = decodeRune(s, i);
    if (!isSpace(r)) break;
    i += size;
  }
  return s.slice(i);
}

export function trimRightSpace(s: string): string {
  let end = s.length;
  while (end > 0 && asciiSpace(s.charCodeAt(end - 1))) end--;
  if (end === 0 || s.charCodeAt(end - 1) < 0x80) return end === s.length ? s : s.slice(0, end);
  while (end > 0) {
    const [r, size] = decodeLastRune(s, end);
    if (!isSpace(r)) break;
    end -= size;
  }
  return s.slice(0, end);
}

/** strings.TrimSpace */
export const trimSpace = (s: string): string => trimRightSpace(trimLeftSpace(s));

/** utf8.EncodeRune as a byte string; invalid runes become U+FFFD. */
export function encodeRune(r: number): string {
  if (r < 0 || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) r = RUNE_ERROR;
  if (r < 0x80) return String.fromCharCode(r);
  if (r < 0x800) return String.fromCharCode(0xc0 | (r >> 6), 0x80 | (r & 0x3f));
  if (r < 0x10000) {
    return String.fromCharCode(0xe0 | (r >> 12), 0x80 | ((r >> 6) & 0x3f), 0x80 | (r & 0x3f));
  }
  return String.fromCharCode(
    0xf0 | (r >> 18),
    0x80 | ((r >> 12) & 0x3f),
    0x80 | ((r >> 6) & 0x3f),
    0x80 | (r & 0x3f),
  );
}

/**
 * strings.EqualFold against an ASCII word (quadlet compares with yes, true, on, healthy, ...). Besides ASCII
 * case, Go's simple folding maps U+017F (long s) to s and U+212A (Kelvin sign) to k.
 */
export function equalFold(s: string, ascii: string): boolean {
  let j = 0;
  for (const r of runes(s)) {
    if (j >= ascii.length) return false;
    const t = ascii.charCodeAt(j++) | 0x20;
    const c = r < 0x80 ? r | 0x20 : r === 0x17f ? 0x73 : r === 0x212a ? 0x6b : -1;
    const letter = t >= 0x61 && t <= 0x7a;
    if (letter ? c !== t : r !== ascii.charCodeAt(j - 1)) return false;
  }
  return j === ascii.length;
}

/** Byte-wise string order, as Go's sort.Strings and `<` on strings. */
export const compareBytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** strconv.Quote (what %q prints) for a byte string; the result is a byte string too. */
export function goQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; ) {
    const [r, size] = decodeRune(s, i);
    if (r === RUNE_ERROR && size === 1) {
      out += `\\x${s.charCodeAt(i).toString(16).padStart(2, "0")}`;
      i += 1;
      continue;
    }
    i += size;
    if (r === 0x22 || r === 0x5c) out += `\\${String.fromCharCode(r)}`;
    else if (r >= 0x20 && r < 0x7f) out += String.fromCharCode(r);
    else if (r >= 0x80 && PRINTABLE.test(String.fromCodePoint(r))) out += encodeRune(r);
    else {
      const named: Record<number, string> = { 7: "a", 8: "b", 12: "f", 10: "n", 13: "r", 9: "t", 11: "v" };
      const n = named[r];
      if (n !== undefined) out += `\\${n}`;
      else if (r < 0x80) out += `\\x${r.toString(16).padStart(2, "0")}`;
      else if (r < 0x10000) out += `\\u${r.toString(16).padStart(4, "0")}`;
      else out += `\\U${r.toString(16).padStart(8, "0")}`;
    }
  }
  return `${out}"`;
}
