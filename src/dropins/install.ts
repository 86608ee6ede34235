/**
 * Installing and removing sub-packages on a root ("/" or an image tree).
 * - Directly from the catalog or a directory: every file carries the package's marker line where its syntax
 *   allows comments, and every file and directory made is recorded in /var/lib/qm/dropins.json before it is
 *   created; removal deletes only recorded files that still carry the marker or the recorded content.
 * - From a .deb or .rpm: validated the same way, then handed to dpkg or rpm, which own the files from then on.
 * Nothing is written before validation has passed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { qmRootFs, qmUnitFs } from "../config/fs.js";
import { QmError } from "../core/errors.js";
import { pathProblem } from "../core/text.js";
import { run } from "../engine/exec.js";
import { SafeDir, type SafeRoot } from "../engine/safe-fs.js";
import { afterMessages, applyHint } from "./metadata.js";
import { catalogNames, type DropinPackage, loadPackage, readMarker, sha256 } from "./package.js";
import { dependencyNames, readPackageFile } from "./pkgfile.js";
import { validateFiles } from "./validate.js";

export const STATE_PATH = "/var/lib/qm/dropins.json";

export interface InstalledFile {
  readonly path: string;
  readonly sha256: string;
  readonly mode: number;
}

export interface InstalledPackage {
  readonly name: string;
  readonly package: string;
  readonly version: string;
  readonly requires: readonly string[];
  readonly files: readonly InstalledFile[];
}

export interface DropinState {
  readonly schema: 1;
  packages: Record<string, InstalledPackage>;
  /** Directories qm dropin created (in-tree paths); removed again once empty. */
  createdDirs: string[];
}

export type Manager = "direct" | "dpkg" | "rpm";

export interface FileChange {
  readonly path: string;
  readonly action: "created" | "updated" | "unchanged" | "removed" | "kept";
  readonly why?: string;
}

export interface InstallReport {
  readonly action: "install" | "remove";
  readonly root: string;
  readonly package: string;
  readonly version: string;
  readonly via: Manager;
  readonly files: readonly FileChange[];
  /** The partition's podman command line once the change is applied (install only). */
  readonly execStart?: readonly string[];
  readonly notes: readonly string[];
  /** What to do next (restart the partition, ...). */
  readonly messages: readonly string[];
  /** The package manager's own output. */
  readonly output?: string;
}

/**
 * The record of directly installed packages. It lives below the root it describes, so it is checked like any
 * untrusted input: every path in it must be a normalized absolute path (removal deletes only recorded paths).
 */
export function parseDropinState(text: string, file: string): DropinState {
  const fail = (message: string, needle?: string): never => {
    const at = needle === undefined ? -1 : text.indexOf(JSON.stringify(needle));
    throw new QmError("QM_DROPIN_STATE", message, {
      location: { file, line: at < 0 ? 1 : text.slice(0, at).split("\n").length },
      hint: "nothing was changed; this file records what qm dropin installed: restore it, or remove it to forget every directly installed package",
    });
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return fail(`not valid JSON: ${(error as Error).message}`);
  }
  const obj = (v: unknown): Record<string, unknown> | undefined =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  const o = obj(raw) ?? fail("not a JSON object");
  const path = (p: unknown, what: string): string => {
    if (typeof p !== "string") return fail(`${what} must be a path`);
    const problem = pathProblem(p);
    return problem ? fail(`${what} ${JSON.stringify(p)} ${problem}`, p) : p;
  };
  const str = (v: unknown, what: string): string =>
    typeof v === "string" ? v : fail(`${what} must be a string`);
  const packages: Record<string, InstalledPackage> = {};
  for (const [key, value] of Object.entries(obj(o.packages ?? {}) ?? fail(`"packages" must be an object`))) {
    const p = obj(value) ?? fail(`packages.${key} must be an object`, key);
    const files = Array.isArray(p.files) ? p.files : fail(`packages.${key}.files must be a list`, key);
    const requires = Array.isArray(p.requires) ? p.requires : [];
    packages[key] = {
      name: str(p.name, `packages.${key}.name`),
      package: str(p.package, `packages.${key}.package`),
      version: str(p.version, `packages.${key}.version`),
      requires: requires.map((r) => str(r, `packages.${key}.requires`)),
      files: files.map((f, i) => {
        const e = obj(f) ?? fail(`packages.${key}.files[${i}] must be an object`, key);
        const mode = Number.isInteger(e.mode) ? (e.mode as number) : fail(`packages.${key}.files[${i}].mode`);
        return {
          path: path(e.path, `packages.${key}.files[${i}].path`),
          sha256: str(e.sha256, "sha256"),
          mode,
        };
      }),
    };
  }
  const dirs = Array.isArray(o.createdDirs) ? o.createdDirs : [];
  return { schema: 1, packages, createdDirs: dirs.map((d, i) => path(d, `createdDirs[${i}]`)) };
}

export function readState(root: string): DropinState {
  return loadState(qmRootFs(root));
}

function loadState(fs: SafeRoot): DropinState {
  const text = fs.readText(STATE_PATH);
  return text === null
    ? { schema: 1, packages: {}, createdDirs: [] }
    : parseDropinState(text, fs.hostPath(STATE_PATH));
}

function saveState(fs: SafeRoot, state: DropinState): void {
  fs.write(STATE_PATH, `${JSON.stringify(state, null, 2)}\n`, 0o644);
}

const depth = (p: string): number => p.split("/").length;

/** In-tree directories that do not exist yet for `paths`, outermost first. */
function missingDirs(fs: SafeRoot, paths: readonly string[]): string[] {
  const missing = new Set<string>();
  for (const p of paths)
    for (let d = p; d !== "/" && fs.lstat(d) === null; d = posix.dirname(d)) missing.add(d);
  return [...missing].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : 1));
}

// Package managers under a root. Each question is asked only when that manager's database exists there.

const DPKG_ADMIN = "/var/lib/dpkg";

async function dpkgInstalled(fs: SafeRoot, pkg: string): Promise<boolean> {
  if (fs.stat(posix.join(DPKG_ADMIN, "status")) === null) return false;
  const r = await run(
    "dpkg-query",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a template
    [`--admindir=${fs.resolve(DPKG_ADMIN)}`, "-W", "-f", "${db:Status-Status}", pkg],
    { allowFailure: true },
  ).catch(() => undefined);
  return r?.code === 0 && r.stdout.trim() === "installed";
}

/**
 * Debian's rpm keeps its database in ~/.rpmdb; a root's packages belong in its /var/lib/rpm (also where rpm
 * distributions point, through a link to /usr/lib/sysimage/rpm on newer ones).
 */
const RPM_DBPATH = "/var/lib/rpm";

function rpmBase(fs: SafeRoot): string[] {
  return [...(fs.root === "/" ? [] : ["--root", fs.root]), "--dbpath", RPM_DBPATH];
}

function rpmDb(fs: SafeRoot): boolean {
  return ["rpmdb.sqlite", "Packages"].some((f) => fs.stat(posix.join(RPM_DBPATH, f)) !== null);
}

async function rpmQuery(fs: SafeRoot, args: readonly string[]): Promise<boolean> {
  if (!rpmDb(fs)) return false;
  const r = await run("rpm", [...rpmBase(fs), "-q", ...args], { allowFailure: true }).catch(() => undefined);
  return r?.code === 0;
}

async function managedIn(fs: SafeRoot, pkg: string): Promise<Manager | undefined> {
  if (loadState(fs).packages[pkg]) return "direct";
  if (await dpkgInstalled(fs, pkg)) return "dpkg";
  if (await rpmQuery(fs, [pkg])) return "rpm";
  return undefined;
}

/** Which package manager has `pkg` installed under the root, if any. */
export function managedBy(root: string, pkg: string): Promise<Manager | undefined> {
  return managedIn(qmRootFs(root), pkg);
}

/** Refuse to overwrite a file that is not the package's own: a person's file or another package's. */
function checkConflicts(
  fs: SafeRoot,
  pkgName: string,
  destinations: readonly string[],
  state: DropinState,
  upgrading: boolean,
): void {
  for (const dest of destinations) {
    const there = fs.read(dest);
    if (there === null) continue;
    const owner = Object.values(state.packages).find((p) => p.files.some((f) => f.path === dest));
    const marker = readMarker(there);
    if (owner?.package === pkgName || marker?.package === pkgName || (upgrading && !owner && !marker))
      continue;
    const who = owner
      ? `package ${owner.package}`
      : marker
        ? `package ${marker.package}`
        : "no package (a local file)";
    throw new QmError("QM_DROPIN_CONFLICT", `${dest} already exists and belongs to ${who}`, {
      location: { file: fs.hostPath(dest), line: 1 },
      hint: `nothing was installed; move the file away or remove ${owner?.package ?? marker?.package ?? "it"} first`,
    });
  }
}

async function checkRequires(fs: SafeRoot, pkg: string, requires: readonly string[]): Promise<void> {
  for (const r of requires) {
    if (await managedIn(fs, r)) continue;
    const catalog = catalogNames().find((n) => loadPackage(n).manifest.package === r);
    throw new QmError("QM_DROPIN_DEPENDENCY", `${pkg} needs ${r}, which is not installed`, {
      hint: `nothing was installed; install it first${catalog ? `: qm dropin install ${catalog}` : ""}`,
    });
  }
}

export interface InstallOptions {
  readonly root: string;
}

/** Install a catalog entry or a `qm dropin new` directory directly. */
export async function installDirect(pkg: DropinPackage, options: InstallOptions): Promise<InstallReport> {
  const { root } = options;
  const fs = qmRootFs(root);
  const name = pkg.manifest.package;
  const state = loadState(fs);
  const previous = state.packages[name];
  const other = previous ? undefined : await managedIn(fs, name);
  if (other)
    throw new QmError("QM_DROPIN_INSTALLED", `${name} is already installed through ${other}`, {
      hint: `remove it first: qm dropin remove ${name}`,
    });
  await checkRequires(fs, name, pkg.manifest.requires);
  checkConflicts(
    fs,
    name,
    pkg.files.map((f) => f.destination),
    state,
    false,
  );
  const stale = (previous?.files ?? [])
    .map((f) => f.path)
    .filter((p) => !pkg.files.some((f) => f.destination === p));
  const report = validateFiles(qmUnitFs(root), pkg.files, { removed: new Set(stale) });

  // Intent log: record the directories and files before creating them.
  const dirs = missingDirs(fs, [
    posix.dirname(STATE_PATH),
    ...pkg.manifest.directories.map((d) => d.path),
    ...pkg.files.map((f) => posix.dirname(f.destination)),
  ]);
  state.createdDirs = [...new Set([...state.createdDirs, ...dirs])];
  state.packages[name] = {
    name: pkg.manifest.name,
    package: name,
    version: pkg.version,
    requires: pkg.manifest.requires,
    files: pkg.files.map((f) => ({ path: f.destination, sha256: sha256(f.content), mode: f.mode })),
  };
  for (const d of dirs) fs.mkdir(d);
  saveState(fs, state);

  for (const d of pkg.manifest.directories) {
    fs.mkdir(d.path, d.mode);
    if (dirs.includes(d.path)) fs.chmod(d.path, d.mode);
  }
  const changes: FileChange[] = [];
  for (const f of pkg.files) {
    const before = fs.read(f.destination);
    if (before?.equals(f.content)) {
      fs.chmod(f.destination, f.mode);
      changes.push({ path: f.destination, action: "unchanged" });
      continue;
    }
    fs.write(f.destination, f.content, f.mode);
    changes.push({ path: f.destination, action: before ? "updated" : "created" });
  }
  for (const p of stale) changes.push(removeOwnedFile(fs, name, previous, p));
  return {
    action: "install",
    root,
    package: name,
    version: pkg.version,
    via: "direct",
    files: changes,
    execStart: report.execStart,
    notes: report.notes,
    messages: afterMessages(pkg, "installed", root),
  };
}

function removeOwnedFile(
  fs: SafeRoot,
  pkg: string,
  entry: InstalledPackage | undefined,
  path: string,
): FileChange {
  const content = fs.read(path);
  if (content === null) return { path, action: "removed", why: "already gone" };
  const recorded = entry?.files.find((f) => f.path === path);
  if (recorded?.sha256 === sha256(content) || readMarker(content)?.package === pkg) {
    fs.unlink(path);
    return { path, action: "removed" };
  }
  return { path, action: "kept", why: "changed since installation and no longer carries the marker" };
}

/** Remove a directly installed package: its recorded files, then directories qm dropin made that are now empty. */
function removeDirect(fs: SafeRoot, state: DropinState, entry: InstalledPackage): InstallReport {
  const dependents = Object.values(state.packages).filter((p) => p.requires.includes(entry.package));
  if (dependents.length > 0)
    throw new QmError(
      "QM_DROPIN_DEPENDENCY",
      `${dependents.map((d) => d.package).join(", ")} needs ${entry.package}`,
      {
        hint: `nothing was removed; remove ${dependents.map((d) => d.name).join(", ")} first`,
      },
    );
  const files = entry.files.map((f) => removeOwnedFile(fs, entry.package, entry, f.path));
  delete state.packages[entry.package];
  if (Object.keys(state.packages).length === 0) fs.unlink(STATE_PATH);
  const kept: string[] = [];
  for (const d of [...state.createdDirs].sort((a, b) => depth(b) - depth(a))) {
    if (fs.lstat(d) === null) continue;
    if (!fs.rmdir(d)) kept.push(d);
  }
  state.createdDirs = state.createdDirs.filter((d) => kept.includes(d));
  if (Object.keys(state.packages).length > 0) saveState(fs, state);
  const notes = files.filter((f) => f.action === "kept").map((f) => `kept ${f.path}: ${f.why}`);
  return {
    action: "remove",
    root: fs.root,
    package: entry.package,
    version: entry.version,
    via: "direct",
    files,
    notes,
    messages: [`${entry.package} removed; ${applyHint(fs.root)}`],
  };
}

function dpkgArgs(fs: SafeRoot): string[] {
  // For an image root, dpkg runs no maintainer script on this machine: packages installed there carry none (see
  // installPackageFile), and triggers are left for the image's own dpkg to run.
  return fs.root === "/" ? [] : [`--root=${fs.root}`, "--no-triggers"];
}

function rpmArgs(fs: SafeRoot): string[] {
  // rpm runs scriptlets chrooted into --root; an image tree may have no shell, and there is no service
  // manager to reload in it.
  return [...rpmBase(fs), ...(fs.root === "/" ? [] : ["--noscripts", "--notriggers"])];
}

/**
 * A copy of a .deb without its maintainer scripts, for an image root: with --root, dpkg would run them on this
 * machine (chrootless) or chrooted into the image, and neither is the image's own system. The package's name,
 * version, dependencies and files are unchanged.
 */
async function withoutScripts(file: string, work: string): Promise<{ path: string; dropped: string[] }> {
  const tree = join(work, "pkg");
  await run("dpkg-deb", ["-R", file, tree]);
  const dropped: string[] = [];
  const control = new SafeDir(join(tree, "DEBIAN"));
  for (const script of ["preinst", "postinst", "prerm", "postrm", "config", "triggers"])
    if (control.unlink(script)) dropped.push(script);
  const out = join(work, posix.basename(file));
  await run("dpkg-deb", ["--root-owner-group", "-Zxz", "--build", tree, out]);
  return { path: out, dropped };
}

/** Install a built .deb or .rpm through dpkg or rpm, after the same validation as a direct install. */
export async function installPackageFile(file: string, options: InstallOptions): Promise<InstallReport> {
  const { root } = options;
  const fs = qmRootFs(root);
  const info = await readPackageFile(file);
  const state = loadState(fs);
  if (state.packages[info.name])
    throw new QmError("QM_DROPIN_INSTALLED", `${info.name} is installed directly (qm dropin install)`, {
      hint: `remove it first: qm dropin remove ${info.name}`,
    });
  const upgrading = (await managedIn(fs, info.name)) !== undefined;
  checkConflicts(
    fs,
    info.name,
    info.files.map((f) => f.destination),
    state,
    upgrading,
  );
  const report = validateFiles(qmUnitFs(root), info.files);
  const notes = [...report.notes];
  let output: string;
  // qm itself usually comes from npm or make install, not from the package manager. It is present (it runs this
  // command), so only the dependency on qm is waived; every other dependency is still checked.
  const qmKnown = (await managedIn(fs, "qm")) !== undefined;
  if (info.format === "deb") {
    if (root !== "/" && fs.stat(posix.join(DPKG_ADMIN, "status")) === null) {
      for (const d of ["info", "updates"]) fs.mkdir(posix.join(DPKG_ADMIN, d));
      fs.write(posix.join(DPKG_ADMIN, "status"), "", 0o644);
      notes.push(`created an empty dpkg database in ${fs.hostPath(DPKG_ADMIN)}`);
    }
    const work = mkdtempSync(join(tmpdir(), "qm-dropin-deb-"));
    try {
      let deb = info.path;
      if (root !== "/") {
        const copy = await withoutScripts(info.path, work);
        deb = copy.path;
        if (copy.dropped.length > 0)
          notes.push(`maintainer scripts not run for an image root: ${copy.dropped.join(", ")} left out`);
      }
      const args = [...dpkgArgs(fs), ...(qmKnown ? [] : ["--ignore-depends=qm"]), "-i", deb];
      if (!qmKnown)
        notes.push("qm is not a dpkg package here; dpkg was told to ignore the dependency on qm only");
      output = (await run("dpkg", args)).stdout;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  } else {
    const args = [...rpmArgs(fs)];
    if (!qmKnown) {
      for (const d of info.depends.filter((d) => d !== "qm")) {
        if (!(await rpmQuery(fs, ["--whatprovides", d])))
          throw new QmError("QM_DROPIN_DEPENDENCY", `${info.name} needs ${d}, which rpm does not know`, {
            hint: "nothing was installed; install it first",
          });
      }
      args.push("--nodeps");
      notes.push(
        "qm is not an rpm package here; rpm was told to skip the dependency check after qm checked the others",
      );
    }
    if (root !== "/") notes.push("scriptlets skipped for an image root");
    output = (await run("rpm", [...args, "-U", info.path])).stdout;
  }
  return {
    action: "install",
    root,
    package: info.name,
    version: info.version,
    via: info.format === "deb" ? "dpkg" : "rpm",
    files: info.files.map((f) => ({ path: f.destination, action: "created" as const })),
    execStart: report.execStart,
    notes,
    messages: [`${info.name} installed; ${applyHint(root)}`],
    output,
  };
}

/** The package name for a catalog name (kvm -> qm-kvm); other names are taken as package names. */
export function packageNameFor(name: string): string {
  if (catalogNames().includes(name)) return loadPackage(name).manifest.package;
  return name;
}

/** Whether dpkg or rpm under the root says `pkg` depends on qm: only sub-packages are removed through them. */
async function dependsOnQm(fs: SafeRoot, via: "dpkg" | "rpm", pkg: string): Promise<boolean> {
  const r =
    via === "dpkg"
      ? // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a template
        await run("dpkg-query", [`--admindir=${fs.resolve(DPKG_ADMIN)}`, "-W", "-f", "${Depends}", pkg], {
          allowFailure: true,
        })
      : await run("rpm", [...rpmBase(fs), "-q", "--requires", pkg], { allowFailure: true });
  return r.code === 0 && dependencyNames(r.stdout.split(via === "dpkg" ? "," : "\n")).includes("qm");
}

/** Remove by catalog name or package name, through whichever way it was installed. */
export async function removeInstalled(name: string, options: InstallOptions): Promise<InstallReport> {
  const { root } = options;
  const fs = qmRootFs(root);
  const state = loadState(fs);
  const entry =
    state.packages[name] ??
    Object.values(state.packages).find((p) => p.name === name) ??
    state.packages[packageNameFor(name)];
  if (entry) return removeDirect(fs, state, entry);
  const pkg = packageNameFor(name);
  const via = await managedIn(fs, pkg);
  if (via === "dpkg" || via === "rpm") {
    if (!(await dependsOnQm(fs, via, pkg)))
      throw new QmError(
        "QM_DROPIN_NOT_SUBPACKAGE",
        `${pkg} is not a qm sub-package (it does not depend on qm)`,
        {
          hint: `nothing was removed; remove it with ${via} itself if that is what you want`,
        },
      );
  }
  const done = (output: string, how: Manager): InstallReport => ({
    action: "remove",
    root,
    package: pkg,
    version: "",
    via: how,
    files: [],
    notes: [],
    messages: [`${pkg} removed; ${applyHint(root)}`],
    output,
  });
  if (via === "dpkg") return done((await run("dpkg", [...dpkgArgs(fs), "-r", pkg])).stdout, "dpkg");
  if (via === "rpm") return done((await run("rpm", [...rpmArgs(fs), "-e", pkg])).stdout, "rpm");
  throw new QmError("QM_DROPIN_NOT_INSTALLED", `${name} is not installed under ${root}`, {
    hint: "see 'qm dropin list'",
  });
}
