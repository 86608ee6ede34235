/**
 * `qm start` until the partition's systemd has booted, against the same `podman run` typed by hand (the command
 * qm generated, without qm's validation, cgroup set-up and adaptations) waited on in the same way, in the same run.
 * Also `qm start` with `Restart=no` (no supervisor), for the supervisor's own share of qm start. Prints medians and
 * the ratios. Needs root, podman and mmdebstrap (the partition tree is cached, see
 * test/partition-fixture.ts).
 *
 *   node build/bench/start.js [ITERATIONS]
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { testPartition } from "../test/partition-fixture.js";

const iterations = Number(process.argv[2] ?? 5);
const cleanups: (() => void)[] = [];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

if (process.getuid?.() !== 0 || spawnSync("podman", ["--version"]).status !== 0) {
  process.stdout.write("start bench skipped: needs root and podman\n");
  process.exit(0);
}

try {
  const p = testPartition({ after: (fn) => cleanups.push(fn) });
  const booted = (): void => {
    for (;;) {
      const s = p.podman("exec", "qm", "systemctl", "is-system-running").stdout.trim();
      if (s === "running" || s === "degraded") return;
    }
  };
  const first = p.qm("start", "--json", "--root", p.root);
  if (first.status !== 0) throw new Error(`qm start failed: ${first.stderr}`);
  const argv = (JSON.parse(first.stdout) as { argv: string[] }).argv;
  p.qm("stop", "--root", p.root);
  const ours: number[] = [];
  const unsupervised: number[] = [];
  const baseline: number[] = [];
  const noRestart = join(p.root, "etc/containers/systemd/qm.container.d/90-bench-no-restart.conf");
  for (let i = 0; i < iterations; i++) {
    let t0 = process.hrtime.bigint();
    const r = p.qm("start", "--root", p.root);
    if (r.status !== 0) throw new Error(`qm start failed: ${r.stderr}`);
    ours.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (!/supervised by qm-supervise/.test(r.stdout))
      throw new Error(`qm start did not supervise: ${r.stdout}`);
    p.qm("stop", "--root", p.root);

    p.dropIn("90-bench-no-restart.conf", "[Service]\nRestart=no\n");
    t0 = process.hrtime.bigint();
    const u = p.qm("start", "--root", p.root);
    if (u.status !== 0) throw new Error(`qm start (Restart=no) failed: ${u.stderr}`);
    unsupervised.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (/supervised by/.test(u.stdout)) throw new Error(`qm start with Restart=no supervised: ${u.stdout}`);
    p.qm("stop", "--root", p.root);
    rmSync(noRestart);

    t0 = process.hrtime.bigint();
    const [program, ...args] = argv as [string, ...string[]];
    const b = spawnSync(program, args, { env: p.env, encoding: "utf8" });
    if (b.status !== 0) throw new Error(`podman run failed: ${b.stderr}`);
    booted();
    baseline.push(Number(process.hrtime.bigint() - t0) / 1e6);
    p.qm("stop", "--root", p.root);
  }
  // Restart after kill -9 of the partition's init, to a booted systemd again (qm's supervisor in direct mode).
  p.qm("start", "--root", p.root);
  const restarts: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const pid = Number(p.podman("inspect", "--format", "{{.State.Pid}}", "qm").stdout.trim());
    const t0 = process.hrtime.bigint();
    process.kill(pid, "SIGKILL");
    for (;;) {
      const now = Number(p.podman("inspect", "--format", "{{.State.Pid}}", "qm").stdout.trim());
      if (now > 0 && now !== pid) break;
    }
    booted();
    restarts.push(Number(process.hrtime.bigint() - t0) / 1e6);
    // Stay below the default start limit (5 starts in 10 s).
    await new Promise((r) => setTimeout(r, 2500));
  }
  p.qm("stop", "--root", p.root);
  const a = median(ours);
  const b = median(baseline);
  const c = median(unsupervised);
  process.stdout.write(
    [
      `partition start to booted systemd, median of ${iterations}:`,
      `  qm start                    ${a.toFixed(0).padStart(7)} ms`,
      `  podman run typed by hand    ${b.toFixed(0).padStart(7)} ms`,
      `  ratio qm/podman             ${(a / b).toFixed(2).padStart(7)}`,
      `  qm start, Restart=no        ${c.toFixed(0).padStart(7)} ms (no supervisor)`,
      `  ratio supervised/Restart=no ${(a / c).toFixed(2).padStart(7)} (the supervisor's share)`,
      `  kill -9 to booted again     ${median(restarts).toFixed(0).padStart(7)} ms median, ${Math.max(...restarts).toFixed(0)} ms max`,
      "",
    ].join("\n"),
  );
} finally {
  for (const fn of cleanups) fn();
}
