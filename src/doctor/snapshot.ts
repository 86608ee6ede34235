/**
 * Everything doctor reads from a host, as plain JSON. The collector (collect.ts) fills it from the live host;
 * unit tests and `qm doctor --snapshot FILE` replay recorded ones, so detection is testable for hosts we don't have.
 */
export interface CommandProbe {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface SpaceProbe {
  /** The existing directory that was measured (the path itself or its nearest existing ancestor). */
  readonly measured: string;
  readonly freeBytes: number;
  readonly totalBytes: number;
}

export interface HostSnapshot {
  readonly schema: 1;
  readonly uid: number;
  /** File contents by absolute path; null when the file is absent or unreadable. */
  readonly files: Readonly<Record<string, string | null>>;
  /** Existence of paths that are checked but not read. */
  readonly exists: Readonly<Record<string, boolean>>;
  /** Executables found on PATH (and sbin/libexec dirs) by name; null when absent. */
  readonly which: Readonly<Record<string, string | null>>;
  /** Version commands by executable name, e.g. "podman" -> `podman --version`; null when not run. */
  readonly versions: Readonly<Record<string, CommandProbe | null>>;
  /** Free space by QM path. */
  readonly space: Readonly<Record<string, SpaceProbe | null>>;
  /** Active, harmless probes: "cgroup-mkdir:<controller>" -> whether a child cgroup could be created there. */
  readonly probes: Readonly<Record<string, boolean>>;
}

export const snapshotFiles = [
  "/proc/1/comm",
  "/proc/self/status",
  "/proc/self/limits",
  "/proc/self/mountinfo",
  "/proc/cgroups",
  "/proc/sys/kernel/osrelease",
  "/proc/sys/kernel/pid_max",
  "/proc/sys/user/max_user_namespaces",
  "/proc/sys/kernel/unprivileged_userns_clone",
  "/proc/sys/kernel/seccomp/actions_avail",
  "/sys/kernel/security/lsm",
  "/sys/fs/selinux/enforce",
  "/etc/os-release",
] as const;

export const snapshotPaths = [
  "/run/systemd/system",
  "/usr/libexec/podman/quadlet",
  "/usr/lib/podman/quadlet",
  "/usr/lib/systemd/system-generators/podman-system-generator",
  "/dev/kvm",
  "/dev/fuse",
  "/sys/fs/selinux",
] as const;

export const snapshotTools = [
  "podman",
  "runc",
  "crun",
  "conmon",
  "mmdebstrap",
  "dnf",
  "rpmbuild",
  "dpkg-deb",
  "systemctl",
  "unshare",
  "nsenter",
] as const;

/** Tools whose `--version` output doctor reports. */
export const versionedTools = [
  "podman",
  "runc",
  "crun",
  "mmdebstrap",
  "dnf",
  "rpmbuild",
  "dpkg-deb",
] as const;
