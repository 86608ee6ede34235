import { existsSync, lstatSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { QmError } from "../core/errors.js";
import { siblingBundle } from "../core/paths.js";
import { readHostFacts } from "../doctor/collect.js";
import { type HostFacts, hostMode } from "../doctor/facts.js";
import { cgroupHost, unitCgroupDirs } from "../engine/cgroupfs.js";
import { run } from "../engine/exec.js";
import { kernelLog } from "../engine/kmsg.js";
import { inspectContainer, podman, podmanProgram } from "../engine/podman.js";
import { type BluechiStatus, bluechiStatus } from "./bluechi-status.js";
import { loadContext, type PartitionContext, RUN_DIR, START_LIMIT_DIR } from "./context.js";
import type { DirectHost } from "./direct-plan.js";
import {
  judge,
  oomFloorGap,
  type PartitionState,
  type SourceChange,
  sourceChanges,
  type UngrantedCapability,
  ungrantedCapabilities,
  warnings,
} from "./health.js";
import { realPorts } from "./real-ports.js";
import { type Adaptation, readRunState } from "./runstate.js";
import {
  directRuntime,
  type HostLimits,
  type Runtime,
  removeCgroups,
  type StartReport,
  systemdRuntime,
} from "./runtime.js";
import { type NestedGenerator, nestedGenerator } from "./setup-plan.js";
import { type VarStatus, varMountFor, varStatus } from "./var-image.js";

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

export type { StartReport };

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

/** The partition's /var: its source on the host (the qm.container convention RWVARFS), bounded or not, how full. */
function partitionVar(ctx: PartitionContext): VarStatus {
  const unit =
    ctx.unit
      .words("Unit", "RequiresMountsFor")
      .map((p) => varMountFor(ctx.root, p))
      .find((m) => m !== null) ?? null;
  return varStatus(ctx.settings.environment.RWVARFS ?? null, unit);
}

/** What qm start and qm status say about the host whatever the mode. */
function hostLimits(ctx: PartitionContext, facts: HostFacts): HostLimits {
  return {
    ungrantedCapabilities: ungrantedCapabilities(
      ctx.unit.all("Container", "AddCapability"),
      ctx.unit.words("Container", "DropCapability"),
      facts.capabilities.effective,
    ),
    oomFloor: oomFloorGap(ctx.settings.oomScoreAdjust, facts.capabilities.sysResource),
  };
}

/** The host facts qm start plans by: podman's version, not every builder's (each --version is a process start). */
export const startFacts = (): Promise<HostFacts> => readHostFacts(["podman"]);

export async function start(
  o: LifecycleOptions,
  ctx = loadContext(o.root),
  known?: HostFacts,
): Promise<StartReport> {
  const started = Date.now();
  const facts = known ?? (await startFacts());
  return runtime(hostMode(facts, o.root).systemd).start(ctx, {
    started,
    wait: o.wait,
    timeoutSec: o.timeoutSec,
    log: o.log,
    host: directHost(facts),
    podman: process.env.QM_PODMAN ? podmanProgram() : undefined,
    qmQuadlet: siblingBundle("qm-quadlet"),
    limits: hostLimits(ctx, facts),
  });
}

export interface StopReport {
  readonly mode: "direct" | "systemd";
  readonly action: "stopped" | "not running";
  readonly removed: readonly string[];
}

export async function stop(
  o: LifecycleOptions,
  ctx = loadContext(o.root),
  known?: HostFacts,
): Promise<StopReport> {
  const serviceName = ctx.serviceName;
  const rt = runtime(hostMode(known ?? (await readHostFacts()), o.root).systemd);
  const runState = readRunState(serviceName);
  if (rt.mode === "systemd") {
    await rt.stopPartition(ctx, runState);
    return { mode: "systemd", action: "stopped", removed: [] };
  }
  const dirs = unitCgroupDirs(serviceName).filter((d) => existsSync(d));
  const removed = await rt.stopPartition(ctx, runState);
  if (removed.length === 0 && dirs.length === 0 && !runState)
    return { mode: "direct", action: "not running", removed: [] };
  const left = await removeCgroups(realPorts, serviceName);
  if (left.length > 0) {
    throw new QmError("QM_STOP_INCOMPLETE", `cgroups still populated after stop: ${left.join(", ")}`, {
      hint: "processes of the partition are still alive; check them with 'cat <cgroup>/cgroup.procs'",
    });
  }
  removed.push(...dirs.map((d) => `cgroup ${d}`));
  for (const path of [
    ctx.paths.runState,
    `${RUN_DIR}/oom`,
    ctx.paths.cidFile,
    ctx.paths.startLimitRecord,
    ctx.paths.startLimitHit,
    ctx.paths.supervisorLog,
  ]) {
    if (existsSync(path)) {
      rmSync(path, { force: true });
      removed.push(path);
    }
  }
  for (const dir of [START_LIMIT_DIR, RUN_DIR]) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty or absent
    }
  }
  return { mode: "direct", action: "stopped", removed };
}

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

/** The generator in the tree podman runs the partition from (only looked at, never followed). */
function treeGenerator(rootfs: string): NestedGenerator | null {
  if (rootfs === "") return null;
  return nestedGenerator((p) => {
    try {
      lstatSync(join(rootfs, p));
      return true;
    } catch {
      return false;
    }
  });
}

function readNumber(path: string): number | null {
  try {
    const text = readFileSync(path, "utf8").trim();
    const first = text.split(/\s+/)[0] ?? "";
    return first === "max" ? null : Number(first);
  } catch {
    return null;
  }
}

function cgroupUsage(serviceName: string): Record<string, number | null> {
  const host = cgroupHost();
  if (host.mode === "v2") {
    const dir = `${host.mounts.unified ?? "/sys/fs/cgroup"}/${serviceName}`;
    const cpu = /usage_usec (\d+)/.exec(
      existsSync(`${dir}/cpu.stat`) ? readFileSync(`${dir}/cpu.stat`, "utf8") : "",
    );
    return {
      memoryBytes: readNumber(`${dir}/memory.current`),
      memoryMaxBytes: readNumber(`${dir}/memory.max`),
      tasks: readNumber(`${dir}/pids.current`),
      tasksMax: readNumber(`${dir}/pids.max`),
      cpuSeconds: cpu ? Number(cpu[1]) / 1e6 : null,
    };
  }
  const at = (controller: string, file: string): string =>
    `${host.mounts[controller] ?? "/nonexistent"}/${serviceName}/${file}`;
  const limit = readNumber(at("memory", "memory.limit_in_bytes"));
  const cpuNs = readNumber(at("cpuacct", "cpuacct.usage"));
  return {
    memoryBytes: readNumber(at("memory", "memory.usage_in_bytes")),
    // v1 reports "no limit" as the largest page-aligned value.
    memoryMaxBytes: limit !== null && limit >= 2 ** 62 ? null : limit,
    tasks: readNumber(at("pids", "pids.current")),
    tasksMax: readNumber(at("pids", "pids.max")),
    cpuSeconds: cpuNs === null ? null : cpuNs / 1e9,
  };
}

/** Restarts the supervisor logged since qm start (its log starts empty at each qm start). */
function supervisorEvents(path: string): { restarts: number; last: string | null } {
  let lines: string[] = [];
  try {
    lines = readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => /^\d{4}-\d\d-\d\dT/.test(l));
  } catch {
    // no supervisor, or nothing logged yet
  }
  return {
    restarts: lines.filter((l) => / restarted$/.test(l)).length,
    last: lines.length > 0 ? (lines[lines.length - 1] ?? null) : null,
  };
}

/** Whether the kernel's OOM killer killed this PID (its log says so); null when the log cannot be read. */
function oomKilled(pid: number): boolean | null {
  try {
    return kernelLog().messages.some((m) => m.includes(`Killed process ${pid} (`));
  } catch {
    return null;
  }
}

export async function status(o: Pick<LifecycleOptions, "root">): Promise<StatusReport> {
  const ctx = loadContext(o.root);
  const serviceName = ctx.serviceName;
  const facts = await readHostFacts();
  const systemd = hostMode(facts, o.root).systemd;
  const runState = readRunState(serviceName);
  const containerName = runState?.containerName ?? ctx.containerName;
  const { observation, container: c } = await runtime(systemd).observe(ctx, runState);
  const { init, conmon } = observation;
  const supervisor = !systemd && runState?.supervisor ? runState.supervisor : null;
  const events = supervisorEvents(ctx.paths.supervisorLog);
  let verdict = judge(observation);
  if (verdict.state === "failed" && init && !init.alive && oomKilled(init.pid)) {
    verdict = { ...verdict, reason: `${verdict.reason} (the kernel's OOM killer killed its init)` };
  }
  const running =
    verdict.state === "running" || verdict.state === "starting" || verdict.state === "unreachable";
  const startedAt = running && c ? c.startedAt : null;
  const changes = runState?.sources ? sourceChanges(runState.sources, ctx.sources) : [];
  const limits = hostLimits(ctx, facts);
  return {
    mode: systemd ? "systemd" : "direct",
    serviceName,
    containerName,
    state: verdict.state,
    reason: verdict.reason,
    systemState: observation.systemState,
    failedUnits:
      observation.systemState === "degraded" ? await realPorts.podman.failedUnits(containerName) : [],
    pid: running && c ? c.pid : null,
    init,
    conmon,
    supervisor: supervisor ? { pid: supervisor.pid, alive: observation.supervisorAlive === true } : null,
    startedAt,
    uptimeSeconds: startedAt ? Math.max(0, (Date.now() - Date.parse(startedAt)) / 1000) : null,
    restarts: (c?.restartCount ?? 0) + events.restarts,
    lastEvent: events.last,
    usage: running ? cgroupUsage(serviceName) : {},
    adaptations: runState?.adaptations ?? [],
    restartPending: runState !== null && runState.configHash !== ctx.configHash,
    pendingChanges: changes,
    ...limits,
    warnings: running ? warnings(observation, ctx.settings.oomScoreAdjust) : [],
    var: partitionVar(ctx),
    nestedGenerator: c ? treeGenerator(c.rootfs) : null,
    bluechi:
      running && c && c.rootfs !== "" && existsSync(join(c.rootfs, "usr/libexec/bluechi-agent"))
        ? await bluechiStatus(containerName)
        : null,
  };
}

export async function logs(
  o: Pick<LifecycleOptions, "root">,
  follow: boolean,
  lines: number | undefined,
): Promise<void> {
  const ctx = loadContext(o.root);
  const limit = [...(follow ? ["--follow"] : []), ...(lines ? ["--lines", String(lines)] : [])];
  if (hostMode(await readHostFacts(), o.root).systemd) {
    await run("journalctl", ["--no-pager", "--unit", ctx.serviceName, ...limit], {
      inherit: true,
    });
    return;
  }
  const containerName = readRunState(ctx.serviceName)?.containerName ?? ctx.containerName;
  if ((await inspectContainer(containerName))?.status === "running") {
    // The partition's own journal: what its systemd and services logged since it booted.
    await podman(["exec", containerName, "journalctl", "--no-pager", "--boot", ...limit], {
      inherit: true,
      interactive: true,
    });
    return;
  }
  // Not running: the console output podman kept from its last run.
  const tail = [...(follow ? ["--follow"] : []), ...(lines ? ["--tail", String(lines)] : [])];
  await podman(["logs", ...tail, containerName], { inherit: true, allowFailure: true, interactive: true });
}
