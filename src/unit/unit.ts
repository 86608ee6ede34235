/**
 * The effective unit: a base file with its drop-ins applied, every value remembering the file and
 * line that set it, as text. It is read with quadlet's own parser (unitfile.ts), so its values are the
 * ones quadlet sees. Lookups follow quadlet: list keys accumulate in order and an empty assignment
 * resets what came before; single-value keys take the last assignment. Words split the way systemd
 * splits [Service] values, which is what direct mode needs them for.
 */
import { type ErrorCode, QmError, type SourceLocation } from "../core/errors.js";
import { fromBytes } from "./gostr.js";
import { entriesOf, type UnitDocument, type UnitEntry } from "./syntax.js";
import type { UnitFile } from "./unitfile.js";
import { parseBoolean, parseKeyValueWords, splitWords, ValueSyntaxError } from "./values.js";

export interface UnitValue {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export interface UnitSection {
  readonly name: string;
  readonly entries: readonly UnitValue[];
}

export class Unit {
  /** `sources` lists the base file then each applied drop-in, in application order. */
  constructor(
    readonly name: string,
    readonly path: string,
    readonly sections: readonly UnitSection[],
    readonly sources: readonly string[],
  ) {}

  /** The unit quadlet merged (base file and drop-ins), values decoded as UTF-8. */
  static fromUnitFile(file: UnitFile): Unit {
    const sections = file.groups
      .filter((g) => g.name !== "")
      .map((g) => ({
        name: fromBytes(g.name),
        entries: g.lines
          .filter((l) => !l.isComment)
          .map((l) => {
            const source = fromBytes(l.file ?? file.path);
            return {
              section: fromBytes(g.name),
              key: fromBytes(l.key),
              value: fromBytes(l.value),
              file: source,
              line: l.line ?? 1,
              column: l.column ?? 1,
            };
          }),
      }));
    return new Unit(fromBytes(file.filename), fromBytes(file.path), sections, file.sources.map(fromBytes));
  }

  /** Merge documents in order: the base first, then drop-ins. Sections keep first-seen order. */
  static fromDocuments(name: string, path: string, docs: readonly UnitDocument[]): Unit {
    const order: string[] = [];
    const bySection = new Map<string, UnitValue[]>();
    for (const doc of docs) {
      for (const l of doc.lines) {
        if (l.kind === "section" && !bySection.has(l.name)) {
          bySection.set(l.name, []);
          order.push(l.name);
        }
      }
      for (const e of entriesOf(doc)) bySection.get(e.section)?.push(toValue(doc.file, e));
    }
    return new Unit(
      name,
      path,
      order.map((s) => ({ name: s, entries: bySection.get(s) ?? [] })),
      docs.map((d) => d.file),
    );
  }

  section(name: string): UnitSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  hasSection(name: string): boolean {
    return this.section(name) !== undefined;
  }

  /** Every assignment of the key, in order, including empty ones. */
  raw(section: string, key: string): UnitValue[] {
    return (this.section(section)?.entries ?? []).filter((e) => e.key === key);
  }

  /** Assignments after the last empty one (quadlet's list semantics). */
  all(section: string, key: string): UnitValue[] {
    const out: UnitValue[] = [];
    for (const v of this.raw(section, key)) {
      if (v.value === "") out.length = 0;
      else out.push(v);
    }
    return out;
  }

  last(section: string, key: string): UnitValue | undefined {
    const r = this.raw(section, key);
    return r[r.length - 1];
  }

  /** The last value, or undefined when unset or set to the empty string. */
  get(section: string, key: string): string | undefined {
    const v = this.last(section, key)?.value;
    return v === undefined || v === "" ? undefined : v;
  }

  has(section: string, key: string): boolean {
    return this.last(section, key) !== undefined;
  }

  boolean(section: string, key: string): boolean | undefined {
    const v = this.last(section, key);
    if (v === undefined || v.value === "") return undefined;
    const b = parseBoolean(v.value);
    if (b === undefined) throw valueError(v, `${key}= needs a boolean (yes/no, true/false, 1/0, on/off)`);
    return b;
  }

  /** Whitespace-separated words of every assignment, quotes and escapes decoded. */
  words(section: string, key: string): string[] {
    return this.all(section, key).flatMap((v) => wordsOf(v));
  }

  /** Words of the last assignment only (Exec=, Entrypoint=). */
  lastWords(section: string, key: string): string[] | undefined {
    const v = this.last(section, key);
    return v === undefined ? undefined : wordsOf(v);
  }

  /** KEY=VALUE words of every assignment; a later key overrides an earlier one. */
  keyValues(section: string, key: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const v of this.all(section, key)) {
      try {
        for (const [k, val] of parseKeyValueWords(v.value)) out.set(k, val);
      } catch (error) {
        throw wrapValueError(v, error);
      }
    }
    return out;
  }

  /** Where a key was last set, for error messages. */
  locate(section: string, key: string): SourceLocation {
    const v = this.last(section, key);
    return v ? { file: v.file, line: v.line, column: v.column } : { file: this.path, line: 1 };
  }
}

function toValue(file: string, e: UnitEntry): UnitValue {
  return { section: e.section, key: e.key, value: e.value, file, line: e.line, column: e.column };
}

export function wordsOf(v: UnitValue): string[] {
  try {
    return splitWords(v.value);
  } catch (error) {
    throw wrapValueError(v, error);
  }
}

export function valueError(v: UnitValue, message: string, code: ErrorCode = "QM_UNIT_VALUE"): QmError {
  return new QmError(code, message, {
    location: { file: v.file, line: v.line, column: v.column },
    details: { section: v.section, key: v.key, value: v.value },
  });
}

function wrapValueError(v: UnitValue, error: unknown): QmError {
  if (error instanceof ValueSyntaxError) {
    return new QmError("QM_UNIT_VALUE", `${v.key}=: ${error.message}`, {
      location: { file: v.file, line: v.line, column: v.column + error.offset },
      details: { section: v.section, key: v.key, value: v.value },
    });
  }
  throw error;
}
