import { dirname, join } from "node:path";
import { PODMAN_QUADLETS } from "../rootfs/source.js";
import {
  type ControllerAddress,
  controllerAgentConf,
  controllerDropIn,
  partitionAgentConf,
} from "./agent-conf.js";
import { dropInText, MOUNT_UNIT_DIR, mountUnitName, mountUnitText, VAR_IMAGE } from "./bounded-var.js";
import {
  defaultStorageConf,
  editStorageConf,
  nestedContainersConf,
  nestedLimits,
} from "./containers-conf.js";
import { PODMAN_NPROC_CEILING } from "./direct-plan.js";
import {
  minimalBaseProfile,
  noRealtimeProfile,
  parseProfile,
  renderProfile,
  type SeccompProfile,
  withoutModules,
} from "./seccomp.js";
import type { OwnedPaths } from "./state.js";
import { ensureSubIds, hostSubIds, partitionSubIds } from "./subids.js";

/** Upstream setup's options (reference §2.1); every path is absolute inside the root being set up. */
export interface SetupPaths {
  readonly installDir: string;
  readonly rootfs: string;
  readonly rwEtc: string;
  readonly rwVar: string;
}

/** One thing setup makes sure of. Paths are absolute inside the root. */
export type PlannedEntry =
  | { readonly kind: "dir"; readonly path: string; readonly mode: number; readonly why: string }
  | {
      readonly kind: "file";
      readonly path: string;
      readonly content: string;
      readonly mode: number;
      readonly why: string;
    }
  | { readonly kind: "symlink"; readonly path: string; readonly target: string; readonly why: string }
  /** A shared file where setup only adds lines: full new text, and the lines it added (removed again on uninstall). */
  | {
      readonly kind: "append";
      readonly path: string;
      readonly content: string;
      readonly added: readonly string[];
      readonly why: string;
    };

/** Data files this project ships (share/). */
export interface ShippedFiles {
  readonly qmContainer: string;
  readonly containersConf: string;
  readonly contexts: string;
  readonly fileContexts: string;
  readonly oomHook: string;
  /** The bundled oci-qm-partition-cgroups hook (a Node script). */
  readonly cgroupHook: string;
  /** The bundled qm-quadlet and its generator wrapper (share/systemd/qm-quadlet-generator). */
  readonly quadletBundle: string;
  readonly quadletGenerator: string;
}

/** What setup read from the host and the tree before planning. */
export interface SetupInputs {
  readonly paths: SetupPaths;
  readonly hostname: string;
  readonly shipped: ShippedFiles;
  readonly host: {
    readonly osId: string;
    readonly versionId: string;
    readonly selinux: boolean;
    readonly cgroupV2: boolean;
    readonly nofileHard: number | "unlimited";
    readonly nprocHard: number | "unlimited";
    readonly subuid: string | null;
    readonly subgid: string | null;
    readonly agentConf: string | null;
    /** The host's containers seccomp.json (/usr/share/containers/seccomp.json). */
    readonly seccomp: string | null;
  };
  readonly tree: {
    /** podman version inside the tree, e.g. "4.3.1"; null if unknown. */
    readonly podmanVersion: string | null;
    readonly seccomp: string | null;
    /** First existing of the partition's /etc, /usr/lib and /usr/share containers storage.conf. */
    readonly storageConf: string | null;
    readonly agentConf: string | null;
    readonly subuid: string | null;
    readonly subgid: string | null;
    readonly hasBluechiAgent: boolean;
    /** The tree has a D-Bus system bus (dbus-daemon or dbus-broker), which bluechi-agent needs. */
    readonly hasSystemBus: boolean;
    /** The tree's podman has its own quadlet generator (podman 4.4 and later). */
    readonly hasPodmanQuadlet: boolean;
    /** The tree has Node.js (/usr/bin/node), which qm-quadlet runs on. */
    readonly hasNode: boolean;
    /** Units of the tree that cannot work inside a partition (see MASKED_UNITS). */
    readonly maskable: readonly string[];
  };
  /** `--bluechi-controller`: how the partition's agent reaches the controller (absent: files left as they are). */
  readonly controller?: ControllerAddress;
  /** `--var-size` (or the size of the image an earlier run made): the partition's /var in an image file. */
  readonly boundedVar?: { readonly sizeBytes: number };
}

export interface SetupPlan {
  readonly entries: readonly PlannedEntry[];
  /** Adaptations and fallbacks a person should know about. */
  readonly notes: readonly string[];
}

export const QM_CONTAINER_PATH = "/usr/share/containers/systemd/qm.container";
export const DROPIN_DIR = "/etc/containers/systemd/qm.container.d";
const BOUNDED_VAR_DROPIN = `${QM_CONTAINER_PATH}.d/10-qm-bounded-var.conf`;
const varMountUnit = (paths: SetupPaths): string => `${MOUNT_UNIT_DIR}/${mountUnitName(paths.rwVar)}`;
const AGENT_CONF = "bluechi/agent.conf.d/agent.conf";
/** Read after agent.conf (alphabetically), so its settings win over those copied from the host's agent. */
const CONTROLLER_CONF = "bluechi/agent.conf.d/qm-controller.conf";
const CONTROLLER_DROPIN = `${QM_CONTAINER_PATH}.d/20-qm-bluechi-controller.conf`;

/** The agent's controller settings and the partition's mount of the controller's socket directory. */
function controllerEntries(paths: SetupPaths, a: ControllerAddress): PlannedEntry[] {
  const why =
    a.kind === "unix" ? `BlueChi controller at ${a.socket}` : `BlueChi controller at ${a.host}:${a.port}`;
  return [
    {
      kind: "file",
      path: join(paths.rwEtc, CONTROLLER_CONF),
      content: controllerAgentConf(a),
      mode: 0o644,
      why,
    },
    { kind: "file", path: CONTROLLER_DROPIN, content: controllerDropIn(a), mode: 0o644, why },
  ];
}
/**
 * Units of the tree the partition does not run, masked so its systemd reaches "running":
 * - e2scrub_reap (Debian's e2fsprogs) wants LVM snapshots of host disks;
 * - systemd-modules-load runs because the partition holds CAP_SYS_MODULE in its bounding set, and fails since no
 *   module may be loaded from it;
 * - the mounts of the kernel's single-instance filesystems: debugfs, tracefs, configfs and fusectl. A mount of one
 *   in the partition is the host's instance (kernel internals and tracing, kernel subsystem configuration, every
 *   FUSE connection of the host), so qm's SELinux policy refuses them (docs/selinux.md).
 */
export const MASKED_UNITS = [
  "e2scrub_reap.service",
  "systemd-modules-load.service",
  "sys-kernel-debug.mount",
  "sys-kernel-tracing.mount",
  "sys-kernel-config.mount",
  "sys-fs-fuse-connections.mount",
] as const;
const OOM_HOOK = "/usr/libexec/qm/oci-qm-nested-oom-score-adj";
const CGROUP_HOOK = "/usr/libexec/qm/oci-qm-partition-cgroups";
/** qm-quadlet inside the tree, laid out as `make install` lays it out below $PREFIX/lib/qm, but not in /usr/lib/qm:
 * upstream's FFI checks that no /usr/lib/qm is visible inside the partition (FFI-VIS-01). */
export const TREE_QUADLET = {
  bundle: "/usr/lib/qm-quadlet/dist/qm-quadlet.mjs",
  script: "/usr/lib/qm-quadlet/share/systemd/qm-quadlet-generator",
  link: "/usr/lib/systemd/system-generators/qm-quadlet-generator",
} as const;

/** What turns the partition's nested quadlets into units at its daemon-reload. */
export interface NestedGenerator {
  readonly kind: "podman" | "qm-quadlet" | "none";
  /** Inside the partition. */
  readonly path: string | null;
}

/** The partition's quadlet generator, from what the tree holds (`exists` answers for paths inside the tree). */
export function nestedGenerator(exists: (pathInTree: string) => boolean): NestedGenerator {
  const podman = PODMAN_QUADLETS.find((q) => exists(q));
  if (podman) return { kind: "podman", path: `/${podman}` };
  if (exists(TREE_QUADLET.link.slice(1)) && exists(TREE_QUADLET.bundle.slice(1)))
    return { kind: "qm-quadlet", path: TREE_QUADLET.link };
  return { kind: "none", path: null };
}

/** An OCI hook configuration selected by one annotation key. */
function hookJson(path: string, annotation: string, stage: "prestart" | "precreate"): string {
  const config = {
    version: "1.0.0",
    hook: { path },
    when: { annotations: { [annotation]: ".+" } },
    stages: [stage],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
/** The default hooks directory of podman on Debian and Fedora; podman's restarts read only configured ones. */
const HOST_HOOKS_DIR = "/usr/share/containers/oci/hooks.d";
/** Directories outside the trees (and the install directory) that setup writes into; relabelled on SELinux hosts. */
export const SETUP_DIRS_OUTSIDE_TREES = [
  dirname(QM_CONTAINER_PATH),
  dirname(DROPIN_DIR),
  dirname(CGROUP_HOOK),
  HOST_HOOKS_DIR,
] as const;
/**
 * Files earlier versions of `qm setup` wrote and this one no longer does, with the SHA-256 of every text qm ever
 * wrote there. Setup removes such a file only while it is a regular file holding one of those texts: one of the
 * same name with any other content is not qm's and stays.
 */
export interface RetiredFile {
  readonly path: string;
  readonly sha256: readonly string[];
}
export const RETIRED_FILES: readonly RetiredFile[] = [
  // The prestart hook that counted direct-mode starts before the supervisor did (docs/decisions.md).
  {
    path: "/usr/libexec/qm/oci-qm-start-limit",
    sha256: ["7e8166b97b39be6ff3645c439e7fb741d67b83e7a4be96987b72f7d62da17581"],
  },
  {
    path: join(HOST_HOOKS_DIR, "qm-start-limit.json"),
    sha256: ["bb90268d622b1701f9644c782dfc2e32bd89a385e535872b4e0dbf20a5333b0f"],
  },
];
/** Shared files setup appends the host's sub-ID ranges to. */
const SUBUID = "/etc/subuid";
const SUBGID = "/etc/subgid";
const SUBID_FILES = [SUBUID, SUBGID];
/** Partition LimitNOFILE from the shipped qm.container. */
const PARTITION_NOFILE = 65536;

function versionAtLeast(text: string | null, major: number, minor: number): boolean {
  const m = /(\d+)\.(\d+)/.exec(text ?? "");
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

/** CentOS Stream <= 9 has no podman with label=nested: upstream deletes those lines from the quadlet. */
function quadletFor(osId: string, versionId: string, text: string): { text: string; note?: string } {
  if (osId === "centos" && Number.parseInt(versionId, 10) <= 9) {
    return {
      text: text.replace(/^SecurityLabelNested=.*\n/gm, ""),
      note: "CentOS <= 9: SecurityLabelNested removed from qm.container",
    };
  }
  return { text };
}

function seccompFor(inputs: SetupInputs): { content: string; note?: string } {
  const base = inputs.host.seccomp ?? inputs.tree.seccomp;
  // Without SELinux, the filter keeps kernel modules out of the partition whatever a drop-in grants.
  const modules = inputs.host.selinux ? (p: SeccompProfile) => p : withoutModules;
  if (base === null) {
    return {
      content: renderProfile(modules(noRealtimeProfile(minimalBaseProfile))),
      note: "no containers seccomp.json on the host or in the tree: seccomp-no-rt.json only removes realtime scheduling",
    };
  }
  const source =
    inputs.host.seccomp !== null ? "/usr/share/containers/seccomp.json" : "the tree's seccomp.json";
  return { content: renderProfile(modules(noRealtimeProfile(parseProfile(base, source)))) };
}

/** Pure: everything `qm setup` writes, from what it read. */
export function planSetup(inputs: SetupInputs): SetupPlan {
  const { paths, shipped, host, tree } = inputs;
  const notes: string[] = [];
  const entries: PlannedEntry[] = [];
  const file = (path: string, content: string, why: string, mode = 0o644): void => {
    entries.push({ kind: "file", path, content, mode, why });
  };
  const dir = (path: string, why: string, mode = 0o755): void => {
    entries.push({ kind: "dir", path, mode, why });
  };

  // Defaults, as the qm package installs them.
  dir(paths.installDir, "qm defaults");
  file(
    join(paths.installDir, "containers.conf"),
    shipped.containersConf,
    "default containers.conf for nested containers",
  );
  file(join(paths.installDir, "contexts"), shipped.contexts, "SELinux contexts of nested containers");
  file(
    join(paths.installDir, "file_contexts"),
    shipped.fileContexts,
    "SELinux file contexts inside the partition",
  );
  const seccomp = seccompFor(inputs);
  if (seccomp.note) notes.push(seccomp.note);
  file(
    join(paths.installDir, "seccomp-no-rt.json"),
    seccomp.content,
    "seccomp profile without realtime scheduling",
  );
  const quadlet = quadletFor(host.osId, host.versionId, shipped.qmContainer);
  if (quadlet.note) notes.push(quadlet.note);
  file(QM_CONTAINER_PATH, quadlet.text, "the partition's quadlet");
  dir(DROPIN_DIR, "drop-ins for qm.container");
  if (!host.selinux) {
    // podman >= 4.7 fails label=nested without /sys/fs/selinux; quadlet reads drop-ins beside the unit too.
    // AddCapability=all keeps CAP_SYS_MODULE, and the containers seccomp profile allows the module syscalls to
    // holders of it: only SELinux policy stands between the partition and the host kernel's modules.
    file(
      `${QM_CONTAINER_PATH}.d/10-qm-no-selinux.conf`,
      [
        "# Written by qm setup: this host has no SELinux.",
        "[Container]",
        "# podman refuses label=nested without SELinux.",
        "SecurityLabelNested=false",
        "# Without SELinux policy, CAP_SYS_MODULE would let the partition load kernel modules (seccomp-no-rt.json",
        "# refuses them too, so a drop-in that resets DropCapability= does not give them back).",
        "DropCapability=sys_module",
        "",
      ].join("\n"),
      "no label=nested and no CAP_SYS_MODULE on a host without SELinux",
    );
    notes.push(
      "no SELinux on this host: SecurityLabelNested=false and DropCapability=sys_module in a drop-in beside qm.container; seccomp-no-rt.json refuses init_module, finit_module and delete_module",
    );
  }

  if (inputs.boundedVar) {
    file(
      varMountUnit(paths),
      mountUnitText(VAR_IMAGE, paths.rwVar, inputs.boundedVar.sizeBytes),
      "bounded /var: the image on the partition's /var",
    );
    file(BOUNDED_VAR_DROPIN, dropInText(paths.rwVar), "bounded /var: mounted before the partition starts");
  }

  // The partition's /etc (on the host: rwEtc).
  const etc = (p: string): string => join(paths.rwEtc, p);
  const v2 = host.cgroupV2;
  if (!v2)
    notes.push("cgroup v1 host: nested containers use runc and no cgroup_conf (memory.oom.group is v2 only)");
  // The partition itself gets at most these (see planDirect): nested limits must fit inside them.
  const limits = nestedLimits(
    Math.min(PARTITION_NOFILE, host.nofileHard === "unlimited" ? PARTITION_NOFILE : host.nofileHard),
    Math.min(PODMAN_NPROC_CEILING, host.nprocHard === "unlimited" ? PODMAN_NPROC_CEILING : host.nprocHard),
  );
  file(
    etc("containers/containers.conf"),
    nestedContainersConf(shipped.containersConf, {
      limits,
      cgroupV2: v2,
      ...(v2 ? {} : { runtime: "runc" }),
    }),
    "nested podman configuration",
  );
  const transient = versionAtLeast(tree.podmanVersion, 4, 4);
  if (!transient)
    notes.push(`podman ${tree.podmanVersion ?? "?"} in the tree predates transient_store (4.4): not set`);
  file(
    etc("containers/storage.conf"),
    tree.storageConf === null ? defaultStorageConf(transient) : editStorageConf(tree.storageConf, transient),
    "nested podman storage: shared image store /var/lib/shared",
  );
  dir(etc("containers/systemd"), "quadlets of nested containers");
  dir(join(paths.rwVar, "lib/shared"), "additional image store");
  dir(join(paths.rwVar, "tmp.images"), "TMPDIR for image copies");
  dir(join(paths.rwVar, "tmp"), "disk-backed /var/tmp", 0o1777);
  if (host.selinux) {
    file(etc("selinux/targeted/contexts/files/file_contexts"), shipped.fileContexts, "SELinux file contexts");
    file(
      join(paths.rootfs, "usr/share/containers/selinux/contexts"),
      shipped.contexts,
      "nested container SELinux contexts",
    );
  }
  const subuid = ensureSubIds(tree.subuid, partitionSubIds);
  const subgid = ensureSubIds(tree.subgid, partitionSubIds);
  file(etc("subuid"), subuid.text, "sub-UIDs for nested containers");
  file(etc("subgid"), subgid.text, "sub-GIDs for nested containers");
  file(
    etc(AGENT_CONF),
    partitionAgentConf(tree.agentConf, host.agentConf, inputs.hostname),
    "BlueChi agent: node qm.<hostname>",
  );
  if (inputs.controller) entries.push(...controllerEntries(paths, inputs.controller));
  for (const unit of tree.maskable) {
    entries.push({
      kind: "symlink",
      path: etc(`systemd/system/${unit}`),
      target: "/dev/null",
      why: "mask a host unit the partition does not run",
    });
  }
  if (tree.hasBluechiAgent) {
    entries.push({
      kind: "symlink",
      path: etc("systemd/system/multi-user.target.wants/bluechi-agent.service"),
      target: "/usr/lib/systemd/system/bluechi-agent.service",
      why: "start bluechi-agent in the partition",
    });
    if (!tree.hasSystemBus)
      notes.push(
        "bluechi-agent is installed but the tree has no D-Bus system bus (dbus): the agent cannot start",
      );
  } else {
    notes.push(
      "bluechi-agent is not installed in the tree (Debian and Ubuntu do not ship it; give a BlueChi build with --bluechi-from): the partition joins no BlueChi cluster",
    );
  }
  const inTree = (p: string): string => join(paths.rootfs, p);
  if (tree.hasPodmanQuadlet) {
    // podman's own generator converts nested quadlets.
  } else if (tree.hasNode) {
    file(inTree(TREE_QUADLET.bundle), shipped.quadletBundle, "qm-quadlet, the partition's quadlet generator");
    file(inTree(TREE_QUADLET.script), shipped.quadletGenerator, "qm-quadlet as a systemd generator", 0o755);
    entries.push({
      kind: "symlink",
      path: inTree(TREE_QUADLET.link),
      target: TREE_QUADLET.script,
      why: "convert nested quadlets at the partition's daemon-reload",
    });
    notes.push(
      `podman ${tree.podmanVersion ?? "?"} in the tree has no quadlet: qm-quadlet converts nested quadlets (${TREE_QUADLET.link})`,
    );
  } else {
    notes.push(
      `podman ${tree.podmanVersion ?? "?"} in the tree has no quadlet and the tree has no Node.js for qm-quadlet: nested quadlets in /etc/qm/containers/systemd are not converted (add nodejs to the tree)`,
    );
  }
  if (!versionAtLeast(tree.podmanVersion, 4, 5)) {
    notes.push(
      `podman ${tree.podmanVersion ?? "?"} in the tree ignores oom_score_adj in containers.conf: a precreate hook sets 750`,
    );
    file(join(paths.rootfs, OOM_HOOK), shipped.oomHook, "oom_score_adj 750 for nested containers", 0o755);
    file(
      join(paths.rootfs, "usr/share/containers/oci/hooks.d/qm-nested-oom-score-adj.json"),
      `${JSON.stringify({ version: "1.0.0", hook: { path: OOM_HOOK }, when: { always: true }, stages: ["precreate"] }, null, 2)}\n`,
      "run the oom_score_adj hook for every nested container",
    );
  }

  // Delegated cgroup v1 subtree for the partition (direct mode on v1 hosts; see src/partition/cgroup-hook.ts).
  file(CGROUP_HOOK, shipped.cgroupHook, "cgroup v1 delegation for the partition", 0o755);
  file(
    join(HOST_HOOKS_DIR, "qm-partition-cgroups.json"),
    hookJson(CGROUP_HOOK, "^org\\.containers\\.qm\\.cgroups-v1$", "precreate"),
    "run the cgroup delegation hook for the partition",
  );

  // Host sub-ID ranges for the partition and its nested containers.
  const hostUid = ensureSubIds(host.subuid, hostSubIds);
  const hostGid = ensureSubIds(host.subgid, hostSubIds);
  entries.push({
    kind: "append",
    path: SUBUID,
    content: hostUid.text,
    added: hostUid.added,
    why: "host sub-UIDs",
  });
  entries.push({
    kind: "append",
    path: SUBGID,
    content: hostGid.text,
    added: hostGid.added,
    why: "host sub-GIDs",
  });
  return { entries, notes };
}

/**
 * Every path `qm setup` may create below a root, whatever the host and tree: the three trees, the files it writes
 * outside them and their directories. `--remove-qm-rootfs` refuses a state file that names anything else. A unit
 * test checks planSetup against this list, so the two cannot drift apart.
 */
export function ownedPaths(paths: SetupPaths, stateFile: string): OwnedPaths {
  return {
    trees: [paths.rootfs, paths.rwEtc, paths.rwVar],
    files: [
      ...["containers.conf", "contexts", "file_contexts", "seccomp-no-rt.json", "selinux-module.sha256"].map(
        (f) => join(paths.installDir, f),
      ),
      QM_CONTAINER_PATH,
      `${QM_CONTAINER_PATH}.d/10-qm-no-selinux.conf`,
      BOUNDED_VAR_DROPIN,
      CONTROLLER_DROPIN,
      varMountUnit(paths),
      VAR_IMAGE,
      CGROUP_HOOK,
      join(HOST_HOOKS_DIR, "qm-partition-cgroups.json"),
      // State files of earlier versions name them.
      ...RETIRED_FILES.map((f) => f.path),
      ...SUBID_FILES,
      stateFile,
    ],
    dirs: [paths.installDir, DROPIN_DIR, `${QM_CONTAINER_PATH}.d`],
    appended: SUBID_FILES,
  };
}

/** `qm setup bluechi-agent`: only the agent configuration. */
export function planAgentOnly(
  inputs: Pick<SetupInputs, "paths" | "hostname" | "controller"> & {
    hostAgentConf: string | null;
    treeAgentConf: string | null;
  },
): SetupPlan {
  return {
    entries: [
      {
        kind: "file",
        path: join(inputs.paths.rwEtc, AGENT_CONF),
        content: partitionAgentConf(inputs.treeAgentConf, inputs.hostAgentConf, inputs.hostname),
        mode: 0o644,
        why: "BlueChi agent: node qm.<hostname>",
      },
      ...(inputs.controller ? controllerEntries(inputs.paths, inputs.controller) : []),
    ],
    notes: [],
  };
}
