/**
 * Where quadlet finds units and their drop-ins, and how it layers them (podman-systemd.unit(5)):
 * search directories in precedence order with their subdirectories; a unit name found in an earlier
 * directory shadows later ones; drop-ins come from NAME.TYPE.d, the dash-truncated prefixes
 * (foo-bar-.TYPE.d, foo-.TYPE.d) and the type-wide TYPE.d in every search directory; a drop-in file
 * name in a more specific directory (or an earlier search directory) shadows the same name elsewhere;
 * the surviving files apply in lexicographic order of their names.
 */
import { posix } from "node:path";
import type { UnitFs } from "./fs.js";
import { parseUnit } from "./syntax.js";
import { Unit } from "./unit.js";

export interface SearchDirOptions {
  /** Rootless (`-user`) mode. */
  readonly user?: boolean;
  /** The environment to read QUADLET_UNIT_DIRS, XDG_RUNTIME_DIR, XDG_CONFIG_HOME and HOME from. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The uid whose /etc/containers/systemd/users/UID applies in user mode. */
  readonly uid?: number;
}

const USERS_DIR = "/etc/containers/systemd/users";

/** The top-level search directories, highest precedence first. */
export function unitSearchDirs(options: SearchDirOptions = {}): string[] {
  const env = options.env ?? {};
  const override = env.QUADLET_UNIT_DIRS;
  if (override !== undefined && override !== "") return override.split(":").filter((d) => d !== "");
  if (!options.user) {
    return ["/run/containers/systemd", "/etc/containers/systemd", "/usr/share/containers/systemd"];
  }
  const dirs: string[] = [];
  if (env.XDG_RUNTIME_DIR) dirs.push(posix.join(env.XDG_RUNTIME_DIR, "containers/systemd"));
  const config = env.XDG_CONFIG_HOME || (env.HOME ? posix.join(env.HOME, ".config") : undefined);
  if (config) dirs.push(posix.join(config, "containers/systemd"));
  if (options.uid !== undefined) dirs.push(posix.join(USERS_DIR, String(options.uid)));
  dirs.push(USERS_DIR);
  return dirs;
}

/**
 * Expand each search directory with its subdirectories (depth first, by name), keeping precedence.
 * In system mode the rootless users/ tree is not part of the search; in user mode only our own
 * users/UID subdirectory is.
 */
export function expandSearchDirs(
  fs: UnitFs,
  dirs: readonly string[],
  options: SearchDirOptions = {},
): string[] {
  const out: string[] = [];
  const visit = (dir: string): void => {
    if (out.includes(dir)) return;
    out.push(dir);
    for (const e of fs.list(dir) ?? []) {
      // NAME.TYPE.d and TYPE.d hold drop-ins, not units; walking them as search directories
      // would only multiply the drop-in lookups.
      if (e.kind !== "dir" || e.name.endsWith(".d")) continue;
      const sub = posix.join(dir, e.name);
      if (!options.user && sub === USERS_DIR) continue;
      if (options.user && dir === USERS_DIR && /^\d+$/.test(e.name) && e.name !== String(options.uid))
        continue;
      visit(sub);
    }
  };
  for (const d of dirs) if (fs.list(d) !== undefined) visit(d);
  return out;
}

export interface FoundUnit {
  readonly name: string;
  readonly path: string;
}

/** Unit files with one of the extensions; the first directory that holds a name wins. */
export function discoverUnits(
  fs: UnitFs,
  dirs: readonly string[],
  extensions: readonly string[],
): FoundUnit[] {
  const found = new Map<string, FoundUnit>();
  for (const dir of dirs) {
    for (const e of fs.list(dir) ?? []) {
      if (e.kind !== "file") continue;
      const ext = posix.extname(e.name).slice(1);
      if (!extensions.includes(ext) || found.has(e.name)) continue;
      found.set(e.name, { name: e.name, path: posix.join(dir, e.name) });
    }
  }
  return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Drop-in directory names for a unit, most specific first. */
export function dropinDirNames(unitName: string): string[] {
  const ext = posix.extname(unitName);
  const base = unitName.slice(0, -ext.length);
  const type = ext.slice(1);
  const names = [`${unitName}.d`];
  const at = base.indexOf("@");
  if (at >= 0 && at < base.length - 1) names.push(`${base.slice(0, at + 1)}${ext}.d`);
  const stem = at >= 0 ? base.slice(0, at) : base;
  for (let i = stem.length - 1; i > 0; i--) {
    if (stem[i] === "-") {
      const prefix = `${stem.slice(0, i + 1)}${ext}.d`;
      if (!names.includes(prefix)) names.push(prefix);
    }
  }
  names.push(`${type}.d`);
  return names;
}

/** The drop-in files that apply to the unit, in application order. */
export function findDropins(fs: UnitFs, dirs: readonly string[], unitName: string): string[] {
  const chosen = new Map<string, string>();
  for (const dirName of dropinDirNames(unitName)) {
    for (const dir of dirs) {
      const dropinDir = posix.join(dir, dirName);
      for (const e of fs.list(dropinDir) ?? []) {
        if (e.kind !== "file" || !e.name.endsWith(".conf") || chosen.has(e.name)) continue;
        chosen.set(e.name, posix.join(dropinDir, e.name));
      }
    }
  }
  return [...chosen.keys()].sort().map((n) => chosen.get(n) as string);
}

/** Parse a unit file and its drop-ins into one effective Unit. Throws QmError on syntax errors. */
export function loadUnitFile(fs: UnitFs, dirs: readonly string[], found: FoundUnit): Unit {
  const text = fs.readText(found.path) ?? "";
  const docs = [parseUnit(text, found.path)];
  for (const path of findDropins(fs, dirs, found.name)) docs.push(parseUnit(fs.readText(path) ?? "", path));
  return Unit.fromDocuments(found.name, found.path, docs);
}
