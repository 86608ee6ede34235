import { posix } from "node:path";
import { QmError } from "../core/errors.js";
import type { SafeRoot } from "../engine/safe-fs.js";

/**
 * What `qm setup` created, so `--remove-qm-rootfs` removes exactly that and nothing else. Entries are recorded
 * before the thing is created (an intent log): a run killed in between leaves an entry for a path that may not
 * exist, which removal skips; it never leaves a created path unrecorded.
 *
 * The file lives below the root it describes, so it is read as untrusted input: its shape is checked when it is
 * loaded, and every path in it is checked against what setup can create under that root before anything is removed.
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

/** What setup may create below a root (in-root paths), derived from its plan (see ownedPaths in setup-plan.ts). */
export interface OwnedPaths {
  readonly trees: readonly string[];
  readonly files: readonly string[];
  readonly dirs: readonly string[];
  /** Shared files setup appends lines to. */
  readonly appended: readonly string[];
}

/** A sub-ID line setup appends: NAME:START:COUNT. */
const SUBID_LINE = /^[a-z_][a-z0-9_-]*:\d{1,10}:\d{1,10}$/;

function stateError(file: string, text: string, needle: string | undefined, message: string): QmError {
  // The line of the offending value in the JSON text, so a person can find it.
  const at = needle === undefined ? -1 : text.indexOf(needle);
  const line = at < 0 ? 1 : text.slice(0, at).split("\n").length;
  return new QmError("QM_SETUP_STATE", message, {
    location: { file, line },
    hint: "nothing was changed; this file records what qm setup created: restore it or remove what you want gone by hand",
  });
}

/** Parse and check the shape of a state file's text. */
export function parseSetupState(text: string, file: string): SetupState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw stateError(file, text, undefined, `not valid JSON: ${(error as Error).message}`);
  }
  const fail = (message: string, needle?: unknown): never => {
    throw stateError(file, text, needle === undefined ? undefined : JSON.stringify(needle), message);
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return fail("not a JSON object");
  const o = raw as Record<string, unknown>;
  if (o.schema !== 1) fail(`unknown schema ${JSON.stringify(o.schema)} (this qm reads schema 1)`);
  const created = o.created ?? [];
  if (!Array.isArray(created)) return fail(`"created" must be a list`);
  const entries = created.map((c: unknown, i): CreatedEntry => {
    const e = (typeof c === "object" && c !== null ? c : {}) as Record<string, unknown>;
    if (typeof e.path !== "string") return fail(`created[${i}].path must be a string`);
    if (e.kind !== "tree" && e.kind !== "dir" && e.kind !== "file")
      return fail(`created[${i}].kind must be tree, dir or file`, e.path);
    return { path: e.path, kind: e.kind };
  });
  const appendedRaw = o.appended ?? {};
  if (typeof appendedRaw !== "object" || appendedRaw === null || Array.isArray(appendedRaw))
    return fail(`"appended" must be an object`);
  const appended: Record<string, string[]> = {};
  for (const [path, lines] of Object.entries(appendedRaw)) {
    if (!Array.isArray(lines) || lines.some((l) => typeof l !== "string"))
      return fail(`appended[${JSON.stringify(path)}] must be a list of lines`, path);
    appended[path] = lines as string[];
  }
  return { schema: 1, created: entries, appended };
}

const inside = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}/`);

/**
 * Refuse a state file that names anything setup cannot have created under `root`: a path outside the root, one
 * that is not normalized, or one setup never makes. Checked before removal touches anything.
 */
export function checkStateAgainst(
  state: SetupState,
  root: string,
  owned: OwnedPaths,
  file: string,
  text: string,
): void {
  const fail = (message: string, needle: string): never => {
    throw stateError(file, text, JSON.stringify(needle), message);
  };
  const prefix = root === "/" ? "" : root.replace(/\/+$/, "");
  const inRoot = (hostPath: string): string => {
    if (
      posix.normalize(hostPath) !== hostPath ||
      hostPath.endsWith("/") ||
      !hostPath.startsWith(`${prefix}/`)
    )
      return fail(`${JSON.stringify(hostPath)} is not a normalized path below ${root}`, hostPath);
    return hostPath.slice(prefix.length);
  };
  const inTree = (p: string): boolean => owned.trees.some((t) => p !== t && inside(p, t));
  const ancestors = new Set<string>();
  for (const p of [...owned.trees, ...owned.files, ...owned.dirs])
    for (let d = posix.dirname(p); d !== "/"; d = posix.dirname(d)) ancestors.add(d);
  for (const { path, kind } of state.created) {
    const p = inRoot(path);
    const ok =
      kind === "tree"
        ? owned.trees.includes(p)
        : kind === "file"
          ? owned.files.includes(p) || inTree(p)
          : owned.dirs.includes(p) || ancestors.has(p) || inTree(p);
    if (!ok) fail(`${JSON.stringify(path)} (${kind}) is nothing qm setup creates below ${root}`, path);
  }
  for (const [path, lines] of Object.entries(state.appended)) {
    if (!owned.appended.includes(inRoot(path)))
      fail(`${JSON.stringify(path)} is not a file qm setup appends to`, path);
    for (const l of lines) if (!SUBID_LINE.test(l)) fail(`${JSON.stringify(l)} is not a sub-ID line`, l);
  }
}

export class StateFile {
  private constructor(
    private readonly fs: SafeRoot,
    /** In-root path of the state file. */
    readonly path: string,
    readonly state: SetupState,
    /** The text it was loaded from (for locating problems). */
    readonly text: string,
  ) {}

  /** Host path of the state file, as recorded in it and shown in messages. */
  get hostPath(): string {
    return this.fs.hostPath(this.path);
  }

  /** Load (or start) the state; directories made to hold the state file itself are recorded too. */
  static load(fs: SafeRoot, path: string): StateFile {
    const text = fs.readText(path);
    if (text !== null) return new StateFile(fs, path, parseSetupState(text, fs.hostPath(path)), text);
    const missing: string[] = [];
    for (let dir = posix.dirname(path); dir !== "/" && !fs.exists(dir); dir = posix.dirname(dir))
      missing.unshift(fs.hostPath(dir));
    const state = new StateFile(
      fs,
      path,
      { schema: 1, created: missing.map((p) => ({ path: p, kind: "dir" as const })), appended: {} },
      "",
    );
    state.save();
    return state;
  }

  /** Record that `hostPath` is about to be created by setup. */
  willCreate(hostPath: string, kind: CreatedKind): void {
    if (this.owns(hostPath)) return;
    this.state.created.push({ path: hostPath, kind });
    this.save();
  }

  /** Drop the record of `hostPath` once setup removed it: a file of that name made later is not setup's. */
  forget(hostPath: string): void {
    const kept = this.state.created.filter((c) => c.path !== hostPath);
    if (kept.length === this.state.created.length) return;
    this.state.created = kept;
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
    this.fs.write(this.path, `${JSON.stringify(this.state, null, 2)}\n`, 0o644);
  }
}
