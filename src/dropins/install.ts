/**
 * Installing and removing sub-packages on a root ("/" or an image tree).
 * - Directly from the catalog or a directory: every file carries the package's marker line where its syntax
 *   allows comments, and every file and directory made is recorded in /var/lib/qm/dropins.json before it is
 *   created; removal deletes only recorded files that still carry the marker or the recorded content.
 * - From a .deb or .rpm: validated the same way, then handed to dpkg or rpm, which own the files from then on.
 * Nothing is written before validation has passed.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { posix } from "node:path";
import { ExitCode, QmError } from "../core/errors.js";
import { run } from "../engine/exec.js";
import { underRoot, writeFileAtomic } from "../engine/fs.js";
import { nodeUnitFs } from "../unit/fs.js";
import { afterMessages } from "./build.js";
import { catalogNames, type DropinPackage, loadPackage, readMarker, sha256 } from "./package.js";
import { readPackageFile } from "./pkgfile.js";
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

export function readState(root: string): DropinState {
  try {
    const parsed = JSON.parse(readFileSync(underRoot(root, STATE_PATH), "utf8")) as Partial<DropinState>;
    return { schema: 1, packages: parsed.packages ?? {}, createdDirs: parsed.createdDirs ?? [] };
  } catch {
    return { schema: 1, packages: {}, createdDirs: [] };
  }
}

function saveState(root: string, state: DropinState): void {
  writeFileAtomic(underRoot(root, STATE_PATH), `${JSON.stringify(state, null, 2)}\n`, 0o644);
}

const depth = (p: string): number => p.split("/").length;

/** In-tree directories that do not exist yet for `paths`, outermost first. */
function missingDirs(root: string, paths: readonly string[]): string[] {
  const missing = new Set<string>();
  for (const p of paths)
    for (let d = p; d !== "/" && !existsSync(underRoot(root, d)); d = posix.dirname(d)) missing.add(d);
  return [...missing].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : 1));
}

// Package managers under a root. Each question is asked only when that manager's database exists there.

const dpkgAdmin = (root: string): string => underRoot(root, "/var/lib/dpkg");

async function dpkgInstalled(root: string, pkg: string): Promise<boolean> {
  if (!existsSync(posix.join(dpkgAdmin(root), "status"))) return false;
  const r = await run(
    "dpkg-query",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a template
    [`--admindir=${dpkgAdmin(root)}`, "-W", "-f", "${db:Status-Status}", pkg],
    {
      allowFailure: true,
    },
  ).catch(() => undefined);
  return r?.code === 0 && r.stdout.trim() === "installed";
}

/**
 * Debian's rpm keeps its database in ~/.rpmdb; a root's packages belong in its /var/lib/rpm (also where rpm
 * distributions point, through a link to /usr/lib/sysimage/rpm on newer ones).
 */
const RPM_DBPATH = "/var/lib/rpm";

function rpmBase(root: string): string[] {
  return [...(root === "/" ? [] : ["--root", root]), "--dbpath", RPM_DBPATH];
}

function rpmDb(root: string): boolean {
  return ["rpmdb.sqlite", "Packages"].some((f) => existsSync(underRoot(root, posix.join(RPM_DBPATH, f))));
}

async function rpmQuery(root: string, args: readonly string[]): Promise<boolean> {
  if (!rpmDb(root)) return false;
  const r = await run("rpm", [...rpmBase(root), "-q", ...args], { allowFailure: true }).catch(
    () => undefined,
  );
  return r?.code === 0;
}

/** Which package manager has `pkg` installed under the root, if any. */
export async function managedBy(root: string, pkg: string): Promise<Manager | undefined> {
  if (readState(root).packages[pkg]) return "direct";
  if (await dpkgInstalled(root, pkg)) return "dpkg";
  if (await rpmQuery(root, [pkg])) return "rpm";
  return undefined;
}

/** Refuse to overwrite a file that is not the package's own: a person's file or another package's. */
async function checkConflicts(
  root: string,
  pkgName: string,
  destinations: readonly string[],
  state: DropinState,
  upgrading: boolean,
): Promise<void> {
  for (const dest of destinations) {
    const host = underRoot(root, dest);
    if (!existsSync(host)) continue;
    const owner = Object.values(state.packages).find((p) => p.files.some((f) => f.path === dest));
    const marker = readMarker(readFileSync(host));
    if (owner?.package === pkgName || marker?.package === pkgName || (upgrading && !owner && !marker))
      continue;
    const who = owner
      ? `package ${owner.package}`
      : marker
        ? `package ${marker.package}`
        : "no package (a local file)";
    throw new QmError("QM_DROPIN_CONFLICT", `${dest} already exists and belongs to ${who}`, {
      exitCode: ExitCode.failure,
      location: { file: host, line: 1 },
      hint: `nothing was installed; move the file away or remove ${owner?.package ?? marker?.package ?? "it"} first`,
    });
  }
}

async function checkRequires(root: string, pkg: string, requires: readonly string[]): Promise<void> {
  for (const r of requires) {
    if (await managedBy(root, r)) continue;
    const catalog = catalogNames().find((n) => loadPackage(n).manifest.package === r);
    throw new QmError("QM_DROPIN_DEPENDENCY", `${pkg} needs ${r}, which is not installed`, {
      exitCode: ExitCode.failure,
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
  const name = pkg.manifest.package;
  const state = readState(root);
  const previous = state.packages[name];
  const other = previous ? undefined : await managedBy(root, name);
  if (other)
    throw new QmError("QM_DROPIN_INSTALLED", `${name} is already installed through ${other}`, {
      hint: `remove it first: qm dropin remove ${name}`,
    });
  await checkRequires(root, name, pkg.manifest.requires);
  await checkConflicts(
    root,
    name,
    pkg.files.map((f) => f.destination),
    state,
    false,
  );
  const stale = (previous?.files ?? [])
    .map((f) => f.path)
    .filter((p) => !pkg.files.some((f) => f.destination === p));
  const report = validateFiles(nodeUnitFs(root), pkg.files, { removed: new Set(stale) });

  // Intent log: record the directories and files before creating them.
  const dirs = missingDirs(root, [
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
  for (const d of dirs) mkdirSync(underRoot(root, d), { recursive: true });
  saveState(root, state);

  for (const d of pkg.manifest.directories) {
    mkdirSync(underRoot(root, d.path), { recursive: true });
    if (dirs.includes(d.path)) chmodSync(underRoot(root, d.path), d.mode);
  }
  const changes: FileChange[] = [];
  for (const f of pkg.files) {
    const host = underRoot(root, f.destination);
    const before = existsSync(host) ? readFileSync(host) : undefined;
    if (before?.equals(f.content)) {
      chmodSync(host, f.mode);
      changes.push({ path: f.destination, action: "unchanged" });
      continue;
    }
    writeFileAtomic(host, f.content, f.mode);
    // The umask applies when the file is created; the mode is part of the package.
    chmodSync(host, f.mode);
    changes.push({ path: f.destination, action: before ? "updated" : "created" });
  }
  for (const p of stale) changes.push(removeOwnedFile(root, name, previous, p));
  return {
    action: "install",
    root,
    package: name,
    version: pkg.version,
    via: "direct",
    files: changes,
    execStart: report.execStart,
    notes: report.notes,
    messages: afterMessages(pkg, "installed"),
  };
}

function removeOwnedFile(
  root: string,
  pkg: string,
  entry: InstalledPackage | undefined,
  path: string,
): FileChange {
  const host = underRoot(root, path);
  if (!existsSync(host)) return { path, action: "removed", why: "already gone" };
  const content = readFileSync(host);
  const recorded = entry?.files.find((f) => f.path === path);
  if (recorded?.sha256 === sha256(content) || readMarker(content)?.package === pkg) {
    rmSync(host, { force: true });
    return { path, action: "removed" };
  }
  return { path, action: "kept", why: "changed since installation and no longer carries the marker" };
}

/** Remove a directly installed package: its recorded files, then directories qm dropin made that are now empty. */
function removeDirect(root: string, state: DropinState, entry: InstalledPackage): InstallReport {
  const dependents = Object.values(state.packages).filter((p) => p.requires.includes(entry.package));
  if (dependents.length > 0)
    throw new QmError(
      "QM_DROPIN_DEPENDENCY",
      `${dependents.map((d) => d.package).join(", ")} needs ${entry.package}`,
      {
        hint: `nothing was removed; remove ${dependents.map((d) => d.name).join(", ")} first`,
      },
    );
  const files = entry.files.map((f) => removeOwnedFile(root, entry.package, entry, f.path));
  delete state.packages[entry.package];
  if (Object.keys(state.packages).length === 0) rmSync(underRoot(root, STATE_PATH), { force: true });
  const kept: string[] = [];
  for (const d of [...state.createdDirs].sort((a, b) => depth(b) - depth(a))) {
    const host = underRoot(root, d);
    if (!existsSync(host)) continue;
    if (readdirSync(host).length === 0) rmdirSync(host);
    else kept.push(d);
  }
  state.createdDirs = state.createdDirs.filter((d) => kept.includes(d));
  if (Object.keys(state.packages).length > 0) saveState(root, state);
  const notes = files.filter((f) => f.action === "kept").map((f) => `kept ${f.path}: ${f.why}`);
  return {
    action: "remove",
    root,
    package: entry.package,
    version: entry.version,
    via: "direct",
    files,
    notes,
    messages: [
      `${entry.package} removed; restart the QM partition to apply it: qm restart (systemd hosts: systemctl restart qm)`,
    ],
  };
}

function dpkgArgs(root: string): string[] {
  // For an image root, dpkg must not chroot into it to run our scriptlets (it may have no shell);
  // they see DPKG_ROOT and only print.
  return root === "/" ? [] : [`--root=${root}`, "--force-script-chrootless"];
}

function rpmArgs(root: string): string[] {
  // rpm runs scriptlets chrooted into --root; an image tree may have no shell, and there is no service
  // manager to reload in it.
  return [...rpmBase(root), ...(root === "/" ? [] : ["--noscripts"])];
}

/** Install a built .deb or .rpm through dpkg or rpm, after the same validation as a direct install. */
export async function installPackageFile(file: string, options: InstallOptions): Promise<InstallReport> {
  const { root } = options;
  const info = await readPackageFile(file);
  const state = readState(root);
  if (state.packages[info.name])
    throw new QmError("QM_DROPIN_INSTALLED", `${info.name} is installed directly (qm dropin install)`, {
      hint: `remove it first: qm dropin remove ${info.name}`,
    });
  const upgrading = (await managedBy(root, info.name)) !== undefined;
  await checkConflicts(
    root,
    info.name,
    info.files.map((f) => f.destination),
    state,
    upgrading,
  );
  const report = validateFiles(nodeUnitFs(root), info.files);
  const notes = [...report.notes];
  let output: string;
  // qm itself usually comes from npm or make install, not from the package manager. It is present (it runs this
  // command), so only the dependency on qm is waived; every other dependency is still checked.
  const qmKnown = (await managedBy(root, "qm")) !== undefined;
  if (info.format === "deb") {
    if (root !== "/" && !existsSync(posix.join(dpkgAdmin(root), "status"))) {
      for (const d of ["info", "updates"]) mkdirSync(posix.join(dpkgAdmin(root), d), { recursive: true });
      writeFileAtomic(posix.join(dpkgAdmin(root), "status"), "", 0o644);
      notes.push(`created an empty dpkg database in ${dpkgAdmin(root)}`);
    }
    const args = [...dpkgArgs(root), ...(qmKnown ? [] : ["--ignore-depends=qm"]), "-i", info.path];
    if (!qmKnown)
      notes.push("qm is not a dpkg package here; dpkg was told to ignore the dependency on qm only");
    output = (await run("dpkg", args)).stdout;
  } else {
    const args = [...rpmArgs(root)];
    if (!qmKnown) {
      for (const d of info.depends.filter((d) => d !== "qm")) {
        if (!(await rpmQuery(root, ["--whatprovides", d])))
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
    messages: [
      `${info.name} installed; restart the QM partition to apply it: qm restart (systemd hosts: systemctl restart qm)`,
    ],
    output,
  };
}

/** The package name for a catalog name (kvm -> qm-kvm); other names are taken as package names. */
export function packageNameFor(name: string): string {
  if (catalogNames().includes(name)) return loadPackage(name).manifest.package;
  return name;
}

/** Remove by catalog name or package name, through whichever way it was installed. */
export async function removeInstalled(name: string, options: InstallOptions): Promise<InstallReport> {
  const { root } = options;
  const state = readState(root);
  const entry =
    state.packages[name] ??
    Object.values(state.packages).find((p) => p.name === name) ??
    state.packages[packageNameFor(name)];
  if (entry) return removeDirect(root, state, entry);
  const pkg = packageNameFor(name);
  const via = await managedBy(root, pkg);
  const done = (output: string, how: Manager): InstallReport => ({
    action: "remove",
    root,
    package: pkg,
    version: "",
    via: how,
    files: [],
    notes: [],
    messages: [
      `${pkg} removed; restart the QM partition to apply it: qm restart (systemd hosts: systemctl restart qm)`,
    ],
    output,
  });
  if (via === "dpkg") return done((await run("dpkg", [...dpkgArgs(root), "-r", pkg])).stdout, "dpkg");
  if (via === "rpm") return done((await run("rpm", [...rpmArgs(root), "-e", pkg])).stdout, "rpm");
  throw new QmError("QM_DROPIN_NOT_INSTALLED", `${name} is not installed under ${root}`, {
    hint: "see 'qm dropin list'",
  });
}
