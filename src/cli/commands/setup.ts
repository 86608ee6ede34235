import { resolve } from "node:path";
import { QmError } from "../../core/errors.js";
import { parseControllerAddress } from "../../partition/agent-conf.js";
import { parseVarSize } from "../../partition/bounded-var.js";
import {
  defaultSetupPaths,
  type SetupOptions,
  type SetupReport,
  setupAgentOnly,
  setupInstall,
  setupRemove,
} from "../../partition/setup.js";
import type { Command } from "../app.js";
import { flag, listOption, stringOption } from "../args.js";

function renderSetup(r: SetupReport): string {
  const lines: string[] = [];
  if (r.rootfs) {
    lines.push(`rootfs ${r.paths.rootfs}: ${r.rootfs.action} (${r.rootfs.source})`);
    if (r.rootfs.command && r.rootfs.action === "would build")
      lines.push(`  $ ${r.rootfs.command.join(" ")}`);
  }
  for (const c of r.changes) {
    if (c.action === "unchanged" && !r.dryRun) continue;
    lines.push(`${c.action.padEnd(9)} ${c.path}  (${c.why})`);
  }
  for (const p of r.removed ?? []) lines.push(`${r.dryRun ? "would remove" : "removed"} ${p}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  if (r.action !== "remove") {
    lines.push(
      r.changed === 0
        ? `0 changes: everything ${r.dryRun ? "is" : "was"} already in place`
        : `${r.changed} change(s)${r.dryRun ? " would be made" : ""}`,
    );
  }
  return lines.join("\n");
}

const pathOption = (name: string, what: string, def: string) => ({
  name,
  type: "string" as const,
  valueName: "DIR",
  description: `${what} (default ${def})`,
});

export const setupCommand: Command = {
  name: "setup",
  summary: "build the partition's OS tree and configuration (idempotent, resumable, reversible)",
  usage: "setup [OPTIONS] [bluechi-agent]",
  description: [
    "Builds the partition tree with mmdebstrap (Debian, Ubuntu) or dnf --installroot (Fedora, CentOS), or",
    "unpacks it from --from-tar/--from-dir; moves its /etc and /var to --rwetcfs and --rwvarfs; installs",
    "qm.container, the defaults in --installdir, the no-realtime seccomp profile, the nested podman's",
    "containers.conf and storage.conf, sub-ID ranges and the BlueChi agent configuration (node qm.HOSTNAME).",
    "",
    "Every file is written atomically; a rerun with the same inputs changes nothing and says so; a run killed",
    "at any point is completed by the next one. --remove-qm-rootfs removes exactly what setup created.",
    "--var-size SIZE bounds the partition's /var without repartitioning: its content moves into an ext4 image",
    "of that size, mounted on --rwvarfs by qm start (direct mode) or by a mount unit (systemd), so filling it",
    "cannot fill the host's disk. Later runs keep the image (a larger SIZE grows it).",
    "With the action 'bluechi-agent' only the partition's agent.conf (and, with --bluechi-controller, its",
    "controller settings) is regenerated. BlueChi: see docs/bluechi.md.",
    "On a host whose PID 1 is systemd, setup stops qm.service first and starts it at the end",
    "(--skip-systemctl: no systemctl calls). --root DIR works on an image tree instead of this host.",
  ].join("\n"),
  options: [
    pathOption("installdir", "where the qm defaults go", defaultSetupPaths.installDir),
    pathOption("rootfs", "the partition tree", defaultSetupPaths.rootfs),
    pathOption("rwetcfs", "the partition's writable /etc", defaultSetupPaths.rwEtc),
    pathOption("rwvarfs", "the partition's writable /var", defaultSetupPaths.rwVar),
    {
      name: "hostname",
      type: "string",
      valueName: "NAME",
      description: "BlueChi node name is qm.NAME (default: this host's name)",
    },
    {
      name: "bluechi-from",
      type: "string",
      valueName: "DIR|FILE",
      description:
        "put the BlueChi agent into the tree from a BlueChi build: a staged install (DESTDIR of 'meson install' with --prefix=/usr) or its .deb/.rpm (for distributions that do not ship it, e.g. Debian)",
    },
    {
      name: "bluechi-controller",
      type: "string",
      valueName: "ADDRESS",
      description:
        "how the partition's agent reaches the BlueChi controller: its socket on this host (e.g. /run/bluechi/bluechi.sock; its directory is mounted read-only) or HOST[:PORT] over TCP (port 842 by default)",
    },
    { name: "skip-systemctl", type: "boolean", description: "never call systemctl" },
    {
      name: "remove-qm-rootfs",
      type: "boolean",
      description: "remove what setup created (tree, /etc/qm, /var/qm, files, sub-IDs)",
    },
    {
      name: "root",
      type: "string",
      valueName: "DIR",
      description: "operate on the tree below DIR (image builders, tests); default /",
    },
    {
      name: "from-tar",
      type: "string",
      valueName: "FILE",
      description: "unpack the partition tree from a tarball instead of building it",
    },
    {
      name: "from-dir",
      type: "string",
      valueName: "DIR",
      description: "copy the partition tree from a directory instead of building it",
    },
    {
      name: "suite",
      type: "string",
      valueName: "NAME",
      description: "Debian/Ubuntu suite to build (default: this host's)",
    },
    {
      name: "mirror",
      type: "string",
      valueName: "URL",
      description: "Debian/Ubuntu mirror (default deb.debian.org or archive.ubuntu.com)",
    },
    {
      name: "package",
      type: "string",
      multiple: true,
      valueName: "PKG",
      description: "also install PKG in the tree (repeatable)",
    },
    {
      name: "var-size",
      type: "string",
      valueName: "SIZE",
      description:
        "bound the partition's /var to SIZE (e.g. 4G, at least 256M): an ext4 image in /var/lib/qm/var.img, blocks reserved up front, mounted on --rwvarfs; grown when SIZE is larger, never shrunk",
    },
    {
      name: "dry-run",
      type: "boolean",
      description: "print the plan (tree build, files, removals) and change nothing",
    },
  ],
  examples: [
    "qm setup",
    "qm setup --dry-run",
    "qm setup --var-size 4G",
    "qm setup --hostname car1 --skip-systemctl",
    "qm setup --root /tmp/image --from-tar rootfs.tar.zst",
    "qm setup bluechi-agent",
    "qm setup --bluechi-from /tmp/bluechi-stage --bluechi-controller /run/bluechi/bluechi.sock",
    "qm setup bluechi-agent --bluechi-controller 192.0.2.10:842",
    "qm setup --remove-qm-rootfs",
  ],
  run: async (ctx) => {
    const args = ctx.args;
    const positionals = args.positionals.filter((p) => {
      // Upstream's test harness passes "--skip-systemctl true"; the value was never read.
      if (p === "true" && flag(args, "skip-systemctl")) {
        ctx.log("qm setup: ignoring 'true' after --skip-systemctl (the option takes no value)");
        return false;
      }
      return true;
    });
    const action = positionals[0];
    if (positionals.length > 1 || (action !== undefined && action !== "bluechi-agent")) {
      throw new QmError("QM_USAGE", `qm setup: unknown action '${positionals.join(" ")}'`, {
        hint: "the only action is 'bluechi-agent'; see 'qm setup --help'",
      });
    }
    if (action === "bluechi-agent" && stringOption(args, "bluechi-from") !== undefined) {
      throw new QmError("QM_USAGE", "qm setup bluechi-agent: --bluechi-from puts the agent into the tree", {
        hint: "run 'qm setup --bluechi-from DIR' (without the action): the tree is rebuilt with the agent",
      });
    }
    const inTree = (name: string, def: string): string => {
      const v = stringOption(args, name);
      if (v === undefined) return def;
      if (!v.startsWith("/")) throw new QmError("QM_USAGE", `--${name} ${v}: must be an absolute path`);
      return v.replace(/\/+$/, "") || "/";
    };
    const hostFile = (name: string): string | undefined => {
      const v = stringOption(args, name);
      return v === undefined ? undefined : resolve(v);
    };
    const varSize = stringOption(args, "var-size");
    const controller = stringOption(args, "bluechi-controller");
    const options: SetupOptions = {
      root: resolve(stringOption(args, "root") ?? "/"),
      paths: {
        installDir: inTree("installdir", defaultSetupPaths.installDir),
        rootfs: inTree("rootfs", defaultSetupPaths.rootfs),
        rwEtc: inTree("rwetcfs", defaultSetupPaths.rwEtc),
        rwVar: inTree("rwvarfs", defaultSetupPaths.rwVar),
      },
      hostname: stringOption(args, "hostname"),
      skipSystemctl: flag(args, "skip-systemctl"),
      dryRun: flag(args, "dry-run"),
      fromTar: hostFile("from-tar"),
      fromDir: hostFile("from-dir"),
      suite: stringOption(args, "suite"),
      mirror: stringOption(args, "mirror"),
      packages: listOption(args, "package"),
      varSize: varSize === undefined ? undefined : parseVarSize(varSize),
      bluechiFrom: hostFile("bluechi-from"),
      bluechiController: controller === undefined ? undefined : parseControllerAddress(controller),
      log: ctx.log,
    };
    if (process.getuid?.() !== 0 && options.root === "/" && !options.dryRun) {
      throw new QmError("QM_NOT_ROOT", "qm setup changes the host and must run as root", {
        hint: "rerun as root, or use --dry-run",
      });
    }
    const report = flag(args, "remove-qm-rootfs")
      ? await setupRemove(options)
      : action === "bluechi-agent"
        ? await setupAgentOnly(options)
        : await setupInstall(options);
    return { data: report, text: () => renderSetup(report) };
  },
};
