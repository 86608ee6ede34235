/**
 * Build a sub-package as .deb (dpkg-deb) or .rpm (rpmbuild). The package tree and the metadata are plain data
 * (debControl, rpmSpec, scriptlet); the build runs in a temporary directory and the result appears in the
 * output directory by one rename, so an interrupted build never leaves a half-written package behind.
 * File times are clamped to SOURCE_DATE_EPOCH: the same inputs give the same .deb, byte for byte.
 */
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { ExitCode, QmError } from "../core/errors.js";
import { assertLine, assertParagraphs } from "../core/text.js";
import { VERSION } from "../core/version.js";
import { run } from "../engine/exec.js";
import type { DropinPackage } from "./package.js";

export type PackageFormat = "deb" | "rpm";

/** 2025-01-01T00:00:00Z: the default file time inside packages (reproducible builds). */
export const DEFAULT_SOURCE_DATE_EPOCH = 1735689600;
/** The same placeholder as debian/control: a distribution writes its own (docs/packaging.md). */
const MAINTAINER = "qm maintainers <qm-maintainers@example.org>";

export interface BuildResult {
  readonly format: PackageFormat;
  readonly path: string;
  readonly package: string;
  readonly version: string;
  readonly bytes: number;
  readonly files: readonly string[];
  readonly depends: readonly string[];
  readonly millis: number;
}

/** Package names this one needs: qm itself (this version or newer), then the manifest's own. */
export function dependencies(pkg: DropinPackage): string[] {
  return ["qm", ...pkg.manifest.requires];
}

export function packageFileName(pkg: DropinPackage, format: PackageFormat): string {
  const { package: name } = pkg.manifest;
  return format === "deb" ? `${name}_${pkg.version}_all.deb` : `${name}-${pkg.version}-1.noarch.rpm`;
}

/** What the maintainer scripts print after installing or removing: how to apply the change. */
export function afterMessages(pkg: DropinPackage, action: "installed" | "removed"): string[] {
  const name = pkg.manifest.package;
  const lines = [
    `${name} ${action}; restart the QM partition to apply it: qm restart (systemd hosts: systemctl restart qm)`,
  ];
  if (action === "installed") {
    for (const p of pkg.manifest.host.partitionPackages)
      lines.push(`${name}: add ${p} to the partition's OS tree: qm setup --package ${p}`);
    for (const h of pkg.manifest.host.hooks)
      lines.push(`${name}: needs the ${h} OCI hook on the host (qm dropin install oci-hooks)`);
  }
  // They end up in maintainer scripts: one line each, whatever the manifest held.
  return lines.map((l) => assertLine(l, "maintainer script message"));
}

const shQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * One maintainer script. `when` is the shell condition for the real event (install/configure or final
 * removal). The service manager is asked to re-read quadlets only on a live systemd host: never for an image
 * root (DPKG_ROOT set by dpkg --root), never on hosts without systemd (qm start regenerates there).
 */
export function scriptlet(pkg: DropinPackage, action: "installed" | "removed", when: string): string {
  return [
    "#!/bin/sh",
    `# ${pkg.manifest.package}: re-read qm.container and its drop-ins, then say how to apply the change.`,
    "set -e",
    `if ${when}; then`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    '  if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then',
    "    systemctl daemon-reload || true",
    "  fi",
    ...afterMessages(pkg, action).map((l) => `  echo ${shQuote(l)}`),
    "fi",
    "exit 0",
    "",
  ].join("\n");
}

/** Summary and description checked where they are written, too: a package is only as safe as its metadata. */
function metadata(pkg: DropinPackage): { summary: string; description: string } {
  const m = pkg.manifest;
  return {
    summary: assertLine(m.summary, "summary"),
    description: assertParagraphs(m.description.trim(), "description"),
  };
}

export function debControl(pkg: DropinPackage, installedKiB: number): string {
  const m = pkg.manifest;
  const { summary, description } = metadata(pkg);
  const depends = [`qm (>= ${VERSION})`, ...m.requires].join(", ");
  const body = description.split("\n").map((l) => (l.trim() === "" ? " ." : ` ${l}`));
  return [
    `Package: ${m.package}`,
    `Version: ${pkg.version}`,
    "Architecture: all",
    `Maintainer: ${MAINTAINER}`,
    `Installed-Size: ${installedKiB}`,
    `Depends: ${depends}`,
    "Section: admin",
    "Priority: optional",
    `Description: ${summary}`,
    ...body,
    "",
  ].join("\n");
}

export function rpmSpec(pkg: DropinPackage): string {
  const m = pkg.manifest;
  const { summary, description } = metadata(pkg);
  // rpm expands % in the spec; a literal percent sign is written %%.
  const esc = (s: string): string => s.replaceAll("%", "%%");
  const quoted = (p: string): string => `"${esc(p)}"`;
  return [
    `Name: ${m.package}`,
    `Version: ${pkg.version}`,
    "Release: 1",
    `Summary: ${esc(summary)}`,
    "License: GPL-2.0-only",
    "BuildArch: noarch",
    `Requires: qm >= ${VERSION}`,
    ...m.requires.map((r) => `Requires: ${r}`),
    "",
    "%description",
    esc(description),
    "",
    "%install",
    "mkdir -p %{buildroot}",
    "cp -a %{_sourcedir}/tree/. %{buildroot}/",
    "",
    "%files",
    ...m.directories.map(
      (d) => `%dir %attr(${d.mode.toString(8).padStart(4, "0")},root,root) ${quoted(d.path)}`,
    ),
    ...pkg.files.map(
      (f) => `%attr(${f.mode.toString(8).padStart(4, "0")},root,root) ${quoted(f.destination)}`,
    ),
    "",
    "%post",
    esc(scriptlet(pkg, "installed", '[ "$1" -ge 1 ]')),
    "%postun",
    esc(scriptlet(pkg, "removed", '[ "$1" -eq 0 ]')),
  ].join("\n");
}

/** Lay the package's files out below `tree` with their modes; returns the content size. */
function writeTree(pkg: DropinPackage, tree: string): number {
  let bytes = 0;
  for (const d of pkg.manifest.directories) {
    mkdirSync(join(tree, d.path), { recursive: true });
    chmodSync(join(tree, d.path), d.mode);
  }
  for (const f of pkg.files) {
    const path = join(tree, f.destination);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content);
    chmodSync(path, f.mode);
    bytes += f.content.length;
  }
  return bytes;
}

/** Set every path's times to the epoch (deepest first, so setting a file does not touch its directory again). */
function clampTimes(dir: string, epoch: number): void {
  const visit = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) visit(p);
      utimesSync(p, epoch, epoch);
    }
  };
  visit(dir);
  utimesSync(dir, epoch, epoch);
}

export interface BuildOptions {
  readonly format: PackageFormat;
  readonly outputDir: string;
  readonly sourceDateEpoch?: number;
}

export async function buildPackage(pkg: DropinPackage, options: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const epoch = options.sourceDateEpoch ?? DEFAULT_SOURCE_DATE_EPOCH;
  const outputDir = resolve(options.outputDir);
  mkdirSync(outputDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "qm-dropin-build-"));
  const env = { ...process.env, SOURCE_DATE_EPOCH: String(epoch), LC_ALL: "C", TZ: "UTC" };
  const name = packageFileName(pkg, options.format);
  try {
    let built: string;
    if (options.format === "deb") {
      const tree = join(work, "tree");
      const bytes = writeTree(pkg, tree);
      const debian = join(tree, "DEBIAN");
      mkdirSync(debian, { recursive: true });
      writeFileSync(join(debian, "control"), debControl(pkg, Math.max(1, Math.ceil(bytes / 1024))));
      writeFileSync(join(debian, "postinst"), scriptlet(pkg, "installed", '[ "$1" = configure ]'), {
        mode: 0o755,
      });
      writeFileSync(
        join(debian, "postrm"),
        scriptlet(pkg, "removed", '[ "$1" = remove ] || [ "$1" = purge ]'),
        {
          mode: 0o755,
        },
      );
      chmodSync(join(debian, "postinst"), 0o755);
      chmodSync(join(debian, "postrm"), 0o755);
      chmodSync(tree, 0o755);
      clampTimes(tree, epoch);
      built = join(work, name);
      await run("dpkg-deb", ["--root-owner-group", "-Zxz", "--build", tree, built], { env });
    } else {
      const top = join(work, "rpmbuild");
      const tree = join(top, "src", "tree");
      mkdirSync(tree, { recursive: true });
      writeTree(pkg, tree);
      clampTimes(tree, epoch);
      const spec = join(top, `${pkg.manifest.package}.spec`);
      writeFileSync(spec, rpmSpec(pkg));
      const define = (k: string, v: string): string[] => ["--define", `${k} ${v}`];
      await run(
        "rpmbuild",
        [
          "-bb",
          "--nodeps",
          ...define("_topdir", top),
          ...define("_sourcedir", join(top, "src")),
          ...define("_rpmdir", join(top, "out")),
          ...define("_build_name_fmt", "%%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm"),
          ...define("__os_install_post", "%{nil}"),
          ...define("_build_id_links", "none"),
          ...define("_buildhost", "qm"),
          ...define("use_source_date_epoch_as_buildtime", "1"),
          ...define("clamp_mtime_to_source_date_epoch", "1"),
          spec,
        ],
        { env },
      );
      built = join(top, "out", name);
    }
    // Copy next to the destination first: the rename is then atomic even across file systems.
    const temp = join(outputDir, `.${name}.${process.pid}.tmp`);
    try {
      copyFileSync(built, temp);
      renameSync(temp, join(outputDir, name));
    } finally {
      rmSync(temp, { force: true });
    }
    const path = join(outputDir, name);
    return {
      format: options.format,
      path,
      package: pkg.manifest.package,
      version: pkg.version,
      bytes: statSync(path).size,
      files: pkg.files.map((f) => f.destination),
      depends: dependencies(pkg),
      millis: Date.now() - started,
    };
  } catch (error) {
    if (error instanceof QmError && error.code === "QM_COMMAND_NOT_FOUND") {
      throw new QmError(error.code, error.message, {
        exitCode: ExitCode.hostNotReady,
        hint:
          options.format === "deb"
            ? "install dpkg (dpkg-deb)"
            : "install rpm (Debian) or rpm-build (Fedora) for rpmbuild",
      });
    }
    throw error;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
