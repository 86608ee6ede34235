import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Reading resource usage from cgroupfs, for cgroup v1, v2 and the hybrid layout (v1 controllers plus a
 * cgroup2 mount): a v1 controller is preferred when the process has one, v2 files are the fallback.
 */

/** Read-only view of a filesystem tree; tests point it at recorded cgroupfs snapshots. */
export interface CgroupFs {
  /** File content, or undefined when it cannot be read. */
  read(path: string): string | undefined;
  /** Names of subdirectories (empty when missing). */
  subdirs(path: string): string[];
}

export function nodeCgroupFs(root = "/"): CgroupFs {
  return {
    read: (path) => {
      try {
        return readFileSync(join(root, path), "utf8");
      } catch {
        return undefined;
      }
    },
    subdirs: (path) => {
      try {
        return readdirSync(join(root, path), { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name)
          .sort();
      } catch {
        return [];
      }
    },
  };
}

export interface CgroupMount {
  readonly version: 1 | 2;
  /** Root of the mount inside the hierarchy (4th mountinfo field). */
  readonly root: string;
  readonly mountPoint: string;
  /** v1 controllers (and name=... hierarchies) carried by this mount; empty for v2. */
  readonly controllers: readonly string[];
}

const unescapeMount = (s: string): string =>
  s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

export function parseMountinfo(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split("\n")) {
    const [before, after] = line.split(" - ");
    if (!before || !after) continue;
    const fields = before.split(" ");
    const [fstype, , superOptions = ""] = after.split(" ");
    const root = fields[3];
    const mountPoint = fields[4];
    if (root === undefined || mountPoint === undefined) continue;
    if (fstype === "cgroup2") {
      mounts.push({
        version: 2,
        root: unescapeMount(root),
        mountPoint: unescapeMount(mountPoint),
        controllers: [],
      });
    } else if (fstype === "cgroup") {
      const controllers = superOptions
        .split(",")
        .filter((o) => !["rw", "ro"].includes(o) && !o.includes("="));
      const named = superOptions.split(",").filter((o) => o.startsWith("name="));
      mounts.push({
        version: 1,
        root: unescapeMount(root),
        mountPoint: unescapeMount(mountPoint),
        controllers: [...controllers, ...named],
      });
    }
  }
  return mounts;
}

export interface ProcCgroup {
  readonly hierarchy: number;
  readonly controllers: readonly string[];
  readonly path: string;
}

export function parseProcCgroup(text: string): ProcCgroup[] {
  const entries: ProcCgroup[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    entries.push({
      hierarchy: Number(m[1]),
      controllers: m[2] ? (m[2] as string).split(",") : [],
      path: m[3] as string,
    });
  }
  return entries;
}

/** The controllers qmctl reads, with the v1 hierarchy that carries each metric. */
const V1_CONTROLLERS = ["cpuacct", "memory", "pids", "blkio"] as const;
type V1Controller = (typeof V1_CONTROLLERS)[number];

/** Where one cgroup lives on disk, per hierarchy. */
export interface CgroupLocation {
  /** The cgroup's path as /proc/PID/cgroup names it (v2 path when pure v2, else the memory path). */
  readonly path: string;
  readonly v1: Partial<Record<V1Controller, string>>;
  readonly v2?: string;
}

export type CgroupLayout = "v1" | "v2" | "hybrid";

function onDisk(mount: CgroupMount, path: string): string | undefined {
  const root = mount.root === "/" ? "" : mount.root;
  if (root && path !== root && !path.startsWith(`${root}/`)) return undefined;
  return join(mount.mountPoint, path.slice(root.length));
}

/** Locate a process's cgroup in every mounted hierarchy. */
export function locateCgroup(
  mounts: readonly CgroupMount[],
  entries: readonly ProcCgroup[],
): {
  readonly location: CgroupLocation;
  readonly layout: CgroupLayout;
} {
  const v1: Partial<Record<V1Controller, string>> = {};
  let memoryPath: string | undefined;
  for (const controller of V1_CONTROLLERS) {
    const entry = entries.find((e) => e.controllers.includes(controller));
    const mount = mounts.find((m) => m.version === 1 && m.controllers.includes(controller));
    if (!entry || !mount) continue;
    const dir = onDisk(mount, entry.path);
    if (dir) v1[controller] = dir;
    if (controller === "memory") memoryPath = entry.path;
  }
  const unifiedEntry = entries.find((e) => e.hierarchy === 0);
  const unifiedMount = mounts.find((m) => m.version === 2);
  const v2 = unifiedEntry && unifiedMount ? onDisk(unifiedMount, unifiedEntry.path) : undefined;
  const hasV1 = Object.keys(v1).length > 0;
  const layout: CgroupLayout = hasV1 ? (v2 ? "hybrid" : "v1") : "v2";
  const path =
    (hasV1 ? (memoryPath ?? entries.find((e) => e.controllers.length > 0)?.path) : unifiedEntry?.path) ?? "/";
  return { location: { path, v1, ...(v2 === undefined ? {} : { v2 }) }, layout };
}

/** One reading of a cgroup's counters. `undefined` means the kernel does not expose the metric here. */
export interface CgroupUsage {
  readonly cpuUsageNs?: number;
  readonly memoryBytes?: number;
  /** null: no limit. */
  readonly memoryLimitBytes?: number | null;
  readonly tasks?: number;
  readonly tasksMax?: number | null;
  readonly ioReadBytes?: number;
  readonly ioWriteBytes?: number;
}

const num = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  return text.trim() !== "" && Number.isFinite(n) ? n : undefined;
};

/** v1 reports "no limit" as a page-aligned LONG_MAX; v2 as "max". */
const limit = (text: string | undefined): number | null | undefined => {
  if (text === undefined) return undefined;
  if (text.trim() === "max") return null;
  const n = num(text);
  return n === undefined ? undefined : n >= 2 ** 62 ? null : n;
};

function v2Key(text: string | undefined, key: string): number | undefined {
  const line = text?.split("\n").find((l) => l.startsWith(`${key} `));
  return line === undefined ? undefined : num(line.slice(key.length + 1));
}

/** Sum bytes over devices: v1 blkio "MAJ:MIN Read N" lines, v2 io.stat "MAJ:MIN rbytes=N wbytes=N ...". */
export function parseBlkio(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split("\n")) {
    const [device, op, value] = line.trim().split(/\s+/);
    if (!device?.includes(":") || value === undefined) continue;
    if (op === "Read") read += Number(value) || 0;
    if (op === "Write") write += Number(value) || 0;
  }
  return { read, write };
}

export function parseIoStat(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split("\n")) {
    for (const field of line.trim().split(/\s+/).slice(1)) {
      const [key, value] = field.split("=");
      if (key === "rbytes") read += Number(value) || 0;
      if (key === "wbytes") write += Number(value) || 0;
    }
  }
  return { read, write };
}

/** The v1 value when v1 has the file, else the v2 one; unlike `??`, a null ("no limit") is kept. */
function either<T>(v1: T | undefined, v2: () => T | undefined): T | undefined {
  return v1 !== undefined ? v1 : v2();
}

/** Drop unknown metrics so they are absent rather than present-but-undefined. */
function defined(value: Record<keyof CgroupUsage, number | null | undefined>): CgroupUsage {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as CgroupUsage;
}

/** Read the counters of the cgroup at `location`, or of its descendant `relative` ("" for itself). */
export function readUsage(fs: CgroupFs, location: CgroupLocation, relative = ""): CgroupUsage {
  const v1 = (c: V1Controller, file: string): string | undefined => {
    const dir = location.v1[c];
    return dir === undefined ? undefined : fs.read(join(dir, relative, file));
  };
  const v2 = (file: string): string | undefined =>
    location.v2 === undefined ? undefined : fs.read(join(location.v2, relative, file));

  const cpuV1 = num(v1("cpuacct", "cpuacct.usage"));
  const cpuV2 = v2Key(v2("cpu.stat"), "usage_usec");
  const blkio =
    v1("blkio", "blkio.throttle.io_service_bytes_recursive") ??
    v1("blkio", "blkio.io_service_bytes_recursive");
  const ioStat = v2("io.stat");
  const io = blkio !== undefined ? parseBlkio(blkio) : ioStat !== undefined ? parseIoStat(ioStat) : undefined;
  return defined({
    cpuUsageNs: cpuV1 ?? (cpuV2 === undefined ? undefined : cpuV2 * 1000),
    memoryBytes: num(v1("memory", "memory.usage_in_bytes")) ?? num(v2("memory.current")),
    memoryLimitBytes: either(limit(v1("memory", "memory.limit_in_bytes")), () => limit(v2("memory.max"))),
    tasks: num(v1("pids", "pids.current")) ?? num(v2("pids.current")),
    tasksMax: either(limit(v1("pids", "pids.max")), () => limit(v2("pids.max"))),
    ioReadBytes: io?.read,
    ioWriteBytes: io?.write,
  });
}

/** A 64-hex container id in a cgroup directory name (libpod-ID, libpod-ID.scope, crio-ID, docker-ID.scope, ID). */
export function containerIdOf(name: string): string | undefined {
  return /^(?:[a-z]+-)?([0-9a-f]{64})(?:\.scope)?$/.exec(name)?.[1];
}

/**
 * Descendant cgroups that hold containers, relative to `location`: the outermost directory carrying each
 * id (a runtime's inner "container" sub-cgroup is not listed again). `exclude` is the partition's own id.
 */
export function findContainerCgroups(
  fs: CgroupFs,
  location: CgroupLocation,
  exclude?: string,
  maxDepth = 6,
): { readonly relative: string; readonly id: string }[] {
  const bases = [location.v2, location.v1.memory, location.v1.cpuacct, location.v1.pids].filter(
    (d): d is string => d !== undefined,
  );
  const found = new Map<string, string>();
  const walk = (relative: string, depth: number): void => {
    if (depth > maxDepth) return;
    const names = new Set(bases.flatMap((b) => fs.subdirs(join(b, relative))));
    for (const name of [...names].sort()) {
      const child = relative ? `${relative}/${name}` : name;
      const id = containerIdOf(name);
      if (id !== undefined && id !== exclude) {
        if (!found.has(id)) found.set(id, child);
        continue;
      }
      walk(child, depth + 1);
    }
  };
  walk("", 1);
  return [...found].map(([id, relative]) => ({ relative, id }));
}

/** The cgroup a unit named `unit` covers: the nearest ancestor of `path` with that name, if any. */
export function unitAncestor(path: string, unit: string): string | undefined {
  const parts = path.split("/");
  const index = parts.lastIndexOf(unit);
  return index < 0 ? undefined : parts.slice(0, index + 1).join("/") || "/";
}
