import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import type { Report } from "../../src/ffi/model.js";
import { repoRoot, rootSkipReason } from "../helpers.js";
import { type Cleanup, type TestPartition, testPartition } from "../partition-fixture.js";

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
function loopVar(p: TestPartition, t: Cleanup): string {
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

/**
 * A listening socket at `path` on the host when nothing is there (this host may run no journald or udevd), so the
 * visibility checks have something to find; removed again with every directory created for it.
 */
function standInSocket(path: string, t: Cleanup): void {
  if (existsSync(path)) return;
  let top = dirname(path);
  while (!existsSync(dirname(top))) top = dirname(top);
  const created = existsSync(top) ? null : top;
  mkdirSync(dirname(path), { recursive: true });
  const server = createServer().listen(path);
  t.after(() => {
    server.close();
    rmSync(created ?? path, { recursive: true, force: true });
  });
}

function ffi(p: TestPartition, ...args: string[]): Report {
  const r = p.qm("ffi", "run", "--format", "json", "--root", p.root, ...args);
  assert.ok(r.stdout.trim().startsWith("{"), `qm ffi printed no report: ${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout) as Report;
}

/** CAP_SYS_RESOURCE (bit 24) in this process's effective set. */
const hostHoldsSysResource = (): boolean => {
  const m = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync("/proc/self/status", "utf8"));
  return m !== null && ((BigInt(`0x${m[1]}`) >> 24n) & 1n) === 1n;
};

const byId = (r: Report) => new Map(r.checks.map((c) => [c.id, c]));

/** What each weakening breaks; the checks not listed cannot be weakened here (see docs/ffi.md). */
const WEAKENED: Record<string, string> = {
  "FFI-OOM-01": "OOMScoreAdjust=0 and nested oom_score_adj 0",
  "FFI-MEM-01": "nested hogs at oom_score_adj 0, each smaller than the ASIL stand-in",
  "FFI-PIDS-01": "TasksMax=infinity",
  "FFI-CPU-01": "CPUWeight=100",
  "FFI-DISK-01": "/var on the host's root filesystem",
  "FFI-DISK-02": "Tmpfs=/var/tmp",
  "FFI-SCHED-01": "allow-all seccomp profile",
  "FFI-SCHED-02": "allow-all seccomp profile",
  "FFI-SYSCTL-02": "Unmask=ALL: /proc/sys writable",
  "FFI-DEV-01": "a device node at /dev/mem",
  "FFI-DEV-02": "AddDevice=/dev/kmsg",
  "FFI-DEV-03": "a character device made at /dev/console",
  "FFI-DEV-04": "Tmpfs=/dev/disk",
  "FFI-FS-02": "ReadOnly=false",
  "FFI-VIS-01": "/usr/share/qm mounted in",
  "FFI-VIS-02": "host /dev/shm mounted in",
  "FFI-VIS-03": "host journal directory mounted in",
  "FFI-VIS-04": "host /run/udev mounted in",
  "FFI-MQ-01": "fs.mqueue.queues_max=64",
};

describe("qm ffi on a live partition", { skip }, () => {
  test("every applicable check passes; each weakening makes its check fail", (t) => {
    const p = testPartition(t);
    const varDir = loopVar(p, t);
    p.dropIn("10-ffi-var.conf", `[Service]\nEnvironment=RWVARFS=${varDir}\n`);
    const started = p.qm("start", "--root", p.root);
    assert.equal(started.status, 0, started.stderr);

    const t0 = Date.now();
    const report = ffi(p, "--trials", "2");
    const summary = (r: Report) =>
      r.checks.map((c) => `${c.status} ${c.id} ${(c.durationMs / 1000).toFixed(1)} s ${c.reason}`).join("\n");
    t.diagnostic(summary(report));
    t.diagnostic(`qm ffi run: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    t.diagnostic(
      `ASIL CPU throughput ratio under a QM hog: ${String(byId(report).get("FFI-CPU-01")?.observed.ratio)}`,
    );
    assert.equal(report.checks.length, 24);
    // Where nobody holds CAP_SYS_RESOURCE (this machine kind) the kernel records no OOM floor: FFI-OOM-02 fails, and
    // says why.
    const floor = byId(report).get("FFI-OOM-02");
    if (!hostHoldsSysResource()) {
      assert.equal(floor?.status, "FAIL", `FFI-OOM-02 on a host without CAP_SYS_RESOURCE: ${floor?.reason}`);
      assert.match(
        floor?.reason ?? "",
        /lowered its oom_score_adj from 500 to 100: this host records no floor/,
      );
    }
    for (const c of report.checks) {
      if (c.id === "FFI-OOM-02" && !hostHoldsSysResource()) continue;
      assert.ok(c.status === "PASS" || c.status === "SKIP", `${c.id}: ${c.status} ${c.reason}`);
      if (c.status === "SKIP") assert.match(c.reason, /\S{8,}/, `${c.id} skipped without a reason`);
      assert.ok(c.status === "SKIP" || c.commands.length > 0, `${c.id} recorded its commands`);
    }
    const mem = byId(report).get("FFI-MEM-01");
    assert.equal(
      (mem?.observed.trials as unknown[] | undefined)?.length,
      2,
      "memory hog over repeated trials",
    );

    // Weaken the partition: each line below breaks one invariant.
    standInSocket("/run/systemd/journal/socket", t);
    standInSocket("/run/udev/control", t);
    rmSync(join(p.root, "etc/containers/systemd/qm.container.d/10-ffi-var.conf"));
    // Nested containers at 0: containers.conf for podman >= 4.5 in the tree, the precreate hook setup adds for
    // older ones.
    const nestedConf = join(p.root, "etc/qm/containers/containers.conf");
    writeFileSync(
      nestedConf,
      readFileSync(nestedConf, "utf8").replace(/^oom_score_adj = 750$/m, "oom_score_adj = 0"),
    );
    rmSync(join(p.root, "usr/lib/qm/rootfs/usr/share/containers/oci/hooks.d/qm-nested-oom-score-adj.json"), {
      force: true,
    });
    p.dropIn(
      "90-weaken.conf",
      [
        "[Container]",
        `SeccompProfile=${join(repoRoot, "test/fixtures/ffi/seccomp-allow-all.json")}`,
        "Sysctl=fs.mqueue.queues_max=64",
        "ReadOnly=false",
        "Unmask=ALL",
        "AddDevice=/dev/null:/dev/mem",
        "AddDevice=/dev/kmsg",
        "Tmpfs=/dev/disk",
        "Tmpfs=/var/tmp",
        "Volume=",
        `Volume=${p.root}/etc/qm:/etc`,
        `Volume=${p.root}/var/qm:/var`,
        "Volume=/dev/shm:/dev/shm",
        `Volume=${p.root}/usr/share/qm:/usr/share/qm:ro`,
        "Volume=/run/systemd/journal:/run/systemd/journal:ro",
        "Volume=/run/udev:/run/udev:ro",
        "[Service]",
        "OOMScoreAdjust=0",
        "CPUWeight=100",
        "TasksMax=infinity",
        "",
      ].join("\n"),
    );
    const restarted = p.qm("restart", "--root", p.root);
    assert.equal(restarted.status, 0, restarted.stderr);
    const consoleNode = p.podman("exec", "qm", "mknod", "/dev/console", "c", "1", "3");
    assert.equal(consoleNode.status, 0, consoleNode.stderr);

    const weak = ffi(p, "--trials", "1", ...Object.keys(WEAKENED).flatMap((id) => ["--only", id]));
    t.diagnostic(summary(weak));
    for (const [id, how] of Object.entries(WEAKENED)) {
      const c = byId(weak).get(id);
      assert.equal(c?.status, "FAIL", `${id} must fail with ${how}: ${c?.status} ${c?.reason}`);
    }
  });
});
