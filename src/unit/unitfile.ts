/**
 * A unit file as quadlet holds it: groups in first-seen order (a repeated [Group] merges into the first),
 * each with the comments before its header and its lines (keys and comments, blank lines included).
 * Parsing, merging, lookups, edits and writing follow podman 5.4's generator, so that a service written
 * from it is byte for byte what quadlet writes. Text is kept as byte strings (see gostr.ts). Every key line
 * remembers the file and line it came from, for located errors and provenance.
 */
import {
  equalFold,
  isControl,
  isSpace,
  runes,
  toBytes,
  trimLeftSpace,
  trimRightSpace,
  trimSpace,
} from "./gostr.js";
import { ARGS_FLAGS, escapeWords, STRV_FLAGS, trySplit } from "./words.js";

export interface UnitLine {
  readonly key: string;
  value: string;
  readonly isComment: boolean;
  /** Where the line came from (a byte-string path), and its first physical line. */
  readonly file?: string;
  readonly line?: number;
  /** 1-based column of the value on that line. */
  readonly column?: number;
}

export interface UnitGroup {
  name: string;
  readonly comments: UnitLine[];
  lines: UnitLine[];
}

/** A file quadlet cannot parse; `message` is quadlet's own text, `line` its 1-based line. */
export class UnitParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const dupLine = (l: UnitLine): UnitLine => ({ ...l });
const isCommentLine = (line: string): boolean => line === "" || line[0] === "#" || line[0] === ";";

function isGroupLine(line: string): boolean {
  if (line[0] !== "[") return false;
  const end = line.indexOf("]");
  if (end < 0) return false;
  for (let i = end + 1; i < line.length; i++) if (line[i] !== " " && line[i] !== "\t") return false;
  return true;
}

function validGroupName(name: string): boolean {
  if (name === "") return false;
  for (const r of runes(name)) if (r === 0x5d || r === 0x5b || isControl(r)) return false;
  return true;
}

const OPEN_QUOTE = toBytes("\u201c");
const CLOSE_QUOTE = toBytes("\u201d");

/** Long lines are cut in messages, so a 10 MB line is never echoed whole. */
export const MESSAGE_EXCERPT = 2000;
export function excerpt(text: string): string {
  if (text.length <= MESSAGE_EXCERPT) return text;
  const half = MESSAGE_EXCERPT / 2;
  return `${text.slice(0, half)}[... ${text.length - MESSAGE_EXCERPT} bytes ...]${text.slice(-half)}`;
}

export class UnitFile {
  readonly groups: UnitGroup[] = [];
  private readonly byName = new Map<string, UnitGroup>();
  /** The file name (byte string), e.g. "web@.container". */
  filename = "";
  /** The path it was read from (byte string); empty for generated files. */
  path = "";
  /** The files merged into it, in order (the base file, then drop-ins). */
  readonly sources: string[] = [];

  static parse(data: string, path = "", filename = path.slice(path.lastIndexOf("/") + 1)): UnitFile {
    const f = new UnitFile();
    f.path = path;
    f.filename = filename;
    if (path !== "") f.sources.push(path);
    f.parseInto(data);
    return f;
  }

  private parseInto(data: string): void {
    const text = data.endsWith("\n") ? data.slice(0, -1) : data;
    const lines = text.split("\n");
    let current: UnitGroup | undefined;
    let pending: UnitLine[] = [];
    let remaining = "";
    let startLine = 0;
    let indent = 0;
    const flush = (toComments: boolean): void => {
      if (pending.length === 0) return;
      const group = current as UnitGroup;
      (toComments ? group.comments : group.lines).push(...pending);
      pending = [];
    };
    for (let i = 0; i < lines.length; i++) {
      const physical = lines[i] as string;
      let line = trimSpace(physical);
      if (remaining === "") {
        startLine = i + 1;
        indent = physical.length - trimLeftSpace(physical).length;
      }
      if (isCommentLine(line)) {
        // A comment (or blank line) inside a continuation is skipped.
        if (remaining !== "") continue;
        pending.push({ key: "", value: line, isComment: true });
        continue;
      }
      if (line.endsWith("\\")) {
        line = line.slice(0, -1);
        if (i !== lines.length - 1) {
          remaining += line;
          continue;
        }
      }
      if (remaining !== "") {
        line = remaining + line;
        remaining = "";
      }
      if (isCommentLine(line)) {
        pending.push({ key: "", value: line, isComment: true });
      } else if (isGroupLine(line)) {
        const name = line.slice(1, line.indexOf("]"));
        if (!validGroupName(name)) throw new UnitParseError(`invalid group name: ${excerpt(name)}`, i + 1);
        current = this.ensureGroup(name);
        if (pending.length > 0) {
          // One blank line before a group is dropped; write() puts it back.
          if ((pending[0] as UnitLine).value === "") pending.shift();
          flush(true);
        }
      } else if (line.indexOf("=") > 0) {
        if (current === undefined) throw new UnitParseError("key file does not start with a group", i + 1);
        let keyEnd = line.indexOf("=");
        let valueStart = keyEnd + 1;
        while (keyEnd > 0 && isSpace(line.charCodeAt(keyEnd - 1))) keyEnd--;
        const key = line.slice(0, keyEnd);
        if (key === "" || key[0] === " " || key[key.length - 1] === " ") {
          throw new UnitParseError(`invalid key name: ${excerpt(key)}`, i + 1);
        }
        while (valueStart < line.length && isSpace(line.charCodeAt(valueStart))) valueStart++;
        flush(false);
        current.lines.push({
          key,
          value: line.slice(valueStart),
          isComment: false,
          file: this.path,
          line: startLine,
          column: indent + valueStart + 1,
        });
      } else {
        throw new UnitParseError(
          `file contains line ${i + 1}: ${OPEN_QUOTE}${excerpt(line)}${CLOSE_QUOTE} which is not a key-value pair, group, or comment`,
          i + 1,
        );
      }
    }
    if (current === undefined) current = this.ensureGroup("");
    flush(false);
  }

  ensureGroup(name: string): UnitGroup {
    let g = this.byName.get(name);
    if (!g) {
      g = { name, comments: [], lines: [] };
      this.groups.push(g);
      this.byName.set(name, g);
    }
    return g;
  }

  group(name: string): UnitGroup | undefined {
    return this.byName.get(name);
  }

  hasGroup(name: string): boolean {
    return this.byName.has(name);
  }

  /** Append every group of `source` (comments and lines) to the group of the same name. */
  merge(source: UnitFile): void {
    this.sources.push(...source.sources);
    for (const g of source.groups) {
      const into = this.ensureGroup(g.name);
      for (const c of g.comments) into.comments.push(dupLine(c));
      for (const l of g.lines) into.lines.push(dupLine(l));
    }
  }

  /** A copy with the file name but not the path. */
  dup(): UnitFile {
    const copy = new UnitFile();
    copy.merge(this);
    copy.filename = this.filename;
    return copy;
  }

  removeGroup(name: string): void {
    const g = this.byName.get(name);
    if (!g) return;
    this.byName.delete(name);
    this.groups.splice(this.groups.indexOf(g), 1);
  }

  renameGroup(name: string, newName: string): void {
    const g = this.byName.get(name);
    if (!g) return;
    const target = this.byName.get(newName);
    if (!target) {
      this.byName.delete(name);
      g.name = newName;
      this.byName.set(newName, g);
    } else if (target !== g) {
      for (const c of g.comments) target.comments.push(dupLine(c));
      for (const l of g.lines) target.lines.push(dupLine(l));
      this.removeGroup(name);
    }
  }

  /** Keys of a group in first-seen order. */
  listKeys(group: string): string[] {
    const seen = new Set<string>();
    for (const l of this.byName.get(group)?.lines ?? []) if (!l.isComment) seen.add(l.key);
    return [...seen];
  }

  /** The last line assigning the key. */
  lastLine(group: string, key: string): UnitLine | undefined {
    const lines = this.byName.get(group)?.lines ?? [];
    for (let i = lines.length - 1; i >= 0; i--) {
      const l = lines[i] as UnitLine;
      if (!l.isComment && l.key === key) return l;
    }
    return undefined;
  }

  hasKey(group: string, key: string): boolean {
    return this.lastLine(group, key) !== undefined;
  }

  /** The last value as written (LookupLast). */
  lookupLast(group: string, key: string): string | undefined {
    return this.lastLine(group, key)?.value;
  }

  /** The last value without trailing space and without double quotes at either end (Lookup). */
  lookup(group: string, key: string): string | undefined {
    const raw = this.lookupLast(group, key);
    if (raw === undefined) return undefined;
    const v = trimRightSpace(raw);
    let start = 0;
    let end = v.length;
    while (start < end && v[start] === '"') start++;
    while (end > start && v[end - 1] === '"') end--;
    return v.slice(start, end);
  }

  lookupBoolean(group: string, key: string): boolean | undefined {
    const v = this.lookup(group, key);
    if (v === undefined) return undefined;
    return equalFold(v, "1") || equalFold(v, "yes") || equalFold(v, "true") || equalFold(v, "on");
  }

  lookupBooleanWithDefault(group: string, key: string, fallback: boolean): boolean {
    return this.lookupBoolean(group, key) ?? fallback;
  }

  /** LookupInt: strtol-like (0x hex, leading 0 octal), the default on any error. */
  lookupInt(group: string, key: string, fallback: bigint): bigint {
    const v = this.lookup(group, key);
    if (v === undefined) return fallback;
    return convertNumber(v) ?? fallback;
  }

  lookupUint32(group: string, key: string, fallback: number): number {
    const v = this.lookupInt(group, key, BigInt(fallback));
    return v < 0n || v > 0xffffffffn ? fallback : Number(v);
  }

  /** Every value after the last empty assignment (LookupAll). */
  lookupAll(group: string, key: string): string[] {
    let values: string[] = [];
    for (const l of this.byName.get(group)?.lines ?? []) {
      if (l.isComment || l.key !== key) continue;
      if (l.value === "") values = [];
      else values.push(l.value);
    }
    return values;
  }

  /** Words of every value, quotes removed, backslashes kept; a value with unbalanced quotes is dropped. */
  lookupAllStrv(group: string, key: string): string[] {
    return this.lookupAll(group, key).flatMap((v) => trySplit(v, STRV_FLAGS) ?? []);
  }

  /** Words of every value, unquoted and C-unescaped; a value with a bad escape is dropped. */
  lookupAllArgs(group: string, key: string): string[] {
    return this.lookupAll(group, key).flatMap((v) => trySplit(v, ARGS_FLAGS) ?? []);
  }

  /** Words of the last value; undefined when unset or when its escapes are invalid. */
  lookupLastArgs(group: string, key: string): string[] | undefined {
    const v = this.lookupLast(group, key);
    return v === undefined ? undefined : trySplit(v, ARGS_FLAGS);
  }

  /** KEY=VALUE words of every value; words without '=' are dropped, a later key wins. */
  lookupAllKeyVal(group: string, key: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const v of this.lookupAll(group, key)) {
      for (const word of trySplit(v, ARGS_FLAGS) ?? []) {
        const eq = word.indexOf("=");
        if (eq >= 0) out.set(word.slice(0, eq), word.slice(eq + 1));
      }
    }
    return out;
  }

  /** Give the last line of the key this value, or append it. */
  set(group: string, key: string, value: string): void {
    const line = this.lastLine(group, key);
    if (line) line.value = value;
    else this.add(group, key, value);
  }

  setv(group: string, ...pairs: string[]): void {
    for (let i = 0; i + 1 < pairs.length; i += 2) this.set(group, pairs[i] as string, pairs[i + 1] as string);
  }

  add(group: string, key: string, value: string): void {
    this.ensureGroup(group).lines.push({ key, value, isComment: false });
  }

  addCmdline(group: string, key: string, args: readonly string[]): void {
    this.add(group, key, escapeWords(args));
  }

  unset(group: string, key: string): void {
    const g = this.byName.get(group);
    if (g) g.lines = g.lines.filter((l) => l.isComment || l.key !== key);
  }

  /** Comments at the top of the file (the first group's header comments). */
  prependComment(...comments: string[]): void {
    const g = this.groups[0] ?? this.ensureGroup("");
    g.comments.unshift(...comments.map((c) => ({ key: "", value: `# ${c}`, isComment: true })));
  }

  prependLine(group: string, key: string, value: string): void {
    this.ensureGroup(group).lines.unshift({ key, value, isComment: false });
  }

  /** GetTemplateParts: [base, instance, isTemplate] of "base@instance.ext". */
  templateParts(): [string, string, boolean] {
    const dot = extIndex(this.filename);
    const base = dot < 0 ? this.filename : this.filename.slice(0, dot);
    const at = base.indexOf("@");
    return at < 0 ? [base, "", false] : [base.slice(0, at), base.slice(at + 1), true];
  }

  /** Drop-in directory names for this unit, most specific first (GetUnitDropinPaths). */
  dropinDirs(): string[] {
    const [unitName, instance, isTemplate] = this.templateParts();
    const dot = extIndex(this.filename);
    const ext = dot < 0 ? "" : this.filename.slice(dot);
    const dropinExt = `${ext}.d`;
    const paths = [dropinExt.slice(1)];
    const parts = unitName.split("-");
    for (let i = 0; i < parts.length - 1; i++) {
      const prefix = `${parts.slice(0, i + 1).join("-")}-`;
      paths.push(`${prefix}${dropinExt}`);
      if (isTemplate) paths.push(`${prefix}@${dropinExt}`);
    }
    if (instance !== "") paths.push(`${unitName}@${dropinExt}`);
    paths.push(`${this.filename}.d`);
    return paths.reverse();
  }

  toString(): string {
    const out: string[] = [];
    this.groups.forEach((g, i) => {
      if (i !== 0) out.push("\n");
      for (const c of g.comments) out.push(c.value, "\n");
      if (g.name === "") return;
      out.push("[", g.name, "]\n");
      for (const l of g.lines) {
        if (l.isComment) out.push(l.value, "\n");
        else out.push(l.key, "=", l.value, "\n");
      }
    });
    return out.join("");
  }
}

/** filepath.Ext: the index of the last dot after the last slash, or -1. */
export function extIndex(name: string): number {
  for (let i = name.length - 1; i >= 0 && name[i] !== "/"; i--) if (name[i] === ".") return i;
  return -1;
}

export const extOf = (name: string): string => {
  const i = extIndex(name);
  return i < 0 ? "" : name.slice(i);
};

/** strconv.ParseInt(s, base, 64) as a bigint, or undefined on any error. */
function parseGoInt(s: string, base: number): bigint | undefined {
  let body = s;
  let negative = false;
  if (body[0] === "+" || body[0] === "-") {
    negative = body[0] === "-";
    body = body.slice(1);
  }
  if (body === "") return undefined;
  let v = 0n;
  for (const ch of body) {
    const d = Number.parseInt(ch, 36);
    if (Number.isNaN(d) || d >= base || !/[0-9a-zA-Z]/.test(ch)) return undefined;
    v = v * BigInt(base) + BigInt(d);
  }
  if (negative) v = -v;
  if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) return undefined;
  return v;
}

/** convertNumber: quadlet's strtol imitation (0x hex, a leading 0 octal, a sign). */
export function convertNumber(value: string): bigint | undefined {
  let v = value;
  let mult = 1n;
  if (v.startsWith("+")) v = v.slice(1);
  else if (v.startsWith("-")) {
    v = v.slice(1);
    mult = -1n;
  }
  let n: bigint | undefined;
  if (v.startsWith("0x") || v.startsWith("0X")) n = parseGoInt(v.slice(2), 16);
  else if (v.startsWith("0")) n = parseGoInt(v, 8);
  else n = parseGoInt(v, 10);
  return n === undefined ? undefined : BigInt.asIntN(64, n * mult);
}
