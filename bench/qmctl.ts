/**
 * qmctl's overhead, each against a baseline measured in the same run:
 *   - `qmctl exec true` vs `podman exec qm true` (same isolated store and container);
 *   - `qmctl --help` vs `node -e 0` (start-up cost of the bundled executable).
 * Prints medians and ratios. Needs root, podman, runc and busybox (see src/qmctl/testing/sandbox.ts).
 *
 *   node build/bench/qmctl.js [ITERATIONS]
 */
import { spawnSync } from "node:child_process";
import { createSandbox, sandboxSkipReason } from "../src/qmctl/testing/sandbox.js";
import { distBin } from "../test/helpers.js";

const iterations = Number(process.argv[2] ?? 20);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Median wall time in ms; every run must succeed, or the numbers would measure an error path. */
function time(label: string, file: string, args: readonly string[], env: NodeJS.ProcessEnv): number {
  const samples: number[] = [];
  for (let i = 0; i < iterations + 2; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(file, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${label} failed (${r.status}): ${r.stderr}`);
    if (i >= 2) samples.push(ms); // the first runs warm caches
  }
  return median(samples);
}

function row(label: string, ms: number): string {
  return `${label.padEnd(28)} ${ms.toFixed(1).padStart(8)} ms`;
}

const skip = sandboxSkipReason();
if (skip) {
  process.stdout.write(`qmctl bench skipped: ${skip}\n`);
} else {
  const sb = createSandbox("qm");
  try {
    const qmctl = distBin("qmctl");
    const execQmctl = time("qmctl exec true", process.execPath, [qmctl, "exec", "true"], sb.env);
    const execPodman = time("podman exec qm true", sb.podman, ["exec", "qm", "true"], sb.env);
    const help = time("qmctl --help", process.execPath, [qmctl, "--help"], sb.env);
    const node = time("node -e 0", process.execPath, ["-e", "0"], sb.env);
    process.stdout.write(
      [
        `qmctl bench (${iterations} runs each, medians)`,
        row("qmctl exec true", execQmctl),
        row("podman exec qm true", execPodman),
        `ratio exec: ${(execQmctl / execPodman).toFixed(2)}x`,
        row("qmctl --help", help),
        row("node -e 0", node),
        `ratio start-up: ${(help / node).toFixed(2)}x (+${(help - node).toFixed(1)} ms)`,
        "",
      ].join("\n"),
    );
  } finally {
    sb.cleanup();
  }
}
