import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { QmError } from "../core/errors.js";
import { siblingBundle } from "../core/paths.js";
import { collectSnapshot } from "../doctor/collect.js";
import { type HostFacts, hostFacts } from "../doctor/facts.js";
import { applyCgroupPlan, cgroupHost, removeCgroupTree, unitCgroupDirs } from "../engine/cgroupfs.js";
import { run } from "../engine/exec.js";
import { underRoot } from "../engine/fs.js";
import { type ContainerState, inspectContainer, podman, podmanProgram } from "../engine/podman.js";
import { type GeneratedService, generateService, loadEffectiveUnit } from "../quadlet/index.js";
import type { Unit } from "../unit/unit.js";
import { planCgroups } from "./cgroup-plan.js";
import { type DirectHost, planDirect } from "./direct-plan.js";
import {
  type Adaptation,
  configHash,
  MACHINE_DEVICES,
  readRunState,
  runStatePath,
  runtimeUnitName,
  writeRunState,
} from "./runstate.js";
import { type ServiceSettings, serviceSettings } from "./service-settings.js";

/**
 * qm start/stop/restart/status/logs. On a host whose PID 1 is systemd they drive qm.service through systemctl; elsewhere
 * (direct mode) qm creates the unit's cgroup, applies the [Service] settings and runs the generated podman command
 * itself, leaving restarts to podman (--restart) and start rate limiting to a prestart hook.
 */

export interface PartitionConfig {
  readonly unit: Unit;
  readonly service: GeneratedService;
  readonly settings: ServiceSettings;
}

export interface LifecycleOptions {
  readonly root: string;
  readonly log: (line: string) => void;
  /** Wait for the partition's systemd to finish booting. */
  readonly wait: boolean;
  readonly timeoutSec: number;
}

const UNIT = "qm.container";

/** The effective qm.container, its generated service and typed [Service] settings; the only description used. */
export function loadPartition(root: string): PartitionConfig {
  const unit = loadEffectiveUnit(root, UNIT);
  const generated = generateService(root, UNIT, MACHINE_DEVICES);
  // Cgroup, cid file and runtime state are named after the unit on this machine (see runtimeUnitName).
  const service = { ...generated, serviceName: runtimeUnitName(root, generated.serviceName) };
  return { unit, service, settings: serviceSettings(unit) };
}

export function systemdMode(root: string): boolean {
  if (root !== "/") return false;
  try {
    return readFileSync("/proc/1/comm", "utf8").trim() === "systemd" && existsSync("/run/systemd/system");
  } catch {
    return false;
  }
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

/** qm's runtime directory on this machine (run state, start limits; podman runs here in direct mode). */
const RUN_DIR = "/run/qm";
const startLimitDir = `${RUN_DIR}/start-limit`;

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
  readonly action: "started" | "already running";
  readonly containerName: string;
  readonly pid: number;
  readonly systemState: string | null;
  readonly failedUnits: readonly string[];
  readonly argv: readonly string[];
  readonly adaptations: readonly Adaptation[];
  readonly seconds: number;
}

export async function start(o: LifecycleOptions): Promise<StartReport> {
  const started = Date.now();
  const config = loadPartition(o.root);
  if (systemdMode(o.root)) return startSystemd(o, config, started);
  // Only what planning needs: podman's version, not every builder's (each --version is a process start).
  const facts = hostFacts(await collectSnapshot({ versions: ["podman"], probes: false }));
  const plan = planDirect(
    config.service,
    config.settings,
    directHost(facts),
    process.env.QM_PODMAN ? podmanProgram() : undefined,
  );
  const existing = await inspectContainer(plan.containerName);
  if (existing?.status === "running") {
    const state = readRunState(config.service.serviceName);
    return {
      mode: "direct",
      action: "already running",
      containerName: plan.containerName,
      pid: existing.pid,
      systemState: await innerState(plan.containerName, false, 10),
      failedUnits: [],
      argv: state?.argv ?? plan.argv,
      adaptations: state?.adaptations ?? plan.adaptations,
      seconds: (Date.now() - started) / 1000,
    };
  }
  const devices = [...config.settings.ioReadIopsMax, ...config.settings.ioWriteIopsMax].map((l) => l.device);
  const cgroups = planCgroups(config.service.serviceName, config.settings, cgroupHost(devices));
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
  if (hookMissing("qm-start-limit.json")) {
    adaptations.push({
      option: "StartLimitBurst=",
      action: "not enforced",
      reason: "the start-limit hook is not installed (run 'qm setup')",
    });
  }
  // A stale container (exited, or left by a killed qm) is replaced by --replace; stale cgroups are reused.
  applyCgroupPlan(cgroups);
  // podman refuses to overwrite the --cidfile of a container that is gone (removed, or left by a killed run).
  rmSync(`/run/${config.service.serviceName.replace(/\.service$/, "")}.cid`, { force: true });
  rmSync(join(startLimitDir, config.service.serviceName), { force: true });
  rmSync(join(startLimitDir, `${config.service.serviceName}.failed`), { force: true });
  o.log(`starting ${config.service.serviceName}: ${plan.argv.join(" ")}`);
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
    await removeCgroups(config.service.serviceName);
    throw new QmError(
      "QM_START_FAILED",
      `podman could not start the partition (exit status ${r.code}):\n${r.stderr.trim().split("\n").slice(-10).join("\n")}`,
      {
        hint: "check 'qm config check' and 'qm doctor'; the command is in --json output",
        details: { argv: plan.argv },
      },
    );
  }
  writeRunState({
    schema: 1,
    mode: "direct",
    serviceName: config.service.serviceName,
    containerName: plan.containerName,
    configHash: configHash(config.service.text),
    argv: plan.argv,
    adaptations,
    startedAt: new Date().toISOString(),
  });
  const state = await inspectContainer(plan.containerName);
  const systemState = o.wait ? await innerState(plan.containerName, true, o.timeoutSec) : null;
  return {
    mode: "direct",
    action: "started",
    containerName: plan.containerName,
    pid: state?.pid ?? 0,
    systemState,
    failedUnits: systemState === "degraded" ? await failedUnits(plan.containerName) : [],
    argv: plan.argv,
    adaptations,
    seconds: (Date.now() - started) / 1000,
  };
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
  config: PartitionConfig,
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
  const r = await systemctl(["start", config.service.serviceName], true);
  if (r.code !== 0) {
    throw new QmError(
      "QM_START_FAILED",
      `systemctl start ${config.service.serviceName} failed: ${r.stderr.trim()}`,
      {
        hint: `see 'journalctl --no-pager -xu ${config.service.serviceName}'`,
      },
    );
  }
  const containerName = config.unit.get("Container", "ContainerName") ?? "systemd-qm";
  const state = await inspectContainer(containerName);
  const systemState = o.wait ? await innerState(containerName, true, o.timeoutSec) : null;
  return {
    mode: "systemd",
    action: "started",
    containerName,
    pid: state?.pid ?? 0,
    systemState,
    failedUnits: systemState === "degraded" ? await failedUnits(containerName) : [],
    argv: config.service.execStart,
    adaptations,
    seconds: (Date.now() - started) / 1000,
  };
}

export interface StopReport {
  readonly mode: "direct" | "systemd";
  readonly action: "stopped" | "not running";
  readonly removed: readonly string[];
}

export async function stop(o: LifecycleOptions): Promise<StopReport> {
  const config = loadPartition(o.root);
  const serviceName = config.service.serviceName;
  if (systemdMode(o.root)) {
    await systemctl(["stop", serviceName]);
    return { mode: "systemd", action: "stopped", removed: [] };
  }
  const runState = readRunState(config.service.serviceName);
  const containerName = runState?.containerName ?? config.unit.get("Container", "ContainerName") ?? "qm";
  const existing = await inspectContainer(containerName);
  const dirs = unitCgroupDirs(serviceName).filter((d) => existsSync(d));
  if (!existing && dirs.length === 0 && !runState)
    return { mode: "direct", action: "not running", removed: [] };
  const removed: string[] = [];
  if (existing) {
    // An explicit stop is never restarted by podman's restart policy.
    await podman(["stop", "--time", "10", containerName], { allowFailure: true });
    await podman(["rm", "--force", "--volumes", containerName], { allowFailure: true });
    removed.push(`container ${containerName}`);
  }
  const left = await removeCgroups(serviceName);
  if (left.length > 0) {
    throw new QmError("QM_STOP_INCOMPLETE", `cgroups still populated after stop: ${left.join(", ")}`, {
      hint: "processes of the partition are still alive; check them with 'cat <cgroup>/cgroup.procs'",
    });
  }
  removed.push(...dirs.map((d) => `cgroup ${d}`));
  const base = serviceName.replace(/\.service$/, "");
  for (const path of [
    runStatePath(serviceName),
    join(RUN_DIR, "oom"),
    `/run/${base}.cid`,
    join(startLimitDir, serviceName),
    join(startLimitDir, `${serviceName}.failed`),
  ]) {
    if (existsSync(path)) {
      rmSync(path, { force: true });
      removed.push(path);
    }
  }
  for (const dir of [startLimitDir, RUN_DIR]) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty or absent
    }
  }
  return { mode: "direct", action: "stopped", removed };
}

export interface StatusReport {
  readonly mode: "direct" | "systemd";
  readonly serviceName: string;
  readonly containerName: string;
  /** stopped, running, failed (exited without being stopped), start-limit-hit */
  readonly state: string;
  readonly systemState: string | null;
  readonly failedUnits: readonly string[];
  readonly pid: number | null;
  readonly startedAt: string | null;
  readonly uptimeSeconds: number | null;
  readonly restarts: number;
  readonly usage: Readonly<Record<string, number | null>>;
  readonly adaptations: readonly Adaptation[];
  readonly restartPending: boolean;
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

export async function status(o: Pick<LifecycleOptions, "root">): Promise<StatusReport> {
  const config = loadPartition(o.root);
  const serviceName = config.service.serviceName;
  const systemd = systemdMode(o.root);
  const runState = readRunState(config.service.serviceName);
  const containerName =
    runState?.containerName ??
    config.unit.get("Container", "ContainerName") ??
    (systemd ? "systemd-qm" : "qm");
  const c: ContainerState | null = await inspectContainer(containerName);
  const running = c?.status === "running";
  let state = running ? "running" : c ? "failed" : "stopped";
  if (!running && existsSync(join(startLimitDir, `${serviceName}.failed`))) state = "start-limit-hit";
  if (systemd) {
    const r = await systemctl(["show", serviceName, "--property=ActiveState,SubState,Result"], true);
    const props = Object.fromEntries(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => l.split("=") as [string, string]),
    );
    state =
      props.Result === "start-limit-hit"
        ? "start-limit-hit"
        : props.ActiveState === "active"
          ? "running"
          : (props.ActiveState ?? state);
  }
  const systemState = running ? await innerState(containerName, false, 10) : null;
  const startedAt = running && c ? c.startedAt : null;
  const hash = configHash(config.service.text);
  return {
    mode: systemd ? "systemd" : "direct",
    serviceName,
    containerName,
    state,
    systemState,
    failedUnits: systemState === "degraded" ? await failedUnits(containerName) : [],
    pid: running && c ? c.pid : null,
    startedAt,
    uptimeSeconds: startedAt ? Math.max(0, (Date.now() - Date.parse(startedAt)) / 1000) : null,
    restarts: c?.restartCount ?? 0,
    usage: running ? cgroupUsage(serviceName) : {},
    adaptations: runState?.adaptations ?? [],
    restartPending: running && runState !== null && runState.configHash !== hash,
  };
}

export async function logs(
  o: Pick<LifecycleOptions, "root">,
  follow: boolean,
  lines: number | undefined,
): Promise<void> {
  const config = loadPartition(o.root);
  const limit = [...(follow ? ["--follow"] : []), ...(lines ? ["--lines", String(lines)] : [])];
  if (systemdMode(o.root)) {
    await run("journalctl", ["--no-pager", "--unit", config.service.serviceName, ...limit], {
      inherit: true,
    });
    return;
  }
  const containerName =
    readRunState(config.service.serviceName)?.containerName ??
    config.unit.get("Container", "ContainerName") ??
    "qm";
  if ((await inspectContainer(containerName))?.status === "running") {
    // The partition's own journal: what its systemd and services logged since it booted.
    await podman(["exec", containerName, "journalctl", "--no-pager", "--boot", ...limit], { inherit: true });
    return;
  }
  // Not running: the console output podman kept from its last run.
  const tail = [...(follow ? ["--follow"] : []), ...(lines ? ["--tail", String(lines)] : [])];
  await podman(["logs", ...tail, containerName], { inherit: true, allowFailure: true });
}
