/**
 * Word splitting and escaping as quadlet does it (systemd's extract_first_word and cescape rules, the
 * variant podman's generator carries), over byte strings (see gostr.ts). Quadlet reads PodmanArgs=, Exec=
 * and the like with these rules and writes ExecStart= back with them, so they decide the exact argv.
 */
import { decodeRune, encodeRune, isControl, isSpace, RUNE_ERROR } from "./gostr.js";

export const SplitFlag = {
  /** Allow an unbalanced quote and eat a trailing backslash. */
  relax: 1,
  /** Decode C escapes. */
  cunescape: 2,
  /** Keep unknown escapes and a trailing backslash. */
  unescapeRelax: 4,
  /** Unescape separators. */
  unescapeSeparators: 8,
  /** Separators inside "" and '' do not split; quotes are kept. */
  keepQuote: 16,
  /** Separators inside "" and '' do not split; quotes are removed. */
  unquote: 32,
  /** Do not treat adjacent separators as one. */
  dontCoalesce: 64,
  /** A backslash is an ordinary character. */
  retainEscape: 128,
  /** Do not move past the separator. */
  retainSeparators: 256,
} as const;

export const WHITESPACE = " \t\n\r";
/** Flags of LookupAllArgs / LookupLastArgs / LookupAllKeyVal (Exec=, PodmanArgs=, Environment=...). */
export const ARGS_FLAGS = SplitFlag.relax | SplitFlag.unquote | SplitFlag.cunescape;
/** Flags of LookupAllStrv (AddCapability=, WantedBy=, ...). */
export const STRV_FLAGS = SplitFlag.retainEscape | SplitFlag.unquote;

export class SplitError extends Error {}

const hex = (b: number): number =>
  b >= 0x30 && b <= 0x39
    ? b - 0x30
    : b >= 0x61 && b <= 0x66
      ? b - 0x57
      : b >= 0x41 && b <= 0x46
        ? b - 0x37
        : -1;
const oct = (b: number): number => (b >= 0x30 && b <= 0x37 ? b - 0x30 : -1);

/** One C escape starting at s[0] (the character after the backslash): [length, rune], or length <= 0. */
function cUnescapeOne(s: string): [number, number] {
  if (s.length < 1) return [-1, 0];
  const simple: Record<string, number> = {
    a: 7,
    b: 8,
    f: 12,
    n: 10,
    r: 13,
    t: 9,
    v: 11,
    "\\": 0x5c,
    '"': 0x22,
    "'": 0x27,
    s: 0x20,
  };
  const c = s[0] as string;
  const mapped = simple[c];
  if (mapped !== undefined) return [1, mapped];
  const digits = (n: number, base: (b: number) => number): number[] | undefined => {
    if (s.length < n + 1) return undefined;
    const out: number[] = [];
    for (let i = 1; i <= n; i++) {
      const d = base(s.charCodeAt(i));
      if (d < 0) return undefined;
      out.push(d);
    }
    return out;
  };
  const join = (ds: number[], shift: number): number => ds.reduce((a, d) => a * 2 ** shift + d, 0);
  if (c === "x") {
    const d = digits(2, hex);
    if (!d) return [-1, 0];
    const v = join(d, 4);
    return v === 0 ? [-1, 0] : [3, v];
  }
  if (c === "u" || c === "U") {
    const n = c === "u" ? 4 : 8;
    const d = digits(n, hex);
    if (!d) return [-1, 0];
    const v = join(d, 4);
    if (v === 0 || v > 0x10ffff) return [-1, 0];
    return [n + 1, v];
  }
  if (c >= "0" && c <= "7") {
    if (s.length < 3) return [-1, 0];
    const ds = [oct(s.charCodeAt(0)), oct(s.charCodeAt(1)), oct(s.charCodeAt(2))];
    if (ds.some((d) => d < 0)) return [-1, 0];
    const v = join(ds, 3);
    if (v === 0 || v > 255) return [-1, 0];
    return [3, v];
  }
  return [-1, 0];
}

export interface Extracted {
  readonly word: string;
  readonly rest: string;
  readonly more: boolean;
}

/** extract_first_word. A NUL byte ends the input, as it does in quadlet. */
export function extractFirstWord(input: string, separators: string, flags: number): Extracted {
  const end = input.length;
  let p = 0;
  const at = (i: number): number => (i < end ? input.charCodeAt(i) : 0);
  const next = (): number => at(++p);
  const isSep = (c: number): boolean => c !== 0 && separators.includes(String.fromCharCode(c));
  const has = (f: number): boolean => (flags & f) !== 0;
  const parts: string[] = [];
  let quote = 0;
  let backslash = false;
  const done = (terminate: boolean, forceNext = false): Extracted => {
    if (terminate) p = end;
    const word = parts.join("");
    if (word.length === 0 && !forceNext) return { word: "", rest: "", more: false };
    return { word, rest: input.slice(p), more: true };
  };
  if (end === 0) return { word: "", rest: "", more: false };

  let c = at(0);
  for (; ; c = next()) {
    if (c === 0) return done(true);
    if (!isSep(c)) break;
    if (has(SplitFlag.dontCoalesce)) {
      if (!has(SplitFlag.retainSeparators)) p++;
      return done(false, true);
    }
  }

  for (; ; c = next()) {
    if (backslash) {
      if (c === 0) {
        if (has(SplitFlag.unescapeRelax) && (quote === 0 || has(SplitFlag.relax))) {
          parts.push("\\");
          return done(true);
        }
        if (has(SplitFlag.relax)) return done(true);
        throw new SplitError("unbalanced escape");
      }
      if (has(SplitFlag.cunescape | SplitFlag.unescapeSeparators)) {
        let r = -1;
        let u = 0;
        if (has(SplitFlag.cunescape)) [r, u] = cUnescapeOne(input.slice(p));
        if (r > 0) {
          p += r - 1;
          parts.push(encodeRune(u));
        } else if (has(SplitFlag.unescapeSeparators) && (isSep(c) || c === 0x5c)) {
          parts.push(String.fromCharCode(c));
        } else if (has(SplitFlag.unescapeRelax)) {
          parts.push("\\", String.fromCharCode(c));
        } else {
          throw new SplitError("unsupported escape char");
        }
      } else {
        parts.push(String.fromCharCode(c));
      }
      backslash = false;
    } else if (quote !== 0) {
      for (; ; c = next()) {
        if (c === 0) {
          if (has(SplitFlag.relax)) return done(true);
          throw new SplitError("unbalanced quotes");
        }
        if (c === quote) {
          quote = 0;
          if (has(SplitFlag.unquote)) break;
        } else if (c === 0x5c && !has(SplitFlag.retainEscape)) {
          backslash = true;
          break;
        }
        parts.push(String.fromCharCode(c));
        if (quote === 0) break;
      }
    } else {
      for (; ; c = next()) {
        if (c === 0) return done(true);
        if ((c === 0x27 || c === 0x22) && has(SplitFlag.keepQuote | SplitFlag.unquote)) {
          quote = c;
          if (has(SplitFlag.unquote)) break;
        } else if (c === 0x5c && !has(SplitFlag.retainEscape)) {
          backslash = true;
          break;
        } else if (isSep(c)) {
          if (has(SplitFlag.dontCoalesce)) {
            if (!has(SplitFlag.retainSeparators)) p++;
            return done(false, true);
          }
          if (!has(SplitFlag.retainSeparators)) {
            for (; ; c = next()) {
              if (c === 0) return done(true);
              if (!isSep(c)) break;
            }
          }
          return done(false);
        }
        parts.push(String.fromCharCode(c));
        if (quote !== 0) break;
      }
    }
  }
}

/**
 * splitString: words until the first empty one (quadlet stops there too). Throws SplitError.
 * Iterative, so a value of any length is split in constant stack depth.
 */
export function splitString(s: string, flags: number, separators = WHITESPACE): string[] {
  const out: string[] = [];
  let rest = s;
  for (;;) {
    const { word, rest: r, more } = extractFirstWord(rest, separators, flags);
    if (!more) return out;
    out.push(word);
    rest = r;
  }
}

/** The words, or undefined where quadlet's split fails (it then drops the value). */
export function trySplit(s: string, flags: number): string[] | undefined {
  try {
    return splitString(s, flags);
  } catch (error) {
    if (error instanceof SplitError) return undefined;
    throw error;
  }
}

function needsEscape(r: number, isPath: boolean): boolean {
  if (r > 128) return false;
  return (
    isSpace(r) ||
    isControl(r) ||
    (isPath && (r === 0x2d || r === 0x2f)) ||
    r === 0x22 ||
    r === 0x27 ||
    r === 0x5c
  );
}

/** Printable ASCII other than quotes and backslash never needs escaping. */
const PLAIN_ASCII = /^[!#-&(-[\]-~]*$/;

function wordNeedsEscape(word: string): boolean {
  if (PLAIN_ASCII.test(word)) return false;
  for (let i = 0; i < word.length; ) {
    const [r, size] = decodeRune(word, i);
    if (needsEscape(r, false)) return true;
    i += size;
  }
  return false;
}

const NAMED_ESCAPES: Readonly<Record<number, string>> = {
  7: "\\a",
  8: "\\b",
  10: "\\n",
  13: "\\r",
  9: "\\t",
  11: "\\v",
  12: "\\f",
  92: "\\\\",
  32: " ",
  34: '\\"',
  39: "'",
};

/** escapeString: C escapes for what needs them; every rune is re-encoded (invalid bytes become U+FFFD). */
export function escapeString(word: string, isPath = false): string {
  const out: string[] = [];
  for (let i = 0; i < word.length; ) {
    const [r, size] = decodeRune(word, i);
    if (needsEscape(r, isPath)) {
      const named = NAMED_ESCAPES[r];
      if (named !== undefined) out.push(named);
      else if (r === 0x2f) out.push(isPath && i !== 0 ? "-" : "");
      else out.push(`\\x${r.toString(16).padStart(2, "0")}`);
    } else {
      out.push(r === RUNE_ERROR ? encodeRune(r) : word.slice(i, i + size));
    }
    i += size;
  }
  return out.join("");
}

/** One argv word as quadlet writes it on an Exec line: bare, or double-quoted with escapes. */
export const escapeWord = (word: string): string =>
  wordNeedsEscape(word) ? `"${escapeString(word)}"` : word;

export const escapeWords = (words: readonly string[]): string => words.map(escapeWord).join(" ");
