/**
 * A nested workload the upstream way (write NAME.container, `podman exec qm systemctl daemon-reload`, `podman exec
 * qm systemctl start NAME`) until its container runs, against `podman exec qm podman run -d` of the same image, in
 * the same partition and the same run. Also: what qm-quadlet as the partition's generator costs, as the partition's
 * boot time and a daemon-reload with and without it. Prints medians and ratios. Needs root, podman and mmdebstrap
 * (the partition tree is cached, see test/partition-fixture.ts).
 *
 *   node build/bench/workload.js [ITERATIONS]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { testPartition } from "../test/partition-fixture.js";

const iterations = Number(process.argv[2] ?? 5);
const cleanups: (() => void)[] = [];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function timed(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

if (process.getuid?.() !== 0 || spawnSync("podman", ["--version"]).status !== 0) {
  process.stdout.write("workload bench skipped: needs root and podman\n");
  process.exit(0);
}

try {
  const p = testPartition({ after: (fn) => cleanups.push(fn) });
  const must = (r: { status: number | null; stderr: string }, what: string) => {
    if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr}`);
  };
  const inside = (...cmd: string[]) => p.podman("exec", "qm", ...cmd);
  const bootSeconds = (): number => {
    const r = p.qm("start", "--json", "--root", p.root);
    must(r, "qm start");
    return (JSON.parse(r.stdout) as { seconds: number }).seconds * 1000;
  };
  // Boot with and without the generator, alternating (the link moved aside in the tree for "without").
  const link = join(p.root, "usr/lib/qm/rootfs/usr/lib/systemd/system-generators/qm-quadlet-generator");
  const bootWith: number[] = [];
  const bootWithout: number[] = [];
  for (let i = 0; i < iterations; i++) {
    bootWith.push(bootSeconds());
    must(p.qm("stop", "--root", p.root), "qm stop");
    renameSync(link, `${link}.off`);
    bootWithout.push(bootSeconds());
    must(p.qm("stop", "--root", p.root), "qm stop");
    renameSync(`${link}.off`, link);
  }
  must(p.qm("start", "--root", p.root), "qm start");

  const rootfs = join(p.root, "bench-image");
  mkdirSync(join(rootfs, "bin"), { recursive: true });
  spawnSync("cp", ["/bin/busybox", join(rootfs, "bin/busybox")]);
  spawnSync("ln", ["-s", "busybox", join(rootfs, "bin/sleep")]);
  must(p.qm("image", "load", "--root", p.root, "--tag", "localhost/bench:latest", rootfs), "qm image load");

  const units = join(p.root, "etc/qm/containers/systemd");
  mkdirSync(units, { recursive: true });
  const quadlet: number[] = [];
  const direct: number[] = [];
  const reloadWith: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const unit = join(units, `bench${i}.container`);
    quadlet.push(
      timed(() => {
        writeFileSync(unit, "[Container]\nImage=localhost/bench:latest\nExec=/bin/sleep 100000\n");
        must(inside("systemctl", "daemon-reload"), "daemon-reload");
        must(inside("systemctl", "start", `bench${i}`), "systemctl start");
      }),
    );
    must(inside("podman", "container", "exists", `systemd-bench${i}`), "the nested container");
    must(inside("systemctl", "stop", `bench${i}`), "systemctl stop");
    rmSync(unit);
    reloadWith.push(timed(() => must(inside("systemctl", "daemon-reload"), "daemon-reload")));
    direct.push(
      timed(() =>
        must(
          inside(
            "podman",
            "run",
            "-d",
            "--name",
            `direct${i}`,
            "localhost/bench:latest",
            "/bin/sleep",
            "100000",
          ),
          "podman run",
        ),
      ),
    );
    must(inside("podman", "rm", "-f", "-t", "0", `direct${i}`), "podman rm");
  }
  // daemon-reload without a generator: the link moved aside in the running partition's tree.
  const reloadWithout: number[] = [];
  renameSync(link, `${link}.off`);
  try {
    for (let i = 0; i < iterations; i++)
      reloadWithout.push(timed(() => must(inside("systemctl", "daemon-reload"), "daemon-reload")));
  } finally {
    renameSync(`${link}.off`, link);
  }
  must(p.qm("stop", "--root", p.root), "qm stop");
  const row = (name: string, ms: number) => `  ${name.padEnd(46)} ${ms.toFixed(0).padStart(7)} ms`;
  const q = median(quadlet);
  const d = median(direct);
  process.stdout.write(
    [
      `nested workload to running, median of ${iterations}:`,
      row("write .container + daemon-reload + start", q),
      row("podman exec qm podman run -d", d),
      `  ratio quadlet/podman run                       ${(q / d).toFixed(2).padStart(7)}`,
      "qm-quadlet as the partition's generator:",
      row("daemon-reload with it", median(reloadWith)),
      row("daemon-reload without it", median(reloadWithout)),
      row("partition boot (qm start) with it", median(bootWith)),
      row("partition boot (qm start) without it", median(bootWithout)),
      `  ratio boot with/without                        ${(median(bootWith) / median(bootWithout)).toFixed(2).padStart(7)}`,
      "",
    ].join("\n"),
  );
} finally {
  for (const fn of cleanups) fn();
}
