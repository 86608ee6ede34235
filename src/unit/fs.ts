/**
 * The file-system ports the unit code reads through. Paths given to them are logical (as a unit file
 * would name them, e.g. /etc/containers/systemd); the node adapter joins them to an injectable root,
 * so image builders and tests use the same code as a live host.
 *
 * `UnitFs` speaks text. The generator reads through `ByteFs`, which speaks byte strings (gostr.ts) and
 * reports failures the way Go's os package words them, because quadlet prints those words.
 */
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import { bytesBuffer, compareBytes, fromBytes, toBytes } from "./gostr.js";

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
  /** The same tree as byte strings with Go-worded errors, where the adapter can do better than `byteFs()`. */
  readonly bytes?: ByteFs;
}

/** Files larger than this are refused instead of read (quadlet would read them whole). */
export const MAX_UNIT_FILE_BYTES = 64 * 1024 * 1024;

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "file name too long",
  EIO: "input/output error",
  EMFILE: "too many open files",
  ENFILE: "too many open files in system",
  ENXIO: "no such device or address",
  EINVAL: "invalid argument",
  EBADF: "bad file descriptor",
  // Not errno values: what qm-quadlet refuses to read.
  QM_TOO_LARGE: `file is larger than ${MAX_UNIT_FILE_BYTES / 1024 / 1024} MiB`,
  QM_NOT_REGULAR: "not a regular file",
};

/** An *os.PathError: "op path: reason". `path` is a byte string. */
export class FsError {
  constructor(
    readonly op: string,
    readonly path: string,
    readonly code: string,
    /** The whole message, where Go does not word it "op path: reason". */
    readonly text?: string,
  ) {}
  get notExist(): boolean {
    return this.code === "ENOENT";
  }
  get message(): string {
    if (this.text !== undefined) return this.text;
    return `${this.op} ${this.path}: ${ERRNO_TEXT[this.code] ?? this.code.toLowerCase()}`;
  }
}

export type Kind = "dir" | "file" | "other";

/** Byte-string paths in and out. */
export interface ByteFs {
  /** Entry names, byte-sorted (os.ReadDir). */
  readdir(dir: string): string[] | FsError;
  /** Contents (os.ReadFile); oversize and non-regular files are refused, never read. */
  readFile(path: string): string | FsError;
  /** filepath.EvalSymlinks */
  realpath(path: string): string | FsError;
  /** os.Stat: what the path is, symlinks followed. */
  stat(path: string): Kind | FsError;
}

const errCode = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? "EIO";

/** Read at most `limit` bytes more than the file claims, so a growing or lying file cannot exhaust memory. */
function readBounded(fd: number, size: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  const chunk = Buffer.alloc(Math.max(4096, Math.min(size + 1, 1 << 20)));
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    total += n;
    if (total > MAX_UNIT_FILE_BYTES) throw Object.assign(new Error("too large"), { code: "QM_TOO_LARGE" });
    chunks.push(Buffer.from(chunk.subarray(0, n)));
  }
  return Buffer.concat(chunks, total);
}

/** The real file system under `root` (default "/"). Symbolic links are followed, as quadlet does. */
export function nodeUnitFs(root = "/"): UnitFs {
  // Under "/" a relative path stays relative to the working directory, as it does for quadlet.
  const at = (p: string): string => (root === "/" ? p : join(root, p));
  const atBytes = (p: string): Buffer =>
    root === "/" ? bytesBuffer(p) : Buffer.from(join(root, fromBytes(p)));
  const bytes: ByteFs = {
    readdir(dir) {
      try {
        return readdirSync(atBytes(dir), { encoding: "buffer" })
          .map((b) => b.toString("latin1"))
          .sort(compareBytes);
      } catch (error) {
        return new FsError("open", dir, errCode(error));
      }
    },
    readFile(path) {
      let fd: number;
      try {
        // Non-blocking, so that a FIFO is refused instead of waited on.
        fd = openSync(atBytes(path), constants.O_RDONLY | constants.O_NONBLOCK);
      } catch (error) {
        return new FsError("open", path, errCode(error));
      }
      try {
        const st = fstatSync(fd);
        if (st.isDirectory()) return new FsError("read", path, "EISDIR");
        if (!st.isFile()) return new FsError("read", path, "QM_NOT_REGULAR");
        if (st.size > MAX_UNIT_FILE_BYTES) return new FsError("read", path, "QM_TOO_LARGE");
        return readBounded(fd, st.size).toString("latin1");
      } catch (error) {
        return new FsError("read", path, errCode(error));
      } finally {
        closeSync(fd);
      }
    },
    realpath(path) {
      try {
        const real = realpathSync.native(atBytes(path), { encoding: "buffer" }).toString("latin1");
        if (root === "/") return real;
        const prefix = toBytes(root.replace(/\/+$/, ""));
        return real.startsWith(`${prefix}/`) ? real.slice(prefix.length) : real === prefix ? "/" : path;
      } catch (error) {
        const code = errCode(error);
        if (code === "ELOOP") return new FsError("lstat", path, code, "EvalSymlinks: too many links");
        return new FsError("lstat", path, code);
      }
    },
    stat(path) {
      try {
        const st = statSync(atBytes(path));
        return st.isDirectory() ? "dir" : st.isFile() ? "file" : "other";
      } catch (error) {
        return new FsError("stat", path, errCode(error));
      }
    },
  };
  return {
    bytes,
    readText(path) {
      const r = bytes.readFile(toBytes(path));
      return typeof r === "string" ? fromBytes(r) : undefined;
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
          // A dangling symlink is neither.
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

const byName = (a: DirEntry, b: DirEntry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

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

/** filepath.Clean */
export function cleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const body = out.join("/");
  return rooted ? `/${body}` : body === "" ? "." : body;
}

/** filepath.Join */
export const joinPath = (...parts: string[]): string => {
  const nonEmpty = parts.filter((p) => p !== "");
  return nonEmpty.length === 0 ? "" : cleanPath(nonEmpty.join("/"));
};

/** filepath.Dir */
export function dirPath(p: string): string {
  const i = p.lastIndexOf("/");
  return cleanPath(p.slice(0, i + 1));
}

/**
 * A ByteFs over any UnitFs: the node adapter's own when it has one, otherwise one derived from the text
 * operations (memory and overlay views hold no symlinks, so a path is its own real path).
 */
export function byteFs(fs: UnitFs): ByteFs {
  if (fs.bytes) return fs.bytes;
  const kindOf = (path: string): Kind | undefined => {
    const text = fromBytes(path);
    if (fs.readText(text) !== undefined) return "file";
    if (fs.list(text) !== undefined) return "dir";
    return fs.exists(text) ? "other" : undefined;
  };
  return {
    readdir(dir) {
      const entries = fs.list(fromBytes(dir));
      if (entries) return entries.map((e) => toBytes(e.name)).sort(compareBytes);
      return new FsError("open", dir, kindOf(dir) ? "ENOTDIR" : "ENOENT");
    },
    readFile(path) {
      const text = fs.readText(fromBytes(path));
      if (text !== undefined) return toBytes(text);
      const kind = kindOf(path);
      return new FsError(kind ? "read" : "open", path, kind === "dir" ? "EISDIR" : kind ? "EIO" : "ENOENT");
    },
    realpath(path) {
      return kindOf(path) ? cleanPath(path) : new FsError("lstat", path, "ENOENT");
    },
    stat(path) {
      return kindOf(path) ?? new FsError("stat", path, "ENOENT");
    },
  };
}
