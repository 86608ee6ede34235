/**
 * Upstream QM's fixed paths and partition settings (reference §1, §2, §11). Every path here is absolute inside a
 * root; callers join it to their injectable root.
 */
export const QmPaths = {
  rootfs: "/usr/lib/qm/rootfs",
  libDir: "/usr/lib/qm",
  rwEtc: "/etc/qm",
  rwVar: "/var/qm",
  installDir: "/usr/share/qm",
  quadlet: "/usr/share/containers/systemd/qm.container",
  dropInDir: "/etc/containers/systemd/qm.container.d",
  seccompProfile: "/usr/share/qm/seccomp-no-rt.json",
  nestedQuadletDir: "/etc/qm/containers/systemd",
  agentConf: "/etc/bluechi/agent.conf.d/agent.conf",
} as const;

/** Values of the shipped qm.container that the host must be able to honour. */
export const PartitionNeeds = {
  /** [Service] LimitNOFILE=65536 */
  nofile: 65536,
  /** Enough processes for systemd, podman and a few nested containers. */
  nproc: 4096,
  /** Below this much free space under /usr/lib/qm or /var/qm a partition cannot be built or run. */
  minFreeBytes: 1024 ** 3,
  /** Below this, warn: a Debian/Fedora tree with podman is ~330 MB, images need more. */
  comfortableFreeBytes: 4 * 1024 ** 3,
} as const;

/** Controllers the partition's [Service] settings need (v2 names; v1 `blkio` serves `io`). */
export const requiredControllers = ["cpu", "memory", "pids"] as const;
export const optionalControllers = ["io", "cpuset"] as const;
