/**
 * A sub-package's metadata as plain text: debian/control, the maintainer scripts and the rpm spec. Pure, so the
 * dependencies, scriptlet conditions and escaping are unit-tested; build.ts writes them and runs the tools.
 */
import { assertLine, assertParagraphs } from "../core/text.js";
import { VERSION } from "../core/version.js";
import type { DropinPackage } from "./package.js";

export type PackageFormat = "deb" | "rpm";

/** The same placeholder as debian/control: a distribution writes its own (docs/packaging.md). */
const MAINTAINER = "qm maintainers <qm-maintainers@example.org>";

/** Package names this one needs: qm itself (this version or newer), then the manifest's own. */
export function dependencies(pkg: DropinPackage): string[] {
  return ["qm", ...pkg.manifest.requires];
}

export function packageFileName(pkg: DropinPackage, format: PackageFormat): string {
  const { package: name } = pkg.manifest;
  return format === "deb" ? `${name}_${pkg.version}_all.deb` : `${name}-${pkg.version}-1.noarch.rpm`;
}

/** How to apply a change to the partition below `root`: a partition below another root is qm's own to restart. */
export function applyHint(root: string): string {
  const how = root === "/" ? "qm restart (systemd hosts: systemctl restart qm)" : `qm restart --root ${root}`;
  return `restart the QM partition to apply it: ${how}`;
}

/**
 * What to do after installing or removing (the maintainer scripts print it, and they run where the partition
 * does: below "/").
 */
export function afterMessages(pkg: DropinPackage, action: "installed" | "removed", root = "/"): string[] {
  const name = pkg.manifest.package;
  const lines = [`${name} ${action}; ${applyHint(root)}`];
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

/**
 * The .deb maintainer scripts: after configuring (not on abort-upgrade and the like), and after the package's
 * files are gone for good (remove or purge, not upgrade).
 */
export function debScripts(pkg: DropinPackage): { readonly postinst: string; readonly postrm: string } {
  return {
    postinst: scriptlet(pkg, "installed", '[ "$1" = configure ]'),
    postrm: scriptlet(pkg, "removed", '[ "$1" = remove ] || [ "$1" = purge ]'),
  };
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
