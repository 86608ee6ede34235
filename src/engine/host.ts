import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { QmError } from "../core/errors.js";
import { parseMountinfo } from "../core/mountinfo.js";
import { run } from "./exec.js";
import { SafeDir } from "./safe-fs.js";

/** Mountpoints at or below `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  return parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8"))
    .map((m) => m.mountpoint)
    .filter((m) => m === dir || m.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

export async function unmountAll(dir: string): Promise<void> {
  for (const mountpoint of mountsUnder(dir)) await run("umount", ["-l", mountpoint], { allowFailure: true });
  const left = mountsUnder(dir);
  if (left.length > 0) {
    throw new QmError("QM_MOUNTS_LEFT", `cannot unmount ${left.join(", ")}`, {
      hint: "unmount them by hand, then rerun",
    });
  }
}

/**
 * rm -rf that refuses to cross a mountpoint (a bind mount of a host directory below the tree must never be emptied
 * by a clean-up) and never follows a link.
 */
export function removeTree(dir: string): void {
  const mounts = mountsUnder(dir);
  if (mounts.length > 0) {
    throw new QmError("QM_MOUNTS_LEFT", `refusing to remove ${dir}: ${mounts.join(", ")} mounted below it`, {
      hint: "unmount them first",
    });
  }
  new SafeDir(dirname(dir)).removeTree(basename(dir));
}

/** Fields of /proc/PID/stat after the command name (field 3 is index 0), or null when the process is gone. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/**
 * Who a process is, beyond its reusable PID: its start time (clock ticks since boot, field 22 of /proc/PID/stat)
 * on this boot. A PID with another start time, or any PID after a reboot, is somebody else.
 */
export interface ProcessIdentity {
  readonly pid: number;
  readonly start: number;
  readonly bootId: string;
}

export function bootId(): string {
  return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
}

export function processIdentity(pid: number): ProcessIdentity | null {
  const start = Number(statFields(pid)?.[19]);
  return Number.isFinite(start) && start > 0 ? { pid, start, bootId: bootId() } : null;
}

/** True when `pid` is still the process `identity` recorded. */
export function sameProcess(identity: ProcessIdentity): boolean {
  const now = processIdentity(identity.pid);
  return now !== null && now.start === identity.start && now.bootId === identity.bootId;
}

/**
 * PIDs of the session led by the recorded process, when that session is still its: the leader is alive as
 * recorded, or gone on the same boot with no other process holding its PID. Members must have started after the
 * leader. Anything else is an empty list: a reused session id names somebody else's processes.
 */
export function processesInSession(leader: ProcessIdentity): number[] {
  if (leader.bootId !== bootId()) return [];
  const now = processIdentity(leader.pid);
  if (now !== null && now.start !== leader.start) return [];
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const fields = statFields(Number(name));
    if (fields && Number(fields[3]) === leader.pid && Number(fields[19]) >= leader.start)
      out.push(Number(name));
  }
  return out;
}

/** True when `pid` names a live process (not a zombie waiting to be reaped). */
export function processAlive(pid: number): boolean {
  const state = pid > 0 ? statFields(pid)?.[0] : undefined;
  return state !== undefined && state !== "Z" && state !== "X" && state !== "x";
}

/** A process's oom_score_adj, or null when it is gone. */
export function oomScoreAdj(pid: number): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/oom_score_adj`, "utf8").trim());
  } catch {
    return null;
  }
}
