/**
 * Lossless systemd unit files. A document is the file's physical text cut into logical lines
 * (a key with its continuation lines is one logical line); serialize() joins them back, so
 * serialize(parse(x)) === x for every accepted file. Edits replace, insert or delete whole
 * logical lines and leave every other byte alone.
 */
import { QmError } from "../core/errors.js";

export type UnitLine =
  | { readonly kind: "blank"; readonly text: string; readonly line: number }
  | { readonly kind: "comment"; readonly text: string; readonly line: number }
  | { readonly kind: "section"; readonly text: string; readonly line: number; readonly name: string }
  | {
      readonly kind: "entry";
      readonly text: string;
      readonly line: number;
      readonly section: string;
      readonly key: string;
      /** The value with continuations joined (backslash-newline becomes a space) and ends trimmed. */
      readonly value: string;
      /** 1-based column of the value's first character on the first physical line. */
      readonly column: number;
    };

export interface UnitDocument {
  /** The file name used in error locations and provenance (a logical path, never root-joined). */
  readonly file: string;
  readonly lines: readonly UnitLine[];
}

export type UnitEntry = Extract<UnitLine, { kind: "entry" }>;

function syntaxError(file: string, line: number, column: number, message: string): QmError {
  return new QmError("QM_UNIT_SYNTAX", message, {
    location: { file, line, column },
    hint: "unit files hold [Section] headers, Key=Value lines and comments starting with # or ;",
  });
}

const isComment = (s: string): boolean => s.startsWith("#") || s.startsWith(";");
const stripCR = (s: string): string => (s.endsWith("\r") ? s.slice(0, -1) : s);
const KEY = /^[A-Za-z0-9_][A-Za-z0-9_.@:-]*$/;

/** Parse unit-file text. Throws QmError QM_UNIT_SYNTAX (with file:line:column) on malformed input. */
export function parseUnit(text: string, file = "<input>"): UnitDocument {
  const physical = text.split("\n");
  // systemd refuses NUL bytes in unit files; reject them up front with their position.
  const nul = text.indexOf("\u0000");
  if (nul >= 0) {
    const before = text.slice(0, nul).split("\n");
    throw syntaxError(
      file,
      before.length,
      (before[before.length - 1] as string).length + 1,
      "NUL character in unit file",
    );
  }
  const lines: UnitLine[] = [];
  let section: string | undefined;
  for (let i = 0; i < physical.length; i++) {
    const raw = physical[i] as string;
    const lineNo = i + 1;
    const content = stripCR(raw).trim();
    if (content === "") {
      lines.push({ kind: "blank", text: raw, line: lineNo });
      continue;
    }
    if (isComment(content)) {
      lines.push({ kind: "comment", text: raw, line: lineNo });
      continue;
    }
    if (content.startsWith("[")) {
      const close = content.indexOf("]");
      if (close !== content.length - 1) {
        throw syntaxError(file, lineNo, raw.indexOf("[") + 1, `invalid section header: ${content}`);
      }
      const name = content.slice(1, -1);
      if (name === "" || /[[\]\x00-\x1f]/.test(name)) {
        throw syntaxError(file, lineNo, raw.indexOf("[") + 1, `invalid section name: ${content}`);
      }
      section = name;
      lines.push({ kind: "section", text: raw, line: lineNo, name });
      continue;
    }
    const eq = raw.indexOf("=");
    const indent = raw.length - raw.trimStart().length;
    if (eq < 0) {
      throw syntaxError(
        file,
        lineNo,
        indent + 1,
        `line is not a section, a comment or Key=Value: ${content}`,
      );
    }
    const key = raw.slice(0, eq).trim();
    if (!KEY.test(key)) throw syntaxError(file, lineNo, indent + 1, `invalid key name '${key}'`);
    if (section === undefined) {
      throw syntaxError(file, lineNo, indent + 1, `assignment '${key}=' outside of any [Section]`);
    }
    // Gather continuation lines: a line ending in a backslash continues on the next one; comment
    // lines inside a continuation are skipped, as systemd does.
    const parts: string[] = [];
    let segment = stripCR(raw).slice(eq + 1);
    let j = i;
    while (segment.endsWith("\\") && j + 1 < physical.length) {
      parts.push(segment.slice(0, -1));
      j++;
      segment = stripCR(physical[j] as string);
      while (isComment(segment.trimStart()) && j + 1 < physical.length) {
        j++;
        segment = stripCR(physical[j] as string);
      }
      if (isComment(segment.trimStart())) segment = "";
    }
    parts.push(segment);
    const joined = parts.join(" ");
    const value = joined.trim();
    const column =
      eq +
      2 +
      (stripCR(raw).slice(eq + 1).length -
        stripCR(raw)
          .slice(eq + 1)
          .trimStart().length);
    lines.push({
      kind: "entry",
      text: physical.slice(i, j + 1).join("\n"),
      line: lineNo,
      section,
      key,
      value,
      column,
    });
    i = j;
  }
  return { file, lines };
}

export function serializeUnit(doc: UnitDocument): string {
  return doc.lines.map((l) => l.text).join("\n");
}

export function sectionNames(doc: UnitDocument): string[] {
  const names: string[] = [];
  for (const l of doc.lines) if (l.kind === "section" && !names.includes(l.name)) names.push(l.name);
  return names;
}

export function entriesOf(doc: UnitDocument, section?: string, key?: string): UnitEntry[] {
  return doc.lines.filter(
    (l): l is UnitEntry =>
      l.kind === "entry" &&
      (section === undefined || l.section === section) &&
      (key === undefined || l.key === key),
  );
}

// ---- edits: each returns a new document and touches only the lines it names ----

/** The text a new line should end with, so an edit keeps the file's line-ending style. */
function eolStyle(doc: UnitDocument): string {
  return doc.lines.some((l) => l.text.endsWith("\r")) ? "\r" : "";
}

function reparse(doc: UnitDocument, lines: string[]): UnitDocument {
  return parseUnit(lines.join("\n"), doc.file);
}

function assertValue(value: string): void {
  if (/[\n\r]/.test(value)) {
    throw new QmError("QM_UNIT_EDIT", "a unit value cannot contain a newline");
  }
}

/** Index after the last non-blank line of the section's last occurrence; appends the section if absent. */
function insertionPoint(doc: UnitDocument, texts: string[], section: string): number {
  let start = -1;
  for (let i = 0; i < doc.lines.length; i++) {
    const l = doc.lines[i] as UnitLine;
    if (l.kind === "section" && l.name === section) start = i;
  }
  if (start < 0) {
    // Keep the trailing newline: insert before the final empty pseudo-line.
    const hasFinalNewline = texts.length > 0 && texts[texts.length - 1] === "";
    const at = hasFinalNewline ? texts.length - 1 : texts.length;
    const prefix = at > 0 && (texts[at - 1] as string).trim() !== "" ? [""] : [];
    texts.splice(at, 0, ...prefix, `[${section}]${eolStyle(doc)}`);
    if (!hasFinalNewline) {
      // A file without a trailing newline gets one between the old last line and the new section.
    }
    return at + prefix.length + 1;
  }
  let end = start + 1;
  while (end < doc.lines.length && (doc.lines[end] as UnitLine).kind !== "section") end++;
  let last = start;
  for (let i = start + 1; i < end; i++) if ((doc.lines[i] as UnitLine).kind !== "blank") last = i;
  return last + 1;
}

/** Append `Key=value` to the end of the section (created if missing). */
export function addEntry(doc: UnitDocument, section: string, key: string, value: string): UnitDocument {
  assertValue(value);
  const texts = doc.lines.map((l) => l.text);
  const at = insertionPoint(doc, texts, section);
  texts.splice(at, 0, `${key}=${value}${eolStyle(doc)}`);
  return reparse(doc, texts);
}

/** Give the key exactly this value: rewrite its last line, drop earlier ones, or append if absent. */
export function setEntry(doc: UnitDocument, section: string, key: string, value: string): UnitDocument {
  assertValue(value);
  const matches = entriesOf(doc, section, key);
  if (matches.length === 0) return addEntry(doc, section, key, value);
  const last = matches[matches.length - 1] as UnitEntry;
  const texts: string[] = [];
  for (const l of doc.lines) {
    if (l.kind === "entry" && l.section === section && l.key === key) {
      if (l === last) {
        const prefix = l.text.slice(0, l.text.indexOf("=") + 1);
        texts.push(`${prefix}${value}${l.text.split("\n")[0]?.endsWith("\r") ? "\r" : ""}`);
      }
      continue;
    }
    texts.push(l.text);
  }
  return reparse(doc, texts);
}

/** Remove every line assigning the key in the section. */
export function unsetEntry(doc: UnitDocument, section: string, key: string): UnitDocument {
  const texts = doc.lines
    .filter((l) => !(l.kind === "entry" && l.section === section && l.key === key))
    .map((l) => l.text);
  return reparse(doc, texts);
}

/** Append an empty assignment `Key=`, which empties a list key for everything before it. */
export function resetEntry(doc: UnitDocument, section: string, key: string): UnitDocument {
  return addEntry(doc, section, key, "");
}
