/** Shared by the hook tests: run a bundled hook like podman does, and build mock devices as regular files. */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { distBin } from "../../test/helpers.js";
import { isObject, type Json } from "./spec.js";

export type HookName = "oci-qm-device-manager" | "oci-qm-wayland-client-devices";

export interface HookRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed, when it is JSON. */
  readonly spec: Json | undefined;
  readonly log: string;
  readonly ms: number;
}

export interface RunOptions {
  /** TEST_MOCK_<TYPE>_DEVICES values by type (audio, ttyUSB, gpu, seat, ...). */
  readonly mocks?: Readonly<Record<string, readonly string[]>>;
  readonly env?: Readonly<Record<string, string>>;
  /** Omit TEST_LOGFILE (hooks then log to /var/log: use only when that is the point). */
  readonly logFile?: string;
}

/** Run a hook with `input` (an object is JSON-encoded) on stdin, in a clean environment. */
export function runHook(
  name: HookName,
  input: unknown,
  dir: string,
  options: RunOptions = {},
): Promise<HookRun> {
  const logFile = options.logFile ?? join(dir, `${name}.log`);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    TEST_LOGFILE: logFile,
    FORCE_MOCK_DEVICES: "true",
    ...options.env,
  };
  for (const [type, paths] of Object.entries(options.mocks ?? {})) {
    env[`TEST_MOCK_${type.toUpperCase()}_DEVICES`] = paths.join(",");
  }
  const text = typeof input === "string" || Buffer.isBuffer(input) ? input : JSON.stringify(input);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [distBin(name)], { env, cwd: dir });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.stdin.on("error", () => {});
    child.stdin.end(text);
    child.on("close", (code) => {
      const ms = performance.now() - started;
      let spec: Json | undefined;
      try {
        const parsed: unknown = JSON.parse(stdout);
        spec = isObject(parsed) ? parsed : undefined;
      } catch {}
      let log = "";
      try {
        log = readFileSync(logFile, "utf8");
      } catch {}
      resolve({ code, stdout, stderr, spec, log, ms });
    });
  });
}

export const devicesOf = (spec: Json | undefined): Json[] => {
  const linux = spec?.linux;
  return isObject(linux) && Array.isArray(linux.devices) ? (linux.devices as Json[]) : [];
};

export const rulesOf = (spec: Json | undefined): Json[] => {
  const linux = spec?.linux;
  const resources = isObject(linux) ? linux.resources : undefined;
  return isObject(resources) && Array.isArray(resources.devices) ? (resources.devices as Json[]) : [];
};

/** Upstream's minimal test spec: annotations and an empty linux section. */
export const specWith = (annotations: Record<string, unknown>, linux: Json = {}): Json => ({
  annotations,
  linux,
});

/**
 * Mock device fixtures as upstream's tests lay them out. Always regular files (FORCE_MOCK_DEVICES=true
 * behaviour): device numbers come from the hook's synthetic table, never from mknod.
 */
export class MockDevices {
  constructor(readonly root: string) {}

  #files(...relative: string[]): string[] {
    return relative.map((r) => {
      const path = join(this.root, r);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, "");
      return path;
    });
  }

  /** Per type, the paths upstream's fixtures create. */
  get(type: string): string[] {
    switch (type) {
      case "audio":
        return this.#files("snd/controlC0", "snd/pcmC0D0p");
      case "video":
        return this.#files("video0", "video1");
      case "input":
        return this.#files("input/event0", "input/event1", "input/mice");
      case "ttys":
        return this.#files("tty0", "tty1", "tty2");
      case "ttyUSB":
        return this.#files("ttyUSB0", "ttyUSB1");
      case "dvb":
        return this.#files("dvb/adapter0/frontend0", "dvb/adapter0/demux0");
      case "radio":
        return this.#files("radio0", "radio1");
      case "gpu":
        return this.#files("dri/renderD128");
      default:
        throw new Error(`no fixture for ${type}`);
    }
  }
}

/**
 * The simplified OCI schema upstream's tests validate hook output against: only `annotations`
 * (string values) and `linux` (only `devices` and `resources`) at the top; device entries need
 * path/type/major/minor, cgroup rules allow/type/major/minor/access. Returns the problems found.
 */
export function schemaProblems(spec: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(spec)) return ["spec is not an object"];
  for (const key of Object.keys(spec)) {
    if (key !== "annotations" && key !== "linux") problems.push(`unexpected top-level key ${key}`);
  }
  if (!isObject(spec.annotations)) problems.push("annotations is not an object");
  else {
    for (const [k, v] of Object.entries(spec.annotations)) {
      if (typeof v !== "string") problems.push(`annotation ${k} is not a string`);
    }
  }
  const linux = spec.linux;
  if (!isObject(linux)) return [...problems, "linux is missing or not an object"];
  for (const key of Object.keys(linux)) {
    if (key !== "devices" && key !== "resources") problems.push(`unexpected linux key ${key}`);
  }
  const int = (v: unknown): boolean => Number.isInteger(v);
  if (linux.devices !== undefined) {
    if (!Array.isArray(linux.devices)) problems.push("linux.devices is not an array");
    else {
      for (const d of linux.devices) {
        if (
          !isObject(d) ||
          typeof d.path !== "string" ||
          typeof d.type !== "string" ||
          !int(d.major) ||
          !int(d.minor)
        ) {
          problems.push(`bad device entry ${JSON.stringify(d)}`);
          continue;
        }
        for (const k of ["fileMode", "uid", "gid"]) {
          if (d[k] !== undefined && !int(d[k])) problems.push(`device ${d.path}: ${k} is not an integer`);
        }
      }
    }
  }
  if (linux.resources !== undefined) {
    if (!isObject(linux.resources)) problems.push("linux.resources is not an object");
    else if (linux.resources.devices !== undefined) {
      if (!Array.isArray(linux.resources.devices)) problems.push("linux.resources.devices is not an array");
      else {
        for (const r of linux.resources.devices) {
          const ok =
            isObject(r) &&
            typeof r.allow === "boolean" &&
            typeof r.type === "string" &&
            int(r.major) &&
            int(r.minor) &&
            typeof r.access === "string";
          if (!ok) problems.push(`bad cgroup rule ${JSON.stringify(r)}`);
        }
      }
    }
  }
  return problems;
}
