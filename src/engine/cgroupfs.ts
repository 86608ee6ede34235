import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { QmError } from "../core/errors.js";
import { parseMountinfo } from "../core/mountinfo.js";
import type { CgroupHost, CgroupPlan } from "../partition/cgroup-plan.js";
import { readText } from "./fs.js";

const v1Names = ["cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer"];

/** Read what planCgroups needs to know about this host's cgroup filesystem. */
export function cgroupHost(devicesOf: readonly string[] = []): CgroupHost {
  const mounts: Record<string, string> = {};
  const info = parseMountinfo(readText("/proc/self/mountinfo"));
  const v1 = info.filter((m) => m.fstype === "cgroup");
  const v2 = info.find((m) => m.fstype === "cgroup2" && m.mountpoint.startsWith("/sys/fs/cgroup"));
  for (const m of v1) for (const o of m.superOptions) if (v1Names.includes(o)) mounts[o] ??= m.mountpoint;
  if (v2) mounts.unified = v2.mountpoint;
  const mode = v1.length > 0 ? "v1" : "v2";
  const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(readText("/proc/meminfo") ?? "")?.[1] ?? 0) * 1024;
  const pidMax = Number(readText("/proc/sys/kernel/pid_max") ?? 32768);
  const threadsMax = Number(readText("/proc/sys/kernel/threads-max") ?? pidMax);
  const root = mode === "v2" ? (mounts.unified ?? "/sys/fs/cgroup") : "";
  const ioWeight =
    mode === "v2"
      ? /\bio\b/.test(readText(`${root}/cgroup.controllers`) ?? "")
        ? "io.weight"
        : null
      : (["blkio.weight", "blkio.bfq.weight"].find(
          (f) => mounts.blkio && existsSync(join(mounts.blkio, f)),
        ) ?? null);
  const devices: Record<string, string | null> = {};
  for (const dev of devicesOf) {
    try {
      const rdev = statSync(dev).rdev;
      devices[dev] = `${Math.floor(rdev / 256) & 0xfff}:${(rdev & 0xff) | ((rdev >> 12) & 0xfff00)}`;
    } catch {
      devices[dev] = null;
    }
  }
  return {
    mode,
    mounts,
    memTotal,
    tasksLimit: Math.min(pidMax, threadsMax),
    has: {
      // cpu.idle exists only below the root cgroup, so ask the kernel version (5.15 added it).
      cpuIdle: mode === "v2" && kernelAtLeast(5, 15),
      ioWeight,
      memsw: mounts.memory !== undefined && existsSync(join(mounts.memory, "memory.memsw.limit_in_bytes")),
    },
    parentCpus: (readText(mounts.cpuset ? join(mounts.cpuset, "cpuset.cpus") : "") ?? "").trim(),
    parentMems: (readText(mounts.cpuset ? join(mounts.cpuset, "cpuset.mems") : "") ?? "").trim(),
    devices,
  };
}

function kernelAtLeast(major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(readText("/proc/sys/kernel/osrelease") ?? "");
  return m !== null && (Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor));
}

/** Create the unit's cgroups and write its settings. A failed write names the file, the value and the reason. */
export function applyCgroupPlan(plan: CgroupPlan): void {
  for (const dir of plan.dirs) {
    if (!existsSync(dir)) {
      try {
        mkdirSync(dir);
      } catch (error) {
        throw new QmError("QM_CGROUP", `cannot create cgroup ${dir}: ${(error as Error).message}`, {
          hint: "qm needs root and writable cgroup hierarchies (see 'qm doctor')",
        });
      }
    }
  }
  for (const w of plan.writes) {
    try {
      writeFileSync(w.path, w.value);
    } catch (error) {
      throw new QmError("QM_CGROUP", `cannot write '${w.value}' to ${w.path}: ${(error as Error).message}`, {
        hint: "the kernel refused the value; check the [Service] setting that produced it ('qm config check')",
      });
    }
  }
}

/** Remove a cgroup tree, deepest first. Returns the directories that could not be removed (still populated). */
export function removeCgroupTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const left: string[] = [];
  for (const name of readdirSync(dir)) {
    const child = join(dir, name);
    if (statSync(child).isDirectory()) left.push(...removeCgroupTree(child));
  }
  try {
    rmdirSync(dir);
  } catch {
    left.push(dir);
  }
  return left;
}

/** The unit's cgroup in every hierarchy, including those only podman and systemd use (name=systemd, perf_event...). */
export function unitCgroupDirs(serviceName: string): string[] {
  const mounts = parseMountinfo(readText("/proc/self/mountinfo")).filter(
    (m) => (m.fstype === "cgroup" || m.fstype === "cgroup2") && m.mountpoint.startsWith("/sys/fs/cgroup"),
  );
  return [...new Set(mounts.map((m) => `${m.mountpoint}/${serviceName}`))];
}

/** The first word of a cgroup file as a number; null when absent, unreadable or "max". */
function readNumber(path: string): number | null {
  const text = readText(path);
  if (text === null) return null;
  const first = text.trim().split(/\s+/)[0] ?? "";
  return first === "max" ? null : Number(first);
}

/** What a unit's cgroup uses and may use: memory, tasks and CPU time (null where unknown or unlimited). */
export function cgroupUsage(serviceName: string): Record<string, number | null> {
  const host = cgroupHost();
  if (host.mode === "v2") {
    const dir = `${host.mounts.unified ?? "/sys/fs/cgroup"}/${serviceName}`;
    const cpu = /usage_usec (\d+)/.exec(readText(`${dir}/cpu.stat`) ?? "");
    return {
      memoryBytes: readNumber(`${dir}/memory.current`),
      memoryMaxBytes: readNumber(`${dir}/memory.max`),
      tasks: readNumber(`${dir}/pids.current`),
      tasksMax: readNumber(`${dir}/pids.max`),
      cpuSeconds: cpu ? Number(cpu[1]) / 1e6 : null,
    };
  }
  const at = (controller: string, file: string): string =>
    `${host.mounts[controller] ?? "/nonexistent"}/${serviceName}/${file}`;
  const limit = readNumber(at("memory", "memory.limit_in_bytes"));
  const cpuNs = readNumber(at("cpuacct", "cpuacct.usage"));
  return {
    memoryBytes: readNumber(at("memory", "memory.usage_in_bytes")),
    // v1 reports "no limit" as the largest page-aligned value.
    memoryMaxBytes: limit !== null && limit >= 2 ** 62 ? null : limit,
    tasks: readNumber(at("pids", "pids.current")),
    tasksMax: readNumber(at("pids", "pids.max")),
    cpuSeconds: cpuNs === null ? null : cpuNs / 1e9,
  };
}
