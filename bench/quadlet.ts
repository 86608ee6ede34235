// qm-quadlet against podman 5.4.2's quadlet (the differential tests' reference) on the same 1,000
// .container units, each with a drop-in, written into an output directory: wall time per run (median of
// several), the ratio, and each generator's peak memory (GNU time's maximum resident set size).
//   node build/bench/quadlet.js [runs]      (qm-quadlet from $QM_DIST_DIR or dist/)
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateAll } from "../src/quadlet/generate.js";
import { nodeUnitFs } from "../src/unit/fs.js";
import { referenceQuadlet } from "../test/quadlet-reference.js";

const COUNT = 1000;
const runs = Number(process.argv[2] ?? 5);
const root = process.env.QM_REPO_ROOT ?? fileURLToPath(new URL("../../", import.meta.url));
const dist = process.env.QM_DIST_DIR ?? join(root, "dist");
const base = readFileSync(join(root, "share/containers/systemd/qm.container"), "utf8");
const dropin = "[Container]\nAddDevice=-/dev/net/tun\nPodmanArgs=\nPodmanArgs=--memory 5G\n";

const dir = mkdtempSync(join(tmpdir(), "qm-bench-quadlet-"));
const units = join(dir, "units");
for (let i = 0; i < COUNT; i++) {
  mkdirSync(join(units, `u${i}.container.d`), { recursive: true });
  writeFileSync(join(units, `u${i}.container`), base.replace("ContainerName=qm", `ContainerName=qm${i}`));
  writeFileSync(join(units, `u${i}.container.d`, "10-extra.conf"), dropin);
}
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", QUADLET_UNIT_DIRS: units };

interface Sample {
  readonly seconds: number;
  readonly peakKiB: number;
}

function measure(argv: readonly string[]): Sample {
  const out = join(dir, "out");
  rmSync(out, { recursive: true, force: true });
  const started = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", ...argv, "-no-kmsg-log", out], { env, encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr}`);
  const services = readdirSync(out).filter((f) => f.endsWith(".service")).length;
  if (services !== COUNT) throw new Error(`${argv.join(" ")} wrote ${services} of ${COUNT} services`);
  const lines = r.stderr.trim().split("\n");
  return { seconds, peakKiB: Number(lines[lines.length - 1]) };
}

function median(samples: readonly Sample[]): Sample {
  const by = (k: keyof Sample) =>
    [...samples].sort((a, b) => a[k] - b[k])[Math.floor(samples.length / 2)] as Sample;
  return { seconds: by("seconds").seconds, peakKiB: by("peakKiB").peakKiB };
}

try {
  const reference = await referenceQuadlet();
  const contenders: Array<[string, string[]]> = [
    ["podman 5.4.2 quadlet", [reference]],
    ["qm-quadlet", [process.execPath, join(dist, "qm-quadlet.mjs")]],
  ];
  const results = new Map<string, Sample[]>();
  for (let r = 0; r < runs + 1; r++) {
    for (const [name, argv] of contenders) {
      const s = measure(argv);
      // The first round only warms caches.
      if (r > 0) results.set(name, [...(results.get(name) ?? []), s]);
    }
  }
  const [ref, ours] = contenders.map(([name]) => median(results.get(name) ?? []));
  const line = (name: string, s: Sample): string =>
    `${name.padEnd(22)} ${(s.seconds * 1000).toFixed(0).padStart(6)} ms per run  ${(s.peakKiB / 1024).toFixed(1).padStart(7)} MiB peak`;
  process.stdout.write(
    `${COUNT} .container units with a drop-in each, into an output directory (median of ${runs}):\n`,
  );
  process.stdout.write(
    `${line("podman 5.4.2 quadlet", ref as Sample)}\n${line("qm-quadlet", ours as Sample)}\n`,
  );
  process.stdout.write(
    `ratio qm-quadlet/quadlet wall time: ${((ours as Sample).seconds / (ref as Sample).seconds).toFixed(2)}x\n`,
  );
  const started = process.hrtime.bigint();
  generateAll(nodeUnitFs("/"), { env: { QUADLET_UNIT_DIRS: units } });
  process.stdout.write(
    `qm-quadlet in process (no Node start, no writing): ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(0)} ms\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
