/** Where qmctl writes. `isTTY` decides between the live resource view and a snapshot. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly isTTY: boolean;
}

/** Any JSON-compatible value qmctl prints. */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

/**
 * Python's json.dumps(data, indent=4): same separators, and ensure_ascii escapes every non-ASCII
 * code unit, so output is byte-identical to upstream's for the same data.
 */
export function formatJson(data: Json): string {
  return `${JSON.stringify(data, null, 4).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  )}\n`;
}

/** Python's str() for the scalar values upstream prints in text mode. */
function pyStr(value: Json): string {
  if (value === true) return "True";
  if (value === false) return "False";
  if (value === null) return "None";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * Upstream's text rendering of a result dictionary: all-boolean maps become "present/missing in QM"
 * lines; otherwise "key: value", with one level of nested maps indented by two spaces.
 */
export function formatText(data: { readonly [key: string]: Json }): string {
  const entries = Object.entries(data);
  if (entries.every(([, v]) => typeof v === "boolean")) {
    return entries.map(([k, v]) => `${k}: ${v ? "present in QM" : "missing in QM"}\n`).join("");
  }
  let text = "";
  for (const [key, value] of entries) {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      text += `${key}:\n`;
      for (const [sub, subValue] of Object.entries(value as { readonly [key: string]: Json })) {
        text += `  ${sub}: ${pyStr(subValue)}\n`;
      }
    } else {
      text += `${key}: ${pyStr(value)}\n`;
    }
  }
  return text;
}

/** An error as upstream prints it: the bare message on stderr, or {"Error": message} on stdout with JSON. */
export function printError(io: Io, message: string, json: boolean): void {
  if (json) io.out(formatJson({ Error: message }));
  else io.err(`${message}\n`);
}
