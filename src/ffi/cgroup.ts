import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The partition's service cgroup (e.g. /qm.service) as seen from the host, per controller, v1 or v2. */
export interface PartitionCgroup {
  readonly mode: "v1" | "v2";
  /** The top-level unit cgroup, e.g. "/qm.service". */
  readonly service: string;
  dir(controller: string): string;
}

/** `v2`: the host's cgroup hierarchy is v2 alone (hostMode). */
export function partitionCgroup(pid: number, v2: boolean): PartitionCgroup {
  const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
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

/** Every process descending from `root` (children, grandchildren, ...), from the parent PIDs in /proc. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The parent PID is the second field after the parenthesised command name, which may contain spaces.
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
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
