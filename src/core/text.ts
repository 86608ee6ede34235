/**
 * The one check for text that qm puts into a file it generates (unit files, agent.conf, a .deb control file, an
 * RPM spec, maintainer scripts): such text comes from people and programs qm does not control, and a newline or
 * another control character in it would start a line, a field or a section of its own in the generated file.
 */
import { QmError, type SourceLocation } from "./errors.js";

/** C0 controls (tab and newline included), DEL, C1 controls, and Unicode's line and paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

export interface TextProblem {
  readonly message: string;
  /** 1-based column of the offending character. */
  readonly column: number;
}

function describe(ch: string): string {
  const hex = ch.codePointAt(0)?.toString(16).padStart(4, "0") ?? "";
  return ch === "\n" ? "a newline" : `the control character U+${hex.toUpperCase()}`;
}

/** The first problem of a one-line text, or null: no control characters, not empty unless allowed. */
export function lineProblem(text: string, options: { allowEmpty?: boolean } = {}): TextProblem | null {
  if (text === "" && !options.allowEmpty) return { message: "is empty", column: 1 };
  const m = CONTROL.exec(text);
  return m ? { message: `holds ${describe(m[0])}`, column: m.index + 1 } : null;
}

/** Throw QM_UNSAFE_TEXT when `text` is not one safe line; `what` names it ("--hostname", "summary"). */
export function assertLine(
  text: string,
  what: string,
  options: { location?: SourceLocation; allowEmpty?: boolean } = {},
): string {
  const problem = lineProblem(text, options);
  if (problem) throw unsafeText(what, text, problem, options);
  return text;
}

/**
 * A multi-line text (a package description): lines separated by "\n", each a safe line. Lines that begin with '%'
 * (after blanks) are refused too: rpm reads them as directives (%include, %if, section headers) even when the
 * percent sign is doubled, so no escaping makes them safe in a spec file.
 */
export function assertParagraphs(
  text: string,
  what: string,
  options: { location?: SourceLocation } = {},
): string {
  for (const [i, line] of text.split("\n").entries()) {
    const problem =
      lineProblem(line, { allowEmpty: true }) ??
      (/^\s*%/.test(line) ? { message: "begins with '%', which rpm reads as a directive", column: 1 } : null);
    if (problem) throw unsafeText(`${what} line ${i + 1}`, line, problem, options);
  }
  return text;
}

function unsafeText(
  what: string,
  text: string,
  problem: TextProblem,
  options: { location?: SourceLocation },
): QmError {
  // Quote a short, escaped excerpt: the text may be huge or hold terminal escapes.
  const excerpt = JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
  return new QmError("QM_UNSAFE_TEXT", `${what} ${excerpt} ${problem.message} (column ${problem.column})`, {
    hint: "text that goes into a generated file must be one line of printable characters",
    ...(options.location ? { location: options.location } : {}),
  });
}

/** Host names as the kernel and DNS know them: labels of letters, digits and '-', joined by dots (RFC 1123). */
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function isHostname(name: string): boolean {
  return HOSTNAME.test(name);
}

/** File names qm writes into packages and unit files: no blanks, quotes, globs, '%' or '\'. */
const PATH_SEGMENT = /^[A-Za-z0-9._@+,:=~-]+$/;

/**
 * Null when `path` is an absolute, normalized path of safe segments (no "." or "..", no empty segment, no trailing
 * slash), else the reason.
 */
export function pathProblem(path: string): string | null {
  if (!path.startsWith("/")) return "is not an absolute path";
  const segments = path.slice(1).split("/");
  for (const s of segments) {
    if (s === "") return "has an empty segment or a trailing '/'";
    if (s === "." || s === "..") return `has a '${s}' segment`;
    if (!PATH_SEGMENT.test(s))
      return `has the segment ${JSON.stringify(s)}: use letters, digits and . _ @ + , : = ~ -`;
  }
  return null;
}

/**
 * Null when `path` names a device node below /dev (normalized, safe segments), else the reason. With `glob`, a last
 * segment of `*` stands for every node of a directory ("/dev/snd/*", as manifests list what they pass).
 */
export function devicePathProblem(path: string, options: { glob?: boolean } = {}): string | null {
  if (!path.startsWith("/dev/")) return "is not below /dev/";
  return pathProblem(options.glob && path.endsWith("/*") ? path.slice(0, -2) : path);
}
