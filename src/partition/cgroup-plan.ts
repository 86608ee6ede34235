import type { Adaptation } from "./runstate.js";
import { type ServiceSettings, sizeBytes } from "./service-settings.js";

/**
 * Pure translation of qm.service's [Service] resource settings into cgroupfs writes, as systemd would make them
 * (systemd.resource-control(5)), for a top-level `qm.service` cgroup on cgroup v2 or on every v1 hierarchy.
 */

export interface CgroupHost {
  readonly mode: "v2" | "v1";
  /** v2: the cgroup2 mountpoint. v1: mountpoint by controller (cpu, cpuacct, cpuset, memory, pids, blkio, ...). */
  readonly mounts: Readonly<Record<string, string>>;
  readonly memTotal: number;
  /** min(kernel.pid_max, kernel.threads-max): what TasksMax=N% is relative to. */
  readonly tasksLimit: number;
  /** Files that exist only with some kernels, schedulers or configurations. */
  readonly has: { readonly cpuIdle: boolean; readonly ioWeight: string | null; readonly memsw: boolean };
  /** v1 cpuset: a new cgroup starts empty and must inherit these. */
  readonly parentCpus: string;
  readonly parentMems: string;
  /** major:minor of block devices named by IO*IOPSMax=, null when the device does not exist. */
  readonly devices: Readonly<Record<string, string | null>>;
}

export interface CgroupWrite {
  readonly path: string;
  readonly value: string;
}

export interface CgroupPlan {
  /** Every cgroup directory of the unit, one per hierarchy. */
  readonly dirs: readonly string[];
  readonly writes: readonly CgroupWrite[];
  readonly adaptations: readonly Adaptation[];
}

const v1Hierarchies = ["cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer"];

export function planCgroups(name: string, s: ServiceSettings, host: CgroupHost): CgroupPlan {
  return host.mode === "v2" ? planV2(name, s, host) : planV1(name, s, host);
}

function tasksMax(s: ServiceSettings, host: CgroupHost): string | undefined {
  const t = s.tasksMax;
  if (t === undefined) return undefined;
  if (t === "infinity") return "max";
  return String("value" in t ? t.value : Math.floor((host.tasksLimit * t.percent) / 100));
}

function iops(
  s: ServiceSettings,
  host: CgroupHost,
  adaptations: Adaptation[],
): { read: [string, number][]; write: [string, number][] } {
  const resolve = (list: ServiceSettings["ioReadIopsMax"], key: string): [string, number][] =>
    list.flatMap((l) => {
      const dev = host.devices[l.device];
      if (!dev) {
        adaptations.push({
          option: `${key}=${l.device} ${l.iops}`,
          action: "not applied",
          reason: `${l.device} does not exist`,
        });
        return [];
      }
      return [[dev, l.iops] as [string, number]];
    });
  return {
    read: resolve(s.ioReadIopsMax, "IOReadIOPSMax"),
    write: resolve(s.ioWriteIopsMax, "IOWriteIOPSMax"),
  };
}

function planV2(name: string, s: ServiceSettings, host: CgroupHost): CgroupPlan {
  const root = host.mounts.unified ?? "/sys/fs/cgroup";
  const dir = `${root}/${name}`;
  const at = (file: string): string => `${dir}/${file}`;
  const writes: CgroupWrite[] = [
    { path: `${root}/cgroup.subtree_control`, value: "+cpu +cpuset +io +memory +pids" },
  ];
  const adaptations: Adaptation[] = [];
  if (s.cpuWeight === "idle") {
    if (host.has.cpuIdle) writes.push({ path: at("cpu.idle"), value: "1" });
    else {
      writes.push({ path: at("cpu.weight"), value: "1" });
      adaptations.push({
        option: "CPUWeight=idle",
        action: "cpu.weight=1",
        reason: "the kernel has no cpu.idle (before 5.15)",
      });
    }
  } else if (s.cpuWeight !== undefined) writes.push({ path: at("cpu.weight"), value: String(s.cpuWeight) });
  if (s.cpuQuotaPercent !== undefined)
    writes.push({ path: at("cpu.max"), value: `${Math.round(s.cpuQuotaPercent * 1000)} 100000` });
  if (s.allowedCpus) writes.push({ path: at("cpuset.cpus"), value: s.allowedCpus });
  if (s.ioWeight !== undefined) {
    if (host.has.ioWeight) writes.push({ path: at(host.has.ioWeight), value: `default ${s.ioWeight}` });
    else
      adaptations.push({
        option: `IOWeight=${s.ioWeight}`,
        action: "not applied",
        reason: "no io.weight (no io controller or weight-capable scheduler)",
      });
  }
  const { read, write } = iops(s, host, adaptations);
  for (const [dev, n] of read) writes.push({ path: at("io.max"), value: `${dev} riops=${n}` });
  for (const [dev, n] of write) writes.push({ path: at("io.max"), value: `${dev} wiops=${n}` });
  const bytes = (v: ServiceSettings["memoryMax"]): string | undefined =>
    v === undefined ? undefined : String(sizeBytes(v, host.memTotal) ?? "max");
  const max = bytes(s.memoryMax);
  const high = bytes(s.memoryHigh);
  const swap = bytes(s.memorySwapMax);
  if (max) writes.push({ path: at("memory.max"), value: max });
  if (high) writes.push({ path: at("memory.high"), value: high });
  if (swap) writes.push({ path: at("memory.swap.max"), value: swap });
  const pids = tasksMax(s, host);
  if (pids) writes.push({ path: at("pids.max"), value: pids });
  return { dirs: [dir], writes, adaptations };
}

/** systemd's CPUWeight (1..10000, default 100) to v1 cpu.shares (2..262144, default 1024). */
export function cpuShares(weight: number | "idle"): number {
  if (weight === "idle") return 2;
  return Math.max(2, Math.min(262144, Math.round((weight * 1024) / 100)));
}

function planV1(name: string, s: ServiceSettings, host: CgroupHost): CgroupPlan {
  const dirOf = (controller: string): string | undefined => {
    const mount = host.mounts[controller];
    return mount ? `${mount}/${name}` : undefined;
  };
  const dirs = [...new Set(v1Hierarchies.map(dirOf).filter((d): d is string => d !== undefined))];
  const writes: CgroupWrite[] = [];
  const adaptations: Adaptation[] = [];
  const write = (controller: string, file: string, value: string): void => {
    const dir = dirOf(controller);
    if (dir) writes.push({ path: `${dir}/${file}`, value });
  };
  const cpuset = dirOf("cpuset");
  if (cpuset) {
    write("cpuset", "cpuset.mems", host.parentMems);
    write("cpuset", "cpuset.cpus", s.allowedCpus ?? host.parentCpus);
  }
  if (s.cpuWeight !== undefined) {
    write("cpu", "cpu.shares", String(cpuShares(s.cpuWeight)));
    if (s.cpuWeight === "idle") {
      adaptations.push({
        option: "CPUWeight=idle",
        action: "cpu.shares=2",
        reason: "cgroup v1 has no SCHED_IDLE group: the lowest share",
      });
    }
  }
  if (s.cpuQuotaPercent !== undefined) {
    write("cpu", "cpu.cfs_period_us", "100000");
    write("cpu", "cpu.cfs_quota_us", String(Math.round(s.cpuQuotaPercent * 1000)));
  }
  if (s.ioWeight !== undefined) {
    if (host.has.ioWeight)
      write("blkio", host.has.ioWeight, String(Math.max(10, Math.min(1000, s.ioWeight * 10))));
    else
      adaptations.push({
        option: `IOWeight=${s.ioWeight}`,
        action: "not applied",
        reason: "no blkio.weight (v1 weights need the BFQ scheduler on the disk)",
      });
  }
  const { read, write: wr } = iops(s, host, adaptations);
  for (const [dev, n] of read) write("blkio", "blkio.throttle.read_iops_device", `${dev} ${n}`);
  for (const [dev, n] of wr) write("blkio", "blkio.throttle.write_iops_device", `${dev} ${n}`);
  const max = s.memoryMax === undefined ? undefined : sizeBytes(s.memoryMax, host.memTotal);
  if (s.memoryMax !== undefined) write("memory", "memory.limit_in_bytes", String(max ?? -1));
  if (s.memoryHigh !== undefined && s.memoryHigh !== "infinity") {
    adaptations.push({
      option: "MemoryHigh=",
      action: "not applied",
      reason: "cgroup v1 has no memory.high",
    });
  }
  if (s.memorySwapMax !== undefined) {
    const swap = sizeBytes(s.memorySwapMax, host.memTotal);
    if (host.has.memsw && max !== undefined && swap !== undefined) {
      write("memory", "memory.memsw.limit_in_bytes", String(max + swap));
    } else if (swap === 0) {
      write("memory", "memory.swappiness", "0");
      adaptations.push({
        option: "MemorySwapMax=0",
        action: "memory.swappiness=0",
        reason: host.has.memsw
          ? "no MemoryMax to bound memory+swap on v1"
          : "no swap accounting (memory.memsw) on this kernel",
      });
    }
  }
  const pids = tasksMax(s, host);
  if (pids) write("pids", "pids.max", pids);
  return { dirs, writes, adaptations };
}
