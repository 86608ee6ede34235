import { type RunOptions, type RunResult, run } from "./exec.js";

/**
 * The podman qm drives. QM_PODMAN names another executable with podman's interface: a wrapper that pins storage
 * and configuration (tests, benchmarks) or a podman at another path.
 */
export function podmanProgram(): string {
  return process.env.QM_PODMAN ?? "podman";
}

export function podman(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run(podmanProgram(), args, options);
}

export interface ContainerState {
  readonly id: string;
  readonly status: string;
  readonly pid: number;
  /** conmon's PID (0 when podman records none). */
  readonly conmonPid: number;
  readonly startedAt: string;
  readonly restartCount: number;
  readonly exitCode: number;
  readonly error: string;
}

/** `podman container inspect`, or null when the container does not exist. */
export async function inspectContainer(name: string): Promise<ContainerState | null> {
  const r = await podman(["container", "inspect", "--format", "json", name], { allowFailure: true });
  if (r.code !== 0) return null;
  const [c] = JSON.parse(r.stdout) as {
    Id: string;
    RestartCount?: number;
    State: {
      Status: string;
      Pid: number;
      ConmonPid?: number;
      StartedAt: string;
      ExitCode: number;
      Error?: string;
    };
  }[];
  if (!c) return null;
  return {
    id: c.Id,
    status: c.State.Status,
    pid: c.State.Pid,
    conmonPid: c.State.ConmonPid ?? 0,
    startedAt: c.State.StartedAt,
    restartCount: c.RestartCount ?? 0,
    exitCode: c.State.ExitCode,
    error: c.State.Error ?? "",
  };
}
