/**
 * Finding device nodes and describing them as OCI `linux.devices` entries.
 *
 * Discovery never runs a shell: each type is a fixed directory walk. In test mode (TEST_LOGFILE
 * set, as upstream) TEST_MOCK_<TYPE>_DEVICES replaces discovery, and listed paths that are not
 * device nodes get synthetic numbers, so tests need no mknod.
 */
import { type BigIntStats, type Dirent, readdirSync, statSync } from "node:fs";

export interface DeviceInfo {
  readonly path: string;
  readonly type: "c" | "b";
  readonly major: number;
  readonly minor: number;
  /** Raw st_mode including the file-type bits, as upstream writes it (0o20660 = 8624). */
  readonly fileMode: number;
  readonly uid: number;
  readonly gid: number;
}

export interface HookEnv {
  readonly testMode: boolean;
  /** Mock lists keyed by upper-cased type (AUDIO, TTYUSB, GPU, SEAT, ...). */
  readonly mocks: ReadonlyMap<string, readonly string[]>;
}

export function readHookEnv(env: NodeJS.ProcessEnv): HookEnv {
  const mocks = new Map<string, string[]>();
  const testMode = Boolean(env.TEST_LOGFILE);
  if (testMode) {
    for (const [key, value] of Object.entries(env)) {
      const match = /^TEST_MOCK_(.+)_DEVICES$/.exec(key);
      if (match?.[1] && value)
        mocks.set(
          match[1],
          value.split(",").filter((p) => p !== ""),
        );
    }
  }
  return { testMode, mocks };
}

/** The mock list for a type, or undefined when discovery should look at the host. */
export function mockDevices(env: HookEnv, type: string): readonly string[] | undefined {
  return env.testMode ? env.mocks.get(type.toUpperCase()) : undefined;
}

// Upstream's synthetic numbers, checked in this order against the path. Minors are base + position
// in the mock list rather than upstream's $RANDOM, so test results are repeatable.
const MOCK_NUMBERS: readonly [RegExp, number, number][] = [
  [/\/snd\//, 116, 1],
  [/\/video/, 81, 0],
  [/\/input\//, 13, 0],
  [/\/dri\//, 226, 128],
  [/\/ttyUSB/, 188, 0],
  [/\/dvb\//, 212, 0],
  [/\/radio/, 81, 64],
  [/\/tty[0-9]/, 4, 0],
];
export const MOCK_FILE_MODE = 8624;

function mockInfo(env: HookEnv, path: string): DeviceInfo | undefined {
  for (const list of env.mocks.values()) {
    const index = list.indexOf(path);
    if (index < 0) continue;
    const [, major, base] = MOCK_NUMBERS.find(([re]) => re.test(path)) ?? [undefined, 1, 0];
    const gid = /\/snd\//.test(path) ? 63 : 0;
    return { path, type: "c", major, minor: base + index, fileMode: MOCK_FILE_MODE, uid: 0, gid };
  }
  return undefined;
}

/** glibc's major()/minor() split of a dev_t. */
export function splitDev(rdev: bigint): [number, number] {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & 0xfffff000n);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & 0xffffff00n);
  return [Number(major), Number(minor)];
}

/** Describe a device node (following symlinks), or undefined when it is missing or not a device. */
export function deviceInfo(env: HookEnv, path: string): DeviceInfo | undefined {
  let st: BigIntStats;
  try {
    st = statSync(path, { bigint: true });
  } catch {
    return undefined;
  }
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    const [major, minor] = splitDev(st.rdev);
    return {
      path,
      type: st.isCharacterDevice() ? "c" : "b",
      major,
      minor,
      fileMode: Number(st.mode),
      uid: Number(st.uid),
      gid: Number(st.gid),
    };
  }
  return env.testMode ? mockInfo(env, path) : undefined;
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch {
    return [];
  }
}

/** `find DIR -type c`: character devices at any depth, symlinks not followed. */
export function findCharDevices(dir: string, maxDepth = Number.POSITIVE_INFINITY): string[] {
  const found: string[] = [];
  const walk = (d: string, depth: number): void => {
    for (const e of entries(d)) {
      const path = `${d}/${e.name}`;
      if (e.isCharacterDevice()) found.push(path);
      else if (e.isDirectory() && depth < maxDepth) walk(path, depth + 1);
    }
  };
  walk(dir, 1);
  return found;
}

/** `/dev/NAME*` glob plus `-c`: names in /dev (or dir) with a prefix, kept when they resolve to a char device. */
export function globCharDevices(prefix: string, dir = "/dev"): string[] {
  return entries(dir)
    .filter((e) => e.name.startsWith(prefix))
    .map((e) => `${dir}/${e.name}`)
    .filter((p) => {
      try {
        return statSync(p).isCharacterDevice();
      } catch {
        return false;
      }
    });
}

/** Device types of `org.containers.qm.device.<type>` and how each is found on the host. */
export const DEVICE_TYPES: Readonly<Record<string, () => string[]>> = {
  audio: () => findCharDevices("/dev/snd"),
  video: () => findCharDevices("/dev", 1).filter((p) => /^\/dev\/(video|media)/.test(p)),
  input: () => findCharDevices("/dev/input"),
  ttys: () => findCharDevices("/dev", 1).filter((p) => /^\/dev\/tty[0-7]$/.test(p)),
  ttyUSB: () => globCharDevices("ttyUSB"),
  dvb: () => findCharDevices("/dev/dvb"),
  radio: () => globCharDevices("radio"),
};

export function isDeviceType(type: string): boolean {
  return Object.hasOwn(DEVICE_TYPES, type);
}

export function discover(env: HookEnv, type: string): readonly string[] {
  // Own keys only: "toString" names no device type.
  const discoverType = isDeviceType(type) ? DEVICE_TYPES[type] : undefined;
  if (!discoverType) return [];
  return mockDevices(env, type) ?? discoverType();
}

/** GPU render nodes: character devices under /dev/dri whose path contains "/render" (upstream's find -regex). */
export function discoverRenderNodes(env: HookEnv): readonly string[] {
  return mockDevices(env, "gpu") ?? findCharDevices("/dev/dri").filter((p) => p.includes("/render"));
}

const SEAT_INPUT = /\/(event[0-9]+|mice[0-9]*|mouse[0-9]+)$/;

/** Pointer and keyboard nodes a compositor needs: /dev/input/{event*,mice*,mouse*}. */
export function discoverSeatInputs(env: HookEnv): readonly string[] {
  return (mockDevices(env, "input") ?? findCharDevices("/dev/input")).filter((p) => SEAT_INPUT.test(p));
}
