/**
 * Where quadlet finds units and their drop-ins, and how it layers them (podman-systemd.unit(5), podman
 * 5.4): search directories in precedence order, each followed by its subdirectories (resolved through
 * symlinks, each real directory visited once, NAME.d directories skipped); a unit file name found first
 * wins; drop-ins come from NAME.TYPE.d, the template's dir, the dash-truncated prefixes and TYPE.d, in
 * every search directory; a drop-in file name seen first (earlier search directory, then more specific
 * directory) shadows the same name elsewhere; the survivors apply in byte order of their names.
 *
 * Quirks kept on purpose, because the generator's output depends on them: a unit file that cannot be
 * parsed makes quadlet drop every unit of its directory, and its name stays free for later directories.
 */

import { type ByteFs, byteFs, cleanPath, type DirEntry, FsError, joinPath, type UnitFs } from "./fs.js";
import { fromBytes, goQuote, toBytes } from "./gostr.js";
import { extOf, UnitFile, UnitParseError } from "./unitfile.js";

export interface SearchDirOptions {
  /** Rootless (`-user`) mode. */
  readonly user?: boolean;
  /** The environment to read QUADLET_UNIT_DIRS, XDG_RUNTIME_DIR, XDG_CONFIG_HOME and HOME from. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The uid whose /etc/containers/systemd/users/UID applies in user mode. */
  readonly uid?: number;
  /** At most this many search directories (default MAX_SEARCH_DIRS). */
  readonly maxDirs?: number;
}

/** A line quadlet logs: always, or only with -v/-dryrun (debug), or raw to stderr without its prefix. */
export interface LogEvent {
  readonly text: string;
  readonly debug?: boolean;
  readonly raw?: boolean;
}

export const UNIT_DIR_TEMP = "/run/containers/systemd";
export const UNIT_DIR_ADMIN = "/etc/containers/systemd";
export const UNIT_DIR_DISTRO = "/usr/share/containers/systemd";
const USERS_DIR = "/etc/containers/systemd/users";

/** Unit file extensions and the order quadlet converts them in (resource names flow from low to high). */
export const UNIT_ORDER: Readonly<Record<string, number>> = {
  ".container": 4,
  ".volume": 2,
  ".kube": 4,
  ".network": 2,
  ".image": 1,
  ".build": 3,
  ".pod": 5,
};

type Filter = (path: string, user: boolean) => boolean;

/**
 * At most this many directories are searched. Quadlet has no limit: a symlink to / in a search directory
 * makes it walk the whole machine. qm-quadlet stops and reports it instead.
 */
export const MAX_SEARCH_DIRS = 10_000;

class SearchPath {
  readonly dirs: string[] = [];
  private readonly visited = new Set<string>();
  /** Set when the walk stopped at the limit. */
  overflow: string | undefined;
  constructor(
    readonly fs: ByteFs,
    readonly events: LogEvent[],
    readonly limit = MAX_SEARCH_DIRS,
  ) {}

  add(path: string): void {
    this.dirs.push(path);
    this.visited.add(path);
  }

  /** appendSubPaths: the directory and, depth first by name, every directory below it. */
  append(start: string, user: boolean, filter?: Filter): void {
    const stack: string[] = [start];
    while (stack.length > 0) {
      if (this.dirs.length >= this.limit) {
        this.overflow ??= `search path ${goQuote(start)} holds more than ${this.limit} directories; not searched further`;
        return;
      }
      const path = stack.pop() as string;
      const resolved = this.fs.realpath(path);
      if (resolved instanceof FsError) {
        if (!resolved.notExist)
          this.debug(`Error occurred resolving path ${goQuote(path)}: ${resolved.message}`);
        this.add(path);
        continue;
      }
      if (this.skip(resolved, user, filter)) continue;
      this.add(resolved);
      const names = this.fs.readdir(resolved);
      if (names instanceof FsError) {
        if (!names.notExist)
          this.debug(`Error occurred walking sub directories ${goQuote(path)}: ${names.message}`);
        continue;
      }
      for (let i = names.length - 1; i >= 0; i--) stack.push(joinPath(resolved, names[i] as string));
    }
  }

  private skip(path: string, user: boolean, filter?: Filter): boolean {
    if (this.visited.has(path) || path.endsWith(".d")) return true;
    if (filter && !filter(path, user)) return true;
    const kind = this.fs.stat(path);
    if (kind instanceof FsError) {
      if (!kind.notExist) this.debug(`Error occurred resolving path ${goQuote(path)}: ${kind.message}`);
      return true;
    }
    return kind !== "dir";
  }

  private debug(text: string): void {
    this.events.push({ text, debug: true });
  }
}

/**
 * The search directories quadlet uses (getUnitDirs), as byte strings, with what it logs on the way; an
 * error when the walk stopped at the limit.
 */
export function searchDirs(
  fs: ByteFs,
  options: SearchDirOptions = {},
  events: LogEvent[] = [],
  errors: LoadError[] = [],
): string[] {
  const paths = new SearchPath(fs, events, options.maxDirs);
  const dirs = walkSearchPath(paths, fs, options, events);
  if (paths.overflow !== undefined) errors.push({ text: paths.overflow });
  return dirs;
}

function walkSearchPath(
  paths: SearchPath,
  fs: ByteFs,
  options: SearchDirOptions,
  events: LogEvent[],
): string[] {
  const env = options.env ?? {};
  const override = env.QUADLET_UNIT_DIRS;
  if (override !== undefined && override !== "") {
    for (const dir of toBytes(override).split(":")) {
      if (!dir.startsWith("/")) {
        events.push({ text: `${dir} not a valid file path` });
        break;
      }
      paths.append(dir, false);
    }
    return paths.dirs;
  }
  const usersReal = fs.realpath(USERS_DIR);
  const users = typeof usersReal === "string" ? usersReal : USERS_DIR;
  if (usersReal instanceof FsError && !usersReal.notExist) {
    events.push({
      text: `Error occurred resolving path ${goQuote(USERS_DIR)}: ${usersReal.message}`,
      debug: true,
    });
  }
  const userLevel: Filter = (path, user) => (path.startsWith(users) ? user : true);
  if (!options.user) {
    paths.append(UNIT_DIR_TEMP, false, userLevel);
    paths.append(UNIT_DIR_ADMIN, false, userLevel);
    paths.append(UNIT_DIR_DISTRO, false);
    return paths.dirs;
  }
  const level = users.split("/").length;
  const nonNumeric: Filter = (path) => {
    if (!path.startsWith(users)) return true;
    const parts = path.split("/");
    if (parts.length === level) return true;
    return parts.length > level && !/^[0-9]*$/.test(parts[level] as string);
  };
  if (env.XDG_RUNTIME_DIR !== undefined) {
    paths.append(toBytes(joinPath(env.XDG_RUNTIME_DIR, "containers/systemd")), false);
  }
  let config = env.XDG_CONFIG_HOME ?? "";
  if (config === "") {
    const home = env.HOME ?? "";
    if (home === "") {
      events.push({ text: "Warning: neither $XDG_CONFIG_HOME nor $HOME are defined", raw: true });
      return paths.dirs;
    }
    config = `${home}/.config`;
  } else if (!config.startsWith("/")) {
    events.push({ text: "Warning: path in $XDG_CONFIG_HOME is relative", raw: true });
    return paths.dirs;
  }
  paths.append(toBytes(joinPath(config, "containers/systemd")), false);
  if (options.uid === undefined) {
    paths.add(USERS_DIR);
    return paths.dirs;
  }
  paths.append(USERS_DIR, true, nonNumeric);
  paths.append(joinPath(USERS_DIR, String(options.uid)), true, userLevel);
  return paths.dirs;
}

/** A unit as loaded: the base file with its drop-ins merged in. */
export interface LoadedUnits {
  readonly dirs: readonly string[];
  /** Units in load order (byte strings inside). */
  readonly units: readonly UnitFile[];
  /** What quadlet reports as errors while loading (its own words), in order. */
  readonly errors: readonly LoadError[];
  readonly events: readonly LogEvent[];
}

export interface LoadError {
  readonly text: string;
  /** The file and line it is about, for callers that locate errors. */
  readonly file?: string;
  readonly line?: number;
}

/** ParseUnitFile: read and parse one file, or the error quadlet reports for it. */
export function parseUnitFile(fs: ByteFs, path: string): UnitFile | LoadError {
  const data = fs.readFile(path);
  if (data instanceof FsError) return { text: `error loading ${goQuote(path)}, ${data.message}`, file: path };
  try {
    return UnitFile.parse(data, path);
  } catch (error) {
    if (error instanceof UnitParseError) {
      return { text: `error loading ${goQuote(path)}, ${error.message}`, file: path, line: error.line };
    }
    throw error;
  }
}

/** Load every unit in the search path with its drop-ins, the way quadlet's main does before converting. */
export function loadUnits(direct: ByteFs, options: SearchDirOptions = {}): LoadedUnits {
  const fs = listingCache(direct);
  const events: LogEvent[] = [];
  const errors: LoadError[] = [];
  const dirs = searchDirs(fs, options, events, errors);
  const seen = new Set<string>();
  const units: UnitFile[] = [];
  for (const dir of dirs) {
    const names = fs.readdir(dir);
    if (names instanceof FsError) {
      if (!names.notExist) errors.push({ text: names.message, file: dir });
      continue;
    }
    const found: UnitFile[] = [];
    let failed = false;
    for (const name of names) {
      if (seen.has(name) || UNIT_ORDER[extOf(name)] === undefined) continue;
      const path = joinPath(dir, name);
      events.push({ text: `Loading source unit file ${path}`, debug: true });
      const unit = parseUnitFile(fs, path);
      if (unit instanceof UnitFile) {
        seen.add(name);
        found.push(unit);
      } else {
        errors.push(unit);
        failed = true;
      }
    }
    // A directory with a file that does not parse contributes no unit at all.
    if (!failed) units.push(...found);
  }
  if (units.length === 0) {
    events.push({ text: `No files parsed from [${dirs.join(" ")}]`, debug: true });
    return { dirs, units, errors, events };
  }
  for (const unit of units) errors.push(...loadDropins(fs, unit, dirs, events));
  return { dirs, units, errors, events };
}

/** Merge the unit's drop-ins into it; returns the errors quadlet reports. */
export function loadDropins(
  fs: ByteFs,
  unit: UnitFile,
  dirs: readonly string[],
  events: LogEvent[],
): LoadError[] {
  const errors: LoadError[] = [];
  const chosen = dropinFiles(fs, unit, dirs, errors);
  for (const path of chosen) {
    events.push({ text: `Loading source drop-in file ${path}`, debug: true });
    const dropin = parseUnitFile(fs, path);
    if (dropin instanceof UnitFile) unit.merge(dropin);
    else errors.push(dropin);
  }
  return errors;
}

/**
 * A ByteFs that remembers directory listings for one generator run, so looking for drop-in directories
 * in every search directory costs one listing per directory instead of one failed open per name.
 */
export function listingCache(fs: ByteFs): ByteFs {
  const listings = new Map<string, string[] | FsError>();
  const readdir = (dir: string): string[] | FsError => {
    let r = listings.get(dir);
    if (r === undefined) {
      r = fs.readdir(dir);
      listings.set(dir, r);
    }
    return r;
  };
  return {
    ...fs,
    readdir(dir) {
      const slash = dir.lastIndexOf("/");
      const parent = slash > 0 ? dir.slice(0, slash) : slash === 0 ? "/" : undefined;
      const name = dir.slice(slash + 1);
      if (parent !== undefined && name !== "." && name !== ".." && name !== "") {
        const siblings = listings.get(parent);
        if (Array.isArray(siblings) && !siblings.includes(name)) return new FsError("open", dir, "ENOENT");
      }
      return readdir(dir);
    },
  };
}

/** The drop-in files that apply to a unit, in the order they are merged. */
export function dropinFiles(
  fs: ByteFs,
  unit: UnitFile,
  dirs: readonly string[],
  errors: LoadError[] = [],
): string[] {
  const byName = new Map<string, string>();
  const names = unit.dropinDirs();
  for (const dir of dirs) {
    for (const name of names) {
      const dropinDir = joinPath(dir, name);
      const entries = fs.readdir(dropinDir);
      if (entries instanceof FsError) {
        if (!entries.notExist) {
          errors.push({
            text: `error reading directory ${goQuote(dropinDir)}, ${entries.message}`,
            file: dropinDir,
          });
        }
        continue;
      }
      for (const entry of entries) {
        if (extOf(entry) !== ".conf" || byName.has(entry)) continue;
        byName.set(entry, joinPath(dropinDir, entry));
      }
    }
  }
  return [...byName.keys()].sort().map((n) => byName.get(n) as string);
}

// ---- text-path helpers for callers outside the generator ----

/** The top-level search directories, highest precedence first (subdirectories not expanded). */
export function unitSearchDirs(options: SearchDirOptions = {}): string[] {
  const env = options.env ?? {};
  const override = env.QUADLET_UNIT_DIRS;
  if (override !== undefined && override !== "") {
    const out: string[] = [];
    for (const d of override.split(":")) {
      if (!d.startsWith("/")) break;
      out.push(d);
    }
    return out;
  }
  if (!options.user) return [UNIT_DIR_TEMP, UNIT_DIR_ADMIN, UNIT_DIR_DISTRO];
  const dirs: string[] = [];
  if (env.XDG_RUNTIME_DIR !== undefined) dirs.push(joinPath(env.XDG_RUNTIME_DIR, "containers/systemd"));
  const config = env.XDG_CONFIG_HOME || (env.HOME ? `${env.HOME}/.config` : undefined);
  if (config) dirs.push(joinPath(config, "containers/systemd"));
  dirs.push(USERS_DIR);
  if (options.uid !== undefined) dirs.push(joinPath(USERS_DIR, String(options.uid)));
  return dirs;
}

/** Each directory followed by its subdirectories, as quadlet walks them (system mode filters). */
export function expandSearchDirs(
  fs: UnitFs,
  dirs: readonly string[],
  options: SearchDirOptions = {},
): string[] {
  const bfs = byteFs(fs);
  const events: LogEvent[] = [];
  const paths = new SearchPath(bfs, events);
  const userLevel: Filter = (path, user) => (path.startsWith(USERS_DIR) ? user : true);
  for (const d of dirs) paths.append(toBytes(d), options.user ?? false, options.user ? undefined : userLevel);
  return paths.dirs.map(fromBytes);
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
      const ext = extOf(e.name).slice(1);
      if (!extensions.includes(ext) || found.has(e.name)) continue;
      found.set(e.name, { name: e.name, path: joinPath(dir, e.name) });
    }
  }
  return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The drop-in files that apply to the unit named `unitName`, in application order (text paths). */
export function findDropins(fs: UnitFs, dirs: readonly string[], unitName: string): string[] {
  const unit = new UnitFile();
  unit.filename = toBytes(unitName);
  return dropinFiles(byteFs(fs), unit, dirs.map(toBytes)).map(fromBytes);
}

export type { DirEntry };
export { cleanPath };
