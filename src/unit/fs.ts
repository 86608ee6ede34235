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
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import { QmError } from "../core/errors.js";
import { SafeDir } from "../engine/safe-fs.js";
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
  QM_LINK: "a symbolic link in a tree whose links qm does not follow",
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

/**
 * filepath.EvalSymlinks inside `root`: every component is looked up below root, and a symlink's target
 * (absolute ones included) resolves below root too, so a tree's links never lead out of it.
 */
function evalSymlinksUnder(root: Buffer, path: string): string | FsError {
  const queue = path.split("/");
  const resolved: string[] = [];
  let links = 0;
  while (queue.length > 0) {
    const part = queue.shift() as string;
    if (part === "" || part === ".") continue;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    const logical = `/${[...resolved, part].join("/")}`;
    const host = Buffer.concat([root, bytesBuffer(logical)]);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(host);
    } catch (error) {
      return new FsError("lstat", logical, errCode(error));
    }
    if (!st.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    if (++links > 255) return new FsError("lstat", path, "ELOOP", "EvalSymlinks: too many links");
    const target = readlinkSync(host, { encoding: "buffer" }).toString("latin1");
    if (target.startsWith("/")) resolved.length = 0;
    queue.unshift(...target.split("/"));
  }
  return `/${resolved.join("/")}`;
}

export interface NodeUnitFsOptions {
  /**
   * Logical directories below which no symbolic link is followed (trees a less trusted party writes, such as the
   * partition's /etc seen from the host): a link there reads as an error, never as the file it points to.
   */
  readonly refuseLinksBelow?: readonly string[];
}

/**
 * The real file system under `root` (default "/"). Symbolic links are followed, as quadlet does; under
 * another root they resolve inside it; below `refuseLinksBelow` they are refused.
 */
export function nodeUnitFs(root = "/", options: NodeUnitFsOptions = {}): UnitFs {
  const rooted = root !== "/";
  const refused = (options.refuseLinksBelow ?? []).map((d) => cleanPath(d));
  /** The first link on `p` below a refused directory (as an FsError for `op`), or null. */
  const linkBelow = (p: string, op: string): FsError | null => {
    const logical = cleanPath(fromBytes(p));
    const dir = refused.find((d) => logical.startsWith(`${d}/`));
    if (dir === undefined) return null;
    try {
      const entry = new SafeDir(join(root, dir), "refuse").lstat(logical.slice(dir.length));
      return entry?.kind === "symlink" ? new FsError(op, p, "QM_LINK") : null;
    } catch (error) {
      if (error instanceof QmError && error.code === "QM_UNSAFE_PATH") return new FsError(op, p, "QM_LINK");
      return null;
    }
  };
  const rootBytes = Buffer.from(root.replace(/\/+$/, ""));
  /**
   * Where a logical path is on the host: itself under "/" (a relative path stays relative to the working directory,
   * as it does for quadlet), its resolved place below another root.
   */
  const host = (p: string, op: string): Buffer | FsError => {
    const link = linkBelow(p, op);
    if (link) return link;
    if (!rooted) return bytesBuffer(p);
    const real = evalSymlinksUnder(rootBytes, p);
    if (real instanceof FsError) return new FsError(op, p, real.code);
    return Buffer.concat([rootBytes, bytesBuffer(real)]);
  };
  const bytes: ByteFs = {
    readdir(dir) {
      const h = host(dir, "open");
      if (h instanceof FsError) return h;
      try {
        return readdirSync(h, { encoding: "buffer" })
          .map((b) => b.toString("latin1"))
          .sort(compareBytes);
      } catch (error) {
        return new FsError("open", dir, errCode(error));
      }
    },
    readFile(path) {
      const h = host(path, "open");
      if (h instanceof FsError) return h;
      let fd: number;
      try {
        // Non-blocking, so that a FIFO is refused instead of waited on.
        fd = openSync(h, constants.O_RDONLY | constants.O_NONBLOCK);
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
      const link = linkBelow(path, "lstat");
      if (link) return link;
      if (rooted) return evalSymlinksUnder(rootBytes, path);
      try {
        return realpathSync.native(bytesBuffer(path), { encoding: "buffer" }).toString("latin1");
      } catch (error) {
        const code = errCode(error);
        if (code === "ELOOP") return new FsError("lstat", path, code, "EvalSymlinks: too many links");
        return new FsError("lstat", path, code);
      }
    },
    stat(path) {
      const h = host(path, "stat");
      if (h instanceof FsError) return h;
      try {
        const st = statSync(h);
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
    // Listing and existence resolve links as reading does: inside the root, and refused below refused directories.
    list(path) {
      const names = bytes.readdir(toBytes(path));
      if (names instanceof FsError) return undefined;
      const out: DirEntry[] = [];
      for (const name of names) {
        // A dangling symlink, a FIFO or a device is neither.
        const kind = bytes.stat(`${toBytes(path).replace(/\/+$/, "")}/${name}`);
        if (kind === "dir" || kind === "file") out.push({ name: fromBytes(name), kind });
      }
      return out.sort(byName);
    },
    exists(path) {
      return !(bytes.stat(toBytes(path)) instanceof FsError);
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
