import { QmError } from "../core/errors.js";
import { run } from "../engine/exec.js";
import { podmanBound } from "../engine/podman.js";

/** What one podman invocation produced. */
export interface PodmanResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface PodmanCallOptions {
  /**
   * The user's own command or copy (exec, execin, cp): it runs as long as it runs. Every other call is bounded by
   * QM_PODMAN_TIMEOUT and fails with QM_PODMAN_UNRESPONSIVE when podman does not answer (its storage locked).
   */
  readonly interactive?: boolean;
}

/**
 * The only way qmctl reaches the container engine. `args` follow the word `podman`, exactly as upstream
 * builds them (e.g. ["exec", "qm", "ls"]); nothing is ever passed through a shell.
 */
export interface Podman {
  /** Run and capture stdout/stderr as text; a non-zero status is a result, not an error. */
  run(args: readonly string[], options?: PodmanCallOptions): Promise<PodmanResult>;
  /** Run with output discarded (upstream's DEVNULL calls); returns the exit status. */
  status(args: readonly string[]): Promise<number>;
}

/**
 * Operands (container names, paths) that podman must never read as options: preceded by "--" when one of them
 * begins with "-". Otherwise nothing is added, so upstream's exact argv is kept for every ordinary name and path.
 * Only for argv tails made of operands alone: everything after "--" is an operand to podman.
 */
export function operands(...values: readonly string[]): string[] {
  return values.some((v) => v.startsWith("-")) ? ["--", ...values] : [...values];
}

/** The podman executable: $QMCTL_PODMAN (tests point it at an isolated store) or `podman` on PATH. */
export function podmanCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.QMCTL_PODMAN || "podman";
}

async function runPodman(
  command: string,
  args: readonly string[],
  interactive: boolean,
): Promise<PodmanResult> {
  try {
    const r = await run(command, args, { allowFailure: true, ...(interactive ? {} : podmanBound()) });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  } catch (error) {
    if (error instanceof QmError && error.code === "QM_PODMAN_UNRESPONSIVE") throw error;
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new QmError("QMCTL_PODMAN", `subprocess.run failed: ${message}`, { cause });
  }
}

export function realPodman(command: string = podmanCommand()): Podman {
  return {
    run: (args, options = {}) => runPodman(command, args, options.interactive === true),
    status: async (args) => (await runPodman(command, args, false)).code,
  };
}
