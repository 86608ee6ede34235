import { hostname } from "node:os";
import { siblingBundle } from "../core/paths.js";
import { readHostFacts } from "../doctor/collect.js";
import { type HostFacts, hostMode } from "../doctor/facts.js";
import { podmanProgram } from "../engine/podman.js";
import { loadContext, type PartitionContext } from "./context.js";
import type { DirectHost } from "./direct-plan.js";
import { hostLimits } from "./health.js";
import { realPorts } from "./real-ports.js";
import {
  directRuntime,
  type LogsOptions,
  type Runtime,
  restartPartition,
  type StartInput,
  type StartReport,
  type StopReport,
  systemdRuntime,
} from "./runtime.js";
import { partitionRuns, partitionStatus, type StatusReport } from "./status.js";

/**
 * qm start/stop/restart/status/logs. On a host whose PID 1 is systemd they drive qm.service through systemctl; elsewhere
 * (direct mode) qm creates the unit's cgroup, applies the [Service] settings, runs the generated podman command itself
 * and leaves a supervisor (share/qm/qm-supervise) to do what systemd's Restart= and start limit do.
 */

export interface LifecycleOptions {
  readonly root: string;
  readonly log: (line: string) => void;
  /** Wait for the partition's systemd to finish booting. */
  readonly wait: boolean;
  readonly timeoutSec: number;
}

export type { StartReport, StatusReport, StopReport };

/** The runtime for this host, on the real ports. */
export function runtime(systemd: boolean): Runtime {
  return systemd ? systemdRuntime(realPorts) : directRuntime(realPorts);
}

function directHost(f: HostFacts): DirectHost {
  return {
    podmanVersion: f.podman.parsed,
    selinux: f.selinux.active,
    cgroupMode: f.cgroup.mode === "none" ? "v2" : f.cgroup.mode,
    runcAvailable: f.runtimes.runc.path !== null,
    capSysResource: f.capabilities.sysResource,
    nofileHard: f.limits.nofile?.hard ?? "unlimited",
    nprocHard: f.limits.nproc?.hard ?? "unlimited",
    hostname: hostname(),
  };
}

/** The host facts qm start plans by: podman's version, not every builder's (each --version is a process start). */
const startFacts = (): Promise<HostFacts> => readHostFacts(["podman"]);

function startInput(
  o: LifecycleOptions,
  ctx: PartitionContext,
  facts: HostFacts,
  started: number,
): StartInput {
  return {
    started,
    wait: o.wait,
    timeoutSec: o.timeoutSec,
    log: o.log,
    host: directHost(facts),
    podman: process.env.QM_PODMAN ? podmanProgram() : undefined,
    qmQuadlet: siblingBundle("qm-quadlet"),
    limits: hostLimits(ctx, facts.capabilities),
  };
}

export async function start(o: LifecycleOptions): Promise<StartReport> {
  const started = Date.now();
  const ctx = loadContext(o.root);
  const facts = await startFacts();
  return runtime(hostMode(facts, o.root).systemd).start(ctx, startInput(o, ctx, facts, started));
}

export async function stop(o: LifecycleOptions): Promise<StopReport> {
  const ctx = loadContext(o.root);
  return runtime(hostMode(await readHostFacts(), o.root).systemd).stop(ctx);
}

/** Stop, then start: the configuration is loaded once, before anything stops, and host facts are read once. */
export async function restart(o: LifecycleOptions): Promise<{ stopped: StopReport; started: StartReport }> {
  // An invalid configuration is refused here, while the partition still works.
  const ctx = loadContext(o.root);
  const facts = await startFacts();
  const rt = runtime(hostMode(facts, o.root).systemd);
  return restartPartition(rt, ctx, () => startInput(o, ctx, facts, Date.now()));
}

export async function status(o: Pick<LifecycleOptions, "root">): Promise<StatusReport> {
  const ctx = loadContext(o.root);
  const facts = await readHostFacts();
  const rt = runtime(hostMode(facts, o.root).systemd);
  return partitionStatus(realPorts, rt, ctx, hostLimits(ctx, facts.capabilities));
}

/** Whether the partition of the context's root runs, and the configuration hash its start recorded. */
export async function running(
  ctx: PartitionContext,
): Promise<{ running: boolean; configHash: string | null }> {
  return partitionRuns(realPorts, runtime(hostMode(await readHostFacts(), ctx.root).systemd), ctx);
}

export async function logs(o: Pick<LifecycleOptions, "root">, options: LogsOptions): Promise<void> {
  const ctx = loadContext(o.root);
  await runtime(hostMode(await readHostFacts(), o.root).systemd).logs(ctx, options);
}
