import { createHash } from "node:crypto";

/**
 * Where the partition's OS tree comes from. Pure descriptions; src/rootfs/build.ts runs them.
 */
export type RootfsSource = (
  | {
      readonly kind: "mmdebstrap";
      readonly suite: string;
      readonly mirror: string;
      readonly packages: readonly string[];
    }
  | {
      readonly kind: "dnf";
      readonly releasever: string;
      readonly packages: readonly string[];
      readonly useHostConfig: boolean;
    }
  | { readonly kind: "tar"; readonly file: string; readonly fingerprint: string }
  | { readonly kind: "dir"; readonly dir: string; readonly fingerprint: string }
) & {
  /** The BlueChi agent copied into the tree (`--bluechi-from`), by the digest of its files (src/rootfs/bluechi.ts). */
  readonly agent?: { readonly from: string; readonly digest: string };
};

/**
 * Debian/Ubuntu tree: systemd, dbus, podman with both runtimes, procps, iproute2, and catatonit, which podman
 * only recommends but runs as every pod's infra process (without it `pod create` fails).
 */
export const debianPackages = [
  "systemd",
  "systemd-sysv",
  "dbus",
  "podman",
  "catatonit",
  "runc",
  "crun",
  "procps",
  "iproute2",
] as const;
/** Fedora/CentOS tree, upstream's PACKAGES_TO_INSTALL (reference §2.1). */
export const fedoraPackages = [
  "selinux-policy-targeted",
  "podman",
  "systemd",
  "procps-ng",
  "iptables-nft",
  "jq",
  "hostname",
] as const;
/** The BlueChi agent's program in a tree (relative to the tree), as its packages and `meson install` put it. */
export const AGENT_PROGRAM = "usr/libexec/bluechi-agent";
/** Installed in the tree when its distribution ships it (BlueChi is not in Debian). */
export const optionalPackages = ["bluechi-agent"] as const;
/** Where a podman with quadlet (4.4 and later) keeps it. */
export const PODMAN_QUADLETS = ["usr/libexec/podman/quadlet", "usr/lib/podman/quadlet"] as const;
/** The same paths on the host. */
export const HOST_PODMAN_QUADLETS: readonly string[] = PODMAN_QUADLETS.map((q) => `/${q}`);

export function defaultMirror(osId: string): string {
  return osId === "ubuntu" ? "http://archive.ubuntu.com/ubuntu" : "http://deb.debian.org/debian";
}

/**
 * mmdebstrap in root mode, no mounts inside the tree (chroot/mount skipped: nothing of the host's /dev, /proc or /sys
 * is ever bound into it; device nodes are created with mknod), without docs, man pages and locales.
 * bluechi-agent is added by a hook only where the suite has it, and Node.js only where the suite's podman has no
 * quadlet (before 4.4, e.g. Debian 12), for qm-quadlet to convert nested quadlets: one command line serves every suite.
 */
export function mmdebstrapArgv(
  source: Extract<RootfsSource, { kind: "mmdebstrap" }>,
  target: string,
): string[] {
  const optional = optionalPackages.join(" ");
  return [
    "--mode=root",
    "--variant=minbase",
    "--skip=chroot/mount",
    "--dpkgopt=path-exclude=/usr/share/doc/*",
    "--dpkgopt=path-exclude=/usr/share/man/*",
    "--dpkgopt=path-exclude=/usr/share/locale/*",
    `--include=${source.packages.join(",")}`,
    `--customize-hook=for p in ${optional}; do if chroot "$1" apt-cache show "$p" >/dev/null 2>&1; then chroot "$1" apt-get install -y "$p"; fi; done`,
    `--customize-hook=${PODMAN_QUADLETS.map((q) => `[ -e "$1/${q}" ] ||`).join(" ")} chroot "$1" apt-get install -y --no-install-recommends nodejs`,
    source.suite,
    target,
    source.mirror,
  ];
}

/** dnf --installroot as upstream's setup (reference §2.3 step 4); later repos are added by upstream's own steps. */
export function dnfArgv(source: Extract<RootfsSource, { kind: "dnf" }>, target: string): string[] {
  return [
    "-y",
    "install",
    `--releasever=${source.releasever}`,
    "--installroot",
    target,
    ...source.packages,
    ...(source.useHostConfig ? ["--use-host-config"] : []),
  ];
}

/**
 * Identity of a build: the same inputs and the same recipe give the same tree, so a rerun skips the build; a changed
 * recipe (the builder's command line) builds the tree again.
 */
export function sourceFingerprint(source: RootfsSource): string {
  const recipe =
    source.kind === "mmdebstrap"
      ? mmdebstrapArgv(source, "TARGET")
      : source.kind === "dnf"
        ? dnfArgv(source, "TARGET")
        : [];
  return createHash("sha256")
    .update(JSON.stringify([source, recipe]))
    .digest("hex")
    .slice(0, 16);
}

export function describeSource(source: RootfsSource): string {
  const base = describeBase(source);
  return source.agent ? `${base}, with the BlueChi agent from ${source.agent.from}` : base;
}

function describeBase(source: RootfsSource): string {
  switch (source.kind) {
    case "mmdebstrap":
      return `mmdebstrap ${source.suite} from ${source.mirror}`;
    case "dnf":
      return `dnf --installroot, release ${source.releasever}`;
    case "tar":
      return `tarball ${source.file}`;
    case "dir":
      return `directory ${source.dir}`;
  }
}
