import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Report } from "../../src/ffi/model.js";
import { repoRoot, rootSkipReason } from "../helpers.js";
import { type TestPartition, testPartition } from "../partition-fixture.js";

const has = (cmd: string, ...args: string[]) => spawnSync(cmd, args).status === 0;
const skip =
  rootSkipReason() ??
  (has("podman", "--version") ? undefined : "podman is not installed") ??
  (has("mmdebstrap", "--version") ? undefined : "mmdebstrap is not installed") ??
  (has("mkfs.ext4", "-V") ? undefined : "mkfs.ext4 is not installed (e2fsprogs)") ??
  (has("losetup", "--version") ? undefined : "losetup is not installed (util-linux)");

function sh(cmd: string, ...args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The partition's /var on its own small ext4 on a loop device, as on a target with a separate /var partition. */
function loopVar(p: TestPartition, t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync("/var/tmp/qm-ffi-test-var-");
  const image = join(dir, "var.img");
  const mnt = join(dir, "mnt");
  sh("truncate", "-s", "160M", image);
  sh("mkfs.ext4", "-q", "-F", image);
  const device = sh("losetup", "--find", "--show", image);
  t.after(() => {
    // The partition must be gone before its /var can be unmounted.
    p.qm("stop", "--root", p.root);
    spawnSync("umount", [mnt]);
    spawnSync("losetup", ["-d", device]);
    rmSync(dir, { recursive: true, force: true });
  });
  sh("mkdir", "-p", mnt);
  sh("mount", device, mnt);
  sh("cp", "-a", `${p.root}/var/qm/.`, mnt);
  return mnt;
}

function ffi(p: TestPartition, ...args: string[]): Report {
  const r = p.qm("ffi", "run", "--format", "json", "--root", p.root, ...args);
  assert.ok(r.stdout.trim().startsWith("{"), `qm ffi printed no report: ${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout) as Report;
}

const byId = (r: Report) => new Map(r.checks.map((c) => [c.id, c]));

describe("qm ffi on a live partition", { skip }, () => {
  test("every applicable check passes; each weakening makes its check fail", (t) => {
    const p = testPartition(t);
    const varDir = loopVar(p, t);
    p.dropIn("10-ffi-var.conf", `[Service]\nEnvironment=RWVARFS=${varDir}\n`);
    const started = p.qm("start", "--root", p.root);
    assert.equal(started.status, 0, started.stderr);

    const t0 = Date.now();
    const report = ffi(p, "--trials", "2");
    t.diagnostic(
      report.checks
        .map((c) => `${c.status} ${c.id} ${(c.durationMs / 1000).toFixed(1)} s ${c.reason}`)
        .join("\n"),
    );
    t.diagnostic(`qm ffi run: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const cpu = byId(report).get("FFI-CPU-01");
    t.diagnostic(`ASIL CPU throughput ratio under a QM hog: ${String(cpu?.observed.ratio)}`);
    assert.equal(report.checks.length, 23);
    for (const c of report.checks) {
      assert.ok(c.status === "PASS" || c.status === "SKIP", `${c.id}: ${c.status} ${c.reason}`);
      if (c.status === "SKIP") assert.match(c.reason, /\S{8,}/, `${c.id} skipped without a reason`);
      assert.ok(c.commands.length > 0, `${c.id} recorded its commands`);
    }
    const mem = byId(report).get("FFI-MEM-01");
    assert.equal(
      (mem?.observed.trials as unknown[] | undefined)?.length,
      2,
      "memory hog over repeated trials",
    );
    assert.equal(report.summary.FAIL, 0);

    // Weaken the partition: each line below breaks one invariant.
    rmSync(join(p.root, "etc/containers/systemd/qm.container.d/10-ffi-var.conf"));
    p.dropIn(
      "90-weaken.conf",
      [
        "[Container]",
        `SeccompProfile=${join(repoRoot, "test/fixtures/ffi/seccomp-allow-all.json")}`,
        "Sysctl=fs.mqueue.queues_max=64",
        "ReadOnly=false",
        "PodmanArgs=--device-cgroup-rule=c 1:11 rwm",
        "Volume=/dev/shm:/dev/shm",
        `Volume=${p.root}/usr/share/qm:/usr/share/qm:ro`,
        "[Service]",
        "OOMScoreAdjust=0",
        "CPUWeight=100",
        "TasksMax=infinity",
        "",
      ].join("\n"),
    );
    const restarted = p.qm("restart", "--root", p.root);
    assert.equal(restarted.status, 0, restarted.stderr);
    const expectFail: Record<string, string> = {
      "FFI-OOM-01": "OOMScoreAdjust=0",
      "FFI-MEM-01": "OOMScoreAdjust=0: the larger ASIL stand-in becomes the OOM victim",
      "FFI-PIDS-01": "TasksMax=infinity",
      "FFI-CPU-01": "CPUWeight=100",
      "FFI-DISK-01": "/var on the host's root filesystem",
      "FFI-SCHED-01": "allow-all seccomp profile",
      "FFI-SCHED-02": "allow-all seccomp profile",
      "FFI-FS-02": "ReadOnly=false",
      "FFI-MQ-01": "fs.mqueue.queues_max=64",
      "FFI-DEV-02": "device cgroup rule for /dev/kmsg",
      "FFI-VIS-01": "/usr/share/qm mounted in",
      "FFI-VIS-02": "host /dev/shm mounted in",
    };
    const weak = ffi(p, "--trials", "1", ...Object.keys(expectFail).flatMap((id) => ["--only", id]));
    t.diagnostic(weak.checks.map((c) => `${c.status} ${c.id}: ${c.reason}`).join("\n"));
    for (const [id, how] of Object.entries(expectFail)) {
      const c = byId(weak).get(id);
      assert.equal(c?.status, "FAIL", `${id} must fail with ${how}: ${c?.status} ${c?.reason}`);
    }
  });
});
