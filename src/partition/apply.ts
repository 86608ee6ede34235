import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { dirname } from "node:path";
import { isSymlink, underRoot, writeFileAtomic } from "../engine/fs.js";
import type { PlannedEntry } from "./setup-plan.js";
import type { StateFile } from "./state.js";

export type ChangeAction = "created" | "updated" | "unchanged";

export interface Change {
  readonly path: string;
  readonly kind: PlannedEntry["kind"];
  readonly action: ChangeAction;
  readonly why: string;
}

/** Create missing parent directories of `hostPath`, recording each one setup creates. */
export function ensureDirRecorded(hostPath: string, state: StateFile, mode = 0o755): boolean {
  if (existsSync(hostPath)) return false;
  ensureDirRecorded(dirname(hostPath), state);
  state.willCreate(hostPath, "dir");
  mkdirSync(hostPath, { mode });
  chmodSync(hostPath, mode);
  return true;
}

function currentMode(path: string): number {
  return statSync(path).mode & 0o7777;
}

/** What applying `entry` would do, without doing it (for --dry-run). */
export function preview(root: string, entry: PlannedEntry): ChangeAction {
  const path = underRoot(root, entry.path);
  if (!existsSync(path) && !isSymlink(path)) return "created";
  switch (entry.kind) {
    case "dir":
      return currentMode(path) === entry.mode ? "unchanged" : "updated";
    case "symlink":
      return isSymlink(path) && readlinkSync(path) === entry.target ? "unchanged" : "updated";
    case "file":
      return readFileSync(path, "utf8") === entry.content && currentMode(path) === entry.mode
        ? "unchanged"
        : "updated";
    case "append":
      return readFileSync(path, "utf8") === entry.content ? "unchanged" : "updated";
  }
}

/** Make one entry true on disk: atomic file writes with explicit modes, recorded creations. */
export function applyEntry(root: string, entry: PlannedEntry, state: StateFile): Change {
  const path = underRoot(root, entry.path);
  const action = preview(root, entry);
  const change = { path: entry.path, kind: entry.kind, action, why: entry.why };
  if (action === "unchanged") return change;
  ensureDirRecorded(dirname(path), state);
  if (action === "created") state.willCreate(path, entry.kind === "dir" ? "dir" : "file");
  switch (entry.kind) {
    case "dir":
      mkdirSync(path, { recursive: true, mode: entry.mode });
      chmodSync(path, entry.mode);
      break;
    case "symlink":
      rmSync(path, { force: true });
      symlinkSync(entry.target, path);
      break;
    case "file":
      writeFileAtomic(path, entry.content, entry.mode);
      break;
    case "append": {
      // Keep the shared file's own mode (e.g. /etc/subuid is 0644 on Debian, 0600 elsewhere).
      const mode = existsSync(path) ? currentMode(path) : 0o644;
      state.recordAppended(path, entry.added);
      writeFileAtomic(path, entry.content, mode);
      break;
    }
  }
  return change;
}
