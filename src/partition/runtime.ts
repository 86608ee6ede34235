import type { ProcessIdentity } from "../engine/host.js";
import type { ContainerState } from "../engine/podman.js";
import type { PartitionContext } from "./context.js";
import type { Observation, ProcessObservation } from "./health.js";
import type { RunState } from "./runstate.js";

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
}

export interface SystemctlPort {
  /** Properties of a unit (`systemctl show`). */
  show(unit: string, properties: readonly string[]): Promise<Readonly<Record<string, string>>>;
  stop(unit: string): Promise<void>;
}

export interface ProcessPort {
  /** Alive and not a zombie. */
  alive(pid: number): boolean;
  oomScoreAdj(pid: number): number | null;
  kill(pid: number): void;
}

export interface SupervisorPort {
  alive(identity: ProcessIdentity | undefined): boolean;
  /** End it (after the step in progress); false when it was not running. */
  stop(identity: ProcessIdentity | undefined): Promise<boolean>;
}

export interface FilesPort {
  exists(path: string): boolean;
}

export interface Ports {
  readonly podman: PodmanPort;
  readonly systemctl: SystemctlPort;
  readonly processes: ProcessPort;
  readonly supervisor: SupervisorPort;
  readonly files: FilesPort;
}

/** What `qm status` saw: the verdict's input, and the container as podman records it. */
export interface Seen {
  readonly observation: Observation;
  readonly container: ContainerState | null;
}

export interface Runtime {
  readonly mode: "direct" | "systemd";
  /** Look at the partition: podman's record, /proc, the partition's systemd, the supervisor or systemd. */
  observe(ctx: PartitionContext, recorded: RunState | null): Promise<Seen>;
  /** Stop the partition's processes and remove its container; what was stopped, for the report. */
  stopPartition(ctx: PartitionContext, recorded: RunState | null): Promise<string[]>;
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
      const { c, init, conmon, asked } = await look(ports, recorded?.containerName ?? ctx.containerName);
      return {
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
    async stopPartition(ctx, recorded) {
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
    },
  };
}

export function systemdRuntime(ports: Ports): Runtime {
  return {
    mode: "systemd",
    async observe(ctx) {
      const props = await ports.systemctl.show(ctx.serviceName, ["ActiveState", "SubState", "Result"]);
      const limitHit = props.Result === "start-limit-hit";
      const { c, init, conmon, asked } = await look(ports, ctx.containerName);
      return {
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
    async stopPartition(ctx) {
      await ports.systemctl.stop(ctx.serviceName);
      return [];
    },
  };
}
