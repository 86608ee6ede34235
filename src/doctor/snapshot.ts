import { QmPaths } from "../config/defaults.js";
import { QmError } from "../core/errors.js";
import { stringEnd } from "../hooks/json.js";
import { AGENT_PROGRAM, HOST_PODMAN_QUADLETS } from "../rootfs/source.js";

/**
 * Everything doctor reads from a host, as plain JSON. The collector (collect.ts) fills it from the live host;
 * unit tests and `qm doctor --snapshot FILE` replay recorded ones, so detection is testable for hosts we don't have.
 */
export interface CommandProbe {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface SpaceProbe {
  /** The existing directory that was measured (the path itself or its nearest existing ancestor). */
  readonly measured: string;
  readonly freeBytes: number;
  readonly totalBytes: number;
  /** The measured directory is on the same filesystem as / (absent in older records). */
  readonly onRootFilesystem?: boolean;
}

export interface HostSnapshot {
  readonly schema: 1;
  readonly uid: number;
  /** File contents by absolute path; null when the file is absent or unreadable. */
  readonly files: Readonly<Record<string, string | null>>;
  /** Existence of paths that are checked but not read. */
  readonly exists: Readonly<Record<string, boolean>>;
  /** Executables found on PATH (and sbin/libexec dirs) by name; null when absent. */
  readonly which: Readonly<Record<string, string | null>>;
  /** Version commands by executable name, e.g. "podman" -> `podman --version`; null when not run. */
  readonly versions: Readonly<Record<string, CommandProbe | null>>;
  /** Free space by QM path. */
  readonly space: Readonly<Record<string, SpaceProbe | null>>;
  /**
   * Active, harmless probes: "cgroup-mkdir:<controller>" (a child cgroup could be created there), "selinux-type:<type>"
   * (the loaded policy knows it), "bluechi:agent-active", "bluechi:connected", "bluechi:node-online" (the running
   * partition's BlueChi agent and node).
   */
  readonly probes: Readonly<Record<string, boolean>>;
}

export const snapshotFiles = [
  "/proc/1/comm",
  "/proc/self/status",
  "/proc/self/limits",
  "/proc/self/mountinfo",
  "/proc/cgroups",
  "/proc/sys/kernel/osrelease",
  "/proc/sys/kernel/pid_max",
  "/proc/sys/user/max_user_namespaces",
  "/proc/sys/kernel/unprivileged_userns_clone",
  "/proc/sys/kernel/seccomp/actions_avail",
  "/sys/kernel/security/lsm",
  "/sys/fs/selinux/enforce",
  "/etc/os-release",
] as const;

/** The partition tree's BlueChi agent, on the host. */
export const TREE_AGENT = `${QmPaths.rootfs}/${AGENT_PROGRAM}`;

export const snapshotPaths = [
  "/run/systemd/system",
  ...HOST_PODMAN_QUADLETS,
  "/usr/lib/systemd/system-generators/podman-system-generator",
  "/dev/kvm",
  "/dev/fuse",
  "/sys/fs/selinux",
  // The partition's tree, and whether it has the BlueChi agent.
  QmPaths.rootfs,
  TREE_AGENT,
] as const;

export const snapshotTools = [
  "podman",
  "runc",
  "crun",
  "conmon",
  "mmdebstrap",
  "dnf",
  "rpmbuild",
  "dpkg-deb",
  "systemctl",
  "unshare",
  "nsenter",
] as const;

/** Tools whose `--version` output doctor reports. */
export const versionedTools = [
  "podman",
  "runc",
  "crun",
  "mmdebstrap",
  "dnf",
  "rpmbuild",
  "dpkg-deb",
] as const;

/**
 * Reading a snapshot file. A snapshot may come from anyone (a bug report, another host), so everything in it is
 * checked here, at the edge: afterwards the pure code only meets the types above. Errors point at the line and
 * column of the offending value.
 */
type Step = string | number;

/** Snapshots are kilobytes; anything much larger is not one. */
export const MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024;

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;
const BAD_ESCAPE = /\\(?:[^"\\/bfnrtu]|u(?![0-9a-fA-F]{4}))|[\u0000-\u001f]/;

interface Scanned {
  /** Offset of the value at the path asked for, or of the syntax error. */
  readonly offset: number;
  readonly problem?: string;
}

/**
 * One pass over JSON text, without recursion (any depth is fine): the offset where the value at `path` starts,
 * or the first syntax error. `undefined` when the path is not in the text (or no path was asked for) and the text
 * is JSON.
 */
function scanJson(text: string, path?: readonly Step[]): Scanned | undefined {
  const frames: { object: boolean; step: Step | undefined; index: number }[] = [];
  let matched = 0; // how many leading frames' steps equal path's
  let expect: "value" | "key" | "colon" | "next" = "value";
  let i = 0;
  const skip = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const enter = (step: Step): void => {
    const depth = frames.length;
    (frames[depth - 1] as { step: Step | undefined }).step = step;
    if (matched === depth) matched--;
    if (matched === depth - 1 && path?.[depth - 1] === step) matched = depth;
  };
  const bad = (problem: string): Scanned => ({ offset: i, problem });
  for (;;) {
    skip();
    const c = text[i];
    if (expect === "value") {
      if (path !== undefined && matched === frames.length && frames.length === path.length)
        return { offset: i };
      if (c === "{" || c === "[") {
        frames.push({ object: c === "{", step: undefined, index: 0 });
        i++;
        skip();
        if (text[i] === (c === "{" ? "}" : "]")) {
          i++;
          frames.pop();
          matched = Math.min(matched, frames.length);
          expect = "next";
        } else if (c === "{") expect = "key";
        else enter(0);
        continue;
      }
      if (c === '"') {
        const end = stringEnd(text, i);
        if (end < 0) return bad("unterminated string");
        const problem = BAD_ESCAPE.exec(text.slice(i + 1, end - 1));
        if (problem)
          return { offset: i + 1 + problem.index, problem: "invalid character or escape in string" };
        i = end;
      } else {
        const token = c === "t" || c === "f" || c === "n" ? LITERAL : NUMBER;
        token.lastIndex = i;
        if (!token.test(text))
          return bad(c === undefined ? "unexpected end of file" : `unexpected ${show(c)}`);
        i = token.lastIndex;
      }
      expect = "next";
    } else if (expect === "key") {
      if (c !== '"')
        return bad(c === undefined ? "unexpected end of file" : `expected a key, found ${show(c)}`);
      const end = stringEnd(text, i);
      if (end < 0) return bad("unterminated string");
      let key: unknown;
      try {
        key = JSON.parse(text.slice(i, end));
      } catch {
        return bad("invalid key");
      }
      enter(key as string);
      i = end;
      expect = "colon";
    } else if (expect === "colon") {
      if (c !== ":")
        return bad(c === undefined ? "unexpected end of file" : `expected ':', found ${show(c)}`);
      i++;
      expect = "value";
    } else {
      const frame = frames[frames.length - 1];
      if (frame === undefined)
        return c === undefined ? undefined : bad(`unexpected ${show(c)} after the end`);
      if (c === ",") {
        i++;
        if (frame.object) expect = "key";
        else {
          frame.index++;
          enter(frame.index);
          expect = "value";
        }
      } else if (c === (frame.object ? "}" : "]")) {
        i++;
        frames.pop();
        matched = Math.min(matched, frames.length);
      } else {
        return bad(c === undefined ? "unexpected end of file" : `unexpected ${show(c)}`);
      }
    }
  }
}

const show = (c: string): string => JSON.stringify(c);
/** Control characters escaped, so a message cannot forge terminal output. */
const printable = (s: string): string =>
  s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let at = text.indexOf("\n"); at >= 0 && at < offset; at = text.indexOf("\n", at + 1)) {
    line++;
    start = at + 1;
  }
  return { line, column: offset - start + 1 };
}

export function snapshotError(file: string, message: string, offset?: number, text?: string): QmError {
  return new QmError("QM_DOCTOR_SNAPSHOT", message, {
    hint: "record one with 'qm doctor --record FILE'",
    ...(offset === undefined || text === undefined
      ? {}
      : { location: { file, ...lineAndColumn(text, offset) } }),
  });
}

const describe = (v: unknown): string =>
  v === null
    ? "null"
    : Array.isArray(v)
      ? "a list"
      : typeof v === "object"
        ? "an object"
        : `the ${typeof v} ${JSON.stringify(v)?.slice(0, 40)}`;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Parse and check a snapshot's text; `file` names it in errors. Throws QmError QM_DOCTOR_SNAPSHOT (exit 3). */
export function parseSnapshot(text: string, file: string): HostSnapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const at = scanJson(text);
    const problem = at?.problem ?? printable(String((error as Error).message).slice(0, 200));
    throw snapshotError(file, `not JSON: ${problem}`, at?.problem ? at.offset : undefined, text);
  }
  const fail = (path: readonly Step[], message: string): never => {
    // Point at the value, or at the object that lacks it.
    let at = scanJson(text, path);
    for (let up = path.length - 1; at === undefined && up >= 0; up--) at = scanJson(text, path.slice(0, up));
    const where = path
      .map((s) =>
        typeof s === "number" ? `[${s}]` : /^[a-z]+$/i.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`,
      )
      .join("");
    throw snapshotError(file, `${where.replace(/^\./, "") || "the document"} ${message}`, at?.offset, text);
  };
  if (!isRecord(raw))
    return fail([], `is ${describe(raw)}, not a qm host snapshot (an object with "schema": 1)`);
  if (raw.schema !== 1) {
    return fail(
      raw.schema === undefined ? [] : ["schema"],
      raw.schema === undefined
        ? 'has no "schema": not a qm host snapshot'
        : `is ${describe(raw.schema)}; this qm reads schema 1`,
    );
  }
  const record = <T>(
    key: string,
    required: boolean,
    check: (v: unknown, path: readonly Step[]) => T,
  ): Record<string, T> => {
    const v = raw[key];
    if (v === undefined && !required) return {};
    if (!isRecord(v))
      return fail(
        v === undefined ? [] : [key],
        v === undefined ? `has no "${key}"` : `is ${describe(v)}; expected an object`,
      );
    const out: Record<string, T> = {};
    for (const [name, value] of Object.entries(v))
      Object.defineProperty(out, name, { value: check(value, [key, name]), enumerable: true });
    return out;
  };
  const text_ = (v: unknown, path: readonly Step[]): string =>
    typeof v === "string" ? v : fail(path, `is ${describe(v)}; expected a string`);
  const textOrNull = (v: unknown, path: readonly Step[]): string | null =>
    v === null || typeof v === "string" ? v : fail(path, `is ${describe(v)}; expected a string or null`);
  const flag = (v: unknown, path: readonly Step[]): boolean =>
    typeof v === "boolean" ? v : fail(path, `is ${describe(v)}; expected true or false`);
  const integer = (v: unknown, path: readonly Step[]): number =>
    Number.isSafeInteger(v) ? (v as number) : fail(path, `is ${describe(v)}; expected an integer`);
  const bytes = (v: unknown, path: readonly Step[]): number =>
    typeof v === "number" && Number.isFinite(v) && v >= 0
      ? v
      : fail(path, `is ${describe(v)}; expected a number of bytes`);
  const fields = (v: unknown, path: readonly Step[], names: readonly string[]): Record<string, unknown> => {
    if (!isRecord(v)) return fail(path, `is ${describe(v)}; expected an object with ${names.join(", ")}`);
    for (const name of names) if (!Object.hasOwn(v, name)) fail(path, `has no "${name}"`);
    return v;
  };
  const command = (v: unknown, path: readonly Step[]): CommandProbe | null => {
    if (v === null) return null;
    const o = fields(v, path, ["code", "stdout", "stderr"]);
    return {
      code: integer(o.code, [...path, "code"]),
      stdout: text_(o.stdout, [...path, "stdout"]),
      stderr: text_(o.stderr, [...path, "stderr"]),
    };
  };
  const spaceProbe = (v: unknown, path: readonly Step[]): SpaceProbe | null => {
    if (v === null) return null;
    const o = fields(v, path, ["measured", "freeBytes", "totalBytes"]);
    return {
      measured: text_(o.measured, [...path, "measured"]),
      freeBytes: bytes(o.freeBytes, [...path, "freeBytes"]),
      totalBytes: bytes(o.totalBytes, [...path, "totalBytes"]),
      ...(o.onRootFilesystem === undefined
        ? {}
        : { onRootFilesystem: flag(o.onRootFilesystem, [...path, "onRootFilesystem"]) }),
    };
  };
  return {
    schema: 1,
    uid: raw.uid === undefined ? -1 : integer(raw.uid, ["uid"]),
    files: record("files", true, textOrNull),
    exists: record("exists", false, flag),
    which: record("which", true, textOrNull),
    versions: record("versions", false, command),
    space: record("space", false, spaceProbe),
    probes: record("probes", false, flag),
  };
}
