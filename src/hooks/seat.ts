/**
 * The devices of a logind seat: `loginctl seat-status SEAT` lists sysfs paths, `udevadm info -x PATH`
 * turns each into a device node (E: DEVNAME=). Both run without a shell, with argv arrays and a timeout.
 */
import type * as ChildProcess from "node:child_process";
import { type HookEnv, mockDevices } from "./devices.js";
import type { Logger } from "./log.js";
import { shown } from "./log.js";
import { isValidSeatName } from "./values.js";

const TIMEOUT_MS = 5000;
// podman runs hooks with an empty environment (unless hook.env sets one): look where the tools live.
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * node:child_process, loaded on first use: it pulls in streams and sockets, a cost every other start would pay.
 * The hook bundles are CommonJS (Node 18 runs an extension-less file only as CommonJS), where `require` exists;
 * as an ES module (tests, Node >= 20.16) `process.getBuiltinModule` does the same.
 */
function childProcess(): typeof ChildProcess {
  const late = process as { getBuiltinModule?: (id: string) => unknown };
  if (typeof late.getBuiltinModule === "function")
    return late.getBuiltinModule("node:child_process") as typeof ChildProcess;
  return require("node:child_process") as typeof ChildProcess;
}

function capture(file: string, args: string[], log: Logger): string | undefined {
  const { spawnSync } = childProcess();
  const result = spawnSync(file, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: TIMEOUT_MS,
    maxBuffer: 4 * 1024 * 1024,
    env: { ...process.env, PATH: process.env.PATH || DEFAULT_PATH },
  });
  if (result.error || result.status !== 0) {
    const why = result.error?.message ?? `exit status ${result.status ?? result.signal}`;
    log.log(
      "WARNING",
      `${file} ${args.join(" ")} failed: ${shown(why)} ${shown(result.stderr?.trim() ?? "")}`,
    );
    return undefined;
  }
  return result.stdout;
}

/** sysfs paths in `loginctl seat-status` output (the tree lines hold "/sys/..."). */
export function sysfsPaths(seatStatus: string): string[] {
  return [...seatStatus.matchAll(/\/sys\/[^\s]+/g)].map((m) => m[0]).filter((p) => !p.includes("/../"));
}

/** The DEVNAME property in `udevadm info` output, or undefined. */
export function devName(udevInfo: string): string | undefined {
  const match = /^E: DEVNAME=(.+)$/m.exec(udevInfo);
  const name = match?.[1]?.replace(/^'(.*)'$/, "$1");
  return name?.startsWith("/dev/") ? name : undefined;
}

export function seatDeviceNodes(seat: string, env: HookEnv, log: Logger): string[] {
  const mocked = mockDevices(env, "seat");
  if (mocked) return [...mocked];
  if (!isValidSeatName(seat)) {
    log.log("WARNING", `Not a logind seat name, skipping seat-status: ${shown(seat)}`);
    return [];
  }
  const status = capture("loginctl", ["--no-pager", "--full", "seat-status", seat], log);
  if (status === undefined) return [];
  const nodes: string[] = [];
  for (const syspath of sysfsPaths(status)) {
    const info = capture("udevadm", ["info", "-x", syspath], log);
    const name = info === undefined ? undefined : devName(info);
    if (name) nodes.push(name);
  }
  log.log("INFO", `Found ${nodes.length} device nodes on seat ${shown(seat)}`);
  return nodes;
}
