import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { underRoot, writeFileAtomic } from "../engine/fs.js";
import type { GenerateOptions } from "../quadlet/generate.js";
import { generateService } from "../quadlet/index.js";

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
}

export const RUN_STATE_PATH = "/run/qm/qm.service.json";

/** Hash of a generated service text: equal hashes mean the running partition uses the configuration on disk. */
export function configHash(serviceText: string): string {
  return createHash("sha256").update(serviceText).digest("hex").slice(0, 16);
}

/** The hash of the effective qm.container (with drop-ins) as it would be generated now. */
export function effectiveConfigHash(root: string, options: GenerateOptions = {}): string {
  return configHash(generateService(root, "qm.container", options).text);
}

export function readRunState(root: string): RunState | null {
  try {
    return JSON.parse(readFileSync(underRoot(root, RUN_STATE_PATH), "utf8")) as RunState;
  } catch {
    return null;
  }
}

export function writeRunState(root: string, state: RunState): void {
  writeFileAtomic(underRoot(root, RUN_STATE_PATH), `${JSON.stringify(state, null, 2)}\n`, 0o644);
}

/** True when the partition runs and its configuration differs from the one on disk (a restart applies it). */
export function restartPending(root: string, options: GenerateOptions = {}): boolean {
  const state = readRunState(root);
  return state !== null && state.configHash !== effectiveConfigHash(root, options);
}
