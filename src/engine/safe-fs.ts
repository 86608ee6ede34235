/**
 * Files below a root that a less trusted party may write: the partition's /etc and /var, image trees given with
 * --root, sub-package directories. Every path is walked one component at a time from an open directory, the way
 * openat(2) walks with O_NOFOLLOW: the next component is opened through /proc/self/fd/N/NAME, which the kernel
 * resolves from the directory N refers to, not from a path that could have been swapped since. So nothing read or
 * written here can be redirected out of its base, even by a link planted while qm walks.
 *
 * Two policies for symbolic links below the base:
 * - "refuse": any link on the path (the last component included) is an error naming it (QM_UNSAFE_PATH);
 * - "confine": links are followed as if the base were the root directory (an absolute target starts again at the
 *   base, ".." stops there), the way a program chrooted into an image tree would see them.
 * Files are opened without side effects (O_PATH) and must be regular files before a byte is read, so a FIFO or a
 * device node planted where a file was expected can neither hang qm nor make it read a host device.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  renameSync,
  rmdirSync,
  type Stats,
  symlinkSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { posix } from "node:path";
import { QmError } from "../core/errors.js";

/** Linux's O_PATH (not in fs.constants): a descriptor naming a file without opening it. */
const O_PATH = 0o10000000;
// Node opens every descriptor close-on-exec already.
const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK } = constants;
/** Links followed on one path before giving up, as the kernel's ELOOP limit. */
const MAX_LINKS = 40;
/** Default limit for files read whole: every configuration file qm reads is far smaller. */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

export type LinkPolicy = "refuse" | "confine";
export type EntryKind = "file" | "dir" | "symlink" | "other";

export interface Entry {
  readonly kind: EntryKind;
  /** Permission bits (mode & 0o7777). */
  readonly mode: number;
  readonly size: number;
}

const fdPath = (fd: number, name?: string): string =>
  name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;

function kindOf(st: Stats): EntryKind {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  return "other";
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export function unsafePath(hostPath: string, message: string, hint?: string): QmError {
  return new QmError("QM_UNSAFE_PATH", `${hostPath}: ${message}`, {
    details: { path: hostPath },
    hint:
      hint ??
      "qm never follows a symbolic link below the directory it works in; remove or replace the entry and rerun",
  });
}

/** Components of an in-base path; "." and empty ones dropped. ".." is refused unless links are confined. */
function components(path: string, base: string, policy: LinkPolicy): string[] {
  if (path.includes("\0"))
    throw unsafePath(posix.join(base, path.replaceAll("\0", "\\0")), "NUL in the path");
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (policy === "refuse" && parts.includes(".."))
    throw unsafePath(posix.join(base, path), "'..' in a path below the base is refused");
  return parts;
}

/** Where a walk ended: the open directory holding the last component, its name and what is there. */
interface Located {
  readonly fd: number;
  readonly name: string;
  readonly entry: Entry | null;
  /** The host path walked (links resolved), for messages. */
  readonly shown: string;
}

interface Create {
  readonly mode: number;
  readonly before?: ((hostPath: string) => void) | undefined;
}

const DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;

/**
 * A directory qm trusts (the base), and safe access to everything below it. Paths given to the methods are
 * relative to the base; a leading "/" is allowed and means the base (in-root paths such as "/etc/qm/x").
 */
export class SafeDir {
  constructor(
    readonly base: string,
    readonly links: LinkPolicy = "refuse",
  ) {}

  /** The host path of an in-base path as written (links not resolved, ".." stopping at the base), for messages. */
  hostPath(path: string): string {
    const parts: string[] = [];
    for (const p of path.split("/")) {
      if (p === "..") parts.pop();
      else if (p !== "" && p !== ".") parts.push(p);
    }
    return posix.join(this.base, ...parts);
  }

  private openBase(): number {
    return openSync(this.base, O_RDONLY | O_DIRECTORY);
  }

  /** Open the base before closing `fd`, so a failure leaves exactly one descriptor to close. */
  private reopenBase(fd: number): number {
    const base = this.openBase();
    closeSync(fd);
    return base;
  }

  /** Open `name` in the directory `fd` as a directory, never through a link (one swapped in meanwhile included). */
  private child(fd: number, name: string, shown: string): number {
    try {
      return openSync(fdPath(fd, name), DIR_FLAGS);
    } catch (error) {
      const code = errnoOf(error);
      if (code === "ELOOP") throw unsafePath(shown, "is a symbolic link");
      if (code === "ENOTDIR") throw unsafePath(shown, "is not a directory");
      throw error;
    }
  }

  private lstatAt(fd: number, name: string): Entry | null {
    let pathFd: number;
    try {
      pathFd = openSync(fdPath(fd, name), O_PATH | O_NOFOLLOW);
    } catch (error) {
      if (errnoOf(error) === "ENOENT") return null;
      throw error;
    }
    try {
      const st = fstatSync(pathFd);
      return { kind: kindOf(st), mode: st.mode & 0o7777, size: st.size };
    } finally {
      closeSync(pathFd);
    }
  }

  /**
   * Walk to the last component of `path`. Directories on the way must exist (or are made when `create` is given,
   * each announced first); links are refused or, under "confine", followed below the base (the last component's
   * only when `followLast`). Returns null when a directory on the way is missing.
   */
  private walk(path: string, followLast: boolean, create?: Create): Located | null {
    const todo = components(path, this.base, this.links);
    if (todo.length === 0) throw unsafePath(this.base, "names the base directory itself");
    let fd = this.openBase();
    let walked: string[] = [];
    let followed = 0;
    try {
      for (;;) {
        const name = todo.shift() as string;
        if (name === "..") {
          // Only under "confine": one level up, never above the base.
          walked = walked.slice(0, -1);
          fd = this.reopenBase(fd);
          for (const [i, w] of walked.entries()) {
            const next = this.child(fd, w, posix.join(this.base, ...walked.slice(0, i + 1)));
            closeSync(fd);
            fd = next;
          }
          if (todo.length === 0) throw unsafePath(this.hostPath(path), "ends in '..'");
          continue;
        }
        const shown = posix.join(this.base, ...walked, name);
        const last = todo.length === 0;
        const entry = this.lstatAt(fd, name);
        if (entry?.kind === "symlink" && this.links === "confine" && (!last || followLast)) {
          if (++followed > MAX_LINKS) throw unsafePath(shown, "too many levels of symbolic links");
          const target = readlinkSync(fdPath(fd, name));
          const parts = target.split("/").filter((p) => p !== "" && p !== ".");
          if (parts.length === 0 && todo.length === 0)
            throw unsafePath(shown, "links to the base directory itself");
          todo.unshift(...parts);
          if (target.startsWith("/")) {
            walked = [];
            fd = this.reopenBase(fd);
          }
          continue;
        }
        if (last) return { fd, name, entry, shown };
        if (entry === null) {
          if (!create) {
            closeSync(fd);
            return null;
          }
          create.before?.(shown);
          try {
            mkdirSync(fdPath(fd, name), { mode: create.mode });
          } catch (error) {
            if (errnoOf(error) !== "EEXIST") throw error;
          }
        } else if (entry.kind === "symlink") throw unsafePath(shown, "is a symbolic link");
        else if (entry.kind !== "dir") throw unsafePath(shown, "is not a directory");
        const next = this.child(fd, name, shown);
        closeSync(fd);
        fd = next;
        if (entry === null && create) fchmodSync(fd, create.mode);
        walked.push(name);
      }
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Run `use` on a walk's result and always close its directory. */
  private at<T>(path: string, followLast: boolean, use: (at: Located) => T, create?: Create): T | null {
    const at = this.walk(path, followLast, create);
    if (at === null) return null;
    try {
      return use(at);
    } finally {
      closeSync(at.fd);
    }
  }

  /** What is at `path` (a link is reported as a link under both policies), or null. */
  lstat(path: string): Entry | null {
    return this.at(path, false, (at) => at.entry);
  }

  /** Like lstat, but under "confine" a link in the last component is followed too. */
  stat(path: string): Entry | null {
    return this.at(path, true, (at) => at.entry);
  }

  exists(path: string): boolean {
    return this.stat(path) !== null;
  }

  /** A regular file's bytes, or null when it does not exist. Anything else where a file was expected is refused. */
  read(path: string, maxBytes = DEFAULT_MAX_BYTES): Buffer | null {
    return this.at(path, true, (at) => {
      if (at.entry === null) return null;
      if (at.entry.kind === "symlink") throw unsafePath(at.shown, "is a symbolic link");
      if (at.entry.kind !== "file") throw unsafePath(at.shown, `is not a regular file (${at.entry.kind})`);
      // Name the inode without opening it, check it, then open exactly that inode.
      const pathFd = openSync(fdPath(at.fd, at.name), O_PATH | O_NOFOLLOW);
      try {
        const st = fstatSync(pathFd);
        if (!st.isFile()) throw unsafePath(at.shown, `is not a regular file (${kindOf(st)})`);
        if (st.size > maxBytes) throw tooBig(at.shown, maxBytes);
        const fd = openSync(fdPath(pathFd), O_RDONLY);
        try {
          return readAll(fd, maxBytes, at.shown);
        } finally {
          closeSync(fd);
        }
      } finally {
        closeSync(pathFd);
      }
    });
  }

  readText(path: string, maxBytes = DEFAULT_MAX_BYTES): string | null {
    return this.read(path, maxBytes)?.toString("utf8") ?? null;
  }

  /** The directory `path` as an open descriptor (made with its parents under `create`), or null if absent. */
  private openDir(path: string, create?: Create): number | null {
    if (components(path, this.base, this.links).length === 0) return this.openBase();
    return this.at(
      path,
      true,
      (at) => {
        if (at.entry === null) {
          if (!create) return null;
          create.before?.(at.shown);
          try {
            mkdirSync(fdPath(at.fd, at.name), { mode: create.mode });
          } catch (error) {
            if (errnoOf(error) !== "EEXIST") throw error;
          }
          const fd = this.child(at.fd, at.name, at.shown);
          fchmodSync(fd, create.mode);
          return fd;
        }
        if (at.entry.kind === "symlink") throw unsafePath(at.shown, "is a symbolic link");
        if (at.entry.kind !== "dir") throw unsafePath(at.shown, "is not a directory");
        return this.child(at.fd, at.name, at.shown);
      },
      create,
    );
  }

  /** Names in a directory, sorted; null when it does not exist. */
  list(path: string): string[] | null {
    const dir = this.openDir(path);
    if (dir === null) return null;
    try {
      return readdirSync(fdPath(dir)).sort();
    } finally {
      closeSync(dir);
    }
  }

  /** Make the directory and its missing parents; `before` hears of each one first. True if the last was made. */
  mkdir(path: string, mode = 0o755, before?: (hostPath: string) => void): boolean {
    const existed = this.stat(path)?.kind === "dir";
    const fd = this.openDir(path, { mode, before });
    if (fd !== null) closeSync(fd);
    return !existed;
  }

  chmod(path: string, mode: number): void {
    this.at(path, true, (at) => {
      if (at.entry === null) throw unsafePath(at.shown, "does not exist");
      if (at.entry.kind === "symlink") throw unsafePath(at.shown, "is a symbolic link");
      if (at.entry.kind !== "file" && at.entry.kind !== "dir") throw unsafePath(at.shown, "is not a file");
      const fd = openSync(
        fdPath(at.fd, at.name),
        (at.entry.kind === "dir" ? DIR_FLAGS : O_RDONLY | O_NOFOLLOW) | O_NONBLOCK,
      );
      try {
        fchmodSync(fd, mode);
      } finally {
        closeSync(fd);
      }
    });
  }

  /**
   * Write a file atomically: a new file beside it (O_EXCL, never through a link), fsync, explicit mode, rename over
   * the old name. Missing parent directories are made (0755), each announced through `before` first.
   */
  write(path: string, content: string | Uint8Array, mode = 0o644, before?: (hostPath: string) => void): void {
    this.replace(path, before, (dir, temp) => {
      const fd = openSync(fdPath(dir, temp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
      try {
        const bytes = typeof content === "string" ? Buffer.from(content) : content;
        for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
        fchmodSync(fd, mode);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    });
  }

  /** Make `path` a symbolic link to `target`, replacing a file or link there (never a directory). */
  symlink(path: string, target: string, before?: (hostPath: string) => void): void {
    this.replace(path, before, (dir, temp) => symlinkSync(target, fdPath(dir, temp)));
  }

  /** Create a new entry under a temporary name with `make`, then rename it over `path`. */
  private replace(
    path: string,
    before: ((hostPath: string) => void) | undefined,
    make: (dir: number, temp: string) => void,
  ): void {
    const name = posix.basename(posix.join("/", path));
    if (name === "" || name === "..") throw unsafePath(this.hostPath(path), "is not a file name");
    const dir = this.openDir(posix.dirname(posix.join("/", path)), { mode: 0o755, before }) as number;
    try {
      if (this.lstatAt(dir, name)?.kind === "dir") throw unsafePath(this.hostPath(path), "is a directory");
      const temp = `.${name.slice(0, 100)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      try {
        make(dir, temp);
        renameSync(fdPath(dir, temp), fdPath(dir, name));
      } catch (error) {
        try {
          unlinkSync(fdPath(dir, temp));
        } catch {
          // not created
        }
        throw error;
      }
    } finally {
      closeSync(dir);
    }
  }

  /**
   * Move `source` (a host path qm made itself, such as a freshly built tree) to `path`, where nothing may be yet.
   * Missing parents are made (0755).
   */
  adopt(source: string, path: string): void {
    const name = posix.basename(posix.join("/", path));
    const dir = this.openDir(posix.dirname(posix.join("/", path)), { mode: 0o755 }) as number;
    try {
      if (this.lstatAt(dir, name) !== null) throw unsafePath(this.hostPath(path), "already exists");
      renameSync(source, fdPath(dir, name));
    } finally {
      closeSync(dir);
    }
  }

  /** The target of the link at `path`, or null when there is no link there. */
  readlink(path: string): string | null {
    return this.at(path, false, (at) =>
      at.entry?.kind === "symlink" ? readlinkSync(fdPath(at.fd, at.name)) : null,
    );
  }

  /** Remove a file or link (never what a link points to). True if something was removed. */
  unlink(path: string): boolean {
    return (
      this.at(path, false, (at) => {
        if (at.entry === null) return false;
        if (at.entry.kind === "dir") throw unsafePath(at.shown, "is a directory");
        unlinkSync(fdPath(at.fd, at.name));
        return true;
      }) ?? false
    );
  }

  /** Remove an empty directory. False when it is absent or not empty. */
  rmdir(path: string): boolean {
    return (
      this.at(path, false, (at) => {
        if (at.entry === null) return false;
        if (at.entry.kind !== "dir") throw unsafePath(at.shown, "is not a directory");
        try {
          rmdirSync(fdPath(at.fd, at.name));
          return true;
        } catch (error) {
          if (errnoOf(error) === "ENOTEMPTY" || errnoOf(error) === "EEXIST") return false;
          throw error;
        }
      }) ?? false
    );
  }

  /**
   * Remove `path` with everything below it, never following a link (a link is removed, not what it points to).
   * Every entry is reached from its directory's descriptor, so a link swapped in meanwhile cannot redirect it.
   * Mount points are the caller's to check first (see engine/host mountsUnder). True if something was removed.
   */
  removeTree(path: string): boolean {
    return (
      this.at(path, false, (at) => {
        if (at.entry === null) return false;
        if (at.entry.kind !== "dir") {
          unlinkSync(fdPath(at.fd, at.name));
          return true;
        }
        const empty = (dir: number, shown: string): void => {
          for (const name of readdirSync(fdPath(dir))) {
            if (this.lstatAt(dir, name)?.kind === "dir") {
              const child = this.child(dir, name, `${shown}/${name}`);
              try {
                empty(child, `${shown}/${name}`);
              } finally {
                closeSync(child);
              }
              rmdirSync(fdPath(dir, name));
            } else unlinkSync(fdPath(dir, name));
          }
        };
        const dir = this.child(at.fd, at.name, at.shown);
        try {
          empty(dir, at.shown);
        } finally {
          closeSync(dir);
        }
        rmdirSync(fdPath(at.fd, at.name));
        return true;
      }) ?? false
    );
  }

  /**
   * The host path `path` leads to, links resolved per the policy. For messages and for programs that take paths
   * only: the answer goes stale if the tree changes, which is why qm's own reads and writes use the methods above.
   */
  resolve(path: string): string {
    if (components(path, this.base, this.links).length === 0) return this.base;
    return this.at(path, true, (at) => at.shown) ?? this.hostPath(path);
  }

  /** The directory `path` as a base of its own (it must be a directory, or absent). */
  sub(path: string, links: LinkPolicy = this.links): SafeDir {
    const entry = this.stat(path);
    if (entry !== null && entry.kind !== "dir") throw unsafePath(this.hostPath(path), "is not a directory");
    return new SafeDir(this.resolve(path), links);
  }
}

function tooBig(shown: string, maxBytes: number): QmError {
  return unsafePath(
    shown,
    `is larger than the ${maxBytes} bytes qm reads from such a file`,
    "is it the right file?",
  );
}

function readAll(fd: number, maxBytes: number, shown: string): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    total += n;
    if (total > maxBytes) throw tooBig(shown, maxBytes);
    chunks.push(chunk.subarray(0, n));
  }
  return Buffer.concat(chunks, total);
}

/**
 * A root ("/" or an image tree given with --root) as qm works on it. Paths are in-root ("/etc/qm/x"). Some subtrees
 * are trees of their own: the partition's /etc and /var, which the partition writes ("refuse": no link below them
 * is followed), and its OS tree ("confine": links resolve inside that tree, as the partition sees them). Such a
 * tree's own directory is found with links confined to the root (an administrator may have made /var/qm a link).
 * Everything else below the root is host-owned: links there are followed, but never out of the root.
 */
export class SafeRoot {
  private readonly host: SafeDir;
  private readonly trees: ReadonlyArray<readonly [string, LinkPolicy]>;

  constructor(
    readonly root: string,
    trees: Readonly<Record<string, LinkPolicy>> = {},
  ) {
    this.host = new SafeDir(root, "confine");
    this.trees = Object.entries(trees).map(([t, policy]) => [posix.normalize(`/${t}`), policy] as const);
  }

  /** The directory and the path below it that `path` belongs to. */
  private locate(path: string): { dir: SafeDir; rel: string } {
    const normal = posix.normalize(`/${path}`);
    for (const [tree, policy] of this.trees) {
      if (normal !== tree && !normal.startsWith(`${tree}/`)) continue;
      // The tree itself, or one not made yet (nothing can be planted in it), is reached like any host path.
      if (normal === tree || this.host.stat(tree) === null) return { dir: this.host, rel: normal };
      // Resolved at each use: the tree may be made by this very run.
      return { dir: this.host.sub(tree, policy), rel: normal.slice(tree.length) };
    }
    return { dir: this.host, rel: normal };
  }

  /** Where `path` is on this machine (links resolved as qm would resolve them), for messages and other programs. */
  hostPath(path: string): string {
    const { dir, rel } = this.locate(path);
    return dir.hostPath(rel);
  }
  resolve(path: string): string {
    const { dir, rel } = this.locate(path);
    return dir.resolve(rel);
  }
  read(path: string, maxBytes?: number): Buffer | null {
    const { dir, rel } = this.locate(path);
    return dir.read(rel, maxBytes);
  }
  readText(path: string, maxBytes?: number): string | null {
    const { dir, rel } = this.locate(path);
    return dir.readText(rel, maxBytes);
  }
  lstat(path: string): Entry | null {
    const { dir, rel } = this.locate(path);
    return dir.lstat(rel);
  }
  stat(path: string): Entry | null {
    const { dir, rel } = this.locate(path);
    return dir.stat(rel);
  }
  exists(path: string): boolean {
    return this.stat(path) !== null;
  }
  list(path: string): string[] | null {
    const { dir, rel } = this.locate(path);
    return dir.list(rel);
  }
  readlink(path: string): string | null {
    const { dir, rel } = this.locate(path);
    return dir.readlink(rel);
  }
  /** `before` hears of each directory made, as a host path, before it is made. */
  mkdir(path: string, mode = 0o755, before?: (hostPath: string) => void): boolean {
    const { dir, rel } = this.locate(path);
    return dir.mkdir(rel, mode, before);
  }
  write(path: string, content: string | Uint8Array, mode = 0o644, before?: (hostPath: string) => void): void {
    const { dir, rel } = this.locate(path);
    dir.write(rel, content, mode, before);
  }
  symlink(path: string, target: string, before?: (hostPath: string) => void): void {
    const { dir, rel } = this.locate(path);
    dir.symlink(rel, target, before);
  }
  chmod(path: string, mode: number): void {
    const { dir, rel } = this.locate(path);
    dir.chmod(rel, mode);
  }
  unlink(path: string): boolean {
    const { dir, rel } = this.locate(path);
    return dir.unlink(rel);
  }
  rmdir(path: string): boolean {
    const { dir, rel } = this.locate(path);
    return dir.rmdir(rel);
  }
  removeTree(path: string): boolean {
    const { dir, rel } = this.locate(path);
    return dir.removeTree(rel);
  }
}
