import { QmPaths } from "../config/defaults.js";
import { parseMountinfo } from "../core/mountinfo.js";
import { HOST_PODMAN_QUADLETS } from "../rootfs/source.js";
import { type HostSnapshot, TREE_AGENT } from "./snapshot.js";

export { parseMountinfo };

/** Pure interpretation of a HostSnapshot: no I/O, no clock, no environment. */

export type CgroupMode = "v2" | "hybrid" | "v1" | "none";
export type Controller = "cpu" | "memory" | "pids" | "io" | "cpuset" | "devices" | "freezer" | "hugetlb";

export interface ControllerFact {
  readonly name: Controller;
  /** v1 hierarchy name or "v2". */
  readonly hierarchy: "v1" | "v2";
  readonly mountpoint: string;
  /** Whether a child cgroup could be created (null: not probed, e.g. not root or replayed snapshot). */
  readonly writable: boolean | null;
}

export interface CgroupFacts {
  readonly mode: CgroupMode;
  /** cgroup2 mountpoint (/sys/fs/cgroup on v2, /sys/fs/cgroup/unified on hybrid). */
  readonly unifiedMount: string | null;
  /** Controllers enabled on the cgroup2 hierarchy. */
  readonly unifiedControllers: readonly string[];
  readonly controllers: readonly ControllerFact[];
}

export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly text: string;
}

export interface ToolFact {
  readonly path: string | null;
  readonly version: string | null;
}

export interface Limit {
  readonly soft: number | "unlimited";
  readonly hard: number | "unlimited";
}

export interface SpaceFact {
  readonly measured: string;
  readonly freeBytes: number;
  readonly totalBytes?: number;
  /** On the host's root filesystem; absent when the record does not say. */
  readonly onRootFilesystem?: boolean;
}

export interface HostFacts {
  readonly os: {
    readonly id: string;
    readonly versionId: string;
    readonly family: "debian" | "fedora" | "other";
    readonly prettyName: string;
  };
  readonly kernel: string;
  readonly root: boolean;
  readonly init: { readonly pid1: string; readonly systemd: boolean };
  readonly cgroup: CgroupFacts;
  readonly selinux: {
    readonly active: boolean;
    readonly mode: "enforcing" | "permissive" | "disabled";
    /** Whether the loaded policy defines qm's types (qm setup installs the module); unknown when not probed. */
    readonly qmPolicy: "loaded" | "missing" | "unknown";
  };
  readonly capabilities: {
    readonly sysResource: boolean;
    readonly sysAdmin: boolean;
    readonly effective: string | null;
  };
  readonly limits: { readonly nofile: Limit | null; readonly nproc: Limit | null };
  readonly userNamespaces: { readonly max: number | null; readonly unprivilegedClone: boolean | null };
  readonly seccomp: { readonly supported: boolean; readonly actions: readonly string[] };
  readonly podman: ToolFact & { readonly parsed: Version | null };
  readonly quadlet: { readonly path: string | null; readonly available: boolean };
  readonly runtimes: {
    readonly runc: ToolFact;
    readonly crun: ToolFact & { readonly usable: boolean; readonly reason: string | null };
  };
  readonly tools: Readonly<Record<"mmdebstrap" | "dnf" | "rpmbuild" | "dpkg-deb" | "conmon", ToolFact>>;
  readonly space: Readonly<Record<string, SpaceFact | null>>;
  readonly devices: { readonly kvm: boolean; readonly fuse: boolean };
  /**
   * The partition's tree exists (qm setup ran) and has the BlueChi agent; when the partition runs, whether the agent
   * is active and connected, and whether this host's controller has the node online (null: not asked or no answer).
   */
  readonly bluechi: {
    readonly tree: boolean;
    readonly agent: boolean;
    readonly active: boolean | null;
    readonly connected: boolean | null;
    readonly online: boolean | null;
  };
}

export function parseVersion(text: string | null | undefined): Version | null {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text ?? "");
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), text: m[0] };
}

export function versionAtLeast(v: Version | null, major: number, minor: number): boolean {
  if (!v) return false;
  return v.major > major || (v.major === major && v.minor >= minor);
}

export function parseOsRelease(text: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (text ?? "").split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    out[m[1] as string] = (m[2] as string).replace(/^(["'])(.*)\1$/, "$2");
  }
  return out;
}

/** v1 hierarchy names and the controller each provides. */
export const v1Names: Readonly<Record<string, Controller>> = {
  cpu: "cpu",
  memory: "memory",
  pids: "pids",
  blkio: "io",
  cpuset: "cpuset",
  devices: "devices",
  freezer: "freezer",
  hugetlb: "hugetlb",
};

/** Controllers the kernel has enabled (/proc/cgroups "enabled" column); null when unknown. */
function enabledControllers(procCgroups: string | null): Set<string> | null {
  if (!procCgroups) return null;
  const out = new Set<string>();
  for (const line of procCgroups.split("\n")) {
    if (line.startsWith("#")) continue;
    const [name, , , enabled] = line.trim().split(/\s+/);
    if (name && enabled === "1") out.add(name);
  }
  return out;
}

export function cgroupFacts(snapshot: HostSnapshot): CgroupFacts {
  const mounts = parseMountinfo(snapshot.files["/proc/self/mountinfo"] ?? null);
  const enabled = enabledControllers(snapshot.files["/proc/cgroups"] ?? null);
  const v2 = mounts.find((m) => m.fstype === "cgroup2" && m.mountpoint.startsWith("/sys/fs/cgroup"));
  const v1 = mounts.filter((m) => m.fstype === "cgroup");
  const mode: CgroupMode = v1.length > 0 ? (v2 ? "hybrid" : "v1") : v2 ? "v2" : "none";
  const unifiedControllers = v2
    ? (snapshot.files[`${v2.mountpoint}/cgroup.controllers`] ?? "").trim().split(/\s+/).filter(Boolean)
    : [];
  const controllers: ControllerFact[] = [];
  const probe = (name: string): boolean | null => snapshot.probes[`cgroup-mkdir:${name}`] ?? null;
  for (const m of v1) {
    for (const option of m.superOptions) {
      const name = Object.hasOwn(v1Names, option) ? v1Names[option] : undefined;
      if (!name || (enabled && !enabled.has(option))) continue;
      if (controllers.some((c) => c.name === name)) continue;
      controllers.push({ name, hierarchy: "v1", mountpoint: m.mountpoint, writable: probe(name) });
    }
  }
  if (v2) {
    for (const name of unifiedControllers) {
      if (!(Object.values(v1Names) as string[]).includes(name)) continue;
      if (controllers.some((c) => c.name === name)) continue;
      controllers.push({
        name: name as Controller,
        hierarchy: "v2",
        mountpoint: v2.mountpoint,
        writable: probe(name),
      });
    }
  }
  return { mode, unifiedMount: v2?.mountpoint ?? null, unifiedControllers, controllers };
}

function statusField(status: string | null, field: string): string | null {
  const m = new RegExp(`^${field}:\\s*(.*)$`, "m").exec(status ?? "");
  return m ? (m[1] as string).trim() : null;
}

const CAP_SYS_ADMIN = 21n;
const CAP_SYS_RESOURCE = 24n;

function hasCap(hex: string | null, bit: bigint): boolean {
  if (!hex || !/^[0-9a-fA-F]{1,64}$/.test(hex)) return false;
  return ((BigInt(`0x${hex}`) >> bit) & 1n) === 1n;
}

/** /proc/self/limits: "Max open files            1024                 524288               files". */
export function parseLimit(limits: string | null, name: string): Limit | null {
  for (const line of (limits ?? "").split("\n")) {
    if (!line.startsWith(name)) continue;
    const [soft, hard] = line.slice(name.length).trim().split(/\s+/);
    const value = (v: string | undefined): number | "unlimited" =>
      v === "unlimited" ? "unlimited" : Number(v);
    return { soft: value(soft), hard: value(hard) };
  }
  return null;
}

export function limitBelow(limit: Limit | null, needed: number): boolean {
  return limit !== null && limit.hard !== "unlimited" && limit.hard < needed;
}

function tool(snapshot: HostSnapshot, name: string): ToolFact {
  const probe = snapshot.versions[name];
  const first = probe && probe.code === 0 ? (probe.stdout || probe.stderr).trim().split("\n")[0] : undefined;
  return { path: snapshot.which[name] ?? null, version: first ? (parseVersion(first)?.text ?? first) : null };
}

/**
 * crun (before 1.9) refuses cgroup "hybrid mode" as soon as the cgroup2 hierarchy mounted next to the v1 ones
 * carries a controller; runc accepts it.
 */
function crunUsable(cgroup: CgroupFacts, crun: ToolFact): { usable: boolean; reason: string | null } {
  if (!crun.path) return { usable: false, reason: "not installed" };
  if (
    cgroup.mode === "hybrid" &&
    cgroup.unifiedControllers.length > 0 &&
    !versionAtLeast(parseVersion(crun.version), 1, 9)
  ) {
    return {
      usable: false,
      reason: `crun ${crun.version ?? "?"} refuses hybrid cgroups while ${cgroup.unifiedMount} has controllers (${cgroup.unifiedControllers.join(" ")})`,
    };
  }
  return { usable: true, reason: null };
}

/** The contexts whose validity tells whether qm's policy module is loaded (probes "selinux-type:TYPE"). */
export const selinuxPolicyContexts: Readonly<Record<string, string>> = {
  qm_t: "system_u:system_r:qm_t:s0",
  qm_file_t: "system_u:object_r:qm_file_t:s0",
  qm_container_t: "system_u:system_r:qm_container_t:s0",
};

function qmPolicyFact(snapshot: HostSnapshot): "loaded" | "missing" | "unknown" {
  const known = Object.keys(selinuxPolicyContexts).map((type) => snapshot.probes[`selinux-type:${type}`]);
  if (known.some((k) => k === undefined)) return "unknown";
  return known.every(Boolean) ? "loaded" : "missing";
}

export function hostFacts(snapshot: HostSnapshot): HostFacts {
  const os = parseOsRelease(snapshot.files["/etc/os-release"] ?? null);
  const like = `${os.ID ?? ""} ${os.ID_LIKE ?? ""}`;
  const family = /\b(debian|ubuntu)\b/.test(like)
    ? "debian"
    : /\b(fedora|rhel|centos)\b/.test(like)
      ? "fedora"
      : "other";
  const status = snapshot.files["/proc/self/status"] ?? null;
  const capEff = statusField(status, "CapEff");
  const lsm = (snapshot.files["/sys/kernel/security/lsm"] ?? "").split(",").map((s) => s.trim());
  const selinuxActive =
    lsm.includes("selinux") ||
    (snapshot.exists["/sys/fs/selinux"] === true && snapshot.files["/sys/fs/selinux/enforce"] != null);
  const enforce = snapshot.files["/sys/fs/selinux/enforce"]?.trim();
  const pid1 = (snapshot.files["/proc/1/comm"] ?? "").trim();
  const cgroup = cgroupFacts(snapshot);
  const podman = tool(snapshot, "podman");
  const podmanVersion = parseVersion(podman.version);
  const quadletPath = HOST_PODMAN_QUADLETS.find((p) => snapshot.exists[p]) ?? null;
  const crun = tool(snapshot, "crun");
  const maxUserNs = snapshot.files["/proc/sys/user/max_user_namespaces"];
  const unprivClone = snapshot.files["/proc/sys/kernel/unprivileged_userns_clone"];
  const space: Record<string, SpaceFact | null> = {};
  for (const [path, probe] of Object.entries(snapshot.space)) {
    space[path] = probe
      ? {
          measured: probe.measured,
          freeBytes: probe.freeBytes,
          totalBytes: probe.totalBytes,
          ...(probe.onRootFilesystem === undefined ? {} : { onRootFilesystem: probe.onRootFilesystem }),
        }
      : null;
  }
  return {
    os: {
      id: os.ID ?? "unknown",
      versionId: os.VERSION_ID ?? "",
      family,
      prettyName: os.PRETTY_NAME ?? os.ID ?? "unknown",
    },
    kernel: (snapshot.files["/proc/sys/kernel/osrelease"] ?? "").trim(),
    root: snapshot.uid === 0,
    init: { pid1, systemd: pid1 === "systemd" && snapshot.exists["/run/systemd/system"] === true },
    cgroup,
    selinux: {
      active: selinuxActive,
      qmPolicy: selinuxActive ? qmPolicyFact(snapshot) : "unknown",
      mode: !selinuxActive
        ? "disabled"
        : enforce === "1"
          ? "enforcing"
          : enforce === "0"
            ? "permissive"
            : "disabled",
    },
    capabilities: {
      effective: capEff,
      sysResource: hasCap(capEff, CAP_SYS_RESOURCE),
      sysAdmin: hasCap(capEff, CAP_SYS_ADMIN),
    },
    limits: {
      nofile: parseLimit(snapshot.files["/proc/self/limits"] ?? null, "Max open files"),
      nproc: parseLimit(snapshot.files["/proc/self/limits"] ?? null, "Max processes"),
    },
    userNamespaces: {
      max: maxUserNs == null ? null : Number(maxUserNs.trim()),
      unprivilegedClone: unprivClone == null ? null : unprivClone.trim() === "1",
    },
    seccomp: {
      supported: statusField(status, "Seccomp") !== null,
      actions: (snapshot.files["/proc/sys/kernel/seccomp/actions_avail"] ?? "")
        .trim()
        .split(/\s+/)
        .filter(Boolean),
    },
    podman: { ...podman, parsed: podmanVersion },
    quadlet: { path: quadletPath, available: quadletPath !== null && versionAtLeast(podmanVersion, 4, 4) },
    runtimes: { runc: tool(snapshot, "runc"), crun: { ...crun, ...crunUsable(cgroup, crun) } },
    tools: {
      mmdebstrap: tool(snapshot, "mmdebstrap"),
      dnf: tool(snapshot, "dnf"),
      rpmbuild: tool(snapshot, "rpmbuild"),
      "dpkg-deb": tool(snapshot, "dpkg-deb"),
      conmon: tool(snapshot, "conmon"),
    },
    space,
    devices: { kvm: snapshot.exists["/dev/kvm"] === true, fuse: snapshot.exists["/dev/fuse"] === true },
    bluechi: {
      tree: snapshot.exists[QmPaths.rootfs] === true,
      agent: snapshot.exists[TREE_AGENT] === true,
      active: snapshot.probes["bluechi:agent-active"] ?? null,
      connected: snapshot.probes["bluechi:connected"] ?? null,
      online: snapshot.probes["bluechi:node-online"] ?? null,
    },
  };
}

/**
 * What qm's commands decide by, from the facts read once per command: whether systemd runs the partition (only the
 * machine's own tree, root "/"), whether SELinux is enforcing or permissive (its filesystem is there to load
 * policy into and label with), whether the cgroup hierarchy is v2 alone.
 */
export interface HostMode {
  readonly systemd: boolean;
  readonly selinux: boolean;
  readonly cgroupV2: boolean;
}

export function hostMode(f: HostFacts, root: string): HostMode {
  return {
    systemd: root === "/" && f.init.systemd,
    selinux: f.selinux.mode !== "disabled",
    cgroupV2: f.cgroup.mode === "v2",
  };
}
