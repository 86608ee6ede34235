import { readdirSync, readFileSync, rmSync } from "node:fs";
import { QmError } from "../core/errors.js";
import { parseMountinfo } from "../core/mountinfo.js";
import { run } from "./exec.js";

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
 * rm -rf that refuses to cross a mountpoint: a bind mount of a host directory below the tree must never be
 * emptied by a clean-up.
 */
export function removeTree(dir: string): void {
  const mounts = mountsUnder(dir);
  if (mounts.length > 0) {
    throw new QmError("QM_MOUNTS_LEFT", `refusing to remove ${dir}: ${mounts.join(", ")} mounted below it`, {
      hint: "unmount them first",
    });
  }
  rmSync(dir, { recursive: true, force: true });
}

/** PIDs whose session id is `sid` (field 6 of /proc/PID/stat). */
export function processesInSession(sid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[3]) === sid) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}
