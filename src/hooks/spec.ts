/**
 * The parts of an OCI runtime spec the hooks touch: `linux.devices` and `linux.resources.devices`.
 * Shapes are checked before anything is changed, so a malformed spec is left exactly as it came.
 */
import type { DeviceInfo } from "./devices.js";

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export interface CgroupRule {
  readonly allow: boolean;
  readonly type: string;
  readonly major?: number;
  readonly minor?: number;
  readonly access?: string;
}

/** Why the spec cannot take devices, or undefined when it can. Missing/null sections are fine (created on demand). */
export function specProblem(spec: Json, withCgroupRules: boolean): string | undefined {
  const linux = spec.linux;
  if (linux === undefined || linux === null) return undefined;
  if (!isObject(linux)) return "linux is not an object";
  if (linux.devices !== undefined && linux.devices !== null && !Array.isArray(linux.devices)) {
    return "linux.devices is not an array";
  }
  if (!withCgroupRules) return undefined;
  const resources = linux.resources;
  if (resources === undefined || resources === null) return undefined;
  if (!isObject(resources)) return "linux.resources is not an object";
  if (resources.devices !== undefined && resources.devices !== null && !Array.isArray(resources.devices)) {
    return "linux.resources.devices is not an array";
  }
  return undefined;
}

function linuxOf(spec: Json): Json {
  if (!isObject(spec.linux)) spec.linux = {};
  return spec.linux as Json;
}

function listAt(parent: Json, key: string): unknown[] {
  if (!Array.isArray(parent[key])) parent[key] = [];
  return parent[key] as unknown[];
}

export function deviceCount(spec: Json): number {
  const linux = spec.linux;
  return isObject(linux) && Array.isArray(linux.devices) ? linux.devices.length : 0;
}

export function hasDevicePath(spec: Json, path: string): boolean {
  const linux = spec.linux;
  if (!isObject(linux) || !Array.isArray(linux.devices)) return false;
  return linux.devices.some((d) => isObject(d) && d.path === path);
}

/** Append a `linux.devices` entry unless one with the same path exists. Returns whether it was added. */
export function addDevice(spec: Json, info: DeviceInfo): boolean {
  if (hasDevicePath(spec, info.path)) return false;
  const { path, type, major, minor, fileMode, uid, gid } = info;
  listAt(linuxOf(spec), "devices").push({ path, type, major, minor, fileMode, uid, gid });
  return true;
}

/** Append an `allow rwm` cgroup rule unless a rule for the same type/major/minor exists (an explicit deny stays in force). */
export function addCgroupRule(spec: Json, info: DeviceInfo): boolean {
  const linux = linuxOf(spec);
  if (!isObject(linux.resources)) linux.resources = {};
  const rules = listAt(linux.resources as Json, "devices");
  const exists = rules.some(
    (r) => isObject(r) && r.type === info.type && r.major === info.major && r.minor === info.minor,
  );
  if (exists) return false;
  const rule: CgroupRule = {
    allow: true,
    type: info.type,
    major: info.major,
    minor: info.minor,
    access: "rwm",
  };
  rules.push(rule);
  return true;
}
