/**
 * The file-system port the unit code reads through. Paths given to it are logical (as a unit file
 * would name them, e.g. /etc/containers/systemd); the node adapter joins them to an injectable root,
 * so image builders and tests use the same code as a live host.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export interface DirEntry {
  readonly name: string;
  readonly kind: "file" | "dir";
}

export interface UnitFs {
  /** The file's text, or undefined if it does not exist or is not a regular file. */
  readText(path: string): string | undefined;
  /** Directory entries sorted by name, or undefined if the directory does not exist. */
  list(path: string): DirEntry[] | undefined;
  exists(path: string): boolean;
}

const byName = (a: DirEntry, b: DirEntry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The real file system under `root` (default "/"). Symbolic links are followed, as quadlet does. */
export function nodeUnitFs(root = "/"): UnitFs {
  const at = (p: string): string => join(root, p);
  return {
    readText(path) {
      try {
        if (!statSync(at(path)).isFile()) return undefined;
        return readFileSync(at(path), "utf8");
      } catch {
        return undefined;
      }
    },
    list(path) {
      let names: string[];
      try {
        names = readdirSync(at(path));
      } catch {
        return undefined;
      }
      const out: DirEntry[] = [];
      for (const name of names) {
        try {
          const st = statSync(join(at(path), name));
          if (st.isDirectory()) out.push({ name, kind: "dir" });
          else if (st.isFile()) out.push({ name, kind: "file" });
        } catch {
          // A dangling symlink is not a unit; skip it like quadlet does.
        }
      }
      return out.sort(byName);
    },
    exists(path) {
      try {
        statSync(at(path));
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** An in-memory tree keyed by logical path, for tests and for previews of files not yet written. */
export function memoryUnitFs(files: Readonly<Record<string, string>>): UnitFs {
  const norm = (p: string): string => p.replace(/\/+$/, "") || "/";
  // Index every directory once: listing stays cheap for trees with thousands of files.
  const dirs = new Map<string, Map<string, DirEntry>>();
  for (const f of Object.keys(files)) {
    let child = f;
    let kind: DirEntry["kind"] = "file";
    while (child !== "/") {
      const parent = child.slice(0, child.lastIndexOf("/")) || "/";
      const entries = dirs.get(parent) ?? new Map<string, DirEntry>();
      dirs.set(parent, entries);
      const name = child.slice(child.lastIndexOf("/") + 1);
      if (entries.has(name)) break;
      entries.set(name, { name, kind });
      child = parent;
      kind = "dir";
    }
  }
  return {
    readText: (path) => files[norm(path)],
    list(path) {
      const entries = dirs.get(norm(path));
      return entries ? [...entries.values()].sort(byName) : undefined;
    },
    exists: (path) => files[norm(path)] !== undefined || dirs.has(norm(path)),
  };
}
