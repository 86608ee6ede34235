import type { Json } from "./output.js";

/** A key's value(s) in the JSON view: one string, several strings when repeated, `true` for a bare line. */
export type QuadletValue = string | true | string[];
export type QuadletSections = Record<string, Record<string, QuadletValue>>;

/**
 * The JSON view of `show container`: comments, blank lines and lines before the first section are
 * skipped; keys and values are split on the first `=` and stripped.
 * Unlike upstream (last one wins, and a repeated section header empties the section), repeated keys
 * keep every value in file order as an array, and a repeated section continues the earlier one:
 * Volume=, AddDevice= and Environment= are list keys in quadlet.
 */
export function parseQuadlet(content: string): QuadletSections {
  const sections: QuadletSections = {};
  let current: Record<string, QuadletValue> | undefined;
  for (const raw of content.split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("[") && line.endsWith("]")) {
      const name = line.slice(1, -1);
      current = sections[name] ?? {};
      sections[name] = current;
      continue;
    }
    if (!current) continue;
    const eq = line.indexOf("=");
    if (eq < 0) {
      current[line] = true;
      continue;
    }
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const previous = current[key];
    if (previous === undefined || previous === true) current[key] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else current[key] = [previous, value];
  }
  return sections;
}

export function quadletJson(path: string, content: string): Json {
  return { path, sections: parseQuadlet(content) };
}

/**
 * Devices named by `AddDevice=` lines (the optional leading `-` means "skip if missing" to podman).
 * Like upstream this is a line scan: drop-ins are not read, and a key spelled with spaces before
 * `=` is not matched.
 */
export function addDevices(content: string): string[] {
  const devices: string[] = [];
  for (const raw of content.split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    if (!line.startsWith("AddDevice=")) continue;
    const device = line.slice("AddDevice=".length).replace(/^-+/, "").trim();
    if (!devices.includes(device)) devices.push(device);
  }
  return devices;
}
