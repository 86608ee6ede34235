import { QmError } from "../core/errors.js";
import type { Unit, UnitValue } from "../unit/unit.js";

/**
 * The [Service] (and [Unit] start-limit) settings of qm.service as typed values, validated where they were written
 * (file:line:column), the way systemd.resource-control(5) and systemd.exec(5) read them. qm applies them itself
 * in direct mode; on systemd hosts systemd does, and this only validates.
 */

export type Size = { readonly bytes: number } | { readonly percent: number } | "infinity";
export type Count = { readonly value: number } | { readonly percent: number } | "infinity";

export interface IopsLimit {
  readonly device: string;
  readonly iops: number;
}

export interface ServiceSettings {
  readonly cpuWeight?: "idle" | number;
  readonly cpuQuotaPercent?: number;
  readonly allowedCpus?: string;
  readonly ioWeight?: number;
  readonly ioReadIopsMax: readonly IopsLimit[];
  readonly ioWriteIopsMax: readonly IopsLimit[];
  readonly memoryMax?: Size;
  readonly memoryHigh?: Size;
  readonly memorySwapMax?: Size;
  readonly tasksMax?: Count;
  readonly oomScoreAdjust?: number;
  readonly limitNofile?: { readonly soft: number | "infinity"; readonly hard: number | "infinity" };
  readonly restart:
    | "no"
    | "always"
    | "on-success"
    | "on-failure"
    | "on-abnormal"
    | "on-abort"
    | "on-watchdog";
  readonly startLimitIntervalSec: number;
  readonly startLimitBurst: number;
  readonly environment: Readonly<Record<string, string>>;
  /** [Service] keys direct mode does not apply, with where they were set. */
  readonly unapplied: readonly UnitValue[];
}

/** Keys read here; other [Service] keys are kept by the generator for systemd hosts. */
const handled = new Set([
  "CPUWeight",
  "CPUQuota",
  "AllowedCPUs",
  "IOWeight",
  "IOReadIOPSMax",
  "IOWriteIOPSMax",
  "MemoryMax",
  "MemoryHigh",
  "MemorySwapMax",
  "TasksMax",
  "OOMScoreAdjust",
  "LimitNOFILE",
  "Restart",
  "Environment",
  // Meaningful without systemd too, or handled by the podman command itself:
  "Delegate",
  "Slice",
  "KillMode",
  "Type",
  "NotifyAccess",
  "SyslogIdentifier",
  "ExecStart",
  "ExecStop",
  "ExecStopPost",
]);

function invalid(v: UnitValue, message: string): QmError {
  return new QmError("QM_CONFIG_INVALID", `${v.key}=${v.value}: ${message}`, {
    location: { file: v.file, line: v.line, column: v.column },
    details: { section: v.section, key: v.key, value: v.value },
  });
}

const K = 1024;
const binarySuffix: Readonly<Record<string, number>> = {
  K,
  M: K ** 2,
  G: K ** 3,
  T: K ** 4,
  P: K ** 5,
  E: K ** 6,
};
const decimalSuffix: Readonly<Record<string, number>> = { K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Byte sizes: plain bytes or K/M/G/T/P/E (base 1024), a percentage of physical memory, or "infinity". */
export function parseSize(v: UnitValue): Size {
  const s = v.value.trim();
  if (s === "infinity") return "infinity";
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(s);
  if (pct) {
    const percent = Number(pct[1]);
    if (percent > 100) throw invalid(v, "a percentage above 100%");
    return { percent };
  }
  const m = /^(\d+(?:\.\d+)?)\s*([KMGTPE]?)$/.exec(s);
  if (!m)
    throw invalid(v, "expected bytes with an optional K, M, G, T, P or E suffix, a percentage, or infinity");
  return { bytes: Math.floor(Number(m[1]) * (binarySuffix[m[2] as string] ?? 1)) };
}

function parseInteger(v: UnitValue, min: number, max: number, text = v.value.trim()): number {
  if (!/^-?\d+$/.test(text)) throw invalid(v, `expected an integer from ${min} to ${max}`);
  const n = Number(text);
  if (n < min || n > max) throw invalid(v, `out of range (${min}..${max})`);
  return n;
}

/** "30s", "1min", "500ms", "2" (seconds): systemd.time(7) spans, in seconds. */
export function parseTimespan(v: UnitValue): number {
  const units: Readonly<Record<string, number>> = {
    us: 1e-6,
    ms: 1e-3,
    s: 1,
    sec: 1,
    m: 60,
    min: 60,
    h: 3600,
    hr: 3600,
    d: 86400,
  };
  let total = 0;
  const text = v.value.trim();
  if (text === "infinity") return Number.POSITIVE_INFINITY;
  const re = /(\d+(?:\.\d+)?)\s*([a-z]*)\s*/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  // biome-ignore lint/suspicious/noAssignInExpressions: a sticky regex walks the string
  while ((m = re.exec(text)) !== null) {
    const unit = m[2] === "" ? "s" : (m[2] as string);
    const factor = units[unit];
    if (factor === undefined) throw invalid(v, `unknown time unit '${unit}'`);
    total += Number(m[1]) * factor;
    consumed = re.lastIndex;
  }
  if (consumed !== text.length || text === "")
    throw invalid(v, "expected a time span such as 10s, 1min or 500ms");
  return total;
}

function parseIops(v: UnitValue): IopsLimit {
  const m = /^(\/\S+)\s+(\d+(?:\.\d+)?)([KMGT]?)$/.exec(v.value.trim());
  if (!m) throw invalid(v, "expected 'DEVICE IOPS', e.g. /dev/sdf 50 (K/M/G/T suffixes are base 1000)");
  return { device: m[1] as string, iops: Math.floor(Number(m[2]) * (decimalSuffix[m[3] as string] ?? 1)) };
}

function parseNofile(v: UnitValue): NonNullable<ServiceSettings["limitNofile"]> {
  const one = (s: string): number | "infinity" =>
    s === "infinity" ? "infinity" : parseInteger(v, 0, 2 ** 31, s);
  const [soft, hard] = v.value.trim().split(":");
  const s = one(soft ?? "");
  const h = hard === undefined ? s : one(hard);
  if (s !== "infinity" && h !== "infinity" && s > h)
    throw invalid(v, "the soft limit exceeds the hard limit");
  return { soft: s, hard: h };
}

/** Read and validate. Throws the first invalid value, located. */
export function serviceSettings(unit: Unit): ServiceSettings {
  const last = (key: string, section = "Service"): UnitValue | undefined => {
    const v = unit.last(section, key);
    return v && v.value.trim() !== "" ? v : undefined;
  };
  const cpu = last("CPUWeight");
  const quota = last("CPUQuota");
  const io = last("IOWeight");
  const restart = last("Restart");
  const restartValues = [
    "no",
    "always",
    "on-success",
    "on-failure",
    "on-abnormal",
    "on-abort",
    "on-watchdog",
  ] as const;
  if (restart && !(restartValues as readonly string[]).includes(restart.value.trim())) {
    throw invalid(restart, `expected one of ${restartValues.join(", ")}`);
  }
  const tasks = last("TasksMax");
  let tasksMax: Count | undefined;
  if (tasks) {
    const t = tasks.value.trim();
    const pct = /^(\d+(?:\.\d+)?)%$/.exec(t);
    tasksMax =
      t === "infinity"
        ? "infinity"
        : pct
          ? { percent: Number(pct[1]) }
          : { value: parseInteger(tasks, 1, 2 ** 22) };
  }
  const environment: Record<string, string> = {};
  for (const [k, val] of unit.keyValues("Service", "Environment")) environment[k] = val;
  const interval = last("StartLimitIntervalSec", "Unit");
  const burst = last("StartLimitBurst", "Unit");
  const memoryMax = last("MemoryMax");
  const memoryHigh = last("MemoryHigh");
  const swap = last("MemorySwapMax");
  const oom = last("OOMScoreAdjust");
  const nofile = last("LimitNOFILE");
  const cpus = last("AllowedCPUs");
  if (cpus && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(cpus.value.trim().replaceAll(" ", ","))) {
    throw invalid(cpus, "expected CPU indexes or ranges, e.g. 1 or 0-3,6");
  }
  let cpuQuotaPercent: number | undefined;
  if (quota) {
    const m = /^(\d+(?:\.\d+)?)%$/.exec(quota.value.trim());
    if (!m) throw invalid(quota, "expected a percentage, e.g. 50% (200% is two CPUs)");
    cpuQuotaPercent = Number(m[1]);
  }
  return {
    ...(cpu ? { cpuWeight: cpu.value.trim() === "idle" ? "idle" : parseInteger(cpu, 1, 10000) } : {}),
    ...(cpuQuotaPercent !== undefined ? { cpuQuotaPercent } : {}),
    ...(cpus ? { allowedCpus: cpus.value.trim().replaceAll(" ", ",") } : {}),
    ...(io ? { ioWeight: parseInteger(io, 1, 10000) } : {}),
    ioReadIopsMax: unit.all("Service", "IOReadIOPSMax").map(parseIops),
    ioWriteIopsMax: unit.all("Service", "IOWriteIOPSMax").map(parseIops),
    ...(memoryMax ? { memoryMax: parseSize(memoryMax) } : {}),
    ...(memoryHigh ? { memoryHigh: parseSize(memoryHigh) } : {}),
    ...(swap ? { memorySwapMax: parseSize(swap) } : {}),
    ...(tasksMax ? { tasksMax } : {}),
    ...(oom ? { oomScoreAdjust: parseInteger(oom, -1000, 1000) } : {}),
    ...(nofile ? { limitNofile: parseNofile(nofile) } : {}),
    restart: (restart?.value.trim() as ServiceSettings["restart"] | undefined) ?? "no",
    startLimitIntervalSec: interval ? parseTimespan(interval) : 10,
    startLimitBurst: burst ? parseInteger(burst, 0, 1_000_000) : 5,
    environment,
    unapplied: (unit.section("Service")?.entries ?? []).filter((e) => !handled.has(e.key) && e.value !== ""),
  };
}

/** Resolve a size against physical memory; undefined for infinity. */
export function sizeBytes(size: Size, memTotal: number): number | undefined {
  if (size === "infinity") return undefined;
  return "bytes" in size ? size.bytes : Math.floor((memTotal * size.percent) / 100);
}
