/**
 * Value syntax of systemd unit files as systemd and quadlet read it: word splitting with quotes,
 * C escapes, booleans, and the escaping quadlet uses when it writes a command line back.
 * `%` specifiers and `${VAR}` references are left untouched here: systemd expands them when the
 * unit runs; `expandSpecifiers` and `expandEnvironment` do it for callers that run podman themselves.
 */

/** Thrown for a malformed value; the caller adds the file and line. `offset` is 0-based in the value. */
export class ValueSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const WHITESPACE = " \t\n\r";

function hexValue(text: string, start: number, length: number): number | undefined {
  const digits = text.slice(start, start + length);
  if (digits.length !== length || !/^[0-9a-fA-F]+$/.test(digits)) return undefined;
  return Number.parseInt(digits, 16);
}

/**
 * Decode one C escape starting after the backslash at `at`; returns the text and how many characters
 * (after the backslash) it consumed. Mirrors systemd's cunescape: \a \b \f \n \r \t \v \\ \" \' \s,
 * \xHH, \NNN (octal), \uHHHH, \UHHHHHHHH. Anything else is an error, as in systemd.
 */
function decodeEscape(text: string, at: number): { out: string; used: number } {
  const c = text[at];
  const simple: Record<string, string> = {
    a: "\x07",
    b: "\b",
    f: "\f",
    n: "\n",
    r: "\r",
    t: "\t",
    v: "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
    s: " ",
  };
  if (c === undefined) throw new ValueSyntaxError("trailing backslash", at - 1);
  const mapped = simple[c];
  if (mapped !== undefined) return { out: mapped, used: 1 };
  if (c === "x") {
    const v = hexValue(text, at + 1, 2);
    if (v === undefined || v === 0) throw new ValueSyntaxError("invalid \\x escape", at - 1);
    return { out: String.fromCharCode(v), used: 3 };
  }
  if (c === "u" || c === "U") {
    const len = c === "u" ? 4 : 8;
    const v = hexValue(text, at + 1, len);
    if (v === undefined || v === 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
      throw new ValueSyntaxError(`invalid \\${c} escape`, at - 1);
    }
    return { out: String.fromCodePoint(v), used: 1 + len };
  }
  if (c >= "0" && c <= "7") {
    const digits = text.slice(at, at + 3);
    if (!/^[0-7]{3}$/.test(digits)) throw new ValueSyntaxError("invalid octal escape", at - 1);
    const v = Number.parseInt(digits, 8);
    if (v === 0 || v > 255) throw new ValueSyntaxError("invalid octal escape", at - 1);
    return { out: String.fromCharCode(v), used: 3 };
  }
  throw new ValueSyntaxError(`unsupported escape \\${c}`, at - 1);
}

export interface SplitOptions {
  /** Decode C escapes (systemd command lines do); otherwise a backslash only protects the next character. */
  readonly cunescape?: boolean;
}

/**
 * Split a value into words the way systemd's extract_first_word does with RELAX|UNQUOTE|CUNESCAPE:
 * whitespace separates, '…' and "…" group (quotes may start mid-word), backslash escapes.
 * An unterminated quote runs to the end of the value (relaxed mode), as in systemd.
 */
export function splitWords(value: string, options: SplitOptions = {}): string[] {
  const cunescape = options.cunescape ?? true;
  const words: string[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && WHITESPACE.includes(value[i] as string)) i++;
    if (i >= n) break;
    let word = "";
    let quote: string | undefined;
    for (; i < n; i++) {
      const c = value[i] as string;
      if (quote === undefined && WHITESPACE.includes(c)) break;
      if (c === "\\") {
        if (i + 1 >= n) {
          // Relaxed mode keeps a lone trailing backslash.
          word += "\\";
          continue;
        }
        if (cunescape) {
          const { out, used } = decodeEscape(value, i + 1);
          word += out;
          i += used;
        } else {
          word += value[i + 1];
          i++;
        }
        continue;
      }
      if (quote !== undefined && c === quote) {
        quote = undefined;
        continue;
      }
      if (quote === undefined && (c === '"' || c === "'")) {
        quote = c;
        continue;
      }
      word += c;
    }
    words.push(word);
  }
  return words;
}

/** Remove one level of quoting from a whole value that is a single quoted word ("…" or '…'). */
export function unquoteValue(value: string): string {
  if (value.length >= 2) {
    const q = value[0];
    if ((q === '"' || q === "'") && value.endsWith(q)) {
      const words = splitWords(value);
      if (words.length === 1) return words[0] as string;
    }
  }
  return value;
}

const TRUE = new Set(["1", "yes", "y", "true", "t", "on"]);
const FALSE = new Set(["0", "no", "n", "false", "f", "off"]);

/** systemd's boolean words; undefined when the value is not one of them. */
export function parseBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return undefined;
}

/**
 * Split `KEY=VALUE` words (Environment=, Label=, Annotation=): words are unquoted and unescaped,
 * a word without `=` is kept with an empty value only when `keepBare` (systemd drops it).
 */
export function parseKeyValueWords(value: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const word of splitWords(value)) {
    const eq = word.indexOf("=");
    if (eq <= 0) continue;
    out.push([word.slice(0, eq), word.slice(eq + 1)]);
  }
  return out;
}

/**
 * Write one argument so that systemd's command-line parser gives it back unchanged: bare when it is
 * plain, otherwise double-quoted with C escapes. `%` and `$` stay as they are on purpose: specifiers
 * and `${VAR}` are for systemd to expand when the unit runs.
 */
export function escapeWord(word: string): string {
  if (word.length > 0 && /^[^\s"'\\\x00-\x1f\x7f]+$/.test(word)) return word;
  let out = '"';
  for (const ch of word) {
    const code = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

export function escapeWords(words: readonly string[]): string {
  return words.map(escapeWord).join(" ");
}

/** Values systemd substitutes for `%` specifiers; only the ones given are expanded. */
export type SpecifierValues = Readonly<Partial<Record<string, string>>>;

/**
 * Expand `%x` specifiers (see systemd.unit(5) "Specifiers"). `%%` is a literal percent sign.
 * An unknown specifier is an error, as it is for systemd.
 */
export function expandSpecifiers(text: string, values: SpecifierValues): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== "%") {
      out += c;
      continue;
    }
    const s = text[i + 1];
    if (s === undefined) throw new ValueSyntaxError("'%' at end of value", i);
    if (s === "%") out += "%";
    else {
      const v = values[s];
      if (v === undefined) throw new ValueSyntaxError(`unknown or unavailable specifier %${s}`, i);
      out += v;
    }
    i++;
  }
  return out;
}

/**
 * Substitute `${VAR}` inside words the way systemd does for ExecStart= (unset variables become
 * empty). A bare `$VAR` word expands to the value split at whitespace, also as systemd does.
 */
export function expandEnvironment(argv: readonly string[], env: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const word of argv) {
    const bare = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
    if (bare) {
      out.push(...(env[bare[1] as string] ?? "").split(/\s+/).filter((w) => w.length > 0));
      continue;
    }
    out.push(word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => env[name] ?? ""));
  }
  return out;
}
