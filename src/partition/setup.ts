import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { dirname, join } from "node:path";
import { QmPaths } from "../config/defaults.js";
import { ExitCode, QmError } from "../core/errors.js";
import { parseMountinfo } from "../core/mountinfo.js";
import { shareDir, siblingBundle } from "../core/paths.js";
import { parseLimit, parseOsRelease } from "../doctor/facts.js";
import { run } from "../engine/exec.js";
import { isSymlink, readText, underRoot, writeFileAtomic } from "../engine/fs.js";
import { mountsUnder, removeTree } from "../engine/host.js";
import { which } from "../engine/which.js";
import { assertReplaceable, buildRootfs, readMarker } from "../rootfs/build.js";
import {
  debianPackages,
  defaultMirror,
  describeSource,
  dnfArgv,
  fedoraPackages,
  mmdebstrapArgv,
  type RootfsSource,
  sourceFingerprint,
} from "../rootfs/source.js";
import { checkBluechiConf } from "./agent-conf.js";
import { applyEntry, type Change, ensureDirRecorded, preview } from "./apply.js";
import {
  MASKED_UNITS,
  planAgentOnly,
  planSetup,
  type SetupInputs,
  type SetupPaths,
  type SetupPlan,
} from "./setup-plan.js";
import { StateFile } from "./state.js";
import { removeSubIdLines } from "./subids.js";

export interface SetupOptions {
  readonly root: string;
  readonly paths: SetupPaths;
  readonly hostname: string | undefined;
  readonly skipSystemctl: boolean;
  readonly dryRun: boolean;
  readonly fromTar: string | undefined;
  readonly fromDir: string | undefined;
  readonly suite: string | undefined;
  readonly mirror: string | undefined;
  readonly packages: readonly string[];
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

const statePath = (o: SetupOptions): string =>
  underRoot(o.root, join(dirname(o.paths.rootfs), "setup-state.json"));

function machineOs(root: string): Record<string, string> {
  return parseOsRelease(readText(underRoot(root, "/etc/os-release")) ?? readText("/etc/os-release"));
}

function fingerprintOf(path: string): string {
  const s = statSync(path);
  return `${s.size}:${s.mtimeMs}:${s.ino}`;
}

/** Pick the tree's source: an offline tarball or directory, else the distribution's own builder. */
export function chooseSource(o: SetupOptions): RootfsSource {
  if (o.fromTar && o.fromDir)
    throw new QmError("QM_USAGE", "--from-tar and --from-dir exclude each other", {
      exitCode: ExitCode.usage,
    });
  for (const [flag, path, kind] of [
    ["--from-tar", o.fromTar, "file"],
    ["--from-dir", o.fromDir, "directory"],
  ] as const) {
    if (path === undefined) continue;
    if (!existsSync(path) || statSync(path).isDirectory() !== (kind === "directory")) {
      throw new QmError("QM_SETUP_SOURCE", `${flag} ${path}: no such ${kind}`, { exitCode: ExitCode.usage });
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
        exitCode: ExitCode.usage,
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
async function treePodmanVersion(rootfs: string, rwVar: string): Promise<string | null> {
  const status = readText(join(rwVar, "lib/dpkg/status"));
  if (status) {
    const m = /^Package: podman\n(?:[^\n]+\n)*?Version: (?:\d+:)?([^\s+~-]+)/m.exec(status);
    return m ? (m[1] as string) : null;
  }
  for (const dbpath of [join(rootfs, "usr/lib/sysimage/rpm"), join(rwVar, "lib/rpm")]) {
    if (!existsSync(dbpath)) continue;
    const r = await run("rpm", ["--dbpath", dbpath, "-q", "--qf", "%{VERSION}", "podman"], {
      allowFailure: true,
    }).catch(() => null);
    if (r?.code === 0) return r.stdout.trim();
  }
  return null;
}

async function gatherInputs(o: SetupOptions, hostname: string): Promise<SetupInputs> {
  const at = (p: string): string => underRoot(o.root, p);
  const { paths } = o;
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
      throw new QmError("QM_SETUP_SHARE", `missing ${name}.mjs next to qm`, {
        hint: "rebuild or reinstall qm",
      });
    return text;
  };
  const os = machineOs(o.root);
  const limits = readText("/proc/self/limits");
  const rootfs = at(paths.rootfs);
  const rwEtc = at(paths.rwEtc);
  const rwVar = at(paths.rwVar);
  return {
    paths,
    hostname,
    shipped: {
      qmContainer: shipped("containers/systemd/qm.container"),
      containersConf: shipped("qm/containers.conf"),
      contexts: shipped("qm/contexts"),
      fileContexts: shipped("qm/file_contexts"),
      oomHook: shipped("qm/hooks/oci-qm-nested-oom-score-adj"),
      startLimitHook: shipped("qm/hooks/oci-qm-start-limit"),
      cgroupHook: bundle("oci-qm-partition-cgroups"),
    },
    host: {
      osId: os.ID ?? "",
      versionId: os.VERSION_ID ?? "",
      selinux: existsSync("/sys/fs/selinux/enforce"),
      cgroupV2: parseMountinfo(readText("/proc/self/mountinfo")).some(
        (m) => m.mountpoint === "/sys/fs/cgroup" && m.fstype === "cgroup2",
      ),
      nofileHard: parseLimit(limits, "Max open files")?.hard ?? "unlimited",
      nprocHard: parseLimit(limits, "Max processes")?.hard ?? "unlimited",
      subuid: readText(at("/etc/subuid")),
      subgid: readText(at("/etc/subgid")),
      agentConf: readText(at(QmPaths.agentConf)),
      seccomp: readText(at("/usr/share/containers/seccomp.json")),
    },
    tree: {
      podmanVersion: await treePodmanVersion(rootfs, rwVar),
      seccomp: readText(join(rootfs, "usr/share/containers/seccomp.json")),
      storageConf:
        readText(join(rwEtc, "containers/storage.conf")) ??
        readText(join(rootfs, "usr/lib/containers/storage.conf")) ??
        readText(join(rootfs, "usr/share/containers/storage.conf")),
      agentConf: readText(join(rwEtc, "bluechi/agent.conf.d/agent.conf")),
      subuid: readText(join(rwEtc, "subuid")),
      subgid: readText(join(rwEtc, "subgid")),
      maskable: MASKED_UNITS.filter(
        (u) =>
          existsSync(join(rootfs, "usr/lib/systemd/system", u)) ||
          existsSync(join(rootfs, "lib/systemd/system", u)),
      ),
      hasBluechiAgent: ["usr/lib/systemd/system", "lib/systemd/system"].some((d) =>
        existsSync(join(rootfs, d, "bluechi-agent.service")),
      ),
    },
  };
}

function systemdHost(root: string): boolean {
  return root === "/" && readText("/proc/1/comm")?.trim() === "systemd" && existsSync("/run/systemd/system");
}

/** Upstream's --skip-systemctl: generate qm.service into /run/systemd/generator without asking systemd. */
async function generateWithoutSystemctl(): Promise<string> {
  const generator = ["/usr/libexec/podman/quadlet", "/usr/lib/podman/quadlet"].find((p) => existsSync(p));
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
      changes.filter((c) => c.action !== "unchanged").length + (extra.rootfs?.action === "built" ? 1 : 0),
    ...extra,
  };
}

function validateRoot(o: SetupOptions): void {
  if (!existsSync(o.root) || !statSync(o.root).isDirectory()) {
    throw new QmError("QM_SETUP_ROOT", `--root ${o.root}: no such directory`, { exitCode: ExitCode.usage });
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
  const rootfs = underRoot(o.root, o.paths.rootfs);
  if (source && readMarker(rootfs)?.fingerprint !== sourceFingerprint(source)) assertReplaceable(rootfs);
  const builder = source && builderPackage[source.kind];
  if (builder && which(builder, { pathOnly: true }) === null) {
    throw new QmError(
      "QM_SETUP_BUILDER_MISSING",
      `${builder} is not installed: it builds the partition tree on this distribution`,
      {
        exitCode: ExitCode.hostNotReady,
        hint: `install it (scripts/install-host-deps, or 'apt-get install ${builder}' / 'dnf install ${builder}'), or use --from-tar FILE / --from-dir DIR`,
      },
    );
  }
  const agentConfPath = underRoot(o.root, QmPaths.agentConf);
  const agentConf = readText(agentConfPath);
  const problem = agentConf === null ? null : checkBluechiConf(agentConf);
  if (problem) {
    throw new QmError("QM_SETUP_AGENT_CONF", problem.message, {
      exitCode: ExitCode.invalidConfig,
      location: { file: agentConfPath, line: problem.line, column: problem.column },
      hint: "the partition's agent.conf is derived from it; fix the host's BlueChi agent configuration first",
    });
  }
}

/** `qm setup`: build the tree if needed, write every file, register sub-IDs; idempotent and resumable. */
export async function setupInstall(o: SetupOptions): Promise<SetupReport> {
  const hostname = o.hostname ?? osHostname();
  const source = chooseSource(o);
  preflight(o, source);
  const rootfs = underRoot(o.root, o.paths.rootfs);
  const systemd = systemdHost(o.root) && !o.skipSystemctl;
  if (o.dryRun) {
    const marker = readMarker(rootfs);
    const upToDate = marker?.fingerprint === sourceFingerprint(source);
    const plan = planSetup(await gatherInputs(o, hostname));
    const changes = plan.entries.map((e) => ({
      path: e.path,
      kind: e.kind,
      action: preview(o.root, e),
      why: e.why,
    }));
    const command = builderCommand(source, `${rootfs}.qm-staging/tree`);
    return report(o, "install", plan, changes, {
      rootfs: {
        action: upToDate ? "unchanged" : "would build",
        source: describeSource(source),
        ...(command ? { command } : {}),
      },
    });
  }
  const state = StateFile.load(statePath(o));
  if (systemd && (await systemctl("is-active", "--quiet", "qm.service")).code === 0) {
    o.log("stopping qm.service");
    await systemctl("stop", "qm.service");
  }
  for (const path of [o.paths.rwEtc, o.paths.rwVar, o.paths.rootfs])
    ensureDirRecorded(dirname(underRoot(o.root, path)), state);
  const built = await buildRootfs(
    {
      rootfs,
      rwEtc: underRoot(o.root, o.paths.rwEtc),
      rwVar: underRoot(o.root, o.paths.rwVar),
      source,
      log: o.log,
    },
    (path) => state.willCreate(path, "tree"),
  );
  if (built.action === "built") state.willCreate(rootfs, "tree");
  const plan = planSetup(await gatherInputs(o, hostname));
  // Fault injection for the interruption tests: die by SIGKILL after N writes.
  const killAfter = Number(process.env.QM_FAULT_KILL_AFTER_WRITES ?? 0);
  let writes = 0;
  const changes = plan.entries.map((entry) => {
    const change = applyEntry(o.root, entry, state);
    if (change.action !== "unchanged" && ++writes === killAfter) process.kill(process.pid, "SIGKILL");
    return change;
  });
  const notes = [...plan.notes];
  if (systemd) {
    await systemctl("daemon-reload");
    const start = await systemctl("start", "qm.service");
    if (start.code !== 0) {
      throw new QmError("QM_SETUP_START", `'systemctl start qm.service' failed: ${start.stderr.trim()}`, {
        exitCode: ExitCode.commandFailed,
        hint: "see 'journalctl --no-pager -xu qm.service'",
      });
    }
    notes.push("qm.service started");
  } else if (o.root === "/" && o.skipSystemctl) {
    notes.push(await generateWithoutSystemctl());
  } else if (o.root === "/") {
    notes.push("no systemd as PID 1: start the partition with 'qm start'");
  }
  if (o.root === "/" && existsSync("/sys/fs/selinux/enforce") && which("restorecon")) {
    await run("restorecon", [
      "-R",
      rootfs,
      underRoot(o.root, o.paths.rwEtc),
      underRoot(o.root, o.paths.rwVar),
    ]);
    notes.push("SELinux labels restored (restorecon -R)");
  }
  return report({ ...o }, "install", { ...plan, notes }, changes, {
    rootfs: { action: built.action, source: describeSource(source) },
  });
}

/** `qm setup bluechi-agent`: regenerate only the partition's agent.conf. */
export async function setupAgentOnly(o: SetupOptions): Promise<SetupReport> {
  preflight(o);
  const rwEtc = underRoot(o.root, o.paths.rwEtc);
  if (!existsSync(rwEtc)) {
    throw new QmError("QM_SETUP_NOT_DONE", `${rwEtc} does not exist`, { hint: "run 'qm setup' first" });
  }
  const plan = planAgentOnly({
    paths: o.paths,
    hostname: o.hostname ?? osHostname(),
    hostAgentConf: readText(underRoot(o.root, QmPaths.agentConf)),
    treeAgentConf: readText(join(rwEtc, "bluechi/agent.conf.d/agent.conf")),
  });
  if (o.dryRun) {
    return report(
      o,
      "bluechi-agent",
      plan,
      plan.entries.map((e) => ({ path: e.path, kind: e.kind, action: preview(o.root, e), why: e.why })),
    );
  }
  const state = StateFile.load(statePath(o));
  return report(
    o,
    "bluechi-agent",
    plan,
    plan.entries.map((e) => applyEntry(o.root, e, state)),
  );
}

/** `qm setup --remove-qm-rootfs`: remove what setup created, and only that. */
export async function setupRemove(o: SetupOptions): Promise<SetupReport> {
  const path = statePath(o);
  const empty: SetupPlan = { entries: [], notes: [] };
  if (!existsSync(path)) {
    return report(o, "remove", { entries: [], notes: [`nothing to remove: no setup state at ${path}`] }, [], {
      removed: [],
    });
  }
  const state = StateFile.load(path);
  const rootfs = underRoot(o.root, o.paths.rootfs);
  if (existsSync(rootfs) && mountsUnder(rootfs).length > 0) {
    throw new QmError("QM_SETUP_ROOTFS_BUSY", `${rootfs} has mounts below it (is the partition running?)`, {
      hint: "stop the partition first (qm stop)",
    });
  }
  const pending = [...state.state.created].reverse();
  if (o.dryRun)
    return report(o, "remove", empty, [], {
      removed: pending.map((c) => c.path).filter((p) => existsSync(p)),
    });
  if (systemdHost(o.root) && !o.skipSystemctl) await systemctl("stop", "qm.service");
  const removed: string[] = [];
  const notes: string[] = [];
  for (const [file, lines] of Object.entries(state.state.appended)) {
    if (state.owns(file) || !existsSync(file)) continue;
    writeFileAtomic(file, removeSubIdLines(readFileSync(file, "utf8"), lines), statSync(file).mode & 0o7777);
    removed.push(`${file} (${lines.length} line(s))`);
  }
  const trees = state.state.created.filter((c) => c.kind === "tree").map((c) => `${c.path}/`);
  for (const { path: created, kind } of pending) {
    // Whatever lies inside a tree setup made goes with the tree.
    if (trees.some((t) => created.startsWith(t))) continue;
    // The state file goes when its own directory does (or at the end), so an interrupted removal can be rerun.
    if (path.startsWith(`${created}/`)) rmSync(path, { force: true });
    if (!existsSync(created) && !isSymlink(created)) continue;
    if (kind === "tree") removeTree(created);
    else if (kind === "file") rmSync(created, { force: true });
    else if (readdirSync(created).length > 0) {
      notes.push(`kept ${created}: it holds files qm setup did not create`);
      continue;
    } else rmdirSync(created);
    removed.push(created);
  }
  rmSync(path, { force: true });
  return report(o, "remove", { entries: [], notes }, [], { removed });
}
