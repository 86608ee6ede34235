/**
 * Spec edit for the partition on cgroup v1 hosts, run as a precreate OCI hook (podman runs it when it creates the
 * partition and again on each of its restarts). With --cgroupns=private, podman 4.x mounts the whole host
 * name=systemd hierarchy over the partition's /sys/fs/cgroup/systemd; the partition's systemd would then create
 * /init.scope, /system.slice, ... at the top of the host's hierarchy, and remove what it finds empty there. Without
 * that bind mount, the runtime's own cgroup mounts show the partition's cgroup namespace, that is its own
 * subtree; made writable, they delegate that subtree to the partition (its systemd and nested podman), while the
 * limits above it still apply.
 */

export const CGROUP_V1_ANNOTATION = "org.containers.qm.cgroups-v1";

interface Mount {
  destination?: unknown;
  type?: unknown;
  source?: unknown;
  options?: unknown;
}

/** Pure: returns the edited spec, or the input unchanged when it is not an object with mounts. */
export function delegateCgroupsV1(spec: unknown): unknown {
  if (typeof spec !== "object" || spec === null) return spec;
  const s = spec as { mounts?: unknown };
  if (!Array.isArray(s.mounts)) return spec;
  const mounts = (s.mounts as Mount[])
    .filter(
      (m) =>
        !(
          m.destination === "/sys/fs/cgroup/systemd" &&
          m.type === "bind" &&
          m.source === "/sys/fs/cgroup/systemd"
        ),
    )
    .map((m) =>
      m.type === "cgroup" && Array.isArray(m.options)
        ? { ...m, options: [...(m.options as unknown[]).filter((o) => o !== "ro"), "rw"] }
        : m,
    );
  return { ...s, mounts };
}
