/**
 * Go's encoding/csv with default settings, for one Mount= value: quadlet reads Mount= with it and writes
 * the resolved mount back with it. Over byte strings (src/unit/gostr.ts); errors are Go's own words.
 */
import { isSpace, runes } from "../unit/gostr.js";

/** encoding/csv's reader (default settings) over a byte string: the records, or its error text. */
export function readCsv(input: string): string[][] | string {
  const records: string[][] = [];
  let rest = input;
  let numLine = 0;
  const readLine = (): string | undefined => {
    if (rest === "") return undefined;
    const nl = rest.indexOf("\n");
    let line = nl < 0 ? rest : rest.slice(0, nl + 1);
    rest = nl < 0 ? "" : rest.slice(nl + 1);
    numLine++;
    if (line.endsWith("\r\n")) line = `${line.slice(0, -2)}\n`;
    else if (nl < 0 && line.endsWith("\r")) line = line.slice(0, -1);
    return line;
  };
  const lengthNL = (b: string): number => (b.endsWith("\n") ? 1 : 0);
  const parseError = (start: number, line: number, column: number, err: string): string =>
    start === line
      ? `parse error on line ${line}, column ${column}: ${err}`
      : `record on line ${start}; parse error on line ${line}, column ${column}: ${err}`;
  const BARE = 'bare " in non-quoted-field';
  const QUOTE = 'extraneous or missing " in quoted-field';
  for (;;) {
    let line = readLine();
    while (line !== undefined && line.length === lengthNL(line)) line = readLine();
    if (line === undefined) return records;
    const recLine = numLine;
    const fields: string[] = [];
    let pos = { line: numLine, col: 1 };
    // One field per turn; a quoted field that ends the record clears `more`.
    for (let more = true; more; ) {
      if (!line.startsWith('"')) {
        const i = line.indexOf(",");
        const field = i >= 0 ? line.slice(0, i) : line.slice(0, line.length - lengthNL(line));
        const j = field.indexOf('"');
        if (j >= 0) return parseError(recLine, numLine, pos.col + j, BARE);
        fields.push(field);
        if (i >= 0) {
          line = line.slice(i + 1);
          pos = { line: pos.line, col: pos.col + i + 1 };
          continue;
        }
        break;
      }
      let field = "";
      line = line.slice(1);
      pos = { line: pos.line, col: pos.col + 1 };
      for (;;) {
        const i = line.indexOf('"');
        if (i >= 0) {
          field += line.slice(0, i);
          line = line.slice(i + 1);
          pos = { line: pos.line, col: pos.col + i + 1 };
          if (line.startsWith('"')) {
            field += '"';
            line = line.slice(1);
            pos = { line: pos.line, col: pos.col + 1 };
          } else if (line.startsWith(",")) {
            line = line.slice(1);
            pos = { line: pos.line, col: pos.col + 1 };
            fields.push(field);
            break;
          } else if (lengthNL(line) === line.length) {
            fields.push(field);
            more = false;
            break;
          } else {
            return parseError(recLine, numLine, pos.col - 1, QUOTE);
          }
        } else if (line.length > 0) {
          field += line;
          pos = { line: pos.line, col: pos.col + line.length };
          const next = readLine();
          line = next ?? "";
          if (line.length > 0) pos = { line: pos.line + 1, col: 1 };
        } else {
          return parseError(recLine, pos.line, pos.col, QUOTE);
        }
      }
    }
    if (records.length > 0 && (records[0] as string[]).length !== fields.length) {
      return `record on line ${recLine}: wrong number of fields`;
    }
    records.push(fields);
  }
}

/** encoding/csv's writer for one record, without the final newline. */
export function writeCsv(fields: readonly string[]): string {
  return fields
    .map((f) => {
      const [first] = runes(f);
      const quote =
        f !== "" && (f === "\\." || /[\n\r",]/.test(f) || (first !== undefined && isSpace(first)));
      return quote ? `"${f.replaceAll('"', '""')}"` : f;
    })
    .join(",");
}
