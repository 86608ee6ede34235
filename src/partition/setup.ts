import { existsSync, rmSync, statSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { dirname, join } from "node:path";
import { QmPaths } from "../config/defaults.js";
import { qmRootFs } from "../config/fs.js";
import { QmError } from "../core/errors.js";
import { bundleFileName, shareDir, siblingBundle } from "../core/paths.js";
import { isHostname } from "../core/text.js";
import { readHostFacts } from "../doctor/collect.js";
import { type HostMode, hostMode, parseLimit, parseOsRelease } from "../doctor/facts.js";
import { run } from "../engine/exec.js";
import { readText, writeFileAtomic } from "../engine/fs.js";
import { mountsUnder } from "../engine/host.js";
import { inspectContainer } from "../engine/podman.js";
import type { SafeRoot } from "../engine/safe-fs.js";
import { which } from "../engine/which.js";
import { agentPayload } from "../rootfs/bluechi.js";
import { assertReplaceable, buildRootfs, readMarker } from "../rootfs/build.js";
import {
  debianPackages,
  defaultMirror,
  describeSource,
  dnfArgv,
  fedoraPackages,
  HOST_PODMAN_QUADLETS,
  mmdebstrapArgv,
  PODMAN_QUADLETS,
  type RootfsSource,
  sourceFingerprint,
} from "../rootfs/source.js";
import { type ControllerAddress, checkBluechiConf } from "./agent-conf.js";
import { applyEntry, type Change, ensureDirRecorded, preview, retireFiles } from "./apply.js";
import { checkUnitPath, formatSize, VAR_IMAGE } from "./bounded-var.js";
import { loadContext } from "./context.js";
import {
  installedModules,
  installPolicyModule,
  POLICY_MODULE,
  POLICY_RECORD,
  policyDigest,
  policyVariant,
  relabel,
  removePolicyModule,
} from "./selinux.js";
import {
  MASKED_UNITS,
  ownedPaths,
  planAgentOnly,
  planSetup,
  RETIRED_FILES,
  SETUP_DIRS_OUTSIDE_TREES,
  type SetupInputs,
  type SetupPaths,
  type SetupPlan,
} from "./setup-plan.js";
import { checkStateAgainst, StateFile } from "./state.js";
import { removeSubIdLines } from "./subids.js";
import {
  createVarImage,
  growVarImage,
  imageSize,
  mountVar,
  ourLoopAt,
  unmountVar,
  varMountFor,
} from "./var-image.js";

export interface SetupOptions {
  readonly root: string;
  readonly paths: SetupPaths;
  readonly hostname: string | undefined;
  readonly skipSystemctl: boolean;
  readonly dryRun: boolean;
  readonly fromTar: string | undefined;
  readonly fromDir: string | undefined;
  /** `--bluechi-from`: a BlueChi build whose agent goes into the tree. */
  readonly bluechiFrom?: string | undefined;
  /** `--bluechi-controller`: how the partition's agent reaches the controller. */
  readonly bluechiController?: ControllerAddress | undefined;
  readonly suite: string | undefined;
  readonly mirror: string | undefined;
  readonly packages: readonly string[];
  /** --var-size in bytes: the partition's /var in an image file of this size. */
  readonly varSize?: number | undefined;
  readonly log: (line: string) => void;
}

export const defaultSetupPaths: SetupPaths = {
  installDir: QmPaths.installDir,
  rootfs: QmPaths.rootfs,
  rwEtc: QmPaths.rwEtc,
  rwVar: QmPaths.rwVar,
};

export interface SetupReport {
  readonly action: "install" | "bluechi-agent" | "remove";
  readonly dryRun: boolean;
  readonly root: string;
  readonly paths: SetupPaths;
  readonly rootfs?: {
    readonly action: "built" | "unchanged" | "would build";
    readonly source: string;
    readonly command?: readonly string[];
  };
  readonly changes: readonly Change[];
  readonly removed?: readonly string[];
  readonly notes: readonly string[];
  readonly changed: number;
}

/** The state file, in-root: beside the partition's tree. */
const statePath = (o: SetupOptions): string => join(dirname(o.paths.rootfs), "setup-state.json");

/** The root as setup reads and writes it: the partition's /etc and /var never through a link. */
const setupFs = (o: SetupOptions): SafeRoot => qmRootFs(o.root, o.paths);

function machineOs(fs: SafeRoot): Record<string, string> {
  return parseOsRelease(fs.readText("/etc/os-release") ?? readText("/etc/os-release"));
}

function fingerprintOf(path: string): string {
  const s = statSync(path);
  return `${s.size}:${s.mtimeMs}:${s.ino}`;
}

/** Pick the tree's source: an offline tarball or directory, else the distribution's own builder. */
export function chooseSource(o: SetupOptions): RootfsSource {
  if (o.fromTar && o.fromDir) throw new QmError("QM_USAGE", "--from-tar and --from-dir exclude each other");
  for (const [flag, path, kind] of [
    ["--from-tar", o.fromTar, "file"],
    ["--from-dir", o.fromDir, "directory"],
  ] as const) {
    if (path === undefined) continue;
    if (!existsSync(path) || statSync(path).isDirectory() !== (kind === "directory")) {
      throw new QmError("QM_SETUP_SOURCE", `${flag} ${path}: no such ${kind}`);
    }
    return flag === "--from-tar"
      ? { kind: "tar", file: path, fingerprint: fingerprintOf(path) }
      : { kind: "dir", dir: path, fingerprint: fingerprintOf(path) };
  }
  const os = parseOsRelease(readText("/etc/os-release"));
  const like = ` ${os.ID ?? ""} ${os.ID_LIKE ?? ""} `;
  if (/ (fedora|rhel|centos) /.test(like)) {
    const releasever = os.VERSION_ID ?? "";
    return {
      kind: "dnf",
      releasever,
      packages: [...fedoraPackages, ...o.packages],
      useHostConfig: os.ID === "fedora" && Number.parseInt(releasever, 10) >= 41,
    };
  }
  const suite = o.suite ?? os.VERSION_CODENAME;
  if (!suite) {
    throw new QmError(
      "QM_SETUP_SOURCE",
      "cannot tell which Debian/Ubuntu suite to build (no VERSION_CODENAME in /etc/os-release)",
      {
        hint: "pass --suite NAME, or --from-tar FILE / --from-dir DIR",
      },
    );
  }
  return {
    kind: "mmdebstrap",
    suite,
    mirror: o.mirror ?? defaultMirror(os.ID ?? "debian"),
    packages: [...debianPackages, ...o.packages],
  };
}

function builderCommand(source: RootfsSource, target: string): string[] | undefined {
  if (source.kind === "mmdebstrap") return ["mmdebstrap", ...mmdebstrapArgv(source, target)];
  if (source.kind === "dnf") return ["dnf", ...dnfArgv(source, target)];
  return undefined;
}

/** podman's version inside the tree, from its package database. */
async function treePodmanVersion(fs: SafeRoot, paths: SetupPaths): Promise<string | null> {
  const status = fs.readText(join(paths.rwVar, "lib/dpkg/status"), 256 * 1024 * 1024);
  if (status) {
    const m = /^Package: podman\n(?:[^\n]+\n)*?Version: (?:\d+:)?([^\s+~-]+)/m.exec(status);
    return m ? (m[1] as string) : null;
  }
  for (const db of [join(paths.rootfs, "usr/lib/sysimage/rpm"), join(paths.rwVar, "lib/rpm")]) {
    if (fs.stat(db)?.kind !== "dir") continue;
    const dbpath = fs.resolve(db);
    const r = await run("rpm", ["--dbpath", dbpath, "-q", "--qf", "%{VERSION}", "podman"], {
      allowFailure: true,
    }).catch(() => null);
    if (r?.code === 0) return r.stdout.trim();
  }
  return null;
}

async function gatherInputs(
  o: SetupOptions,
  fs: SafeRoot,
  hostname: string,
  mode: HostMode,
): Promise<SetupInputs> {
  const { paths } = o;
  const inTree = (p: string): string => join(paths.rootfs, p);
  const inEtc = (p: string): string => join(paths.rwEtc, p);
  const share = shareDir();
  const shipped = (p: string): string => {
    const text = readText(join(share, p));
    if (text === null)
      throw new QmError("QM_SETUP_SHARE", `missing shipped file ${join(share, p)}`, { hint: "reinstall qm" });
    return text;
  };
  const bundle = (name: string): string => {
    const path = siblingBundle(name);
    const text = path === null ? null : readText(path);
    if (text === null)
      throw new QmError("QM_SETUP_SHARE", `missing ${bundleFileName(name)} next to qm`, {
        hint: "rebuild or reinstall qm",
      });
    return text;
  };
  const os = machineOs(fs);
  const limits = readText("/proc/self/limits");
  return {
    paths,
    hostname,
    ...(o.bluechiController ? { controller: o.bluechiController } : {}),
    shipped: {
      qmContainer: shipped("containers/systemd/qm.container"),
      containersConf: shipped("qm/containers.conf"),
      contexts: shipped("qm/contexts"),
      fileContexts: shipped("qm/file_contexts"),
      oomHook: shipped("qm/hooks/oci-qm-nested-oom-score-adj"),
      cgroupHook: bundle("oci-qm-partition-cgroups"),
      quadletBundle: bundle("qm-quadlet"),
      quadletGenerator: shipped("systemd/qm-quadlet-generator"),
    },
    host: {
      osId: os.ID ?? "",
      versionId: os.VERSION_ID ?? "",
      selinux: mode.selinux,
      cgroupV2: mode.cgroupV2,
      nofileHard: parseLimit(limits, "Max open files")?.hard ?? "unlimited",
      nprocHard: parseLimit(limits, "Max processes")?.hard ?? "unlimited",
      subuid: fs.readText("/etc/subuid"),
      subgid: fs.readText("/etc/subgid"),
      agentConf: fs.readText(QmPaths.agentConf),
      seccomp: fs.readText("/usr/share/containers/seccomp.json"),
    },
    tree: {
      podmanVersion: await treePodmanVersion(fs, paths),
      seccomp: fs.readText(inTree("usr/share/containers/seccomp.json")),
      storageConf:
        fs.readText(inEtc("containers/storage.conf")) ??
        fs.readText(inTree("usr/lib/containers/storage.conf")) ??
        fs.readText(inTree("usr/share/containers/storage.conf")),
      agentConf: fs.readText(inEtc("bluechi/agent.conf.d/agent.conf")),
      subuid: fs.readText(inEtc("subuid")),
      subgid: fs.readText(inEtc("subgid")),
      maskable: MASKED_UNITS.filter((u) =>
        ["usr/lib/systemd/system", "lib/systemd/system"].some((d) => fs.exists(inTree(join(d, u)))),
      ),
      hasBluechiAgent: ["usr/lib/systemd/system", "lib/systemd/system"].some((d) =>
        fs.exists(inTree(join(d, "bluechi-agent.service"))),
      ),
      hasSystemBus: ["usr/bin/dbus-daemon", "usr/bin/dbus-broker"].some((p) => fs.exists(inTree(p))),
      hasPodmanQuadlet: PODMAN_QUADLETS.some((q) => fs.exists(inTree(q))),
      hasNode: fs.exists(inTree("usr/bin/node")),
    },
  };
}

/** The name the partition's BlueChi node is derived from (qm.NAME): it goes into agent.conf, so it is checked. */
function partitionHostname(o: SetupOptions): string {
  const name = o.hostname ?? osHostname();
  if (!isHostname(name))
    throw new QmError(
      "QM_SETUP_HOSTNAME",
      `${o.hostname === undefined ? "this host's name" : "--hostname"} ${JSON.stringify(name)} is not a host name`,
      {
        hint: "use letters, digits and '-' in dot-separated labels (RFC 1123), e.g. --hostname car1",
      },
    );
  return name;
}

/** Upstream's --skip-systemctl: generate qm.service into /run/systemd/generator without asking systemd. */
async function generateWithoutSystemctl(): Promise<string> {
  const generator = HOST_PODMAN_QUADLETS.find((p) => existsSync(p));
  const ours = siblingBundle("qm-quadlet");
  const argv = generator ? [generator] : ours ? [process.execPath, ours] : null;
  if (!argv) return "no quadlet generator found: qm.service not generated";
  const [file, ...args] = argv as [string, ...string[]];
  await run(file, [...args, "/run/systemd/generator"]);
  return `qm.service generated into /run/systemd/generator by ${generator ?? "qm-quadlet"}`;
}

async function systemctl(...args: string[]) {
  return run("systemctl", args, { allowFailure: true });
}

function report(
  o: SetupOptions,
  action: SetupReport["action"],
  plan: SetupPlan,
  changes: Change[],
  extra: Partial<SetupReport> = {},
): SetupReport {
  return {
    action,
    dryRun: o.dryRun,
    root: o.root,
    paths: o.paths,
    changes,
    notes: plan.notes,
    changed:
      changes.filter((c) => c.action !== "unchanged").length +
      (extra.rootfs?.action === "built" ? 1 : 0) +
      (action === "install" ? (extra.removed?.length ?? 0) : 0),
    ...extra,
  };
}

function validateRoot(o: SetupOptions): void {
  if (!existsSync(o.root) || !statSync(o.root).isDirectory()) {
    throw new QmError("QM_SETUP_ROOT", `--root ${o.root}: no such directory`);
  }
  try {
    writeFileAtomic(join(o.root, `.qm-setup-probe-${process.pid}`), "");
    rmSync(join(o.root, `.qm-setup-probe-${process.pid}`));
  } catch (error) {
    throw new QmError("QM_SETUP_ROOT", `cannot write below ${o.root}: ${(error as Error).message}`, {
      hint: "run qm setup as root, on a writable root",
    });
  }
}

const builderPackage: Readonly<Record<string, string>> = { mmdebstrap: "mmdebstrap", dnf: "dnf" };

/** Everything that can be known wrong before the first change: setup either fails here or changes things. */
function preflight(o: SetupOptions, source?: RootfsSource): void {
  validateRoot(o);
  const fs = setupFs(o);
  const rootfs = fs.resolve(o.paths.rootfs);
  if (source && readMarker(rootfs)?.fingerprint !== sourceFingerprint(source)) assertReplaceable(rootfs);
  const builder = source && builderPackage[source.kind];
  if (builder && which(builder, { pathOnly: true }) === null) {
    throw new QmError(
      "QM_SETUP_BUILDER_MISSING",
      `${builder} is not installed: it builds the partition tree on this distribution`,
      {
        hint: `install it (scripts/install-host-deps, or 'apt-get install ${builder}' / 'dnf install ${builder}'), or use --from-tar FILE / --from-dir DIR`,
      },
    );
  }
  const agentConfPath = fs.hostPath(QmPaths.agentConf);
  const agentConf = fs.readText(QmPaths.agentConf);
  const problem = agentConf === null ? null : checkBluechiConf(agentConf);
  if (problem) {
    throw new QmError("QM_SETUP_AGENT_CONF", problem.message, {
      location: { file: agentConfPath, line: problem.line, column: problem.column },
      hint: "the partition's agent.conf is derived from it; fix the host's BlueChi agent configuration first",
    });
  }
}

/** The partition below this root runs (its qm.container, if there is one yet, names the container). */
async function partitionRunning(root: string): Promise<string | null> {
  let name: string;
  try {
    name = loadContext(root).containerName;
  } catch {
    return null;
  }
  return (await inspectContainer(name))?.status === "running" ? name : null;
}

/** The bounded /var before anything changes: the size asked for against the image there is. */
async function varPreflight(o: SetupOptions, fs: SafeRoot): Promise<number | null> {
  const existing = imageSize(fs.hostPath(VAR_IMAGE));
  if (o.varSize === undefined) return existing;
  checkUnitPath(o.paths.rwVar, "--rwvarfs");
  if (existing !== null && o.varSize < existing)
    throw new QmError(
      "QM_SETUP_VAR",
      `--var-size ${formatSize(o.varSize)} is smaller than the partition's /var (${formatSize(existing)} in ${fs.hostPath(VAR_IMAGE)}): it is never shrunk`,
      { hint: `keep ${formatSize(existing)} or more; to start over, 'qm setup --remove-qm-rootfs' first` },
    );
  if ((existing === null || o.varSize > existing) && !o.dryRun) {
    const running = await partitionRunning(o.root);
    if (running)
      throw new QmError(
        "QM_SETUP_VAR",
        existing === null
          ? `the partition (container ${running}) is running: its /var cannot be moved into an image under it`
          : `the partition (container ${running}) is running: its /var is grown unmounted`,
        { hint: `stop it first (qm stop), then rerun qm setup --var-size ${formatSize(o.varSize)}` },
      );
  }
  return o.varSize;
}

/** Make, grow or mount the image; what it did, for the report. */
async function applyBoundedVar(
  o: SetupOptions,
  fs: SafeRoot,
  state: StateFile,
  rwVar: string,
  sizeBytes: number,
): Promise<{ change: Change; note: string }> {
  ensureDirRecorded(fs, dirname(VAR_IMAGE), state);
  const image = join(fs.resolve(dirname(VAR_IMAGE)), "var.img");
  const existing = imageSize(image);
  const why = `bounded /var: ${formatSize(sizeBytes)} ext4 image mounted on ${o.paths.rwVar}`;
  if (existing === null) {
    state.willCreate(image, "file");
    const t = await createVarImage(image, rwVar, sizeBytes, o.log);
    return {
      change: { path: VAR_IMAGE, kind: "file", action: "created", why },
      note: `bounded /var: ${image} (${formatSize(sizeBytes)}) holds the partition's /var, mounted on ${rwVar} (mkfs ${t.mkfsSeconds.toFixed(2)} s, copy ${t.copySeconds.toFixed(2)} s)`,
    };
  }
  if (sizeBytes > existing) {
    await growVarImage(image, rwVar, sizeBytes);
    return {
      change: { path: VAR_IMAGE, kind: "file", action: "updated", why },
      note: `bounded /var: ${image} grown from ${formatSize(existing)} to ${formatSize(sizeBytes)}`,
    };
  }
  await createVarImage(image, rwVar, sizeBytes, o.log);
  return {
    change: { path: VAR_IMAGE, kind: "file", action: "unchanged", why },
    note: `bounded /var: ${image} (${formatSize(existing)}) mounted on ${rwVar}`,
  };
}

/** `qm setup`: build the tree if needed, write every file, register sub-IDs; idempotent and resumable. */
export async function setupInstall(o: SetupOptions): Promise<SetupReport> {
  const hostname = partitionHostname(o);
  const agent = o.bluechiFrom === undefined ? undefined : await agentPayload(o.bluechiFrom);
  const chosen = chooseSource(o);
  const source = agent ? { ...chosen, agent: { from: agent.from, digest: agent.digest } } : chosen;
  preflight(o, source);
  const fs = setupFs(o);
  // Host paths of the three trees, found without leaving the root (links below it are resolved inside it).
  const [rootfs, rwEtc, rwVar] = [o.paths.rootfs, o.paths.rwEtc, o.paths.rwVar].map((p) => fs.resolve(p)) as [
    string,
    string,
    string,
  ];
  const mode = hostMode(await readHostFacts(), o.root);
  const systemd = mode.systemd && !o.skipSystemctl;
  const varSize = await varPreflight(o, fs);
  const boundedVar = varSize === null ? {} : { boundedVar: { sizeBytes: varSize } };
  if (o.dryRun) {
    const marker = readMarker(rootfs);
    const upToDate = marker?.fingerprint === sourceFingerprint(source);
    const planned = planSetup({ ...(await gatherInputs(o, fs, hostname, mode)), ...boundedVar });
    const plan =
      o.root === "/" && mode.selinux
        ? {
            ...planned,
            notes: [
              ...planned.notes,
              `SELinux: would install policy module ${POLICY_MODULE} unless it is current, then restorecon -R the trees`,
            ],
          }
        : planned;
    const changes: Change[] = plan.entries.map((e) => ({
      path: e.path,
      kind: e.kind,
      action: preview(fs, e),
      why: e.why,
    }));
    if (varSize !== null) {
      const existing = imageSize(fs.hostPath(VAR_IMAGE));
      changes.unshift({
        path: VAR_IMAGE,
        kind: "file",
        action: existing === null ? "created" : existing < varSize ? "updated" : "unchanged",
        why: `bounded /var: ${formatSize(varSize)} ext4 image mounted on ${o.paths.rwVar}`,
      });
    }
    const command = builderCommand(source, `${rootfs}.qm-staging/tree`);
    return report(o, "install", plan, changes, {
      removed: retireFiles(fs, RETIRED_FILES, null, true),
      rootfs: {
        action: upToDate ? "unchanged" : "would build",
        source: describeSource(source),
        ...(command ? { command } : {}),
      },
    });
  }
  const state = StateFile.load(fs, statePath(o));
  if (systemd && (await systemctl("is-active", "--quiet", "qm.service")).code === 0) {
    o.log("stopping qm.service");
    await systemctl("stop", "qm.service");
  }
  for (const path of [o.paths.rwEtc, o.paths.rwVar, o.paths.rootfs])
    ensureDirRecorded(fs, dirname(path), state);
  // An image made by an earlier run is mounted before the tree and files go into the partition's /var.
  const image = fs.hostPath(VAR_IMAGE);
  if (imageSize(image) !== null && fs.stat(o.paths.rwVar)?.kind === "dir") await mountVar(image, rwVar);
  const built = await buildRootfs(
    { rootfs, rwEtc, rwVar, source, ...(agent ? { agent } : {}), log: o.log },
    (path) => state.willCreate(path, "tree"),
  );
  if (built.action === "built") state.willCreate(rootfs, "tree");
  const varApplied = varSize === null ? null : await applyBoundedVar(o, fs, state, rwVar, varSize);
  const gathered = await gatherInputs(o, fs, hostname, mode);
  const plan0 = planSetup({ ...gathered, ...boundedVar });
  const plan = varApplied ? { ...plan0, notes: [...plan0.notes, varApplied.note] } : plan0;
  // Fault injection for the interruption tests: die by SIGKILL after N writes.
  const killAfter = Number(process.env.QM_FAULT_KILL_AFTER_WRITES ?? 0);
  let writes = 0;
  const changes = plan.entries.map((entry) => {
    const change = applyEntry(fs, entry, state);
    if (change.action !== "unchanged" && ++writes === killAfter) process.kill(process.pid, "SIGKILL");
    return change;
  });
  const removed = retireFiles(fs, RETIRED_FILES, state, false);
  if (varApplied) changes.unshift(varApplied.change);
  const notes = [...plan.notes];
  // Types and labels must be in place before the partition starts: podman runs it as qm_t on qm_file_t.
  if (o.root === "/" && mode.selinux) {
    const policy = await ensurePolicy(o, fs, state);
    changes.push(...policy.changes);
    notes.push(...policy.notes);
    // What setup wrote outside the trees, too: directories it made took their parent's label (usr_t), which
    // systemd's generators may not read (/usr/share/containers/systemd is systemd_unit_t).
    const written = [...SETUP_DIRS_OUTSIDE_TREES, o.paths.installDir].filter((p) => fs.lstat(p) !== null);
    await relabel([rootfs, rwEtc, rwVar, ...written.map((p) => fs.hostPath(p))]);
    notes.push("SELinux labels restored (restorecon -R)");
  }
  if (systemd) {
    await systemctl("daemon-reload");
    const start = await systemctl("start", "qm.service");
    if (start.code !== 0) {
      throw new QmError("QM_SETUP_START", `'systemctl start qm.service' failed: ${start.stderr.trim()}`, {
        hint: "see 'journalctl --no-pager -xu qm.service'",
      });
    }
    notes.push("qm.service started");
  } else if (o.root === "/" && o.skipSystemctl) {
    notes.push(await generateWithoutSystemctl());
  } else if (o.root === "/") {
    notes.push("no systemd as PID 1: start the partition with 'qm start'");
  }
  return report({ ...o }, "install", { ...plan, notes }, changes, {
    removed,
    rootfs: { action: built.action, source: describeSource(source) },
  });
}

/**
 * On an SELinux host: qm's policy module for this distribution, compiled against the host's policy headers and
 * installed unless the loaded module was built from the same sources (their digest is recorded in the install
 * directory). Distributions without a variant keep whatever module named qm they have.
 */
async function ensurePolicy(
  o: SetupOptions,
  fs: SafeRoot,
  state: StateFile,
): Promise<{ changes: Change[]; notes: string[] }> {
  const os = parseOsRelease(readText("/etc/os-release"));
  const variant = policyVariant(os.ID ?? "", os.ID_LIKE ?? "");
  if (variant === null) {
    const loaded = (await installedModules()).includes(POLICY_MODULE);
    return {
      changes: [],
      notes: [
        loaded
          ? `SELinux: using the installed policy module ${POLICY_MODULE} (qm ships none for ${os.ID ?? "this distribution"})`
          : `SELinux: qm ships no policy module for ${os.ID ?? "this distribution"}; SecurityLabelType=qm_t needs a module named ${POLICY_MODULE}`,
      ],
    };
  }
  const sources = join(shareDir(), "selinux", variant);
  const digest = `${policyDigest(sources)}\n`;
  const record = join(o.paths.installDir, POLICY_RECORD);
  const loaded = (await installedModules()).includes(POLICY_MODULE);
  if (loaded && fs.readText(record) === digest)
    return { changes: [], notes: [`SELinux policy module ${POLICY_MODULE} is current`] };
  await installPolicyModule(sources, o.log);
  const change = applyEntry(
    fs,
    {
      kind: "file",
      path: record,
      content: digest,
      mode: 0o644,
      why: "sources of the installed SELinux module",
    },
    state,
  );
  return {
    changes: [change],
    notes: [`SELinux policy module ${POLICY_MODULE} installed (${variant} variant)`],
  };
}

/** `qm setup bluechi-agent`: regenerate only the partition's agent.conf. */
export async function setupAgentOnly(o: SetupOptions): Promise<SetupReport> {
  preflight(o);
  const fs = setupFs(o);
  if (fs.stat(o.paths.rwEtc)?.kind !== "dir") {
    throw new QmError("QM_SETUP_NOT_DONE", `${fs.hostPath(o.paths.rwEtc)} does not exist`, {
      hint: "run 'qm setup' first",
    });
  }
  const plan = planAgentOnly({
    paths: o.paths,
    hostname: partitionHostname(o),
    hostAgentConf: fs.readText(QmPaths.agentConf),
    treeAgentConf: fs.readText(join(o.paths.rwEtc, "bluechi/agent.conf.d/agent.conf")),
    ...(o.bluechiController ? { controller: o.bluechiController } : {}),
  });
  if (o.dryRun) {
    return report(
      o,
      "bluechi-agent",
      plan,
      plan.entries.map((e) => ({ path: e.path, kind: e.kind, action: preview(fs, e), why: e.why })),
    );
  }
  const state = StateFile.load(fs, statePath(o));
  return report(
    o,
    "bluechi-agent",
    plan,
    plan.entries.map((e) => applyEntry(fs, e, state)),
  );
}

/**
 * `qm setup --remove-qm-rootfs`: remove what setup created, and only that. The state file is checked against what
 * setup can create below this root before anything is touched; removal never follows a link.
 */
export async function setupRemove(o: SetupOptions): Promise<SetupReport> {
  const fs = setupFs(o);
  const path = statePath(o);
  const empty: SetupPlan = { entries: [], notes: [] };
  if (fs.lstat(path) === null) {
    return report(
      o,
      "remove",
      { entries: [], notes: [`nothing to remove: no setup state at ${fs.hostPath(path)}`] },
      [],
      { removed: [] },
    );
  }
  const state = StateFile.load(fs, path);
  checkStateAgainst(state.state, o.root, ownedPaths(o.paths, path), state.hostPath, state.text);
  const prefix = o.root === "/" ? "" : o.root.replace(/\/+$/, "");
  const inRoot = (hostPath: string): string => hostPath.slice(prefix.length);
  const trees = state.state.created.filter((c) => c.kind === "tree").map((c) => inRoot(c.path));
  const varMount = varMountFor(o.root, o.paths.rwVar);
  const running = varMount === null ? null : await partitionRunning(o.root);
  if (running !== null)
    throw new QmError("QM_SETUP_ROOTFS_BUSY", `the partition (container ${running}) is running`, {
      hint: "stop the partition first (qm stop)",
    });
  const unmounted = varMount === null || o.dryRun ? [] : await unmountVar(varMount.what, varMount.where);
  for (const tree of trees) {
    const host = fs.stat(tree) === null ? null : fs.resolve(tree);
    // The bounded /var is unmounted above (or, for --dry-run, would be).
    const own =
      varMount !== null && ourLoopAt(varMount.what, varMount.where) !== null ? varMount.where : null;
    if (host !== null && mountsUnder(host).filter((m) => m !== own).length > 0) {
      throw new QmError("QM_SETUP_ROOTFS_BUSY", `${host} has mounts below it (is the partition running?)`, {
        hint: "stop the partition first (qm stop)",
      });
    }
  }
  const pending = [...state.state.created].reverse();
  const installedPolicy = pending.some((c) => c.path.endsWith(`/${POLICY_RECORD}`));
  if (o.dryRun)
    return report(o, "remove", empty, [], {
      removed: [
        ...new Set([
          ...retireFiles(fs, RETIRED_FILES, null, true),
          ...pending.map((c) => c.path).filter((p) => fs.lstat(inRoot(p)) !== null),
        ]),
      ],
    });
  const mode = hostMode(await readHostFacts(), o.root);
  if (mode.systemd && !o.skipSystemctl) await systemctl("stop", "qm.service");
  const removed = [...unmounted, ...retireFiles(fs, RETIRED_FILES, state, false)];
  const notes: string[] = [];
  for (const [file, lines] of Object.entries(state.state.appended)) {
    const at = inRoot(file);
    const text = fs.readText(at);
    if (state.owns(file) || text === null) continue;
    fs.write(at, removeSubIdLines(text, lines), fs.stat(at)?.mode ?? 0o644);
    removed.push(`${file} (${lines.length} line(s))`);
  }
  for (const { path: created, kind } of pending) {
    const at = inRoot(created);
    // Whatever lies inside a tree setup made goes with the tree.
    if (trees.some((t) => at.startsWith(`${t}/`))) continue;
    // The state file goes when its own directory does (or at the end), so an interrupted removal can be rerun.
    if (path.startsWith(`${at}/`)) fs.unlink(path);
    if (fs.lstat(at) === null) continue;
    if (kind === "tree") fs.removeTree(at);
    else if (kind === "file") fs.unlink(at);
    else if (!fs.rmdir(at)) {
      notes.push(`kept ${created}: it holds files qm setup did not create`);
      continue;
    }
    removed.push(created);
  }
  if (o.root === "/" && installedPolicy && mode.selinux && (await removePolicyModule()))
    removed.push(`SELinux policy module ${POLICY_MODULE}`);
  fs.unlink(path);
  return report(o, "remove", { entries: [], notes }, [], { removed });
}
