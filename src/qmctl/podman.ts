import { spawn } from "node:child_process";
import { QmError } from "../core/errors.js";

/** What one podman invocation produced. */
export interface PodmanResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The only way qmctl reaches the container engine. `args` follow the word `podman`, exactly as upstream
 * builds them (e.g. ["exec", "qm", "ls"]); nothing is ever passed through a shell.
 */
export interface Podman {
  /** Run and capture stdout/stderr as text; a non-zero status is a result, not an error. */
  run(args: readonly string[]): Promise<PodmanResult>;
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

function spawnPodman(command: string, args: readonly string[], capture: boolean): Promise<PodmanResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ["ignore", capture ? "pipe" : "ignore", capture ? "pipe" : "ignore"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", (error) => {
      reject(new QmError("QMCTL_PODMAN", `subprocess.run failed: ${error.message}`, { cause: error }));
    });
    child.on("close", (code, signal) => {
      resolve({ code: code ?? (signal ? 128 + 9 : 1), stdout, stderr });
    });
  });
}

export function realPodman(command: string = podmanCommand()): Podman {
  return {
    run: (args) => spawnPodman(command, args, true),
    status: async (args) => (await spawnPodman(command, args, false)).code,
  };
}
