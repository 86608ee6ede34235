import { spawn } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { QmError } from "../core/errors.js";
import { quoteArgv } from "../engine/exec.js";
import { isSymlink, writeFileAtomic } from "../engine/fs.js";
import {
  mountsUnder,
  type ProcessIdentity,
  processesInSession,
  processIdentity,
  removeTree,
  sameProcess,
  unmountAll,
} from "../engine/host.js";
import { SafeDir } from "../engine/safe-fs.js";
import { type AgentPayload, installAgent } from "./bluechi.js";
import { describeSource, dnfArgv, mmdebstrapArgv, type RootfsSource, sourceFingerprint } from "./source.js";

/** Marker at the top of every tree qm setup built: what it was built from. */
export const ROOTFS_MARKER = ".qm-rootfs.json";
const STAGING_STATE = "staging.json";

export interface RootfsMarker {
  readonly fingerprint: string;
  readonly source: string;
}

export interface BuildRequest {
  /** Host paths (root already joined). */
  readonly rootfs: string;
  readonly rwEtc: string;
  readonly rwVar: string;
  readonly source: RootfsSource;
  /** The agent's files `source.agent` names. */
  readonly agent?: AgentPayload;
  readonly log: (line: string) => void;
}

export interface BuildResult {
  readonly action: "built" | "unchanged";
  readonly fingerprint: string;
}

export function readMarker(rootfs: string): RootfsMarker | null {
  try {
    return JSON.parse(readFileSync(join(rootfs, ROOTFS_MARKER), "utf8")) as RootfsMarker;
  } catch {
    return null;
  }
}

export const stagingDir = (rootfs: string): string => `${rootfs}.qm-staging`;

function isEmptyDir(path: string): boolean {
  return statSync(path).isDirectory() && readdirSync(path).length === 0;
}

/** qm setup only ever replaces a tree it built, and never one in use. */
export function assertReplaceable(rootfs: string): void {
  if (!existsSync(rootfs)) return;
  if (readMarker(rootfs) === null && !isEmptyDir(rootfs)) {
    throw new QmError("QM_SETUP_ROOTFS_FOREIGN", `${rootfs} exists and was not built by qm setup`, {
      hint: "move it away or choose another --rootfs; qm setup never replaces a tree it did not build",
    });
  }
  if (mountsUnder(rootfs).length > 0) {
    throw new QmError("QM_SETUP_ROOTFS_BUSY", `${rootfs} has mounts below it (is the partition running?)`, {
      hint: "stop the partition first (qm stop)",
    });
  }
}

/**
 * A build killed at any point leaves only its staging directory (and processes of its builder's session).
 * Stop those processes, unmount anything below, then remove it.
 */
export async function discardStaging(rootfs: string, log: (line: string) => void): Promise<void> {
  const staging = stagingDir(rootfs);
  if (!existsSync(staging)) return;
  const state = readStagingState(staging);
  if (state.setup && state.setup.pid !== process.pid && sameProcess(state.setup)) {
    throw new QmError("QM_SETUP_BUSY", `another qm setup (pid ${state.setup.pid}) is building ${rootfs}`, {
      hint: "wait for it to finish, or stop it first",
    });
  }
  if (state.builder) {
    // Only processes of the builder's own session, started after it on this boot: never a reused session id.
    const builder = state.builder;
    const left = processesInSession(builder);
    if (left.length > 0) log(`stopping ${left.length} leftover builder process(es) of an interrupted run`);
    for (const pid of left) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (let i = 0; i < 100 && processesInSession(builder).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await unmountAll(staging);
  log(`removing ${staging} left by an interrupted run`);
  removeTree(staging);
}

interface StagingState {
  /** The qm setup that built in this staging directory, and the builder it started in its own session. */
  readonly setup?: ProcessIdentity;
  readonly builder?: ProcessIdentity;
}

/** The staging state, or nothing where it is missing or not what qm writes (then nothing is stopped). */
function readStagingState(staging: string): StagingState {
  const identity = (v: unknown): ProcessIdentity | undefined => {
    const o = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
    return Number.isSafeInteger(o.pid) &&
      (o.pid as number) > 1 &&
      Number.isSafeInteger(o.start) &&
      typeof o.bootId === "string"
      ? { pid: o.pid as number, start: o.start as number, bootId: o.bootId }
      : undefined;
  };
  try {
    const raw = JSON.parse(new SafeDir(staging).readText(STAGING_STATE, 4096) ?? "{}") as Record<
      string,
      unknown
    >;
    const setup = identity(raw.setup);
    const builder = identity(raw.builder);
    return { ...(setup ? { setup } : {}), ...(builder ? { builder } : {}) };
  } catch {
    return {};
  }
}

function writeStagingState(staging: string, builderPid?: number): void {
  const setup = processIdentity(process.pid);
  const builder = builderPid === undefined ? null : processIdentity(builderPid);
  writeFileAtomic(
    join(staging, STAGING_STATE),
    `${JSON.stringify({ ...(setup ? { setup } : {}), ...(builder ? { builder } : {}) })}\n`,
  );
}

function runBuilder(
  file: string,
  args: readonly string[],
  staging: string,
  log: (line: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    log(`$ ${quoteArgv([file, ...args])}`);
    // Own session: if qm is killed, the next run finds and stops every process the builder started.
    const child = spawn(file, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    writeStagingState(staging, child.pid);
    const stop = (): void => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    let tail: string[] = [];
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() === "") continue;
        tail = [...tail.slice(-19), line];
        log(`  ${line}`);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        new QmError("QM_SETUP_BUILDER_MISSING", `cannot run ${file}: ${error.message}`, {
          hint: `install ${file} (scripts/install-host-deps), or use --from-tar FILE / --from-dir DIR`,
        }),
      ),
    );
    child.on("close", (code, signal) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      if (code === 0) resolve();
      else
        reject(
          new QmError(
            "QM_SETUP_BUILD_FAILED",
            `${file} failed (${signal ?? `exit status ${code}`}):\n${tail.join("\n")}`,
            {
              hint: "the partial tree was discarded; fix the cause and rerun qm setup",
            },
          ),
        );
    });
  });
}

async function fillTree(
  source: RootfsSource,
  tree: string,
  staging: string,
  log: (line: string) => void,
): Promise<void> {
  switch (source.kind) {
    case "mmdebstrap":
      return runBuilder("mmdebstrap", mmdebstrapArgv(source, tree), staging, log);
    case "dnf":
      mkdirSync(tree);
      return runBuilder("dnf", dnfArgv(source, tree), staging, log);
    case "tar":
      mkdirSync(tree);
      return runBuilder("tar", ["--numeric-owner", "-xpf", source.file, "-C", tree], staging, log);
    case "dir":
      mkdirSync(tree);
      return runBuilder("cp", ["-a", "--", `${source.dir}/.`, `${tree}/`], staging, log);
  }
}

/** Package databases describe the tree just built: they replace an older /var's copy instead of merging. */
const replacedVarDirs = ["lib/dpkg", "lib/apt", "lib/rpm", "lib/dnf", "cache/apt", "cache/dnf"];

/**
 * Move src's entries (the fresh tree) into dst (the partition's own /etc or /var, which the partition writes).
 * Entries dst already has are kept (a person's edits to the partition's /etc survive a rebuild), except the
 * `replaced` subtrees, which are swapped whole. dst is walked without following links: a link planted there
 * cannot make the merge write, or the swap delete, anything outside it.
 */
function mergeInto(src: string, dst: SafeDir, replaced: readonly string[] = []): void {
  for (const rel of replaced) {
    if (!existsSync(join(src, rel))) continue;
    dst.removeTree(rel);
    dst.adopt(join(src, rel), rel);
  }
  const walk = (from: string, to: string): void => {
    for (const name of readdirSync(from)) {
      const a = join(from, name);
      const b = join(to, name);
      const there = dst.lstat(b);
      if (there === null) dst.adopt(a, b);
      else if (there.kind === "dir" && lstatSync(a).isDirectory()) walk(a, b);
    }
  };
  walk(src, "/");
}

/** The tree's /etc and /var live outside it (rwEtc, rwVar); leave empty mountpoints behind. */
function splitTree(tree: string, rwEtc: string, rwVar: string): void {
  for (const [sub, target, replaced] of [
    ["etc", rwEtc, []],
    ["var", rwVar, replacedVarDirs],
  ] as const) {
    const from = join(tree, sub);
    if (!existsSync(target) && !isSymlink(target)) {
      mkdirSync(dirname(target), { recursive: true });
      if (existsSync(from)) renameSync(from, target);
      else mkdirSync(target, { mode: 0o755 });
    } else if (existsSync(from)) {
      mergeInto(from, new SafeDir(target), replaced);
      rmSync(from, { recursive: true, force: true });
    }
    mkdirSync(from, { mode: 0o755 });
  }
}

/**
 * Build (or keep) the partition tree. Idempotent: a tree built from the same source is left alone. Atomic: the new
 * tree appears at `rootfs` by one rename, or not at all.
 */
export async function buildRootfs(
  req: BuildRequest,
  onCreateRw: (path: string) => void,
): Promise<BuildResult> {
  const fingerprint = sourceFingerprint(req.source);
  await discardStaging(req.rootfs, req.log);
  const marker = existsSync(req.rootfs) ? readMarker(req.rootfs) : null;
  if (marker?.fingerprint === fingerprint) return { action: "unchanged", fingerprint };
  assertReplaceable(req.rootfs);
  const staging = stagingDir(req.rootfs);
  mkdirSync(dirname(staging), { recursive: true });
  mkdirSync(staging, { mode: 0o700 });
  writeStagingState(staging);
  const tree = join(staging, "tree");
  req.log(`building the partition tree: ${describeSource(req.source)}`);
  const started = Date.now();
  await fillTree(req.source, tree, staging, req.log);
  if (req.source.agent) {
    if (req.agent?.digest !== req.source.agent.digest) throw new Error("the BlueChi agent's files changed");
    installAgent(tree, req.agent);
    req.log(`BlueChi agent from ${req.agent.from}: ${req.agent.files.length} files`);
  }
  for (const path of [req.rwEtc, req.rwVar]) if (!existsSync(path)) onCreateRw(path);
  splitTree(tree, req.rwEtc, req.rwVar);
  writeFileAtomic(
    join(tree, ROOTFS_MARKER),
    `${JSON.stringify({ fingerprint, source: describeSource(req.source) }, null, 2)}\n`,
  );
  if (existsSync(req.rootfs)) renameSync(req.rootfs, join(staging, "old"));
  renameSync(tree, req.rootfs);
  removeTree(staging);
  req.log(`partition tree ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { action: "built", fingerprint };
}
