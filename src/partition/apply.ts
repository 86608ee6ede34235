import { createHash } from "node:crypto";
import { posix } from "node:path";
import type { SafeRoot } from "../engine/safe-fs.js";
import type { PlannedEntry, RetiredFile } from "./setup-plan.js";
import type { StateFile } from "./state.js";

export type ChangeAction = "created" | "updated" | "unchanged";

export interface Change {
  readonly path: string;
  readonly kind: PlannedEntry["kind"];
  readonly action: ChangeAction;
  readonly why: string;
}

/** Create the directory `path` (in-root) and its missing parents, recording each one before it is made. */
export function ensureDirRecorded(fs: SafeRoot, path: string, state: StateFile, mode = 0o755): boolean {
  return fs.mkdir(path, mode, (hostPath) => state.willCreate(hostPath, "dir"));
}

/** What applying `entry` would do, without doing it (for --dry-run). */
export function preview(fs: SafeRoot, entry: PlannedEntry): ChangeAction {
  const there = fs.lstat(entry.path);
  if (there === null) return "created";
  switch (entry.kind) {
    case "dir":
      return there.kind === "dir" && there.mode === entry.mode ? "unchanged" : "updated";
    case "symlink":
      return fs.readlink(entry.path) === entry.target ? "unchanged" : "updated";
    case "file":
      return fs.readText(entry.path) === entry.content && fs.stat(entry.path)?.mode === entry.mode
        ? "unchanged"
        : "updated";
    case "append":
      return fs.readText(entry.path) === entry.content ? "unchanged" : "updated";
  }
}

/** Make one entry true on disk: atomic file writes with explicit modes, recorded creations. */
export function applyEntry(fs: SafeRoot, entry: PlannedEntry, state: StateFile): Change {
  const action = preview(fs, entry);
  const change = { path: entry.path, kind: entry.kind, action, why: entry.why };
  if (action === "unchanged") return change;
  ensureDirRecorded(fs, posix.dirname(entry.path), state);
  const record = (): void => {
    if (action === "created")
      state.willCreate(fs.hostPath(entry.path), entry.kind === "dir" ? "dir" : "file");
  };
  switch (entry.kind) {
    case "dir":
      record();
      fs.mkdir(entry.path, entry.mode);
      fs.chmod(entry.path, entry.mode);
      break;
    case "symlink":
      record();
      fs.symlink(entry.path, entry.target);
      break;
    case "file":
      record();
      fs.write(entry.path, entry.content, entry.mode);
      break;
    case "append": {
      // Keep the shared file's own mode (e.g. /etc/subuid is 0644 on Debian, 0600 elsewhere).
      const mode = fs.stat(entry.path)?.mode ?? 0o644;
      record();
      state.recordAppended(fs.hostPath(entry.path), entry.added);
      fs.write(entry.path, entry.content, mode);
      break;
    }
  }
  return change;
}

/**
 * Remove the files an earlier setup wrote that this one no longer needs, each only while it is a regular file that
 * holds a text qm wrote there, and drop their creation records. Returns their host paths; with `dryRun`, those it
 * would remove.
 */
export function retireFiles(
  fs: SafeRoot,
  retired: readonly RetiredFile[],
  state: StateFile | null,
  dryRun: boolean,
): string[] {
  const removed: string[] = [];
  for (const { path, sha256 } of retired) {
    if (fs.lstat(path)?.kind !== "file") continue;
    const content = fs.read(path);
    if (content === null || !sha256.includes(createHash("sha256").update(content).digest("hex"))) continue;
    if (!dryRun) {
      fs.unlink(path);
      state?.forget(fs.hostPath(path));
    }
    removed.push(fs.hostPath(path));
  }
  return removed;
}
