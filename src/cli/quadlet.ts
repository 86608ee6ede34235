/**
 * qm-quadlet: the quadlet-compatible systemd generator, with podman 5.4's quadlet interface (Go flags,
 * output directories, messages, exit statuses), so it can be installed as
 * /usr/lib/systemd/system-generators/podman-system-generator (or the user one).
 *
 * Where it deliberately differs (docs/quadlet.md): it never writes outside the output directory, and it
 * writes each service atomically.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmdirSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { VERSION } from "../core/version.js";
import { parsePodmanVersion, podmanCompat } from "../quadlet/compat.js";
import { generateAll, installLinks, withHeader } from "../quadlet/generate.js";
import { byteFs, cleanPath, dirPath, joinPath, nodeUnitFs } from "../unit/fs.js";
import { bytesBuffer, fromBytes, goQuote, toBytes } from "../unit/gostr.js";

export interface QuadletFlags {
  dryrun: boolean;
  user: boolean | undefined;
  verbose: boolean;
  noKmsgLog: boolean;
  version: boolean;
  outputDirs: string[];
}

const FLAGS: Readonly<Record<string, [keyof Omit<QuadletFlags, "outputDirs">, string]>> = {
  dryrun: ["dryrun", "Run in dryrun mode printing debug information"],
  "no-kmsg-log": ["noKmsgLog", "Don't log to kmsg"],
  user: ["user", "Run as systemd user"],
  v: ["verbose", "Print debug information"],
  version: ["version", "Print version information and exit"],
};

/** Go's flag.PrintDefaults for our flags, after "Usage of PROGRAM:". */
export function usage(program: string): string {
  const lines = [`Usage of ${program}:`];
  for (const name of Object.keys(FLAGS).sort()) {
    const text = (FLAGS[name] as [string, string])[1];
    lines.push(name.length === 1 ? `  -${name}\t${text}` : `  -${name}\n    \t${text}`);
  }
  return `${lines.join("\n")}\n`;
}

/** What Go's flag package reports; `help` is -h/-help (exit 0), anything else exits 2. */
export class FlagError extends Error {
  constructor(
    message: string,
    readonly help = false,
  ) {
    super(message);
  }
}

const TRUE = ["1", "t", "T", "TRUE", "true", "True"];
const FALSE = ["0", "f", "F", "FALSE", "false", "False"];

/** Parse like Go's flag package: flags first, stop at the first non-flag or after "--". */
export function parseQuadletArgs(argv: readonly string[]): QuadletFlags {
  const flags: QuadletFlags = {
    dryrun: false,
    user: undefined,
    verbose: false,
    noKmsgLog: false,
    version: false,
    outputDirs: [],
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg.length < 2 || arg[0] !== "-") break;
    let body = arg.slice(1);
    if (body[0] === "-") {
      body = body.slice(1);
      if (body === "") {
        i++;
        break;
      }
    }
    if (body === "" || body[0] === "-" || body[0] === "=") throw new FlagError(`bad flag syntax: ${arg}`);
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const flag = FLAGS[name];
    if (!flag) {
      if (name === "help" || name === "h") throw new FlagError("", true);
      throw new FlagError(`flag provided but not defined: -${name}`);
    }
    let value = true;
    if (eq >= 0) {
      const raw = body.slice(eq + 1);
      if (TRUE.includes(raw)) value = true;
      else if (FALSE.includes(raw)) value = false;
      else throw new FlagError(`invalid boolean value ${goQuote(raw)} for -${name}: parse error`);
    }
    flags[flag[0]] = value as never;
  }
  flags.outputDirs = argv.slice(i) as string[];
  return flags;
}

export interface QuadletIo {
  readonly argv0: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly uid: number;
  /** Output, as byte strings (see src/unit/gostr.ts) or plain ASCII. */
  stdout(text: string): void;
  stderr(text: string): void;
  /** The process id in log lines (quadlet-generator[PID]). */
  readonly pid?: number;
  /** Where kernel log lines go; the default opens /dev/kmsg. */
  readonly kmsg?: () => ((line: string) => boolean) | undefined;
}

function openKmsg(): ((line: string) => boolean) | undefined {
  let fd: number | undefined;
  try {
    // Never created: where /dev/kmsg is missing (containers, chroots) a regular file there would hide it.
    fd = openSync("/dev/kmsg", constants.O_WRONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  if (!fstatSync(fd).isCharacterDevice()) {
    closeSync(fd);
    return undefined;
  }
  return (line) => {
    if (fd === undefined) return false;
    try {
      writeSync(fd, bytesBuffer(line));
      return true;
    } catch {
      closeSync(fd);
      fd = undefined;
      return false;
    }
  };
}

const errnoText = (error: unknown): string => {
  const code = (error as NodeJS.ErrnoException).code ?? "EIO";
  const known: Record<string, string> = {
    ENOENT: "no such file or directory",
    EEXIST: "file exists",
    EACCES: "permission denied",
    ENOTDIR: "not a directory",
    EISDIR: "is a directory",
    ENOSPC: "no space left on device",
    EROFS: "read-only file system",
    ENAMETOOLONG: "file name too long",
    ELOOP: "too many levels of symbolic links",
  };
  return known[code] ?? code.toLowerCase();
};

/**
 * Whether a path stays inside the output directory (lexically, and without crossing a symlink on the way).
 * The directory itself counts as inside: nothing is removed there, so writing to it fails as it does for quadlet.
 */
function insideOutput(outputDir: string, path: string): boolean {
  const root = cleanPath(outputDir);
  const clean = cleanPath(path);
  if (clean === root) return true;
  if (!clean.startsWith(root === "/" ? "/" : `${root}/`)) return false;
  const parts = clean
    .slice(root.length)
    .split("/")
    .filter((p) => p !== "");
  let at = root;
  for (const part of parts.slice(0, -1)) {
    at = `${at}/${part}`;
    try {
      if (lstatSync(bytesBuffer(at)).isSymbolicLink()) return false;
    } catch {
      return true;
    }
  }
  return true;
}

/** Run the generator; returns the exit status. */
export function runQuadlet(argv: readonly string[], io: QuadletIo): number {
  const pid = io.pid ?? process.pid;
  const program = toBytes(io.argv0);
  let flags: QuadletFlags;
  try {
    flags = parseQuadletArgs(argv.map(toBytes));
  } catch (error) {
    const e = error as FlagError;
    io.stderr(e.help ? usage(program) : `${e.message}\n${usage(program)}`);
    return e.help ? 0 : 2;
  }
  if (flags.version) {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  const base = program.slice(program.lastIndexOf("/") + 1);
  const user = flags.user ?? base.includes("user");
  const debug = flags.verbose || flags.dryrun;
  let kmsg = flags.noKmsgLog || flags.dryrun ? undefined : (io.kmsg ?? openKmsg)();
  const logf = (message: string): void => {
    const line = `quadlet-generator[${pid}]: ${message}`;
    const sent = kmsg?.(line) ?? false;
    if (!sent) kmsg = undefined;
    if (!sent || flags.dryrun) io.stderr(`${line}\n`);
  };
  const debugf = (message: string): void => {
    if (debug) logf(message);
  };
  const errors: string[] = [];
  const finish = (): number => {
    if (errors.length === 0) return 0;
    logf(errors.join("\n"));
    return 1;
  };

  if (!flags.dryrun && flags.outputDirs.length < 1) {
    errors.push("missing output directory argument");
    return finish();
  }
  const outputDir = flags.dryrun ? "" : (flags.outputDirs[0] as string);
  if (!flags.dryrun) debugf(`Starting quadlet-generator, output to: ${outputDir}`);

  const fs = nodeUnitFs("/");
  const result = generateAll(fs, { user, env: io.env, uid: io.uid, cwd: process.cwd() });
  for (const event of result.events) {
    if (event.raw) io.stderr(event.text);
    else if (event.debug) debugf(event.text);
    else logf(event.text);
  }
  errors.push(...result.loadErrors);
  if (result.units.length === 0) return finish();

  if (!flags.dryrun) {
    const failure = mkdirAll(outputDir);
    if (failure) {
      errors.push(failure);
      return finish();
    }
  }
  // The podman the services are for: set by the generator wrapper for hosts whose podman has no quadlet.
  const targetText = io.env.QM_QUADLET_PODMAN_VERSION;
  const target = targetText ? parsePodmanVersion(targetText) : undefined;
  if (targetText && !target) {
    logf(
      `Warning: QM_QUADLET_PODMAN_VERSION=${goQuote(toBytes(targetText))} is not a podman version, ignored`,
    );
  }
  for (const unit of result.units) {
    for (const w of unit.warnings) logf(w);
    if (!unit.service) {
      errors.push(unit.errorText as string);
      continue;
    }
    const compat = podmanCompat(unit.service.file, unit.name, unit.service.type, target);
    for (const w of compat.warnings) logf(w);
    const service = compat.service;
    const path = joinPath(outputDir, service.filename);
    if (flags.dryrun) {
      io.stdout(`---${path}---\n${service.toString()}\n`);
      continue;
    }
    debugf(`writing ${goQuote(path)}`);
    if (!insideOutput(outputDir, path)) {
      errors.push(
        `generating service file ${path}: refusing to write outside the output directory ${outputDir}`,
      );
    } else {
      const failure = writeAtomic(path, withHeader(service));
      if (failure) errors.push(`generating service file ${path}: ${failure}`);
    }
    for (const link of installLinks(service)) {
      if (!("target" in link)) {
        logf(link.message);
        continue;
      }
      const linkPath = joinPath(outputDir, link.rel);
      if (!insideOutput(outputDir, linkPath)) {
        logf(`Can't create symlink ${link.rel}: ${linkPath} is outside the output directory ${outputDir}`);
        continue;
      }
      const dir = dirPath(linkPath);
      const failure = mkdirAll(dir);
      if (failure) {
        logf(`Can't create dir ${dir}: ${failure}`);
        continue;
      }
      debugf(`Creating symlink ${linkPath} -> ${link.target}`);
      if (cleanPath(linkPath) !== cleanPath(outputDir)) removeLikeGo(linkPath);
      try {
        symlinkSync(bytesBuffer(link.target), bytesBuffer(linkPath));
      } catch (error) {
        logf(`Failed creating symlink ${linkPath}: symlink ${link.target} ${linkPath}: ${errnoText(error)}`);
      }
    }
  }
  return finish();
}

/**
 * os.MkdirAll(path, 0777), returning Go's error text: an existing path that is not a directory (after symlinks)
 * fails with ENOTDIR at that path, a missing one is made after its parent.
 */
function mkdirAll(path: string): string | undefined {
  try {
    return statSync(bytesBuffer(path)).isDirectory() ? undefined : `mkdir ${path}: not a directory`;
  } catch {
    // Missing (or unreadable): make the parent, then the path itself.
  }
  let i = path.length;
  while (i > 0 && path[i - 1] === "/") i--;
  let j = i;
  while (j > 0 && path[j - 1] !== "/") j--;
  if (j > 1) {
    const failure = mkdirAll(path.slice(0, j - 1));
    if (failure) return failure;
  }
  try {
    mkdirSync(bytesBuffer(path), { mode: 0o777 });
  } catch (error) {
    try {
      if (lstatSync(bytesBuffer(path)).isDirectory()) return undefined;
    } catch {
      // Report the mkdir failure.
    }
    return `mkdir ${path}: ${errnoText(error)}`;
  }
  return undefined;
}

/** os.Remove: a file, a symlink or an empty directory; failures are ignored, as quadlet ignores them. */
function removeLikeGo(path: string): void {
  try {
    unlinkSync(bytesBuffer(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM") return;
    try {
      rmdirSync(bytesBuffer(path));
    } catch {
      // Not empty: the symlink that follows fails, as it does for quadlet.
    }
  }
}

/** Write a file by renaming a complete temporary one over it; returns quadlet-style failure text. */
function writeAtomic(path: string, content: string): string | undefined {
  const tmp = `${path}.qm-quadlet-${process.pid}`;
  try {
    writeFileSync(bytesBuffer(tmp), bytesBuffer(content), { mode: 0o666, flag: "wx" });
  } catch (error) {
    return `open ${path}: ${errnoText(error)}`;
  }
  try {
    renameSync(bytesBuffer(tmp), bytesBuffer(path));
    return undefined;
  } catch (error) {
    try {
      unlinkSync(bytesBuffer(tmp));
    } catch {
      // Nothing left to clean up.
    }
    return `open ${path}: ${errnoText(error)}`;
  }
}

export { byteFs, fromBytes };
