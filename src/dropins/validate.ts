/**
 * Validation before anything is written: the files a sub-package would install are laid over the target's
 * current files (in memory), and the partition's effective configuration is generated from that view with the
 * same engine that runs it. Any error points at the file and line it came from, and nothing has changed yet.
 */
import { readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { type ErrorCode, QmError, toQmError } from "../core/errors.js";
import { shareDir } from "../core/paths.js";
import { type GeneratedService, generateServiceFrom } from "../quadlet/index.js";
import { discoverUnits, expandSearchDirs, type UnitFs, unitSearchDirs } from "../unit/index.js";
import { parseUnit } from "../unit/syntax.js";
import type { PackageFile } from "./package.js";

/** The partition's nested quadlets, seen from the host. */
export const NESTED_UNIT_DIR = "/etc/qm/containers/systemd";
const SHIPPED_QM_CONTAINER = "/usr/share/containers/systemd/qm.container";
/** Sections quadlet passes on (Unit, Service, Install) or reads itself; anything else in a drop-in is a typo. */
const DROPIN_SECTIONS = new Set(["Unit", "Service", "Install", "Container", "Quadlet"]);

/** A view of `base` with files added (path -> text) and removed. Directories appear as their files imply. */
export function overlayUnitFs(
  base: UnitFs,
  added: ReadonlyMap<string, string>,
  removed: ReadonlySet<string> = new Set(),
): UnitFs {
  const parentOf = (p: string): string => posix.dirname(p);
  return {
    readText(path) {
      const own = added.get(path);
      if (own !== undefined) return own;
      return removed.has(path) ? undefined : base.readText(path);
    },
    list(path) {
      const dir = path.replace(/\/+$/, "") || "/";
      const entries = new Map(
        (base.list(dir) ?? []).filter((e) => !removed.has(posix.join(dir, e.name))).map((e) => [e.name, e]),
      );
      let any = base.list(dir) !== undefined;
      for (const file of added.keys()) {
        // Walk up from each added file so intermediate directories are listed too.
        for (
          let child = file, parent = parentOf(file);
          child !== "/";
          child = parent, parent = parentOf(parent)
        ) {
          if (parent !== dir) continue;
          const name = posix.basename(child);
          if (!entries.has(name)) entries.set(name, { name, kind: child === file ? "file" : "dir" });
          any = true;
          break;
        }
      }
      if (!any) return undefined;
      return [...entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    exists(path) {
      if (added.has(path)) return true;
      const prefix = path.endsWith("/") ? path : `${path}/`;
      for (const f of added.keys()) if (f.startsWith(prefix)) return true;
      return !removed.has(path) && base.exists(path);
    },
  };
}

export interface ValidationReport {
  /** The generated podman command line of the partition with the files in place. */
  readonly execStart: readonly string[];
  /** Nested units that were generated (their service names). */
  readonly nested: readonly string[];
  readonly notes: readonly string[];
}

function invalid(code: ErrorCode, file: string, line: number, message: string, hint?: string): QmError {
  return new QmError(code, message, {
    location: { file, line },
    ...(hint ? { hint } : {}),
  });
}

/** A TOML string, boolean, number, one-line array or inline table. */
function tomlValue(value: string): boolean {
  return (
    /^"([^"\\]|\\.)*"$/.test(value) ||
    /^'[^']*'$/.test(value) ||
    /^(true|false)$/.test(value) ||
    /^[+-]?[0-9][0-9_]*(\.[0-9]+)?$/.test(value) ||
    /^\[.*\]$/.test(value) ||
    /^\{.*\}$/.test(value)
  );
}

/** containers.conf is TOML; check the shape every line must have so podman inside QM does not refuse to start. */
export function checkContainersConf(text: string, file: string): void {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "" || line.startsWith("#")) continue;
    if (/^\[{1,2}[A-Za-z0-9_.-]+\]{1,2}$/.test(line)) continue;
    const m = /^([A-Za-z0-9_-]+)\s*=\s*(.+)$/.exec(line);
    if (!m) throw invalid("QM_DROPIN_SYNTAX", file, i + 1, `not a [table] or key = value line: ${line}`);
    const raw = m[2] as string;
    // A '#' after a blank starts a comment, unless it is inside a string: `label = "cam #1"`.
    const value = tomlValue(raw) ? raw : raw.replace(/\s+#.*$/, "");
    if (value.startsWith("[") && !value.endsWith("]")) {
      // A multi-line array: skip to the line that closes it (a comment may follow the bracket).
      const open = i;
      do i++;
      while (
        i < lines.length &&
        !(lines[i] as string)
          .replace(/\s+#.*$/, "")
          .trim()
          .endsWith("]")
      );
      if (i === lines.length)
        throw invalid("QM_DROPIN_SYNTAX", file, open + 1, `the array of ${m[1]} is not closed with ']'`);
      continue;
    }
    const ok = tomlValue(value);
    if (!ok)
      throw invalid(
        "QM_DROPIN_SYNTAX",
        file,
        i + 1,
        `value of ${m[1]} is not a TOML string, number, boolean, array or table: ${value}`,
        'quote strings: image_copy_tmp_dir="/var/tmp.dir"',
      );
  }
}

function checkHookConfig(text: string, file: string): void {
  let hook: unknown;
  try {
    hook = JSON.parse(text);
  } catch (error) {
    throw invalid("QM_DROPIN_SYNTAX", file, 1, `not valid JSON: ${(error as Error).message}`);
  }
  // JSON null, a list or a scalar has none of the fields (and null has no properties to read).
  const h = (typeof hook === "object" && hook !== null ? hook : {}) as {
    version?: unknown;
    hook?: { path?: unknown };
    when?: unknown;
    stages?: unknown;
  };
  if (
    typeof h.version !== "string" ||
    typeof h.hook?.path !== "string" ||
    typeof h.when !== "object" ||
    h.when === null ||
    !Array.isArray(h.stages)
  )
    throw invalid(
      "QM_DROPIN_SYNTAX",
      file,
      1,
      "an OCI hook configuration needs version, hook.path, when and stages",
    );
}

/**
 * Check every file of a sub-package against the target `base` (the current files under the root).
 * `origin(destination)` maps a destination back to where the person can find and fix it.
 */
export function validateFiles(
  base: UnitFs,
  files: readonly PackageFile[],
  options: { readonly removed?: ReadonlySet<string> } = {},
): ValidationReport {
  const added = new Map<string, string>();
  const notes: string[] = [];
  for (const f of files) added.set(f.destination, f.content.toString("utf8"));
  // Point errors at the file a person can open, not at a destination that does not exist yet.
  const relocate = (error: unknown): QmError => {
    const e = toQmError(error);
    const file = files.find((f) => f.destination === e.location?.file);
    if (!file || !e.location) return e;
    return new QmError(e.code, e.message, {
      location: { ...e.location, file: file.origin, line: Math.max(1, e.location.line - file.lineOffset) },
      hint: `${e.hint ? `${e.hint}; ` : ""}nothing was installed (the file would go to ${file.destination})`,
      details: { ...(e.details ?? {}), destination: file.destination },
    });
  };

  try {
    for (const f of files) {
      const text = added.get(f.destination) as string;
      if (f.kind === "qm-dropin") {
        if (!f.destination.endsWith(".conf"))
          throw invalid(
            "QM_DROPIN_INVALID",
            f.destination,
            1,
            "quadlet reads only *.conf files in a drop-in directory",
          );
        for (const line of parseUnit(text, f.destination).lines) {
          if (line.kind === "section" && !DROPIN_SECTIONS.has(line.name) && !line.name.startsWith("X-"))
            throw invalid(
              "QM_DROPIN_UNKNOWN_SECTION",
              f.destination,
              line.line,
              `unknown section [${line.name}] in a qm.container drop-in`,
              "qm.container drop-ins hold [Container], [Service], [Unit], [Install] or [Quadlet]",
            );
        }
      } else if (f.kind === "partition-unit") parseUnit(text, f.destination);
      else if (f.kind === "containers-conf") checkContainersConf(text, f.destination);
      else if (f.kind === "hook-config") checkHookConfig(text, f.destination);
    }

    let fs = overlayUnitFs(base, added, options.removed);
    const dirs = expandSearchDirs(fs, unitSearchDirs());
    if (!discoverUnits(fs, dirs, ["container"]).some((u) => u.name === "qm.container")) {
      // No partition installed under this root yet: check against the qm.container qm ships.
      const shipped = readFileSync(join(shareDir(), "containers/systemd/qm.container"), "utf8");
      fs = overlayUnitFs(base, new Map([...added, [SHIPPED_QM_CONTAINER, shipped]]), options.removed);
      notes.push("no qm.container under the root: validated against the one qm ships");
    }
    const service: GeneratedService = generateServiceFrom(fs, "qm.container");
    const nested: string[] = [];
    const nestedOptions = { env: { QUADLET_UNIT_DIRS: NESTED_UNIT_DIR } };
    for (const f of files) {
      if (f.kind !== "nested-unit") continue;
      nested.push(generateServiceFrom(fs, posix.basename(f.destination), nestedOptions).serviceName);
    }
    return { execStart: service.execStart, nested, notes };
  } catch (error) {
    throw relocate(error);
  }
}
