import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The partition's service cgroup (e.g. /qm.service) as seen from the host, per controller, v1 or v2. */
export interface PartitionCgroup {
  readonly mode: "v1" | "v2";
  /** The top-level unit cgroup, e.g. "/qm.service". */
  readonly service: string;
  dir(controller: string): string;
}

export function partitionCgroup(pid: number): PartitionCgroup {
  const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
  const v2 = existsSync("/sys/fs/cgroup/cgroup.controllers");
  const pathOf = (controller: string): string => {
    const line = v2
      ? lines.find((l) => l.startsWith("0::"))
      : lines.find((l) => (l.split(":")[1] ?? "").split(",").includes(controller));
    return line?.split(":").slice(2).join(":") ?? "/";
  };
  const top = (path: string): string => `/${path.split("/").filter(Boolean)[0] ?? ""}`;
  const service = top(pathOf(v2 ? "" : "memory"));
  return {
    mode: v2 ? "v2" : "v1",
    service,
    dir: (controller) =>
      v2 ? join("/sys/fs/cgroup", service) : join("/sys/fs/cgroup", controller, top(pathOf(controller))),
  };
}

export function readCgroupFile(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
}

/**
 * OOM kills charged to the partition. v2 counts hierarchically in memory.events; v1 counts only in the victim's own
 * memcg (memory.oom_control), so the whole subtree is summed.
 */
export function partitionOomKills(cg: PartitionCgroup): number {
  if (cg.mode === "v2") {
    const m = /^oom_kill (\d+)/m.exec(readCgroupFile(join(cg.dir("memory"), "memory.events")) ?? "");
    return m ? Number(m[1]) : 0;
  }
  let total = 0;
  const walk = (dir: string): void => {
    const m = /^oom_kill (\d+)/m.exec(readCgroupFile(join(dir, "memory.oom_control")) ?? "");
    if (m) total += Number(m[1]);
    let entries: string[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return;
    }
    for (const e of entries) walk(join(dir, e));
  };
  walk(cg.dir("memory"));
  return total;
}

/** Host PIDs in the partition's cgroup whose command line contains marker (to stop attack processes by PID). */
export function partitionPids(cg: PartitionCgroup, marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ");
      if (!cmdline.includes(marker)) continue;
      const cgroups = readFileSync(`/proc/${name}/cgroup`, "utf8");
      if (cgroups.includes(`:${cg.service}/`) || cgroups.includes(`:${cg.service}\n`)) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export function killPids(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
