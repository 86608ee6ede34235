import { QmError } from "../core/errors.js";
import { underRoot } from "../engine/fs.js";
import type { ProcessIdentity } from "../engine/host.js";
import type { ContainerState } from "../engine/podman.js";
import { HOST_PODMAN_QUADLETS } from "../rootfs/source.js";
import type { BluechiStatus } from "./bluechi-status.js";
import type { VarMount } from "./bounded-var.js";
import { type CgroupHost, type CgroupPlan, planCgroups } from "./cgroup-plan.js";
import { type PartitionContext, RUN_DIR, START_LIMIT_DIR } from "./context.js";
import { type DirectHost, planDirect } from "./direct-plan.js";
import type { HostLimits, Observation, ProcessObservation } from "./health.js";
import type { Adaptation, RunState } from "./runstate.js";
import { type SuperviseOptions, supervisedPolicy } from "./supervisor.js";
import type { VarStatus } from "./var-image.js";

/**
 * The two ways a partition runs, behind one interface: systemd runs qm.service on a systemd host; qm and its
 * supervisor run it directly elsewhere. What they do to the host goes through ports, so the orchestration is tested
 * with fakes (runtime.test.ts) and the real adapters (real-ports.ts) hold no logic.
 */

export interface PodmanPort {
  inspect(container: string): Promise<ContainerState | null>;
  /** `systemctl is-system-running` in the partition: its answer, or null with the reason. */
  systemState(container: string): Promise<{ state: string | null; error: string | null }>;
  stop(container: string, timeoutSec: number): Promise<void>;
  remove(container: string): Promise<void>;
  /** Run the partition's podman command at `oomScoreAdjust` (as systemd applies OOMScoreAdjust= to ExecStart=). */
  run(argv: readonly string[], oomScoreAdjust: number): Promise<{ code: number; stderr: string }>;
  /** Remove what a failed start left, without waiting. */
  discard(container: string): Promise<void>;
  /** The units that failed in the partition. */
  failedUnits(container: string): Promise<string[]>;
  /** The partition as a BlueChi node: its agent, and this host's controller's view (null: no answer). */
  bluechi(container: string): Promise<BluechiStatus | null>;
  /** The partition's own journal since it booted (journalctl in it, with `args`), on qm's terminal. */
  journal(container: string, args: readonly string[]): Promise<void>;
  /** The console output podman kept of the container's last run (podman logs, with `args`), on qm's terminal. */
  consoleLog(container: string, args: readonly string[]): Promise<void>;
}

export interface SystemctlPort {
  /** Properties of a unit (`systemctl show`). */
  show(unit: string, properties: readonly string[]): Promise<Readonly<Record<string, string>>>;
  stop(unit: string): Promise<void>;
  daemonReload(): Promise<void>;
  start(unit: string): Promise<{ code: number; stderr: string }>;
  /** The unit's journal on the host (journalctl, with `args`), on qm's terminal. */
  journal(unit: string, args: readonly string[]): Promise<void>;
}

export interface ProcessPort {
  /** Alive and not a zombie. */
  alive(pid: number): boolean;
  oomScoreAdj(pid: number): number | null;
  kill(pid: number): void;
  /** Whether the kernel's OOM killer killed this PID (the kernel log says so); null when the log cannot be read. */
  oomKilled(pid: number): boolean | null;
}

export interface SupervisorPort {
  alive(identity: ProcessIdentity | undefined): boolean;
  /** End it (after the step in progress); false when it was not running. */
  stop(identity: ProcessIdentity | undefined): Promise<boolean>;
  /** Start one, detached; who it is (null when it could not be started). */
  start(o: SuperviseOptions, policy: "always" | "on-failure"): ProcessIdentity | null;
}

export interface FilesPort {
  exists(path: string): boolean;
  /** Whether there is an entry at `path`, a symbolic link not followed. */
  present(path: string): boolean;
  /** The file's text, or null when it cannot be read. */
  read(path: string): string | null;
  remove(path: string): void;
  /** Remove a directory when it is empty. */
  removeEmptyDir(path: string): void;
  /** A symbolic link at `path` to `target`, its directory created. */
  link(target: string, path: string): Promise<void>;
  readRunState(serviceName: string): RunState | null;
  writeRunState(state: RunState): void;
}

export interface CgroupsPort {
  /** What planCgroups needs to know about this host (the devices' numbers for IO*IOPSMax=). */
  host(devices: readonly string[]): CgroupHost;
  apply(plan: CgroupPlan): void;
  /** Remove the unit's cgroups once; the directories still populated. */
  remove(serviceName: string): string[];
  /** The unit's cgroup directories that exist. */
  dirs(serviceName: string): string[];
  /** What the unit's cgroup uses and may use: memory, tasks, CPU time (null where unknown or unlimited). */
  usage(serviceName: string): Record<string, number | null>;
}

export interface MountsPort {
  /** The mount unit qm setup wrote for a path the unit requires (RequiresMountsFor=), or null. */
  unitFor(root: string, path: string): VarMount | null;
  mount(what: string, where: string): Promise<"mounted" | "already" | "other">;
  /** The partition's /var: `source` (or the mount unit's mount point), bounded or not, how full. */
  varStatus(source: string | null, unit: VarMount | null): VarStatus;
}

export interface ClockPort {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface Ports {
  readonly podman: PodmanPort;
  readonly systemctl: SystemctlPort;
  readonly processes: ProcessPort;
  readonly supervisor: SupervisorPort;
  readonly files: FilesPort;
  readonly cgroups: CgroupsPort;
  readonly mounts: MountsPort;
  readonly clock: ClockPort;
}

/** What `qm status` saw: the verdict's input, and the container as podman records it. */
export interface Seen {
  /** The container looked at: the recorded one in direct mode, the configured one under systemd. */
  readonly containerName: string;
  readonly observation: Observation;
  readonly container: ContainerState | null;
}

export interface Runtime {
  readonly mode: "direct" | "systemd";
  /** Look at the partition: podman's record, /proc, the partition's systemd, the supervisor or systemd. */
  observe(ctx: PartitionContext, recorded: RunState | null): Promise<Seen>;
  /** Stop the partition and remove its container (direct mode: also its cgroups and runtime files). */
  stop(ctx: PartitionContext): Promise<StopReport>;
  start(ctx: PartitionContext, input: StartInput): Promise<StartReport>;
  /** Show the partition's journal (its console output when it does not run) on qm's terminal. */
  logs(ctx: PartitionContext, o: LogsOptions): Promise<void>;
}

export interface StopReport {
  readonly mode: "direct" | "systemd";
  readonly action: "stopped" | "not running";
  readonly removed: readonly string[];
}

export interface LogsOptions {
  readonly follow: boolean;
  /** Only the last lines; all when undefined. */
  readonly lines: number | undefined;
}

export interface StartInput {
  /** When qm start began (the clock's milliseconds). */
  readonly started: number;
  /** Wait for the partition's systemd to finish booting, up to timeoutSec. */
  readonly wait: boolean;
  readonly timeoutSec: number;
  readonly log: (line: string) => void;
  /** Direct mode: this host, for adapting the generated podman command. */
  readonly host: DirectHost;
  /** Direct mode: the podman program to run instead of the one the unit names (QM_PODMAN). */
  readonly podman: string | undefined;
  /** systemd mode: qm-quadlet next to qm, the generator where podman has no quadlet. */
  readonly qmQuadlet: string | null;
  readonly limits: HostLimits;
}

export interface StartReport extends HostLimits {
  readonly mode: "direct" | "systemd";
  readonly action: "started" | "already running" | "supervision resumed";
  readonly containerName: string;
  readonly pid: number;
  readonly systemState: string | null;
  readonly failedUnits: readonly string[];
  readonly argv: readonly string[];
  readonly adaptations: readonly Adaptation[];
  /** Direct mode: the supervisor's PID (null when Restart= asks for none). */
  readonly supervisorPid: number | null;
  /** Direct mode: filesystems qm start mounted for RequiresMountsFor= (the bounded /var), with the time it took. */
  readonly mounted: readonly { readonly what: string; readonly where: string; readonly seconds: number }[];
  readonly seconds: number;
}

function processOf(ports: Ports, pid: number | undefined): ProcessObservation | null {
  if (!pid || pid <= 0) return null;
  return { pid, alive: ports.processes.alive(pid), oomScoreAdj: ports.processes.oomScoreAdj(pid) };
}

async function look(ports: Ports, container: string) {
  const c = await ports.podman.inspect(container);
  const init = processOf(ports, c?.pid);
  const conmon = processOf(ports, c?.conmonPid);
  // Ask the partition's systemd only where there is one to ask: podman exec into a dead init only fails slowly.
  const asked = c?.status === "running" && init?.alive ? await ports.podman.systemState(container) : null;
  return { c, init, conmon, asked };
}

export function directRuntime(ports: Ports): Runtime {
  return {
    mode: "direct",
    async observe(ctx, recorded) {
      const containerName = recorded?.containerName ?? ctx.containerName;
      // Below another root only qm start starts the partition: without its record, a container of that name belongs
      // to another root (on / it may be the partition `podman restart qm` or a person started).
      const { c, init, conmon, asked } =
        recorded === null && ctx.root !== "/"
          ? { c: null, init: null, conmon: null, asked: null }
          : await look(ports, containerName);
      return {
        containerName,
        container: c,
        observation: {
          mode: "direct",
          recorded: recorded !== null,
          podmanStatus: c?.status ?? null,
          exitCode: c ? c.exitCode : null,
          init,
          conmon,
          systemState: asked?.state ?? null,
          systemError: asked?.error ?? null,
          supervisorAlive: recorded === null ? null : ports.supervisor.alive(recorded.supervisor),
          startLimitHit: ports.files.exists(ctx.paths.startLimitHit),
          activeState: null,
          oomKills: null,
        },
      };
    },
    async stop(ctx) {
      const recorded = ports.files.readRunState(ctx.serviceName);
      const dirs = ports.cgroups.dirs(ctx.serviceName);
      const removed = await stopDirect(ports, ctx, recorded);
      if (removed.length === 0 && dirs.length === 0 && !recorded)
        return { mode: "direct", action: "not running", removed: [] };
      const left = await removeCgroups(ports, ctx.serviceName);
      if (left.length > 0) {
        throw new QmError("QM_STOP_INCOMPLETE", `cgroups still populated after stop: ${left.join(", ")}`, {
          hint: "processes of the partition are still alive; check them with 'cat <cgroup>/cgroup.procs'",
        });
      }
      removed.push(...dirs.map((d) => `cgroup ${d}`));
      const { runState, cidFile, startLimitRecord, startLimitHit, supervisorLog } = ctx.paths;
      for (const path of [
        runState,
        `${RUN_DIR}/oom`,
        cidFile,
        startLimitRecord,
        startLimitHit,
        supervisorLog,
      ]) {
        if (!ports.files.exists(path)) continue;
        ports.files.remove(path);
        removed.push(path);
      }
      for (const dir of [START_LIMIT_DIR, RUN_DIR]) ports.files.removeEmptyDir(dir);
      return { mode: "direct", action: "stopped", removed };
    },
    start: (ctx, input) => startDirect(ports, ctx, input),
    async logs(ctx, o) {
      const container = ports.files.readRunState(ctx.serviceName)?.containerName ?? ctx.containerName;
      if ((await ports.podman.inspect(container))?.status === "running") {
        // The partition's own journal: what its systemd and services logged since it booted.
        await ports.podman.journal(container, journalLimit(o));
        return;
      }
      // Not running: the console output podman kept from its last run.
      const tail = [...(o.follow ? ["--follow"] : []), ...(o.lines ? ["--tail", String(o.lines)] : [])];
      await ports.podman.consoleLog(container, tail);
    },
  };
}

const journalLimit = (o: LogsOptions): string[] => [
  ...(o.follow ? ["--follow"] : []),
  ...(o.lines ? ["--lines", String(o.lines)] : []),
];

/** Stop the partition's processes and remove its container; what was stopped, for the report. */
async function stopDirect(ports: Ports, ctx: PartitionContext, recorded: RunState | null): Promise<string[]> {
  const container = recorded?.containerName ?? ctx.containerName;
  // Nothing is touched until podman answers: a podman that cannot (its storage locked) ends the stop here, with
  // the partition and its supervisor as they were.
  await ports.podman.inspect(container);
  // Then the supervisor, so that nothing starts the partition again while it stops.
  const stopped = (await ports.supervisor.stop(recorded?.supervisor))
    ? [`supervisor (pid ${recorded?.supervisor?.pid})`]
    : [];
  const c = await ports.podman.inspect(container);
  if (!c) return stopped;
  // A partition whose conmon is gone cannot be stopped through podman: its init goes first, and with it every
  // process of its PID namespace.
  if (ports.processes.alive(c.pid) && !ports.processes.alive(c.conmonPid)) ports.processes.kill(c.pid);
  await ports.podman.stop(container, 10);
  await ports.podman.remove(container);
  return [...stopped, `container ${container}`];
}

export function systemdRuntime(ports: Ports): Runtime {
  return {
    mode: "systemd",
    async observe(ctx) {
      const props = await ports.systemctl.show(ctx.serviceName, ["ActiveState", "SubState", "Result"]);
      const limitHit = props.Result === "start-limit-hit";
      const { c, init, conmon, asked } = await look(ports, ctx.containerName);
      return {
        containerName: ctx.containerName,
        container: c,
        observation: {
          mode: "systemd",
          recorded: limitHit || (props.ActiveState !== undefined && props.ActiveState !== "inactive"),
          podmanStatus: c?.status ?? null,
          exitCode: c ? c.exitCode : null,
          init,
          conmon,
          systemState: asked?.state ?? null,
          systemError: asked?.error ?? null,
          supervisorAlive: null,
          startLimitHit: limitHit,
          activeState: props.ActiveState ?? null,
          oomKills: null,
        },
      };
    },
    async stop(ctx) {
      await ports.systemctl.stop(ctx.serviceName);
      return { mode: "systemd", action: "stopped", removed: [] };
    },
    start: (ctx, input) => startSystemd(ports, ctx, input),
    async logs(ctx, o) {
      await ports.systemctl.journal(ctx.serviceName, journalLimit(o));
    },
  };
}

/**
 * qm restart: stop, then start, one context for both (loaded and validated before anything stopped). The start's
 * input is made once the stop is done, so that its time counts from there.
 */
export async function restartPartition(
  rt: Runtime,
  ctx: PartitionContext,
  input: () => StartInput,
): Promise<{ stopped: StopReport; started: StartReport }> {
  const stopped = await rt.stop(ctx);
  return { stopped, started: await rt.start(ctx, input()) };
}

/** States in which the partition's systemd has finished booting (systemctl is-system-running). */
const BOOTED = new Set(["running", "degraded", "maintenance", "stopping", "offline"]);

/**
 * Wait until the partition's systemd has booted (right after start it may not answer on its bus yet); a partition
 * that has not within the timeout is an error.
 */
async function waitBooted(ports: Ports, container: string, timeoutSec: number): Promise<string> {
  const deadline = ports.clock.now() + timeoutSec * 1000;
  let last = (await ports.podman.systemState(container)).state;
  while ((last === null || !BOOTED.has(last)) && ports.clock.now() <= deadline) {
    await ports.clock.sleep(50);
    last = (await ports.podman.systemState(container)).state;
  }
  if (last !== null && BOOTED.has(last)) return last;
  throw new QmError(
    "QM_START_TIMEOUT",
    `the partition's systemd did not finish booting within ${timeoutSec} s (last state: ${last ?? "no answer"})`,
    {
      hint: "the partition was started and is left as it is: see 'qm status' and 'qm logs'; 'qm stop' stops it",
    },
  );
}

/** The report of a partition just started: its init, then (unless --no-wait) its systemd once booted. */
async function started(
  ports: Ports,
  ctx: PartitionContext,
  input: StartInput,
  how: Pick<StartReport, "mode" | "argv" | "adaptations" | "supervisorPid" | "mounted">,
): Promise<StartReport> {
  const container = ctx.containerName;
  const inspected = await ports.podman.inspect(container);
  const systemState = input.wait ? await waitBooted(ports, container, input.timeoutSec) : null;
  const failedUnits = systemState === "degraded" ? await ports.podman.failedUnits(container) : [];
  return {
    mode: how.mode,
    action: "started",
    containerName: container,
    pid: inspected?.pid ?? 0,
    systemState,
    failedUnits,
    argv: how.argv,
    adaptations: how.adaptations,
    ...input.limits,
    supervisorPid: how.supervisorPid,
    mounted: how.mounted,
    seconds: (ports.clock.now() - input.started) / 1000,
  };
}

/** Remove the unit's cgroups, waiting up to 5 s for their last processes to leave; the ones still populated. */
async function removeCgroups(ports: Ports, serviceName: string): Promise<string[]> {
  let left: string[] = [];
  for (let i = 0; i < 50; i++) {
    left = ports.cgroups.remove(serviceName);
    if (left.length === 0) return [];
    await ports.clock.sleep(100);
  }
  return left;
}

/**
 * Direct mode's RequiresMountsFor=: each path the unit names that has a mount unit qm setup wrote (the bounded /var)
 * is mounted before the partition starts, as systemd would. Below another root, the unit's paths are in that root.
 */
async function mountRequired(ports: Ports, ctx: PartitionContext, log: (line: string) => void) {
  const mounted: { what: string; where: string; seconds: number }[] = [];
  for (const path of ctx.unit.words("Unit", "RequiresMountsFor")) {
    const unit = ports.mounts.unitFor(ctx.root, path);
    if (unit === null) continue;
    const t = ports.clock.now();
    if ((await ports.mounts.mount(unit.what, unit.where)) !== "mounted") continue;
    mounted.push({ what: unit.what, where: unit.where, seconds: (ports.clock.now() - t) / 1000 });
    log(`mounted ${unit.what} on ${unit.where}`);
  }
  return mounted;
}

function runStateOf(
  ctx: PartitionContext,
  argv: readonly string[],
  adaptations: readonly Adaptation[],
  now: number,
): RunState {
  return {
    schema: 1,
    mode: "direct",
    serviceName: ctx.serviceName,
    containerName: ctx.containerName,
    configHash: ctx.configHash,
    argv,
    adaptations,
    startedAt: new Date(now).toISOString(),
    sources: ctx.sources,
  };
}

async function startDirect(ports: Ports, ctx: PartitionContext, input: StartInput): Promise<StartReport> {
  const plan = planDirect(ctx.service, ctx.settings, input.host, input.podman);
  const policy = supervisedPolicy(ctx.settings.restart);
  const supervise = (argv: readonly string[], p: "always" | "on-failure") =>
    ports.supervisor.start(
      {
        serviceName: ctx.serviceName,
        containerName: ctx.containerName,
        settings: ctx.settings,
        oomScoreAdjust: plan.oomScoreAdjust,
        cidFile: ctx.paths.cidFile,
        argv,
      },
      p,
    );
  const recorded = ports.files.readRunState(ctx.serviceName);
  const existing = await ports.podman.inspect(ctx.containerName);
  const p = ports.processes;
  if (existing?.status === "running" && p.alive(existing.pid) && p.alive(existing.conmonPid)) {
    // Running: make sure something supervises it (a qm start killed before it started the supervisor left none).
    const resume = policy !== null && !ports.supervisor.alive(recorded?.supervisor);
    const argv = recorded?.argv ?? plan.argv;
    const supervisor = resume && policy ? supervise(argv, policy) : (recorded?.supervisor ?? null);
    // Recorded, so that qm stop ends the supervisor (a partition started by other means gets a record here).
    if (resume)
      ports.files.writeRunState({
        ...(recorded ?? runStateOf(ctx, argv, plan.adaptations, ports.clock.now())),
        ...(supervisor ? { supervisor } : {}),
      });
    return {
      mode: "direct",
      action: resume ? "supervision resumed" : "already running",
      containerName: ctx.containerName,
      pid: existing.pid,
      systemState: (await ports.podman.systemState(ctx.containerName)).state,
      failedUnits: [],
      argv,
      adaptations: recorded?.adaptations ?? plan.adaptations,
      ...input.limits,
      supervisorPid: supervisor?.pid ?? null,
      mounted: [],
      seconds: (ports.clock.now() - input.started) / 1000,
    };
  }
  // Dead but recorded, or never started: whatever supervises the dead one finishes its step and ends; what is left
  // of the old partition goes, then a clean start (--replace removes the old container).
  await ports.supervisor.stop(recorded?.supervisor);
  if (existing && p.alive(existing.pid)) p.kill(existing.pid);
  // Before anything of the partition exists: a /var that cannot be mounted leaves nothing behind.
  const mounted = await mountRequired(ports, ctx, input.log);
  const devices = [...ctx.settings.ioReadIopsMax, ...ctx.settings.ioWriteIopsMax].map((l) => l.device);
  const cgroups = planCgroups(ctx.serviceName, ctx.settings, ports.cgroups.host(devices));
  const adaptations = [...plan.adaptations, ...cgroups.adaptations];
  const hook = underRoot(ctx.root, "/usr/share/containers/oci/hooks.d/qm-partition-cgroups.json");
  if (cgroups.dirs.length > 1 && !ports.files.exists(hook)) {
    adaptations.push({
      option: "cgroup v1 delegation",
      action: "not available",
      reason: "the hook is not installed (run 'qm setup'): nested containers cannot run",
    });
  }
  // Stale cgroups are reused.
  ports.cgroups.apply(cgroups);
  // podman refuses to overwrite the --cidfile of a container that is gone (removed, or left by a killed run).
  const { cidFile, startLimitHit, startLimitRecord, supervisorLog } = ctx.paths;
  for (const path of [cidFile, startLimitHit, startLimitRecord, supervisorLog]) ports.files.remove(path);
  const state = runStateOf(ctx, plan.argv, adaptations, ports.clock.now());
  // Recorded before podman runs: a qm start killed from here on leaves a partition that qm status and qm stop know.
  ports.files.writeRunState(state);
  input.log(`starting ${ctx.serviceName}: ${plan.argv.join(" ")}`);
  const r = await ports.podman.run(plan.argv, plan.oomScoreAdjust ?? 0);
  if (r.code !== 0) {
    // A failed start leaves nothing behind: podman may have got as far as a container before it failed or was killed.
    await ports.podman.discard(ctx.containerName);
    await removeCgroups(ports, ctx.serviceName);
    ports.files.remove(ctx.paths.runState);
    throw new QmError(
      "QM_START_FAILED",
      `podman could not start the partition (exit status ${r.code}):\n${r.stderr.trim().split("\n").slice(-10).join("\n")}`,
      {
        hint: "check 'qm config check' and 'qm doctor'; the command is in --json output",
        details: { argv: plan.argv },
      },
    );
  }
  const supervisor = policy === null ? null : supervise(plan.argv, policy);
  if (supervisor) ports.files.writeRunState({ ...state, supervisor });
  return started(ports, ctx, input, {
    mode: "direct",
    argv: plan.argv,
    adaptations,
    supervisorPid: supervisor?.pid ?? null,
    mounted,
  });
}

/** Where systemd runs generators from; our generator goes here when podman has no quadlet. */
const GENERATOR = "/etc/systemd/system-generators/qm-quadlet-generator";
/** Where `make install` and the packages put the generator (it steps aside where podman has quadlet). */
const INSTALLED_GENERATORS = [
  "/usr/lib/systemd/system-generators/qm-quadlet-generator",
  "/lib/systemd/system-generators/qm-quadlet-generator",
  "/usr/local/lib/systemd/system-generators/qm-quadlet-generator",
];

async function startSystemd(ports: Ports, ctx: PartitionContext, input: StartInput): Promise<StartReport> {
  const adaptations: Adaptation[] = [];
  if (!HOST_PODMAN_QUADLETS.some((p) => ports.files.exists(p))) {
    if (!input.qmQuadlet)
      throw new QmError(
        "QM_START_FAILED",
        "podman has no quadlet and qm-quadlet is not installed next to qm",
      );
    const installed = INSTALLED_GENERATORS.find((p) => ports.files.exists(p));
    if (!installed && !ports.files.exists(GENERATOR)) await ports.files.link(input.qmQuadlet, GENERATOR);
    adaptations.push({
      option: "quadlet",
      action: `qm-quadlet as systemd generator (${installed ?? GENERATOR})`,
      reason: "podman before 4.4 has no quadlet",
    });
  }
  await ports.systemctl.daemonReload();
  const r = await ports.systemctl.start(ctx.serviceName);
  if (r.code !== 0) {
    throw new QmError("QM_START_FAILED", `systemctl start ${ctx.serviceName} failed: ${r.stderr.trim()}`, {
      hint: `see 'journalctl --no-pager -xu ${ctx.serviceName}'`,
    });
  }
  return started(ports, ctx, input, {
    mode: "systemd",
    argv: ctx.service.execStart,
    adaptations,
    supervisorPid: null,
    mounted: [],
  });
}
