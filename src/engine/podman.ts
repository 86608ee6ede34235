import { QmError } from "../core/errors.js";
import { quoteArgv, type RunOptions, type RunResult, run } from "./exec.js";

/**
 * The podman qm drives. QM_PODMAN names another executable with podman's interface: a wrapper that pins storage
 * and configuration (tests, benchmarks) or a podman at another path.
 */
export function podmanProgram(): string {
  return process.env.QM_PODMAN ?? "podman";
}

export interface PodmanOptions extends Omit<RunOptions, "timeoutMs"> {
  /**
   * Seconds the command may take by design before podman answers, on top of QM_PODMAN_TIMEOUT: a `podman stop
   * --time N` waits up to N s for the partition to end.
   */
  readonly workSec?: number;
  /**
   * Its own bound instead, for a question whose silence has another cause than podman (the partition's systemd that
   * does not answer): the caller gets the result with `timedOut` (or run()'s error) and judges it.
   */
  readonly timeoutMs?: number;
  /**
   * A person's own command or output (`qm logs`, qmctl's exec, execin and cp): it runs as long as it runs and is
   * never cut. Everything else qm waits on is bounded.
   */
  readonly interactive?: boolean;
}

/**
 * Run podman. Unless `interactive`, within QM_PODMAN_TIMEOUT (plus `workSec`): a podman that does not answer in time
 * (another process holds a lock on its storage) is stopped, SIGTERM then SIGKILL, and the call fails with
 * QM_PODMAN_UNRESPONSIVE (exit 5) instead of holding qm for as long as the lock is held.
 */
export function podman(args: readonly string[], options: PodmanOptions = {}): Promise<RunResult> {
  const { workSec = 0, interactive = false, ...rest } = options;
  if (interactive || options.timeoutMs !== undefined) return run(podmanProgram(), args, rest);
  return run(podmanProgram(), args, { ...rest, ...podmanBound(workSec) });
}

/**
 * The one bound on a podman call qm waits on: QM_PODMAN_TIMEOUT plus `workSec`, past which podman is stopped (SIGTERM,
 * then SIGKILL) and the call fails with QM_PODMAN_UNRESPONSIVE. Used by podman() and by qmctl's podman port.
 */
export function podmanBound(workSec = 0): Required<Pick<RunOptions, "timeoutMs" | "timeoutError">> {
  const baseMs = podmanTimeoutMs();
  return {
    timeoutMs: baseMs + workSec * 1000,
    timeoutError: (argv) => unresponsive(argv, baseMs, workSec),
  };
}

function unresponsive(argv: readonly string[], baseMs: number, workSec: number): QmError {
  const within =
    workSec > 0
      ? `${workSec + baseMs / 1000} s (${workSec} s for the command itself plus QM_PODMAN_TIMEOUT, ${baseMs / 1000} s)`
      : `${baseMs / 1000} s`;
  return new QmError(
    "QM_PODMAN_UNRESPONSIVE",
    `podman did not answer within ${within} (${quoteArgv(argv)}): another process may hold a lock on its storage, so the partition's state is unknown`,
    {
      hint: "'lslocks' shows which process holds podman's libpod/bolt_state.db or a *.lock file of its storage; QM_PODMAN_TIMEOUT sets the wait in seconds",
    },
  );
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
  /** The host directory given as --rootfs ("" for a container from an image). */
  readonly rootfs: string;
}

/** How long qm waits for podman to answer a question (QM_PODMAN_TIMEOUT, seconds; 30 by default). */
export function podmanTimeoutMs(): number {
  const text = process.env.QM_PODMAN_TIMEOUT;
  if (text === undefined || text === "") return 30_000;
  const seconds = Number(text);
  // At most a day: Node's timers hold 24.8 days at most and fire at once beyond that.
  if (!/^\d+(\.\d+)?$/.test(text) || seconds <= 0 || seconds > 86_400) {
    throw new QmError(
      "QM_USAGE",
      `QM_PODMAN_TIMEOUT must be a number of seconds greater than 0 and at most 86400, not '${text}'`,
    );
  }
  return seconds * 1000;
}

/**
 * `podman container inspect`, or null when the container does not exist. Every lifecycle command asks this first, so
 * a podman that cannot answer (another process holds its storage's lock) ends the command with an error that says
 * so, instead of a status guessed from silence or a command that never returns.
 */
export async function inspectContainer(name: string): Promise<ContainerState | null> {
  const r = await podman(["container", "inspect", "--format", "json", name], { allowFailure: true });
  if (r.code !== 0) return null;
  const [c] = JSON.parse(r.stdout) as {
    Id: string;
    RestartCount?: number;
    Rootfs?: string;
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
    rootfs: c.Rootfs ?? "",
  };
}
