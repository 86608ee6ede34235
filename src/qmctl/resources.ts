import { dirname } from "node:path";
import {
  type CgroupFs,
  type CgroupLayout,
  type CgroupLocation,
  type CgroupUsage,
  findContainerCgroups,
  locateCgroup,
  parseMountinfo,
  parseProcCgroup,
  readUsage,
  unitAncestor,
} from "./cgroups.js";
import type { Json } from "./output.js";

/** The partition's cgroup and the nested containers below it, as located for one process. */
export interface ResourceTarget {
  readonly unit: string;
  readonly container: string;
  readonly pid: number;
  readonly layout: CgroupLayout;
  readonly location: CgroupLocation;
  /** The partition container's own id, so its payload cgroup is not listed as a nested container. */
  readonly containerId?: string;
}

function upwards(location: CgroupLocation, levels: number, path: string): CgroupLocation {
  const up = (dir: string): string => {
    let d = dir;
    for (let i = 0; i < levels; i++) d = dirname(d);
    return d;
  };
  const v1 = Object.fromEntries(Object.entries(location.v1).map(([c, d]) => [c, up(d)]));
  return { path, v1, ...(location.v2 === undefined ? {} : { v2: up(location.v2) }) };
}

/**
 * Find the partition's cgroup from its main process. On a systemd host podman runs the container in a
 * sub-cgroup of the unit (qm.service/libpod-payload-ID); the whole unit is what systemd-cgtop shows, so
 * the unit's cgroup is used when it is an ancestor.
 */
export function resolveTarget(
  fs: CgroupFs,
  container: string,
  pid: number,
  containerId?: string,
): ResourceTarget | undefined {
  const procCgroup = fs.read(`/proc/${pid}/cgroup`);
  const mountinfo = fs.read("/proc/self/mountinfo");
  if (procCgroup === undefined || mountinfo === undefined) return undefined;
  const { location, layout } = locateCgroup(parseMountinfo(mountinfo), parseProcCgroup(procCgroup));
  const unit = `${container}.service`;
  const ancestor = unitAncestor(location.path, unit);
  const levels = ancestor === undefined ? 0 : location.path.split("/").length - ancestor.split("/").length;
  const resolved = ancestor === undefined ? location : upwards(location, levels, ancestor);
  return { unit, container, pid, layout, location: resolved, ...(containerId ? { containerId } : {}) };
}

export interface Sample {
  readonly atNs: bigint;
  readonly rows: readonly {
    readonly name: string;
    readonly path: string;
    readonly id?: string;
    readonly usage: CgroupUsage;
  }[];
}

export function takeSample(fs: CgroupFs, target: ResourceTarget, atNs: bigint): Sample {
  const nested = findContainerCgroups(fs, target.location, target.containerId);
  const rootPath = target.location.path === "/" ? "" : target.location.path;
  return {
    atNs,
    rows: [
      { name: target.unit, path: target.location.path, usage: readUsage(fs, target.location) },
      ...nested.map((n) => ({
        name: `${target.unit}/${n.relative}`,
        path: `${rootPath}/${n.relative}`,
        id: n.id,
        usage: readUsage(fs, target.location, n.relative),
      })),
    ],
  };
}

/** One cgroup's line: counters plus rates over the interval between two samples. */
export interface ResourceRow {
  readonly name: string;
  readonly cgroup: string;
  readonly container_id: string | null;
  readonly tasks: number | null;
  readonly tasks_max: number | null;
  readonly cpu_percent: number | null;
  readonly cpu_usage_seconds: number | null;
  readonly memory_bytes: number | null;
  readonly memory_limit_bytes: number | null;
  readonly io_read_bytes: number | null;
  readonly io_write_bytes: number | null;
  readonly io_read_bytes_per_second: number | null;
  readonly io_write_bytes_per_second: number | null;
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

function rate(before: number | undefined, after: number | undefined, seconds: number): number | null {
  if (before === undefined || after === undefined || seconds <= 0 || after < before) return null;
  return round((after - before) / seconds, 1);
}

/** Pure: rows from two samples of the same target. CPU% is of one CPU, like systemd-cgtop (may exceed 100). */
export function computeRows(before: Sample, after: Sample): ResourceRow[] {
  const seconds = Number(after.atNs - before.atNs) / 1e9;
  return after.rows.map((row) => {
    const prev = before.rows.find((r) => r.path === row.path)?.usage;
    const u = row.usage;
    const cpu = rate(prev?.cpuUsageNs, u.cpuUsageNs, seconds);
    return {
      name: row.name,
      cgroup: row.path,
      container_id: row.id ?? null,
      tasks: u.tasks ?? null,
      tasks_max: u.tasksMax ?? null,
      cpu_percent: cpu === null ? null : round(cpu / 1e7, 1),
      cpu_usage_seconds: u.cpuUsageNs === undefined ? null : round(u.cpuUsageNs / 1e9, 3),
      memory_bytes: u.memoryBytes ?? null,
      memory_limit_bytes: u.memoryLimitBytes ?? null,
      io_read_bytes: u.ioReadBytes ?? null,
      io_write_bytes: u.ioWriteBytes ?? null,
      io_read_bytes_per_second: rate(prev?.ioReadBytes, u.ioReadBytes, seconds),
      io_write_bytes_per_second: rate(prev?.ioWriteBytes, u.ioWriteBytes, seconds),
    };
  });
}

export function resourcesJson(
  target: ResourceTarget,
  rows: readonly ResourceRow[],
  intervalSeconds: number,
): Json {
  return {
    unit: target.unit,
    container: target.container,
    pid: target.pid,
    cgroup_layout: target.layout,
    interval_seconds: intervalSeconds,
    cgroups: rows.map((r) => ({ ...r })),
  };
}

/** Sizes the way systemd-cgtop prints them: 1024-based with one decimal, "-" when unknown. */
export function formatBytes(n: number | null): string {
  if (n === null) return "-";
  const units = ["B", "K", "M", "G", "T", "P"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value}B` : `${value.toFixed(1)}${units[unit]}`;
}

/** A systemd-cgtop-like table; 64-hex ids are shortened to 12 characters for display. */
export function formatTable(rows: readonly ResourceRow[]): string {
  const label = (r: ResourceRow): string => r.name.replace(/[0-9a-f]{64}/g, (id) => id.slice(0, 12));
  const width = Math.max("Control Group".length, ...rows.map((r) => label(r).length));
  const cols = (cells: readonly string[]): string =>
    `${(cells[0] ?? "").padEnd(width)} ${cells
      .slice(1)
      .map((c) => c.padStart(8))
      .join(" ")}`.trimEnd();
  const lines = [cols(["Control Group", "Tasks", "%CPU", "Memory", "Input/s", "Output/s"])];
  for (const r of rows) {
    lines.push(
      cols([
        label(r),
        r.tasks === null ? "-" : String(r.tasks),
        r.cpu_percent === null ? "-" : r.cpu_percent.toFixed(1),
        formatBytes(r.memory_bytes),
        formatBytes(r.io_read_bytes_per_second),
        formatBytes(r.io_write_bytes_per_second),
      ]),
    );
  }
  return `${lines.join("\n")}\n`;
}
