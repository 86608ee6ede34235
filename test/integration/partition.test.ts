import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { runtimeUnitName } from "../../src/partition/runstate.js";
import { rootSkipReason } from "../helpers.js";
import { type TestPartition, testPartition } from "../partition-fixture.js";

const skip =
  rootSkipReason() ??
  (spawnSync("podman", ["--version"]).status === 0 ? undefined : "podman is not installed") ??
  (spawnSync("mmdebstrap", ["--version"]).status === 0 ? undefined : "mmdebstrap is not installed");

interface Status {
  serviceName: string;
  state: string;
  systemState: string | null;
  pid: number | null;
  restarts: number;
  usage: { memoryBytes: number | null; tasks: number | null; tasksMax: number | null };
  adaptations: { option: string; action: string }[];
}

const json = <T>(r: { stdout: string }): T => JSON.parse(r.stdout) as T;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function statusOf(p: TestPartition): Status {
  return json<Status>(p.qm("status", "--json", "--root", p.root));
}

/** Wait until the partition's systemd is booted again, after a kill; returns the seconds it took. */
async function waitBooted(p: TestPartition, oldPid: number, limitSec: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitSec * 1000) {
    const pid = Number(p.podman("inspect", "--format", "{{.State.Pid}}", "qm").stdout.trim());
    if (pid > 0 && pid !== oldPid) {
      const s = p.podman("exec", "qm", "systemctl", "is-system-running").stdout.trim();
      if (s === "running" || s === "degraded") return (Date.now() - started) / 1000;
    }
    await sleep(100);
  }
  const state = p.podman(
    "inspect",
    "--format",
    "{{.State.Status}} pid={{.State.Pid}} restarts={{.RestartCount}} error={{.State.Error}}",
    "qm",
  );
  const inner = p.podman("exec", "qm", "systemctl", "is-system-running").stdout.trim();
  throw new Error(
    `not running again within ${limitSec} s: ${state.stdout.trim()} ${state.stderr.trim()}, systemd ${inner}`,
  );
}

function nested(p: TestPartition, ...cmd: string[]) {
  return p.podman(
    "exec",
    "qm",
    "podman",
    "run",
    "--rm",
    "--network",
    "none",
    "--rootfs",
    "/var/tmp/nested",
    ...cmd,
  );
}

/** The partition's cgroups in any hierarchy (the unit's name on this machine comes from qm status). */
function cgroupLeftovers(unit: string): string[] {
  return spawnSync("sh", ["-c", `ls -d /sys/fs/cgroup/*/${unit} /sys/fs/cgroup/${unit} 2>/dev/null`], {
    encoding: "utf8",
  })
    .stdout.split("\n")
    .filter(Boolean);
}

describe("qm start/stop/status on real podman with systemd in the partition", { skip }, () => {
  test("start: systemd boots, OOM scores 500/750, read-only rootfs, /etc and /var persist across restart", (t) => {
    const p = testPartition(t);
    const started = p.qm("start", "--json", "--root", p.root);
    assert.equal(started.status, 0, started.stderr);
    const report = json<{ systemState: string; pid: number; seconds: number; adaptations: unknown[] }>(
      started,
    );
    t.diagnostic(`qm start to ${report.systemState}: ${report.seconds.toFixed(2)} s`);
    assert.equal(report.systemState, "running", "systemd in the partition boots without failed units");
    assert.equal(readFileSync(`/proc/${report.pid}/oom_score_adj`, "utf8").trim(), "500");
    const oom = nested(p, "/bin/cat", "/proc/self/oom_score_adj");
    assert.equal(oom.status, 0, oom.stderr);
    assert.equal(oom.stdout.trim(), "750");
    const ro = p.podman("exec", "qm", "touch", "/usr/lib/systemd/system/qm-test");
    assert.notEqual(ro.status, 0);
    assert.match(ro.stderr, /Read-only file system/);
    assert.equal(
      p.podman(
        "exec",
        "qm",
        "sh",
        "-c",
        "echo kept > /etc/qm-test-marker && echo kept > /var/lib/qm-test-marker",
      ).status,
      0,
    );
    const status = statusOf(p);
    assert.equal(status.state, "running");
    assert.ok((status.usage.tasks ?? 0) > 0);
    const restarted = p.qm("restart", "--root", p.root);
    assert.equal(restarted.status, 0, restarted.stderr);
    assert.equal(
      p.podman("exec", "qm", "cat", "/etc/qm-test-marker", "/var/lib/qm-test-marker").stdout,
      "kept\nkept\n",
    );
    // Logs and an idempotent second start.
    assert.match(p.qm("logs", "-n", "50", "--root", p.root).stdout, /systemd/);
    const again = json<{ action: string }>(p.qm("start", "--json", "--root", p.root));
    assert.equal(again.action, "already running");
  });

  test("kill -9 of the partition's init: booted again, 10 times in a row", async (t) => {
    const p = testPartition(t);
    {
      const r = p.qm("start", "--root", p.root);
      assert.equal(r.status, 0, r.stderr);
    }
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const pid = statusOf(p).pid ?? 0;
      assert.ok(pid > 0);
      process.kill(pid, "SIGKILL");
      // How fast it comes back is measured in bench/start.ts; here it must come back at all.
      times.push(await waitBooted(p, pid, 60));
      // systemd's default start limit is 5 starts in 10 s; stay below it.
      await sleep(2200);
    }
    t.diagnostic(`back to running after kill -9: ${times.map((s) => s.toFixed(2)).join(" ")} s`);
    assert.equal(statusOf(p).restarts, 10);
  });

  test("start limit: restarts beyond StartLimitBurst stop, and qm start resets it", async (t) => {
    const p = testPartition(t);
    p.dropIn("50-start-limit.conf", "[Unit]\nStartLimitIntervalSec=60\nStartLimitBurst=3\n");
    {
      const r = p.qm("start", "--no-wait", "--root", p.root);
      assert.equal(r.status, 0, r.stderr);
    }
    // qm start is the first of 3 starts; two restarts follow, and the third kill finds the limit hit.
    let kills = 0;
    let s = statusOf(p);
    while (s.state !== "start-limit-hit" && kills < 6) {
      const pid = s.pid ?? 0;
      assert.ok(pid > 0, JSON.stringify(s));
      process.kill(pid, "SIGKILL");
      kills++;
      for (let i = 0; i < 600; i++) {
        await sleep(100);
        s = statusOf(p);
        if (s.state === "start-limit-hit" || (s.state === "running" && s.pid !== pid)) break;
      }
    }
    assert.equal(s.state, "start-limit-hit");
    assert.equal(kills, 3);
    const started = p.qm("start", "--root", p.root);
    assert.equal(started.status, 0, started.stderr);
    assert.equal(statusOf(p).state, "running");
  });

  test("MemoryMax drop-in: a nested allocation beyond it is killed (137); the host's ASIL stand-in is unaffected", async (t) => {
    const p = testPartition(t);
    p.dropIn("60-memory.conf", "[Service]\nMemoryMax=256M\n");
    const asil: ChildProcess = spawn(process.execPath, [
      "-e",
      "const b = Buffer.alloc(200 * 2 ** 20, 1); setInterval(() => { if (b[12345] !== 1) process.exit(3); }, 100);",
    ]);
    t.after(() => asil.kill("SIGKILL"));
    await sleep(500);
    {
      const r = p.qm("start", "--root", p.root);
      assert.equal(r.status, 0, r.stderr);
    }
    const big = nested(p, "/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=400M", "count=1");
    assert.equal(big.status, 137, `nested allocation of 400M under MemoryMax=256M: ${big.stderr}`);
    const small = nested(p, "/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=50M", "count=1");
    assert.equal(small.status, 0, small.stderr);
    assert.equal(asil.exitCode, null, "the ASIL stand-in is still alive");
    assert.ok(asil.pid !== undefined && existsSync(`/proc/${asil.pid}`));
    assert.equal(statusOf(p).state, "running", "the partition survives its nested container's OOM kill");
  });

  test("TasksMax drop-in stops a fork bomb inside", (t) => {
    const p = testPartition(t);
    p.dropIn("60-tasks.conf", "[Service]\nTasksMax=150\n");
    {
      const r = p.qm("start", "--root", p.root);
      assert.equal(r.status, 0, r.stderr);
    }
    assert.equal(statusOf(p).usage.tasksMax, 150);
    const bomb = p.podman(
      "exec",
      "qm",
      "sh",
      "-c",
      "for i in $(seq 1 400); do sleep 30 & done 2>&1; echo done",
    );
    assert.match(bomb.stdout + bomb.stderr, /Resource temporarily unavailable|Cannot fork|fork/i);
    const s = statusOf(p);
    assert.ok((s.usage.tasks ?? 0) <= 150, `tasks ${s.usage.tasks} within TasksMax=150`);
    p.podman("exec", "qm", "pkill", "sleep");
  });

  test("stop leaves no container, cgroup, mount or runtime state behind", (t) => {
    const p = testPartition(t);
    {
      const r = p.qm("start", "--root", p.root);
      assert.equal(r.status, 0, r.stderr);
    }
    const { pid, serviceName } = statusOf(p);
    const stopped = p.qm("stop", "--root", p.root);
    assert.equal(stopped.status, 0, stopped.stderr);
    assert.equal(existsSync(`/proc/${pid}`), false, "the partition's init is gone");
    assert.deepEqual(cgroupLeftovers(serviceName), []);
    assert.equal(p.podman("ps", "--all", "--quiet").stdout.trim(), "");
    assert.equal(readFileSync("/proc/self/mountinfo", "utf8").includes(p.root), false);
    assert.equal(existsSync(`/run/qm/${serviceName}.json`), false);
    assert.equal(existsSync(`/run/${serviceName.replace(/\.service$/, "")}.cid`), false);
    assert.equal(statusOf(p).state, "stopped");
    assert.equal(p.qm("stop", "--root", p.root).stdout.trim(), "not running: nothing to stop");
  });

  test("an invalid configuration is refused with file:line and never started", (t) => {
    const p = testPartition(t);
    p.dropIn("70-bad.conf", "[Service]\nMemoryMax=lots\n");
    const check = p.qm("config", "check", "--root", p.root);
    assert.equal(check.status, 3);
    assert.match(check.stderr, /70-bad\.conf:2:11: MemoryMax=lots: expected bytes/);
    const start = p.qm("start", "--root", p.root);
    assert.equal(start.status, 3);
    assert.match(start.stderr, /70-bad\.conf:2:11/);
    assert.equal(p.podman("ps", "--all", "--quiet").stdout.trim(), "");
    assert.deepEqual(cgroupLeftovers(runtimeUnitName(p.root)), []);
  });
});
