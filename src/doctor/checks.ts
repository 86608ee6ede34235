import { PartitionNeeds, QmPaths, requiredControllers } from "../config/defaults.js";
import { type HostFacts, limitBelow, versionAtLeast } from "./facts.js";

/** A verdict about one aspect of the host. `fail` means a partition cannot run here until it is fixed. */
export type CheckStatus = "ok" | "info" | "warn" | "fail";

export interface Check {
  readonly id: string;
  readonly status: CheckStatus;
  readonly summary: string;
  readonly hint?: string;
}

/** How the partition will be run on this host. */
export interface RunPlan {
  readonly mode: "systemd" | "direct";
  readonly generator: "podman-quadlet" | "qm-quadlet";
  readonly runtime: "crun" | "runc" | null;
}

export interface DoctorReport {
  readonly ready: boolean;
  readonly plan: RunPlan;
  readonly checks: readonly Check[];
}

const GiB = 1024 ** 3;
const gib = (bytes: number): string => `${(bytes / GiB).toFixed(1)} GiB`;

function installHint(facts: HostFacts, what: string): string {
  const manager =
    facts.os.family === "fedora"
      ? "dnf install -y"
      : facts.os.family === "debian"
        ? "apt-get install -y"
        : "install";
  return `run 'scripts/install-host-deps' from the qm source tree, or '${manager} ${what}'`;
}

function podmanChecks(f: HostFacts): Check[] {
  const v = f.podman.parsed;
  if (!f.podman.path) {
    return [
      { id: "podman", status: "fail", summary: "podman is not installed", hint: installHint(f, "podman") },
    ];
  }
  const checks: Check[] = [];
  if (!versionAtLeast(v, 4, 0)) {
    checks.push({
      id: "podman",
      status: "fail",
      summary: `podman ${f.podman.version ?? "(version unknown)"} at ${f.podman.path} is older than 4.0`,
      hint: "install podman 4.0 or newer",
    });
  } else {
    checks.push({ id: "podman", status: "ok", summary: `podman ${v?.text} (${f.podman.path})` });
  }
  if (f.quadlet.available) {
    checks.push({ id: "quadlet", status: "ok", summary: `podman's quadlet available (${f.quadlet.path})` });
  } else {
    checks.push({
      id: "quadlet",
      status: "info",
      summary: `podman's quadlet not available (${versionAtLeast(v, 4, 4) ? "binary not found" : `podman ${v?.text ?? "?"} < 4.4`}): qm-quadlet generates qm.service`,
    });
  }
  if (v && !versionAtLeast(v, 4, 5)) {
    checks.push({
      id: "podman-oom-score-adj",
      status: "warn",
      summary: `podman ${v.text} ignores oom_score_adj in containers.conf (needs 4.5): nested containers do not get 750 from it`,
      hint: "nested containers need --oom-score-adj 750 or a precreate hook; podman >= 4.5 inside the partition avoids this",
    });
  }
  if (v && !versionAtLeast(v, 4, 7) && f.selinux.active) {
    checks.push({
      id: "podman-label-nested",
      status: "warn",
      summary: `podman ${v.text} lacks --security-opt label=nested (needs 4.7): SELinux labels inside the partition are not separated`,
      hint: "upgrade podman to 4.7 or newer",
    });
  }
  if (!f.tools.conmon.path) {
    checks.push({
      id: "conmon",
      status: "fail",
      summary: "conmon is not installed (podman needs it)",
      hint: installHint(f, "conmon"),
    });
  }
  return checks;
}

function runtimeCheck(f: HostFacts): { check: Check; runtime: RunPlan["runtime"] } {
  const { runc, crun } = f.runtimes;
  const crunNote = crun.path && !crun.usable ? ` (crun unusable: ${crun.reason})` : "";
  if (crun.usable)
    return {
      check: { id: "oci-runtime", status: "ok", summary: `crun ${crun.version ?? ""} (${crun.path})` },
      runtime: "crun",
    };
  if (runc.path) {
    return {
      check: {
        id: "oci-runtime",
        status: "ok",
        summary: `runc ${runc.version ?? ""} (${runc.path})${crunNote}`,
      },
      runtime: "runc",
    };
  }
  return {
    check: {
      id: "oci-runtime",
      status: "fail",
      summary: `no usable OCI runtime${crunNote}`,
      hint: installHint(f, "runc"),
    },
    runtime: null,
  };
}

function cgroupChecks(f: HostFacts): Check[] {
  const cg = f.cgroup;
  if (cg.mode === "none") {
    return [
      {
        id: "cgroup-mode",
        status: "fail",
        summary: "no cgroup filesystem is mounted under /sys/fs/cgroup",
        hint: "mount cgroup2 on /sys/fs/cgroup",
      },
    ];
  }
  const names = cg.controllers.map((c) => c.name);
  const checks: Check[] = [
    {
      id: "cgroup-mode",
      status: cg.mode === "v2" ? "ok" : "warn",
      summary:
        cg.mode === "v2"
          ? `cgroup v2 (${cg.unifiedMount}), controllers: ${names.join(" ")}`
          : `cgroup ${cg.mode === "hybrid" ? `hybrid (v1 controllers, cgroup2 at ${cg.unifiedMount} with ${cg.unifiedControllers.join(" ") || "no controllers"})` : "v1"}, controllers: ${names.join(" ")}`,
      ...(cg.mode === "v2"
        ? {}
        : {
            hint: "qm applies limits through v1 controllers; CPUWeight=idle becomes the lowest cpu.shares and IOWeight needs a BFQ disk",
          }),
    },
  ];
  for (const name of requiredControllers) {
    const c = cg.controllers.find((x) => x.name === name);
    if (!c) {
      checks.push({
        id: `cgroup-${name}`,
        status: "fail",
        summary: `cgroup controller '${name}' is not available`,
        hint: `enable it (kernel command line: cgroup_enable=${name}; on v2 add it to cgroup.subtree_control)`,
      });
    } else if (c.writable === false) {
      checks.push({
        id: `cgroup-${name}`,
        status: "fail",
        summary: `cgroup controller '${name}' (${c.mountpoint}) is read-only for qm`,
        hint: "run qm as root on the host (not in an unprivileged container), or delegate the hierarchy",
      });
    } else {
      checks.push({
        id: `cgroup-${name}`,
        status: "ok",
        summary: `'${name}' controller usable (${c.hierarchy}, ${c.mountpoint})`,
      });
    }
  }
  if (!names.includes("io")) {
    checks.push({
      id: "cgroup-io",
      status: "warn",
      summary: "no io/blkio controller: IOWeight and IOPS limits are not applied",
    });
  }
  return checks;
}

function selinuxPolicyCheck(mode: string, policy: HostFacts["selinux"]["qmPolicy"]): Check {
  if (policy === "loaded")
    return {
      id: "selinux-policy",
      status: "ok",
      summary: `SELinux policy module qm loaded (qm_t, qm_file_t, qm_container_t defined), SELinux ${mode}`,
    };
  if (policy === "missing")
    return {
      id: "selinux-policy",
      status: "fail",
      summary: `SELinux ${mode}, but the loaded policy lacks qm_t, qm_file_t or qm_container_t: podman cannot start the partition as qm_t`,
      hint: "'qm setup' installs qm's policy module (Debian: needs selinux-policy-dev); see docs/selinux.md",
    };
  return {
    id: "selinux-policy",
    status: "warn",
    summary: `SELinux ${mode}; whether qm's policy module is loaded was not checked (no selinux-type probes)`,
  };
}

function securityChecks(f: HostFacts): Check[] {
  const checks: Check[] = [];
  if (f.selinux.mode === "enforcing")
    checks.push({ id: "selinux", status: "ok", summary: "SELinux enforcing: qm_t confinement applies" });
  else if (f.selinux.mode === "permissive")
    checks.push({
      id: "selinux",
      status: "warn",
      summary: "SELinux permissive: denials are logged, not enforced",
      hint: "setenforce 1",
    });
  else
    checks.push({
      id: "selinux",
      status: "warn",
      summary: "SELinux is not active: SecurityLabel* keys are ignored and qm_t confinement is unavailable",
      hint: "isolation rests on namespaces, cgroups, seccomp and capabilities; enable SELinux where the distribution supports it",
    });
  if (f.selinux.active) checks.push(selinuxPolicyCheck(f.selinux.mode, f.selinux.qmPolicy));
  checks.push(
    f.capabilities.sysResource
      ? { id: "cap-sys-resource", status: "ok", summary: "CAP_SYS_RESOURCE present" }
      : {
          id: "cap-sys-resource",
          status: "warn",
          summary:
            "CAP_SYS_RESOURCE missing: the partition's OOMScoreAdjust=500 is no floor (the kernel records none, so any process in the partition can lower its own score to 0, next to ASIL software); hard rlimits cannot be raised and negative oom_score_adj is impossible (ASIL stand-ins run at 0)",
          hint: "qm clamps LimitNOFILE and podman ulimits to the current hard limits; run qm with CAP_SYS_RESOURCE to honour them fully and to make the OOM score a floor (FFI-OOM-02 checks it)",
        },
  );
  if (!f.seccomp.supported) {
    checks.push({
      id: "seccomp",
      status: "fail",
      summary: "the kernel has no seccomp: the no-realtime profile cannot be enforced",
      hint: "use a kernel built with CONFIG_SECCOMP_FILTER",
    });
  } else if (f.seccomp.actions.length > 0 && !f.seccomp.actions.includes("errno")) {
    checks.push({
      id: "seccomp",
      status: "fail",
      summary: `seccomp lacks the errno action (available: ${f.seccomp.actions.join(" ")})`,
    });
  } else {
    checks.push({
      id: "seccomp",
      status: "ok",
      summary: `seccomp filters supported${f.seccomp.actions.length ? ` (${f.seccomp.actions.join(" ")})` : ""}`,
    });
  }
  if (f.userNamespaces.max === 0) {
    checks.push({
      id: "user-namespaces",
      status: "warn",
      summary:
        "user namespaces disabled (user.max_user_namespaces=0): nested rootless containers and SubUIDMap cannot work",
      hint: "sysctl -w user.max_user_namespaces=15000",
    });
  } else {
    checks.push({
      id: "user-namespaces",
      status: "ok",
      summary: `user namespaces enabled (max ${f.userNamespaces.max ?? "unknown"})`,
    });
  }
  return checks;
}

function limitChecks(f: HostFacts): Check[] {
  const show = (l: HostFacts["limits"]["nofile"]): string =>
    l ? `soft ${l.soft}, hard ${l.hard}` : "unknown";
  return [
    limitBelow(f.limits.nofile, PartitionNeeds.nofile)
      ? {
          id: "limit-nofile",
          status: "warn",
          summary: `open files hard limit ${String(f.limits.nofile?.hard)} < LimitNOFILE=${PartitionNeeds.nofile}: qm clamps it to ${String(f.limits.nofile?.hard)}`,
          hint: "raise the hard limit (limits.conf or the service manager) to honour LimitNOFILE=65536",
        }
      : { id: "limit-nofile", status: "ok", summary: `open files: ${show(f.limits.nofile)}` },
    limitBelow(f.limits.nproc, PartitionNeeds.nproc)
      ? {
          id: "limit-nproc",
          status: "warn",
          summary: `processes hard limit ${String(f.limits.nproc?.hard)} < ${PartitionNeeds.nproc}: the partition may not start its services`,
          hint: "raise the nproc hard limit",
        }
      : { id: "limit-nproc", status: "ok", summary: `processes: ${show(f.limits.nproc)}` },
  ];
}

function toolChecks(f: HostFacts): Check[] {
  const checks: Check[] = [];
  const builder = f.os.family === "fedora" ? "dnf" : "mmdebstrap";
  const other = builder === "dnf" ? "mmdebstrap" : "dnf";
  const found = f.tools[builder].path ? builder : f.tools[other].path ? other : null;
  checks.push(
    found
      ? {
          id: "rootfs-builder",
          status: "ok",
          summary: `${found} ${f.tools[found].version ?? ""} builds the partition tree (${f.tools[found].path})`,
        }
      : {
          id: "rootfs-builder",
          status: "warn",
          summary: `neither mmdebstrap nor dnf found: qm setup can only use --from-tar or --from-dir`,
          hint: installHint(f, builder),
        },
  );
  for (const name of ["rpmbuild", "dpkg-deb"] as const) {
    const t = f.tools[name];
    checks.push(
      t.path
        ? { id: name, status: "ok", summary: `${name} ${t.version ?? ""} (${t.path})` }
        : {
            id: name,
            status: "info",
            summary: `${name} not found: 'qm dropin build --format ${name === "rpmbuild" ? "rpm" : "deb"}' unavailable`,
            hint: installHint(f, name === "rpmbuild" ? "rpm" : "dpkg-dev"),
          },
    );
  }
  return checks;
}

/** Whether the partition's /var can fill the host's root filesystem (FFI-DISK-01). */
function varBoundedCheck(f: HostFacts): Check[] {
  const path = QmPaths.rwVar;
  const probe = f.space[path];
  if (!probe || probe.onRootFilesystem === undefined) return [];
  if (!probe.onRootFilesystem)
    return [
      {
        id: "var-bounded",
        status: "ok",
        summary: `${path} is a filesystem of its own: ${gib(probe.totalBytes ?? 0)}, ${gib(probe.freeBytes)} free`,
      },
    ];
  return [
    {
      id: "var-bounded",
      status: probe.measured === path ? "warn" : "info",
      summary: `${path} ${probe.measured === path ? "is" : "would be"} on the host's root filesystem: the partition can fill the host's disk (FFI-DISK-01 fails)`,
      hint: "'qm setup --var-size 4G' bounds it without repartitioning (docs/setup.md), or mount a partition of its own there",
    },
  ];
}

/** Whether the partition can join a BlueChi cluster (once qm setup has built its tree). */
function bluechiCheck(f: HostFacts): Check[] {
  const b = f.bluechi;
  if (!b.tree) return [];
  const id = "bluechi-agent";
  const hint = "see 'qm status' and 'podman exec qm journalctl -u bluechi-agent' (docs/bluechi.md)";
  if (b.agent && b.active === false)
    return [{ id, status: "warn", summary: "bluechi-agent is not active in the running partition", hint }];
  if (b.agent && b.connected === false)
    return [
      {
        id,
        status: "warn",
        summary: "bluechi-agent runs in the partition but is not connected to a controller",
        hint,
      },
    ];
  if (b.agent && b.online === false)
    return [
      {
        id,
        status: "warn",
        summary: "this host's BlueChi controller does not have the partition's node online",
        hint,
      },
    ];
  if (b.agent)
    return [
      {
        id,
        status: "ok",
        summary:
          b.connected === null
            ? "bluechi-agent is in the partition's tree (the partition is not running: 'qm status' tells more once it is)"
            : `bluechi-agent in the partition is active and connected${b.online ? "; this host's controller has the node online" : ""}`,
      },
    ];
  return [
    {
      id: "bluechi-agent",
      status: "info",
      summary: "the partition's tree has no bluechi-agent: the partition joins no BlueChi cluster",
      hint: "on Debian and Ubuntu build BlueChi (scripts/build-bluechi) and rerun 'qm setup --bluechi-from DIR' (docs/bluechi.md)",
    },
  ];
}

function spaceChecks(f: HostFacts): Check[] {
  return Object.entries(f.space).map(([path, probe]): Check => {
    const id = `space${path.replaceAll("/", "-")}`;
    if (!probe) return { id, status: "warn", summary: `free space under ${path} could not be measured` };
    const where = probe.measured === path ? path : `${path} (on ${probe.measured})`;
    if (probe.freeBytes < PartitionNeeds.minFreeBytes) {
      return {
        id,
        status: "fail",
        summary: `${gib(probe.freeBytes)} free under ${where}; at least ${gib(PartitionNeeds.minFreeBytes)} needed`,
        hint: `free space or mount a larger filesystem at ${path}`,
      };
    }
    if (probe.freeBytes < PartitionNeeds.comfortableFreeBytes) {
      return {
        id,
        status: "warn",
        summary: `only ${gib(probe.freeBytes)} free under ${where}`,
        hint: `nested images need room; ${gib(PartitionNeeds.comfortableFreeBytes)} or more is advised`,
      };
    }
    return { id, status: "ok", summary: `${gib(probe.freeBytes)} free under ${where}` };
  });
}

/** Pure: facts in, verdicts out. */
export function diagnose(f: HostFacts): DoctorReport {
  const runtime = runtimeCheck(f);
  const checks: Check[] = [
    f.root
      ? { id: "root", status: "ok", summary: "running as root" }
      : {
          id: "root",
          status: "fail",
          summary: "not running as root: the partition needs root podman, cgroups and mounts",
          hint: "run qm as root",
        },
    f.init.systemd
      ? { id: "init", status: "ok", summary: "systemd is PID 1: qm.service runs under systemd" }
      : {
          id: "init",
          status: "info",
          summary: `PID 1 is '${f.init.pid1 || "unknown"}', not systemd: qm runs the partition directly (qm start applies the [Service] settings itself)`,
        },
    ...podmanChecks(f),
    runtime.check,
    ...cgroupChecks(f),
    ...securityChecks(f),
    ...limitChecks(f),
    ...toolChecks(f),
    ...spaceChecks(f),
    ...varBoundedCheck(f),
    ...bluechiCheck(f),
  ];
  return {
    ready: !checks.some((c) => c.status === "fail"),
    plan: {
      mode: f.init.systemd ? "systemd" : "direct",
      generator: f.quadlet.available ? "podman-quadlet" : "qm-quadlet",
      runtime: runtime.runtime,
    },
    checks,
  };
}
