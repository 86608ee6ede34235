import { existsSync, lstatSync, mkdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { QmError } from "../core/errors.js";
import { siblingBundle } from "../core/paths.js";
import { collectSnapshot } from "../doctor/collect.js";
import { type HostFacts, hostFacts } from "../doctor/facts.js";
import { applyCgroupPlan, cgroupHost, removeCgroupTree, unitCgroupDirs } from "../engine/cgroupfs.js";
import { run } from "../engine/exec.js";
import { underRoot } from "../engine/fs.js";
import { processAlive } from "../engine/host.js";
import { kernelLog } from "../engine/kmsg.js";
import { type ContainerState, inspectContainer, podman, podmanProgram } from "../engine/podman.js";
import { planCgroups } from "./cgroup-plan.js";
import { loadContext, type PartitionContext, RUN_DIR, START_LIMIT_DIR, systemdMode } from "./context.js";
import { type DirectHost, planDirect } from "./direct-plan.js";
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
import { type Adaptation, type RunState, readRunState, writeRunState } from "./runstate.js";
import { directRuntime, type Runtime, systemdRuntime } from "./runtime.js";
import { type NestedGenerator, nestedGenerator } from "./setup-plan.js";
import { startSupervisor, stopSupervisor, supervisedPolicy, supervisorAlive } from "./supervisor.js";
import { mountVar, type VarStatus, varMountFor, varStatus } from "./var-image.js";

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

export { systemdMode };

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

async function removeCgroups(serviceName: string): Promise<string[]> {
  let left: string[] = [];
  for (let i = 0; i < 50; i++) {
    left = unitCgroupDirs(serviceName).flatMap((d) => removeCgroupTree(d));
    if (left.length === 0) return [];
    await new Promise((r) => setTimeout(r, 100));
  }
  return left;
}

/** States in which the partition's systemd has finished booting (systemctl is-system-running). */
const booted = new Set(["running", "degraded", "maintenance", "stopping", "offline"]);

/**
 * The partition's systemd state ("running", "degraded", "starting", ...), or null when it cannot be asked. With
 * `wait`, polls until boot has finished: right after start systemd may not answer on its bus yet.
 */
async function innerState(container: string, wait: boolean, timeoutSec: number): Promise<string | null> {
  const deadline = Date.now() + timeoutSec * 1000;
  for (;;) {
    const r = await podman(["exec", container, "systemctl", "is-system-running"], {
      allowFailure: true,
      timeoutMs: 10_000,
    }).catch(() => null);
    const s = r?.stdout.trim() || null;
    if (!wait || (s !== null && booted.has(s)) || Date.now() > deadline) return s;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function failedUnits(container: string): Promise<string[]> {
  const r = await podman(
    ["exec", container, "systemctl", "list-units", "--failed", "--plain", "--no-legend"],
    {
      allowFailure: true,
    },
  ).catch(() => null);
  return (r?.stdout ?? "")
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((u) => u !== "" && u !== "●");
}

export interface StartReport {
  readonly mode: "direct" | "systemd";
  readonly action: "started" | "already running" | "supervision resumed";
  readonly containerName: string;
  readonly pid: number;
  readonly systemState: string | null;
  readonly failedUnits: readonly string[];
  readonly argv: readonly string[];
  readonly adaptations: readonly Adaptation[];
  /** Capabilities the configuration adds that the host cannot give. */
  readonly ungrantedCapabilities: readonly UngrantedCapability[];
  /** Why OOMScoreAdjust= is no floor on this host, or null. */
  readonly oomFloor: string | null;
  /** Direct mode: the supervisor's PID (null when Restart= asks for none). */
  readonly supervisorPid: number | null;
  /** Direct mode: filesystems qm start mounted for RequiresMountsFor= (the bounded /var), with the time it took. */
  readonly mounted: readonly { readonly what: string; readonly where: string; readonly seconds: number }[];
  readonly seconds: number;
}

/**
 * Direct mode's RequiresMountsFor=: each path the unit names that has a mount unit qm setup wrote (the bounded /var)
 * is mounted before the partition starts, as systemd would. Below another root, the unit's paths are in that root.
 */
async function mountRequired(
  ctx: PartitionContext,
  log: (line: string) => void,
): Promise<StartReport["mounted"]> {
  const mounted: { what: string; where: string; seconds: number }[] = [];
  for (const path of ctx.unit.words("Unit", "RequiresMountsFor")) {
    const unit = varMountFor(ctx.root, path);
    if (unit === null) continue;
    const t = Date.now();
    if ((await mountVar(unit.what, unit.where)) !== "mounted") continue;
    mounted.push({ what: unit.what, where: unit.where, seconds: (Date.now() - t) / 1000 });
    log(`mounted ${unit.what} on ${unit.where}`);
  }
  return mounted;
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

/** What qm start says about the host whatever the mode: capabilities it cannot grant, an OOM score that is no floor. */
function hostLimits(ctx: PartitionContext, facts: HostFacts) {
  return {
    ungrantedCapabilities: ungrantedCapabilities(
      ctx.unit.all("Container", "AddCapability"),
      ctx.unit.words("Container", "DropCapability"),
      facts.capabilities.effective,
    ),
    oomFloor: oomFloorGap(ctx.settings.oomScoreAdjust, facts.capabilities.sysResource),
  };
}

/** init and conmon as podman recorded them are alive. */
function healthy(c: ContainerState): boolean {
  return c.status === "running" && processAlive(c.pid) && processAlive(c.conmonPid);
}

export async function start(o: LifecycleOptions): Promise<StartReport> {
  const started = Date.now();
  const ctx = loadContext(o.root);
  // Only what planning needs: podman's version, not every builder's (each --version is a process start).
  const facts = hostFacts(await collectSnapshot({ versions: ["podman"], probes: false }));
  if (systemdMode(o.root)) return startSystemd(o, ctx, facts, started);
  const plan = planDirect(
    ctx.service,
    ctx.settings,
    directHost(facts),
    process.env.QM_PODMAN ? podmanProgram() : undefined,
  );
  const limits = hostLimits(ctx, facts);
  const policy = supervisedPolicy(ctx.settings.restart);
  const recorded = readRunState(ctx.serviceName);
  const existing = await inspectContainer(ctx.containerName);
  if (existing && healthy(existing)) {
    // Running: make sure something supervises it (a qm start killed before it started the supervisor left none).
    const resume = policy !== null && !supervisorAlive(recorded?.supervisor);
    const argv = recorded?.argv ?? plan.argv;
    const supervisor = resume
      ? startSupervisor(
          {
            serviceName: ctx.serviceName,
            containerName: ctx.containerName,
            settings: ctx.settings,
            oomScoreAdjust: plan.oomScoreAdjust,
            cidFile: ctx.paths.cidFile,
            argv,
          },
          policy,
        )
      : (recorded?.supervisor ?? null);
    // Recorded, so that qm stop ends the supervisor (a partition started by other means gets a record here).
    if (resume)
      writeRunState({
        ...(recorded ?? runStateOf(ctx, argv, plan.adaptations)),
        ...(supervisor ? { supervisor } : {}),
      });
    return {
      mode: "direct",
      action: resume ? "supervision resumed" : "already running",
      containerName: ctx.containerName,
      pid: existing.pid,
      systemState: (await realPorts.podman.systemState(ctx.containerName)).state,
      failedUnits: [],
      argv,
      adaptations: recorded?.adaptations ?? plan.adaptations,
      ...limits,
      supervisorPid: supervisor?.pid ?? null,
      mounted: [],
      seconds: (Date.now() - started) / 1000,
    };
  }
  // Dead but recorded, or never started: whatever supervises the dead one finishes its step and ends; what is left
  // of the old partition goes, then a clean start (--replace removes the old container).
  await stopSupervisor(recorded?.supervisor);
  if (existing && processAlive(existing.pid)) process.kill(existing.pid, "SIGKILL");
  // Before anything of the partition exists: a /var that cannot be mounted leaves nothing behind.
  const mounted = await mountRequired(ctx, o.log);
  const devices = [...ctx.settings.ioReadIopsMax, ...ctx.settings.ioWriteIopsMax].map((l) => l.device);
  const cgroups = planCgroups(ctx.serviceName, ctx.settings, cgroupHost(devices));
  const adaptations = [...plan.adaptations, ...cgroups.adaptations];
  const hookMissing = (name: string): boolean =>
    !existsSync(underRoot(o.root, `/usr/share/containers/oci/hooks.d/${name}`));
  if (cgroups.dirs.length > 1 && hookMissing("qm-partition-cgroups.json")) {
    adaptations.push({
      option: "cgroup v1 delegation",
      action: "not available",
      reason: "the hook is not installed (run 'qm setup'): nested containers cannot run",
    });
  }
  // Stale cgroups are reused.
  applyCgroupPlan(cgroups);
  // podman refuses to overwrite the --cidfile of a container that is gone (removed, or left by a killed run).
  for (const path of [
    ctx.paths.cidFile,
    ctx.paths.startLimitHit,
    ctx.paths.startLimitRecord,
    ctx.paths.supervisorLog,
  ])
    rmSync(path, { force: true });
  const state = runStateOf(ctx, plan.argv, adaptations);
  // Recorded before podman runs: a qm start killed from here on leaves a partition that qm status and qm stop know.
  writeRunState(state);
  o.log(`starting ${ctx.serviceName}: ${plan.argv.join(" ")}`);
  const [program, ...args] = plan.argv as [string, ...string[]];
  // OOMScoreAdjust= applies to podman and so to conmon and the partition, as systemd applies it to ExecStart.
  const launcher = [
    "-c",
    'echo "$1" > /proc/self/oom_score_adj || exit 125; shift; exec "$@"',
    "qm-start",
    String(plan.oomScoreAdjust ?? 0),
    program,
    ...args,
  ];
  // conmon outlives this process and writes an "oom" marker into its working directory when the partition's
  // cgroup hits an OOM: keep that in qm's runtime directory, never in whatever directory qm was started from.
  mkdirSync(RUN_DIR, { recursive: true });
  const r = await run("/bin/sh", launcher, { allowFailure: true, timeoutMs: 300_000, cwd: RUN_DIR });
  if (r.code !== 0) {
    // A failed start leaves nothing behind: podman may have got as far as a container before it failed or was killed.
    await podman(["rm", "--force", "--time", "0", ctx.containerName], { allowFailure: true });
    await removeCgroups(ctx.serviceName);
    rmSync(ctx.paths.runState, { force: true });
    throw new QmError(
      "QM_START_FAILED",
      `podman could not start the partition (exit status ${r.code}):\n${r.stderr.trim().split("\n").slice(-10).join("\n")}`,
      {
        hint: "check 'qm config check' and 'qm doctor'; the command is in --json output",
        details: { argv: plan.argv },
      },
    );
  }
  const supervisor =
    policy === null
      ? null
      : startSupervisor(
          {
            serviceName: ctx.serviceName,
            containerName: ctx.containerName,
            settings: ctx.settings,
            oomScoreAdjust: plan.oomScoreAdjust,
            cidFile: ctx.paths.cidFile,
            argv: plan.argv,
          },
          policy,
        );
  if (supervisor) writeRunState({ ...state, supervisor });
  const inspected = await inspectContainer(ctx.containerName);
  const booted = o.wait ? await waitBooted(ctx.containerName, o.timeoutSec) : null;
  return {
    mode: "direct",
    action: "started",
    containerName: ctx.containerName,
    pid: inspected?.pid ?? 0,
    systemState: booted,
    failedUnits: booted === "degraded" ? await failedUnits(ctx.containerName) : [],
    argv: plan.argv,
    adaptations,
    ...limits,
    supervisorPid: supervisor?.pid ?? null,
    mounted,
    seconds: (Date.now() - started) / 1000,
  };
}

function runStateOf(
  ctx: PartitionContext,
  argv: readonly string[],
  adaptations: readonly Adaptation[],
): RunState {
  return {
    schema: 1,
    mode: "direct",
    serviceName: ctx.serviceName,
    containerName: ctx.containerName,
    configHash: ctx.configHash,
    argv,
    adaptations,
    startedAt: new Date().toISOString(),
    sources: ctx.sources,
  };
}

/** Wait until the partition's systemd has booted; a partition that has not within the timeout is an error. */
async function waitBooted(container: string, timeoutSec: number): Promise<string> {
  const last = await innerState(container, true, timeoutSec);
  if (last !== null && booted.has(last)) return last;
  throw new QmError(
    "QM_START_TIMEOUT",
    `the partition's systemd did not finish booting within ${timeoutSec} s (last state: ${last ?? "no answer"})`,
    {
      hint: "the partition was started and is left as it is: see 'qm status' and 'qm logs'; 'qm stop' stops it",
    },
  );
}

async function systemctl(args: readonly string[], allowFailure = false) {
  return run("systemctl", args, { allowFailure });
}

/** Where systemd runs generators from; our generator goes here when podman has no quadlet. */
const GENERATOR = "/etc/systemd/system-generators/qm-quadlet-generator";
/** Where `make install` and the packages put the generator (it steps aside where podman has quadlet). */
const INSTALLED_GENERATORS = [
  "/usr/lib/systemd/system-generators/qm-quadlet-generator",
  "/lib/systemd/system-generators/qm-quadlet-generator",
  "/usr/local/lib/systemd/system-generators/qm-quadlet-generator",
];

async function startSystemd(
  o: LifecycleOptions,
  ctx: PartitionContext,
  facts: HostFacts,
  started: number,
): Promise<StartReport> {
  const quadlet = ["/usr/libexec/podman/quadlet", "/usr/lib/podman/quadlet"].some((p) => existsSync(p));
  const adaptations: Adaptation[] = [];
  if (!quadlet) {
    const ours = siblingBundle("qm-quadlet");
    if (!ours)
      throw new QmError(
        "QM_START_FAILED",
        "podman has no quadlet and qm-quadlet is not installed next to qm",
      );
    const installed = INSTALLED_GENERATORS.find((p) => existsSync(p));
    if (!installed && !existsSync(GENERATOR)) {
      await run("mkdir", ["-p", "/etc/systemd/system-generators"]);
      await run("ln", ["-sfn", ours, GENERATOR]);
    }
    adaptations.push({
      option: "quadlet",
      action: `qm-quadlet as systemd generator (${installed ?? GENERATOR})`,
      reason: "podman before 4.4 has no quadlet",
    });
  }
  await systemctl(["daemon-reload"]);
  const r = await systemctl(["start", ctx.serviceName], true);
  if (r.code !== 0) {
    throw new QmError("QM_START_FAILED", `systemctl start ${ctx.serviceName} failed: ${r.stderr.trim()}`, {
      hint: `see 'journalctl --no-pager -xu ${ctx.serviceName}'`,
    });
  }
  const containerName = ctx.containerName;
  const state = await inspectContainer(containerName);
  const systemState = o.wait ? await waitBooted(containerName, o.timeoutSec) : null;
  return {
    mode: "systemd",
    action: "started",
    containerName,
    pid: state?.pid ?? 0,
    systemState,
    failedUnits: systemState === "degraded" ? await failedUnits(containerName) : [],
    argv: ctx.service.execStart,
    adaptations,
    ...hostLimits(ctx, facts),
    supervisorPid: null,
    mounted: [],
    seconds: (Date.now() - started) / 1000,
  };
}

export interface StopReport {
  readonly mode: "direct" | "systemd";
  readonly action: "stopped" | "not running";
  readonly removed: readonly string[];
}

export async function stop(o: LifecycleOptions): Promise<StopReport> {
  const ctx = loadContext(o.root);
  const serviceName = ctx.serviceName;
  const rt = runtime(systemdMode(o.root));
  const runState = readRunState(serviceName);
  if (rt.mode === "systemd") {
    await rt.stopPartition(ctx, runState);
    return { mode: "systemd", action: "stopped", removed: [] };
  }
  const dirs = unitCgroupDirs(serviceName).filter((d) => existsSync(d));
  const removed = await rt.stopPartition(ctx, runState);
  if (removed.length === 0 && dirs.length === 0 && !runState)
    return { mode: "direct", action: "not running", removed: [] };
  const left = await removeCgroups(serviceName);
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
  const systemd = systemdMode(o.root);
  const facts = hostFacts(await collectSnapshot({ versions: [], probes: false }));
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
    failedUnits: observation.systemState === "degraded" ? await failedUnits(containerName) : [],
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
  };
}

export async function logs(
  o: Pick<LifecycleOptions, "root">,
  follow: boolean,
  lines: number | undefined,
): Promise<void> {
  const ctx = loadContext(o.root);
  const limit = [...(follow ? ["--follow"] : []), ...(lines ? ["--lines", String(lines)] : [])];
  if (systemdMode(o.root)) {
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
