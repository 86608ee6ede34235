import { existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { writeFileAtomic } from "../engine/fs.js";

/**
 * What `qm setup` created, so `--remove-qm-rootfs` removes exactly that and nothing else. Entries are recorded
 * before the thing is created (an intent log): a run killed in between leaves an entry for a path that may not
 * exist, which removal skips; it never leaves a created path unrecorded.
 */
/**
 * `tree`: a whole tree setup made (rootfs, the partition's /etc and /var): removed with its content.
 * `dir`: a directory setup made for its own files: removed only when empty, since a person may have put files in it.
 * `file`: a file setup wrote where there was none.
 */
export type CreatedKind = "tree" | "dir" | "file";

export interface CreatedEntry {
  readonly path: string;
  readonly kind: CreatedKind;
}

export interface SetupState {
  readonly schema: 1;
  /** Host paths (root included) that did not exist before setup created them, in creation order. */
  created: CreatedEntry[];
  /** Lines setup appended to shared files (host /etc/subuid, /etc/subgid). */
  appended: Record<string, string[]>;
}

export class StateFile {
  private constructor(
    readonly path: string,
    readonly state: SetupState,
  ) {}

  /** Load (or start) the state; directories made to hold the state file itself are recorded too. */
  static load(path: string): StateFile {
    if (!existsSync(path)) {
      const missing: string[] = [];
      for (let dir = dirname(path); !existsSync(dir); dir = dirname(dir)) missing.unshift(dir);
      const state = new StateFile(path, {
        schema: 1,
        created: missing.map((p) => ({ path: p, kind: "dir" as const })),
        appended: {},
      });
      state.save();
      return state;
    }
    const parsed = JSON.parse(readFileSync(path, "utf8")) as SetupState;
    return new StateFile(path, { schema: 1, created: parsed.created ?? [], appended: parsed.appended ?? {} });
  }

  /** Record that `hostPath` is about to be created by setup. */
  willCreate(hostPath: string, kind: CreatedKind): void {
    if (this.owns(hostPath)) return;
    this.state.created.push({ path: hostPath, kind });
    this.save();
  }

  owns(hostPath: string): boolean {
    return this.state.created.some((c) => c.path === hostPath);
  }

  recordAppended(file: string, lines: readonly string[]): void {
    if (lines.length === 0) return;
    const known = this.state.appended[file] ?? [];
    this.state.appended[file] = [...known, ...lines.filter((l) => !known.includes(l))];
    this.save();
  }

  save(): void {
    writeFileAtomic(this.path, `${JSON.stringify(this.state, null, 2)}\n`, 0o644);
  }
}
