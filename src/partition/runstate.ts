import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../engine/fs.js";
import type { ProcessIdentity } from "../engine/host.js";
import type { GenerateOptions } from "../quadlet/generate.js";

/**
 * What `qm start` recorded about the partition it started: how, with which generated configuration, and which
 * host adaptations. `qm status`, `qm dropin list` and `qmctl` compare it with the effective configuration on disk
 * to say when a restart is pending.
 */
export interface Adaptation {
  /** The generated option or setting that was changed, e.g. "--security-opt label=nested". */
  readonly option: string;
  /** What qm did instead: "removed", "replaced by --runtime runc", "clamped to 20000", ... */
  readonly action: string;
  readonly reason: string;
}

export interface RunState {
  readonly schema: 1;
  readonly mode: "direct" | "systemd";
  readonly serviceName: string;
  readonly containerName: string;
  /** Hash of the generated qm.service text at start time (see configHash). */
  readonly configHash: string;
  /** The podman command line as run (direct mode). */
  readonly argv: readonly string[];
  readonly adaptations: readonly Adaptation[];
  readonly startedAt: string;
  /** Direct mode: the supervisor qm start left running (qm-supervise). */
  readonly supervisor?: ProcessIdentity;
  /** The configuration's files (base, then drop-ins) and their hashes at start. */
  readonly sources?: readonly { readonly path: string; readonly sha256: string }[];
}

/**
 * The unit's name on this machine: upstream's (qm.service) for the host itself; for a host tree below --root
 * (image builders, tests), a name derived from the root, so that two trees never share a cgroup or runtime state.
 */
export function runtimeUnitName(root: string, serviceName = "qm.service"): string {
  if (root === "/") return serviceName;
  const tag = createHash("sha256").update(root).digest("hex").slice(0, 8);
  return serviceName.replace(/\.service$/, `-${tag}.service`);
}

export const runStatePath = (unit: string): string => `/run/qm/${unit}.json`;

/** Hash of a generated service text: equal hashes mean the running partition uses the configuration on disk. */
export function configHash(serviceText: string): string {
  return createHash("sha256").update(serviceText).digest("hex").slice(0, 16);
}

/**
 * Generation for a partition run on this machine: podman takes optional devices (AddDevice=-/dev/x) from this
 * machine's /dev, whatever root the configuration was read from.
 */
export const MACHINE_DEVICES: GenerateOptions = { deviceExists: (path) => existsSync(path) };

/** Runtime state lives in the machine's /run whatever the root: it describes what runs on this machine now. */
export function readRunState(unit: string): RunState | null {
  try {
    return JSON.parse(readFileSync(runStatePath(unit), "utf8")) as RunState;
  } catch {
    return null;
  }
}

export function writeRunState(state: RunState): void {
  writeFileAtomic(runStatePath(state.serviceName), `${JSON.stringify(state, null, 2)}\n`, 0o644);
}
