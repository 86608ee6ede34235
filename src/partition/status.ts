import { join } from "node:path";
import { AGENT_PROGRAM } from "../rootfs/source.js";
import type { BluechiStatus } from "./bluechi-status.js";
import type { PartitionContext } from "./context.js";
import {
  type HostLimits,
  judge,
  type PartitionState,
  type SourceChange,
  sourceChanges,
  type UngrantedCapability,
  warnings,
} from "./health.js";
import type { Adaptation } from "./runstate.js";
import type { Ports, Runtime } from "./runtime.js";
import { type NestedGenerator, nestedGenerator } from "./setup-plan.js";
import type { VarStatus } from "./var-image.js";

/** `qm status`: what the runtime observed, judged, with what the partition uses and what a restart would change. */

export interface ProcessStatus {
  readonly pid: number;
  readonly alive: boolean;
  readonly oomScoreAdj: number | null;
}

export interface StatusReport {
  readonly mode: "direct" | "systemd";
  readonly serviceName: string;
  readonly containerName: string;
  readonly state: PartitionState;
  /** Why the partition is not running (or not reachable), in a sentence; null when it runs. */
  readonly reason: string | null;
  readonly systemState: string | null;
  readonly failedUnits: readonly string[];
  readonly pid: number | null;
  readonly init: ProcessStatus | null;
  readonly conmon: ProcessStatus | null;
  /** Direct mode: the supervisor qm start left, and whether it still runs. */
  readonly supervisor: { readonly pid: number; readonly alive: boolean } | null;
  readonly startedAt: string | null;
  readonly uptimeSeconds: number | null;
  /** Starts after the first: podman's restarts and the supervisor's. */
  readonly restarts: number;
  /** The supervisor's last event (direct mode). */
  readonly lastEvent: string | null;
  readonly usage: Readonly<Record<string, number | null>>;
  readonly adaptations: readonly Adaptation[];
  readonly restartPending: boolean;
  /** Files of the configuration added, removed or changed since start: what a restart would apply. */
  readonly pendingChanges: readonly SourceChange[];
  readonly ungrantedCapabilities: readonly UngrantedCapability[];
  readonly oomFloor: string | null;
  /** Things wrong with a running partition (an OOM score moved, no supervisor). */
  readonly warnings: readonly string[];
  /** The partition's /var: bounded (a filesystem of its own) or on the host's root filesystem, and its usage. */
  readonly var: VarStatus;
  /** What converts nested quadlets in the partition's tree; null when podman names no tree. */
  readonly nestedGenerator: NestedGenerator | null;
  /** The partition as a BlueChi node, when it runs and its tree has the agent. */
  readonly bluechi: BluechiStatus | null;
}

/** Restarts the supervisor logged since qm start (its log starts empty at each qm start), and its last event. */
function supervisorEvents(text: string | null): { restarts: number; last: string | null } {
  const lines = (text ?? "").split("\n").filter((l) => /^\d{4}-\d\d-\d\dT/.test(l));
  return {
    restarts: lines.filter((l) => / restarted$/.test(l)).length,
    last: lines[lines.length - 1] ?? null,
  };
}

/** States in which the partition runs, or is brought back, with the configuration it was started with. */
const RUNS = new Set<PartitionState>(["running", "starting", "unreachable", "restarting"]);

/**
 * Whether the partition runs (as qm status judges it) and the configuration hash its start recorded: qm dropin
 * list's question. In direct mode a partition qm start did not record under this root is not looked for: another
 * root's partition may have the same container name.
 */
export async function partitionRuns(
  ports: Ports,
  rt: Runtime,
  ctx: PartitionContext,
): Promise<{ running: boolean; configHash: string | null }> {
  const recorded = ports.files.readRunState(ctx.serviceName);
  if (rt.mode === "direct" && recorded === null) return { running: false, configHash: null };
  const { observation } = await rt.observe(ctx, recorded);
  return { running: RUNS.has(judge(observation).state), configHash: recorded?.configHash ?? null };
}

export async function partitionStatus(
  ports: Ports,
  rt: Runtime,
  ctx: PartitionContext,
  limits: HostLimits,
): Promise<StatusReport> {
  const runState = ports.files.readRunState(ctx.serviceName);
  const { containerName, observation, container: c } = await rt.observe(ctx, runState);
  const { init, conmon } = observation;
  const supervisor = rt.mode === "direct" && runState?.supervisor ? runState.supervisor : null;
  const events = supervisorEvents(ports.files.read(ctx.paths.supervisorLog));
  let verdict = judge(observation);
  if (verdict.state === "failed" && init && !init.alive && ports.processes.oomKilled(init.pid)) {
    verdict = { ...verdict, reason: `${verdict.reason} (the kernel's OOM killer killed its init)` };
  }
  const running =
    verdict.state === "running" || verdict.state === "starting" || verdict.state === "unreachable";
  const startedAt = running && c ? c.startedAt : null;
  const varUnit =
    ctx.unit
      .words("Unit", "RequiresMountsFor")
      .map((p) => ports.mounts.unitFor(ctx.root, p))
      .find((m) => m !== null) ?? null;
  return {
    mode: rt.mode,
    serviceName: ctx.serviceName,
    containerName,
    state: verdict.state,
    reason: verdict.reason,
    systemState: observation.systemState,
    failedUnits: observation.systemState === "degraded" ? await ports.podman.failedUnits(containerName) : [],
    pid: running && c ? c.pid : null,
    init,
    conmon,
    supervisor: supervisor ? { pid: supervisor.pid, alive: observation.supervisorAlive === true } : null,
    startedAt,
    uptimeSeconds: startedAt ? Math.max(0, (ports.clock.now() - Date.parse(startedAt)) / 1000) : null,
    restarts: (c?.restartCount ?? 0) + events.restarts,
    lastEvent: events.last,
    usage: running ? ports.cgroups.usage(ctx.serviceName) : {},
    adaptations: runState?.adaptations ?? [],
    restartPending: runState !== null && runState.configHash !== ctx.configHash,
    pendingChanges: runState?.sources ? sourceChanges(runState.sources, ctx.sources) : [],
    ...limits,
    warnings: running ? warnings(observation, ctx.settings.oomScoreAdjust) : [],
    // The partition's /var: its source on the host (the qm.container convention RWVARFS), bounded or not.
    var: ports.mounts.varStatus(ctx.settings.environment.RWVARFS ?? null, varUnit),
    // The generator in the tree podman runs the partition from (only looked at, never followed).
    nestedGenerator: c?.rootfs ? nestedGenerator((p) => ports.files.present(join(c.rootfs, p))) : null,
    bluechi:
      running && c?.rootfs && ports.files.present(join(c.rootfs, AGENT_PROGRAM))
        ? await ports.podman.bluechi(containerName)
        : null,
  };
}
