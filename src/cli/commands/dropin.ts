import { resolve } from "node:path";
import { QmError } from "../../core/errors.js";
import { type BuildResult, buildPackage } from "../../dropins/build.js";
import {
  type InstallReport,
  installDirect,
  installPackageFile,
  removeInstalled,
} from "../../dropins/install.js";
import { type ListReport, listDropins } from "../../dropins/list.js";
import type { PackageFormat } from "../../dropins/metadata.js";
import { loadPackage } from "../../dropins/package.js";
import { packageFormat } from "../../dropins/pkgfile.js";
import { scaffold } from "../../dropins/scaffold.js";
import { validateFiles } from "../../dropins/validate.js";
import { quoteArgv } from "../../engine/exec.js";
import { memoryUnitFs } from "../../unit/fs.js";
import type { Command, CommandContext, CommandOutput } from "../app.js";
import { flag, listOption, stringOption } from "../args.js";

const ACTIONS = ["list", "show", "build", "install", "remove", "new"] as const;

function usage(message: string): QmError {
  return new QmError("QM_USAGE", `qm dropin: ${message}`, {
    hint: "see 'qm dropin --help'",
  });
}

function rootOf(ctx: CommandContext): string {
  return resolve(stringOption(ctx.args, "root") ?? "/");
}

function needRoot(root: string): void {
  if (root === "/" && process.getuid?.() !== 0)
    throw new QmError("QM_NOT_ROOT", "qm dropin install/remove changes the host and must run as root", {
      hint: "rerun as root, or use --root DIR for an image tree",
    });
}

function renderList(r: ListReport): string {
  const lines = ["Sub-packages:"];
  const w = Math.max(...r.packages.map((p) => p.name.length), 4);
  const pw = Math.max(...r.packages.map((p) => p.package.length), 7);
  for (const p of r.packages) {
    const state = p.installed ? `installed (${p.installed}${p.version ? ` ${p.version}` : ""})` : "available";
    lines.push(`  ${p.name.padEnd(w)}  ${p.package.padEnd(pw)}  ${state.padEnd(24)}  ${p.summary}`);
  }
  lines.push("", "qm.container drop-ins:");
  if (r.dropins.length === 0) lines.push("  (none)");
  for (const d of r.dropins)
    lines.push(
      `  ${d.inEffect ? "in effect " : "not read  "} ${d.path}  (${d.package ?? "local file"}${d.why ? `; ${d.why}` : ""})`,
    );
  lines.push(
    "",
    r.restartPending === null
      ? "Restart pending: unknown"
      : r.restartPending
        ? "Restart pending: the running partition uses an older configuration; apply it with 'qm restart'"
        : r.running
          ? "Restart pending: no"
          : "Restart pending: no (the partition is not running; drop-ins apply when it starts)",
  );
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join("\n");
}

function renderInstall(r: InstallReport): string {
  const lines = [
    `${r.action === "install" ? "installed" : "removed"} ${r.package}${r.version ? ` ${r.version}` : ""} via ${r.via}${r.root === "/" ? "" : ` under ${r.root}`}`,
  ];
  for (const f of r.files) lines.push(`  ${f.action.padEnd(9)} ${f.path}${f.why ? `  (${f.why})` : ""}`);
  if (r.output?.trim())
    lines.push(
      ...r.output
        .trimEnd()
        .split("\n")
        .map((l) => `  | ${l}`),
    );
  if (r.execStart) lines.push(`partition command: ${quoteArgv(r.execStart)}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  // dpkg and rpm already printed the scriptlets' messages.
  lines.push(...r.messages.filter((m) => !r.output?.includes(m)));
  return lines.join("\n");
}

function renderBuild(r: BuildResult): string {
  return [
    `built ${r.path} (${r.bytes} bytes, ${r.millis} ms)`,
    `  depends: ${r.depends.join(", ")}`,
    ...r.files.map((f) => `  ${f}`),
  ].join("\n");
}

async function show(name: string): Promise<CommandOutput> {
  const pkg = loadPackage(name);
  const m = pkg.manifest;
  const data = {
    ...m,
    version: pkg.version,
    origin: pkg.origin,
    files: pkg.files.map((f) => ({
      destination: f.destination,
      mode: `0${f.mode.toString(8)}`,
      kind: f.kind,
      bytes: f.content.length,
      ...(f.kind === "file" && f.mode & 0o111 ? {} : { content: f.content.toString("utf8") }),
    })),
  };
  const text = (): string => {
    const lines = [
      `${m.name}: ${m.package} ${pkg.version}`,
      `  ${m.summary}`,
      "",
      ...m.description.split("\n").map((l) => `  ${l}`),
      "",
      `depends: ${["qm", ...m.requires].join(", ")}`,
    ];
    if (m.host.devices.length) lines.push(`host devices: ${m.host.devices.join(", ")}`);
    if (m.host.hooks.length) lines.push(`host OCI hooks: ${m.host.hooks.join(", ")}`);
    if (m.host.partitionPackages.length)
      lines.push(`partition packages: ${m.host.partitionPackages.join(", ")}`);
    if (m.upstream) lines.push(`upstream: ${m.upstream.package}, ${m.upstream.status}: ${m.upstream.note}`);
    for (const d of m.directories) lines.push(`directory ${d.path} (0${d.mode.toString(8)})`);
    for (const f of data.files) {
      lines.push("", `--- ${f.destination} (${f.mode}, ${f.kind})`);
      lines.push(f.content === undefined ? `(${f.bytes} bytes, executable)` : f.content.trimEnd());
    }
    return lines.join("\n");
  };
  return { data, text };
}

export const dropinCommand: Command = {
  name: "dropin",
  summary: "optional sub-packages that extend the partition: list, show, build, install, remove, new",
  usage: "dropin ACTION [NAME|DIR|PACKAGE] [OPTIONS]",
  description: [
    "A sub-package adds drop-ins to qm.container (/etc/containers/systemd/qm.container.d/), nested units",
    "run by the partition's systemd (/etc/qm/containers/systemd/), containers.conf drop-ins for the nested",
    "podman, or OCI hooks. The catalog holds upstream's: kvm, sound, video, ros2, img_tempdir, input, tty7,",
    "ttyUSB0, dvb, radio, oci-hooks, wayland, text2speech ('qm dropin list' shows them).",
    "",
    "Actions:",
    "  list                 the catalog, what is installed and how, the qm.container drop-ins in effect,",
    "                       and whether the running partition waits for a restart to apply them",
    "  show NAME|DIR        description, dependencies, host needs and every file with its content",
    "  build NAME|DIR       a .deb (dpkg-deb) or .rpm (rpmbuild) package: noarch, depends on qm, scriptlets",
    "                       that reload the service manager and say to restart the partition",
    "  install NAME|DIR     install directly: files carry a marker and are recorded in /var/lib/qm/dropins.json",
    "  install FILE.deb|FILE.rpm  install through dpkg or rpm",
    "  remove NAME|PACKAGE  remove the way it was installed; direct removal deletes only recorded files",
    "  new NAME             scaffold a custom sub-package in ./NAME (manifest, drop-in, optional nested unit)",
    "",
    "Before anything is installed, the files are laid over the current configuration in memory and the",
    "partition's podman command is generated from it: a syntax error, an unknown key or section is refused",
    "with file:line, and nothing changes. Changes apply when the partition restarts: 'qm restart', or",
    "'systemctl restart qm' on systemd hosts.",
  ].join("\n"),
  options: [
    {
      name: "root",
      type: "string",
      valueName: "DIR",
      description: "operate on the tree below DIR (image builders, tests); default /",
    },
    {
      name: "format",
      type: "string",
      valueName: "deb|rpm",
      description: "build: package format (default deb)",
    },
    {
      name: "output",
      type: "string",
      valueName: "DIR",
      description: "build: where the package goes; new: parent of the new directory (default .)",
    },
    {
      name: "nested-unit",
      type: "boolean",
      description: "new: also create NAME.container, run inside the partition",
    },
    {
      name: "device",
      type: "string",
      multiple: true,
      valueName: "PATH",
      description: "new: pass this device to the partition (optional form, repeatable)",
    },
  ],
  examples: [
    "qm dropin list",
    "qm dropin show kvm",
    "qm dropin install kvm && qm restart",
    "qm dropin remove kvm",
    "qm dropin build kvm --format rpm --output /tmp/pkgs",
    "qm dropin install /tmp/pkgs/qm-kvm_0.1.0_all.deb",
    "qm dropin new mycam --device /dev/video1 --nested-unit && qm dropin build ./mycam --format deb",
    "qm dropin install kvm --root /srv/image",
  ],
  run: async (ctx) => {
    const [action, target, ...extra] = ctx.args.positionals;
    if (action === undefined) throw usage(`needs an action: ${ACTIONS.join(", ")}`);
    if (!(ACTIONS as readonly string[]).includes(action))
      throw usage(`unknown action '${action}' (${ACTIONS.join(", ")})`);
    if (extra.length > 0) throw usage(`unexpected argument '${extra[0]}'`);
    if (action === "list") {
      if (target !== undefined) throw usage(`list takes no argument`);
      const report = await listDropins(rootOf(ctx));
      return { data: report, text: () => renderList(report) };
    }
    if (target === undefined) throw usage(`${action} needs a name`);
    switch (action) {
      case "show":
        return show(target);
      case "build": {
        const format = stringOption(ctx.args, "format") ?? "deb";
        if (format !== "deb" && format !== "rpm") throw usage(`--format ${format}: use deb or rpm`);
        const pkg = loadPackage(target);
        // A package that would be refused at installation is refused here already (against the shipped qm.container).
        validateFiles(memoryUnitFs({}), pkg.files);
        const result = await buildPackage(pkg, {
          format: format as PackageFormat,
          outputDir: stringOption(ctx.args, "output") ?? ".",
        });
        return { data: result, text: () => renderBuild(result) };
      }
      case "install": {
        const root = rootOf(ctx);
        needRoot(root);
        const report = packageFormat(target)
          ? await installPackageFile(target, { root })
          : await installDirect(loadPackage(target), { root });
        return { data: report, text: () => renderInstall(report) };
      }
      case "remove": {
        const root = rootOf(ctx);
        needRoot(root);
        const report = await removeInstalled(target, { root });
        return { data: report, text: () => renderInstall(report) };
      }
      default: {
        const report = scaffold({
          name: target,
          parent: stringOption(ctx.args, "output") ?? ".",
          nestedUnit: flag(ctx.args, "nested-unit"),
          devices: listOption(ctx.args, "device"),
        });
        return {
          data: report,
          text: () =>
            [
              `created ${report.dir}:`,
              ...report.files.map((f) => `  ${f}`),
              `next: edit the files, then 'qm dropin install ${report.dir}' or 'qm dropin build ${report.dir} --format deb'`,
            ].join("\n"),
        };
      }
    }
  },
};
