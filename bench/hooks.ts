// Wall time of one hook invocation, as podman pays it on every container start, against the cost
// of starting Node at all (`node -e 0`) and of a process that only copies the spec (`cat`).
//   node build/bench/hooks.js [runs]      (bundles from $QM_DIST_DIR or dist/)
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = process.env.QM_REPO_ROOT ?? fileURLToPath(new URL("../../", import.meta.url));
const dist = process.env.QM_DIST_DIR ?? join(root, "dist");
const runs = Number(process.argv[2] ?? 40);
const dir = mkdtempSync(join(tmpdir(), "qm-bench-hooks-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", TEST_LOGFILE: join(dir, "hook.log") };

/** A spec shaped like podman 4's config.json for a small container. */
function podmanSpec(annotations: Record<string, string>, extraDevices: number): unknown {
  const caps = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_NET_BIND_SERVICE",
  ];
  return {
    ociVersion: "1.0.2-dev",
    process: {
      user: { uid: 0, gid: 0 },
      args: ["/bin/sh"],
      env: [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "TERM=xterm",
        "container=podman",
      ],
      cwd: "/",
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [
        { type: "RLIMIT_NOFILE", hard: 1048576, soft: 1048576 },
        { type: "RLIMIT_NPROC", hard: 4194304, soft: 4194304 },
      ],
      oomScoreAdj: 750,
    },
    root: { path: "/var/lib/containers/storage/overlay/abc/merged" },
    hostname: "bench",
    mounts: [
      "/proc",
      "/dev",
      "/dev/pts",
      "/dev/mqueue",
      "/sys",
      "/sys/fs/cgroup",
      "/dev/shm",
      "/etc/hosts",
    ].map((destination) => ({
      destination,
      type: "bind",
      source: `/run/x${destination}`,
      options: ["rbind", "nosuid"],
    })),
    annotations: {
      "io.container.manager": "libpod",
      "org.opencontainers.image.stopSignal": "15",
      ...annotations,
    },
    linux: {
      sysctl: { "net.ipv4.ping_group_range": "0 0" },
      resources: {
        devices: [{ allow: false, access: "rwm" }],
        memory: { limit: "@LIMIT@", swap: "@SWAP@" },
        pids: { limit: 2048 },
      },
      devices: Array.from({ length: extraDevices }, (_, i) => ({
        path: `/dev/existing${i}`,
        type: "c",
        major: 240,
        minor: i,
        fileMode: 8630,
        uid: 0,
        gid: 0,
      })),
      namespaces: ["pid", "network", "ipc", "uts", "mount", "cgroup"].map((type) => ({ type })),
      maskedPaths: ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
      readonlyPaths: [
        "/proc/asound",
        "/proc/bus",
        "/proc/fs",
        "/proc/irq",
        "/proc/sys",
        "/proc/sysrq-trigger",
      ],
    },
  };
}

interface Case {
  readonly name: string;
  readonly file: string;
  readonly args: readonly string[];
  readonly input: string;
  readonly times: number[];
}

function once(c: Case): void {
  const started = performance.now();
  const result = spawnSync(c.file, c.args, { input: c.input, env, stdio: ["pipe", "pipe", "pipe"] });
  c.times.push(performance.now() - started);
  if (result.status !== 0) throw new Error(`${c.name} failed: ${result.stderr}`);
  if (c.input.includes("18446744073709551615") && !String(result.stdout).includes("18446744073709551615")) {
    throw new Error(`${c.name} lost a uint64 literal`);
  }
}

function percentile(times: readonly number[], q: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

// Podman writes uint64 limits as plain literals; the hook must carry them through exactly.
const specText = (annotations: Record<string, string>, extraDevices: number): string =>
  JSON.stringify(podmanSpec(annotations, extraDevices))
    .replace('"@LIMIT@"', "9223372036854771712")
    .replace('"@SWAP@"', "18446744073709551615");
const ttys = { "org.containers.qm.device.ttys": "true" };
const typical = specText(ttys, 0);
const large = specText(ttys, 500);
const gpu = specText({ "org.containers.qm.wayland-client.gpu": "true" }, 0);
const emptyModule = join(dir, "empty.cjs");
writeFileSync(emptyModule, "");
const dm = join(dist, "oci-qm-device-manager.cjs");
const wc = join(dist, "oci-qm-wayland-client-devices.cjs");

try {
  const c = (name: string, file: string, args: string[], input: string): Case => ({
    name,
    file,
    args,
    input,
    times: [],
  });
  const cases = [
    c("baseline: node -e 0", process.execPath, ["-e", "0"], ""),
    c("baseline: node empty.cjs (CommonJS start-up, as the hooks)", process.execPath, [emptyModule], ""),
    c(`baseline: cat (typical spec, ${typical.length} B)`, "cat", [], typical),
    c(`baseline: cat (500 devices, ${large.length} B)`, "cat", [], large),
    c("device manager, typical spec, ttys=true", process.execPath, [dm], typical),
    c("device manager, 500 existing devices, ttys=true", process.execPath, [dm], large),
    c("wayland-client, typical spec, gpu=true", process.execPath, [wc], gpu),
  ];
  // Round-robin, so a burst of load on the machine hits every case alike.
  for (let i = 0; i < runs; i++) for (const k of cases) once(k);
  const base = percentile(cases[0]?.times ?? [], 0.5);
  process.stdout.write(`hook wall time per invocation, ${runs} runs each (ms)\n`);
  process.stdout.write(`${"case".padEnd(50)} ${"p50".padStart(7)} ${"p95".padStart(7)}  p50 / node -e 0\n`);
  for (const k of cases) {
    const p50 = percentile(k.times, 0.5);
    const p95 = percentile(k.times, 0.95);
    const ratio = (p50 / base).toFixed(2);
    process.stdout.write(
      `${k.name.padEnd(50)} ${p50.toFixed(1).padStart(7)} ${p95.toFixed(1).padStart(7)}  ${ratio}x\n`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
