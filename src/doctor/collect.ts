import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  rmdirSync,
  statfsSync,
  statSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { QmPaths } from "../config/defaults.js";
import { parseMountinfo } from "../core/mountinfo.js";
import { run } from "../engine/exec.js";
import { readText } from "../engine/fs.js";
import { which } from "../engine/which.js";
import { bluechiStatus } from "../partition/bluechi-status.js";
import { loadContext } from "../partition/context.js";
import { type HostFacts, hostFacts, selinuxPolicyContexts, v1Names } from "./facts.js";
import {
  type CommandProbe,
  type HostSnapshot,
  type SpaceProbe,
  snapshotFiles,
  snapshotPaths,
  snapshotTools,
  TREE_AGENT,
  versionedTools,
} from "./snapshot.js";

async function version(path: string): Promise<CommandProbe> {
  try {
    const r = await run(path, ["--version"], { allowFailure: true, timeoutMs: 15_000 });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  } catch (error) {
    return { code: 127, stdout: "", stderr: (error as Error).message };
  }
}

function space(path: string): SpaceProbe | null {
  let measured = path;
  while (!existsSync(measured) && measured !== "/") measured = dirname(measured);
  try {
    const s = statfsSync(measured);
    return {
      measured,
      freeBytes: s.bavail * s.bsize,
      totalBytes: s.blocks * s.bsize,
      onRootFilesystem: statSync(measured).dev === statSync("/").dev,
    };
  } catch {
    return null;
  }
}

/** Can a child cgroup be created under this hierarchy? Creates and removes an empty, uniquely named cgroup. */
function probeMkdir(mountpoint: string): boolean {
  const dir = join(mountpoint, `qm-doctor-${process.pid}`);
  try {
    mkdirSync(dir);
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

/**
 * Does the loaded SELinux policy know CONTEXT? The kernel's own check (what libselinux's security_check_context
 * does): writing a context to /sys/fs/selinux/context fails with EINVAL when a type in it is not defined.
 */
function selinuxKnows(context: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync("/sys/fs/selinux/context", "r+");
    writeSync(fd, `${context}\0`);
    return true;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The default partition's container: as its qm.container names it, or upstream's `qm`. */
function defaultContainer(): string {
  try {
    return loadContext("/").containerName;
  } catch {
    return "qm";
  }
}

/** Read the live host. The only part of doctor that touches the system. */
export interface CollectOptions {
  /** Tools whose `--version` is asked (each costs a process start); default: all that doctor reports. */
  readonly versions?: readonly string[];
  /** Create and remove a test cgroup per hierarchy (doctor's writability probe). */
  readonly probes?: boolean;
}

export async function collectSnapshot(options: CollectOptions = {}): Promise<HostSnapshot> {
  const files: Record<string, string | null> = {};
  for (const path of snapshotFiles) files[path] = readText(path);
  const mounts = parseMountinfo(files["/proc/self/mountinfo"] ?? null);
  const unified = mounts.find((m) => m.fstype === "cgroup2" && m.mountpoint.startsWith("/sys/fs/cgroup"));
  if (unified) {
    for (const name of ["cgroup.controllers", "cgroup.subtree_control"]) {
      const path = `${unified.mountpoint}/${name}`;
      files[path] = readText(path);
    }
  }
  const exists: Record<string, boolean> = {};
  for (const path of snapshotPaths) exists[path] = existsSync(path);
  const whichMap: Record<string, string | null> = {};
  for (const name of snapshotTools) whichMap[name] = which(name);
  const versions: Record<string, CommandProbe | null> = {};
  await Promise.all(
    (options.versions ?? versionedTools).map(async (name) => {
      const path = whichMap[name];
      versions[name] = path ? await version(path) : null;
    }),
  );
  const uid = process.getuid?.() ?? -1;
  const probes: Record<string, boolean> = {};
  if (uid === 0 && options.probes !== false) {
    for (const m of mounts.filter((x) => x.fstype === "cgroup")) {
      for (const option of m.superOptions) {
        const controller = v1Names[option];
        if (controller) probes[`cgroup-mkdir:${controller}`] ??= probeMkdir(m.mountpoint);
      }
    }
    if (unified) {
      const ok = probeMkdir(unified.mountpoint);
      for (const name of (files[`${unified.mountpoint}/cgroup.controllers`] ?? "")
        .trim()
        .split(/\s+/)
        .filter(Boolean)) {
        probes[`cgroup-mkdir:${name}`] ??= ok;
      }
    }
  }
  // The partition's BlueChi node, when the default partition runs with an agent in its tree.
  if (uid === 0 && options.probes !== false && exists[TREE_AGENT]) {
    const b = await bluechiStatus(defaultContainer()).catch(() => null);
    if (b) {
      probes["bluechi:agent-active"] = b.agent === "active";
      probes["bluechi:connected"] = b.connected;
      if (b.controller !== null) probes["bluechi:node-online"] = b.controller === "online";
    }
  }
  if (existsSync("/sys/fs/selinux/context")) {
    for (const [type, context] of Object.entries(selinuxPolicyContexts))
      probes[`selinux-type:${type}`] = selinuxKnows(context);
  }
  return {
    schema: 1,
    uid,
    files,
    exists,
    which: whichMap,
    versions,
    space: { [QmPaths.libDir]: space(QmPaths.libDir), [QmPaths.rwVar]: space(QmPaths.rwVar) },
    probes,
  };
}

/**
 * The host facts a command other than doctor decides by, read once per command: no cgroup probes, and the version
 * of only the tools named (each is a process start).
 */
export async function readHostFacts(versions: readonly string[] = []): Promise<HostFacts> {
  return hostFacts(await collectSnapshot({ versions, probes: false }));
}
