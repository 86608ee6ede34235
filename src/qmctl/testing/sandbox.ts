import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { removeCgroupTree, unitCgroupDirs } from "../../engine/cgroupfs.js";

/**
 * A throw-away podman store with one container, for integration tests and benchmarks.
 * Everything lives under one temporary directory: storage, run state, containers.conf, the rootfs,
 * and a `podman` wrapper script that pins those paths, so /var/lib/containers is never touched.
 */
export interface PodmanSandbox {
  readonly dir: string;
  /** Executable that behaves like `podman` but only sees this sandbox's store (give it to QMCTL_PODMAN). */
  readonly podman: string;
  readonly rootfs: string;
  /** Environment for a qmctl child process: the podman override plus everything inherited. */
  readonly env: NodeJS.ProcessEnv;
  /** Run the sandboxed podman; throws on failure. */
  readonly podmanSync: (args: readonly string[]) => string;
  readonly cleanup: () => void;
}

/** Host tools qmctl's show topics run inside the partition (busybox has none of them). */
const HOST_TOOLS = ["/usr/bin/ipcs", "/usr/bin/lsns", "/usr/bin/ss"];

/** Why a sandbox cannot be built on this machine, or undefined. */
export function sandboxSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root (real podman with an isolated store)";
  for (const tool of ["podman", "runc", "busybox"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  return undefined;
}

/** The caller's hard limit for an rlimit (Infinity when unlimited). */
function hardLimit(name: string): number {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((l) => l.startsWith(name));
  const hard = Number(line?.slice(26).trim().split(/\s+/)[1]);
  return Number.isFinite(hard) ? hard : Number.POSITIVE_INFINITY;
}

function copyWithLibraries(tool: string, rootfs: string): void {
  const libs = execFileSync("ldd", [tool], { encoding: "utf8" })
    .split("\n")
    .map((l) => /(\/\S+)\s+\(0x/.exec(l)?.[1])
    .filter((p): p is string => p !== undefined);
  for (const file of [tool, ...libs]) {
    const target = join(rootfs, file);
    if (existsSync(target)) continue;
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
    chmodSync(target, 0o755);
  }
}

function buildRootfs(rootfs: string): void {
  for (const d of ["bin", "usr/bin", "tmp", "proc", "sys", "dev", "etc", "root", "run"]) {
    mkdirSync(join(rootfs, d), { recursive: true });
  }
  chmodSync(join(rootfs, "tmp"), 0o1777);
  const busybox = execFileSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).trim();
  copyFileSync(busybox, join(rootfs, "bin/busybox"));
  chmodSync(join(rootfs, "bin/busybox"), 0o755);
  const applets = execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
  for (const applet of applets) {
    if (applet === "busybox" || applet.includes("/")) continue;
    symlinkSync("busybox", join(rootfs, "bin", applet));
  }
  for (const tool of HOST_TOOLS) if (existsSync(tool)) copyWithLibraries(tool, rootfs);
  writeFileSync(join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  writeFileSync(join(rootfs, "etc/group"), "root:x:0:\n");
}

function unmountUnder(dir: string): void {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((m): m is string => m?.startsWith(`${dir}/`) === true)
    .reverse();
  for (const m of mounts) spawnSync("umount", ["-l", m]);
}

/** Create the sandbox and start `containerName` from a busybox rootfs (no network, no image). */
export function createSandbox(containerName = "qm"): PodmanSandbox {
  const dir = mkdtempSync(join(tmpdir(), "qmctl-sandbox-"));
  const rootfs = join(dir, "rootfs");
  const podman = join(dir, "podman");
  const conf = join(dir, "containers.conf");
  const storageConf = join(dir, "storage.conf");
  for (const d of ["root", "runroot", "tmp"]) mkdirSync(join(dir, d));
  // Podman's default rlimits (and even the caller's own hard limits) are refused on hosts without
  // CAP_SYS_RESOURCE; a modest fixed value always fits.
  const nofile = Math.min(4096, hardLimit("Max open files"));
  const nproc = Math.min(4096, hardLimit("Max processes"));
  writeFileSync(
    conf,
    [
      "[containers]",
      `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
      "[engine]",
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      "",
    ].join("\n"),
  );
  writeFileSync(
    storageConf,
    `[storage]\ndriver = "vfs"\nrunroot = "${dir}/runroot"\ngraphroot = "${dir}/root"\n`,
  );
  writeFileSync(
    podman,
    [
      "#!/bin/sh",
      `export CONTAINERS_CONF='${conf}'`,
      `export CONTAINERS_STORAGE_CONF='${storageConf}'`,
      `exec podman --root '${dir}/root' --runroot '${dir}/runroot' --tmpdir '${dir}/tmp' --runtime runc --cgroup-manager cgroupfs --events-backend file "$@"`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  const podmanSync = (args: readonly string[]): string =>
    execFileSync(podman, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const cleanup = (): void => {
    spawnSync(podman, ["rm", "--force", "--all", "--time", "0"], { stdio: "ignore" });
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
    // podman's default parent for cgroupfs-managed containers outlives them; only empty cgroups go.
    for (const d of unitCgroupDirs("libpod_parent")) removeCgroupTree(d);
  };
  try {
    buildRootfs(rootfs);
    podmanSync([
      "run",
      "--detach",
      "--name",
      containerName,
      "--network",
      "none",
      "--rootfs",
      rootfs,
      "/bin/sh",
      "-c",
      "sleep 100000",
    ]);
  } catch (error) {
    cleanup();
    throw error;
  }
  return { dir, podman, rootfs, env: { ...process.env, QMCTL_PODMAN: podman }, podmanSync, cleanup };
}
