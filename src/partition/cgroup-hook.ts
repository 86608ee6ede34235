/**
 * Spec edit for the partition on cgroup v1 hosts, run as a precreate OCI hook (podman runs it when it creates the
 * partition and again on each of its restarts). With --cgroupns=private, podman 4.x mounts the whole host
 * name=systemd hierarchy over the partition's /sys/fs/cgroup/systemd; the partition's systemd would then create
 * /init.scope, /system.slice, ... at the top of the host's hierarchy, and remove what it finds empty there. Without
 * that bind mount, the runtime's own cgroup mounts show the partition's cgroup namespace, that is its own
 * subtree; made writable, they delegate that subtree to the partition (its systemd and nested podman), while the
 * limits above it still apply.
 *
 * The spec is read with the hooks' JSON reader, which keeps uint64 values (rlimits, memory limits) exact: podman's
 * Go decoder refuses a rounded 18446744073709551615.
 */
import { parseJson } from "../hooks/json.js";

export const CGROUP_V1_ANNOTATION = "org.containers.qm.cgroups-v1";

interface Mount {
  destination?: unknown;
  type?: unknown;
  source?: unknown;
  options?: unknown;
}

const isMount = (m: unknown): m is Mount => typeof m === "object" && m !== null && !Array.isArray(m);

/** Pure: returns the edited spec, or the input unchanged when it is not an object with mounts. */
export function delegateCgroupsV1(spec: unknown): unknown {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) return spec;
  const s = spec as { mounts?: unknown };
  if (!Array.isArray(s.mounts)) return spec;
  const mounts = (s.mounts as unknown[])
    .filter(
      (m) =>
        !(
          isMount(m) &&
          m.destination === "/sys/fs/cgroup/systemd" &&
          m.type === "bind" &&
          m.source === "/sys/fs/cgroup/systemd"
        ),
    )
    .map((m) =>
      isMount(m) && m.type === "cgroup" && Array.isArray(m.options)
        ? { ...m, options: [...(m.options as unknown[]).filter((o) => o !== "ro"), "rw"] }
        : m,
    );
  return { ...s, mounts };
}

/**
 * The hook on text: the edited spec, or the input unchanged when it is not JSON or has no mounts (a malformed
 * spec then fails in the runtime with the runtime's own message).
 */
export function partitionCgroupsHook(input: string): string {
  try {
    const parsed = parseJson(input);
    const edited = delegateCgroupsV1(parsed.value);
    return edited === parsed.value ? input : parsed.stringify(edited);
  } catch {
    return input;
  }
}
