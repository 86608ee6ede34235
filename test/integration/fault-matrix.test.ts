import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { kernelLog } from "../../src/engine/kmsg.js";
import { distBin, rootSkipReason } from "../helpers.js";
import { type TestPartition, testPartition } from "../partition-fixture.js";

/**
 * What the partition is designed to suffer, done for real to a partition of its own (direct mode on this host): each
 * row ends with the partition back to running (the time it took is printed) or a clear error, and `qm status` never
 * says running about a partition that is not. QM_FAULT_ROUNDS repeats the kill -9 of conmon then init (default 3).
 */

const skip =
  rootSkipReason() ??
  (spawnSync("podman", ["--version"]).status === 0 ? undefined : "podman is not installed") ??
  (spawnSync("mmdebstrap", ["--version"]).status === 0 ? undefined : "mmdebstrap is not installed");

const ROUNDS = Number(process.env.QM_FAULT_ROUNDS ?? 3);

interface Proc {
  pid: number;
  alive: boolean;
  oomScoreAdj: number | null;
}
interface Status {
  serviceName: string;
  state: string;
  reason: string | null;
  init: Proc | null;
  conmon: Proc | null;
  supervisor: { pid: number; alive: boolean } | null;
  restarts: number;
  warnings: string[];
  pendingChanges: { path: string; change: string }[];
  ungrantedCapabilities: { capability: string; file: string }[];
  oomFloor: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function statusOf(p: TestPartition): Status {
  const r = p.qm("status", "--json", "--root", p.root);
  return JSON.parse(r.stdout) as Status;
}

function processes(p: TestPartition): { init: number; conmon: number } {
  const [init, conmon] = p
    .podman("inspect", "--format", "{{.State.Pid}} {{.State.ConmonPid}}", "qm")
    .stdout.trim()
    .split(" ")
    .map(Number);
  return { init: init ?? 0, conmon: conmon ?? 0 };
}

const alive = (pid: number): boolean => {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

/** qm status must not call a partition running whose init was killed. */
function assertNotFalselyRunning(p: TestPartition, killed: number[]): void {
  const s = statusOf(p);
  if (s.state === "running") {
    assert.ok(s.init?.alive && !killed.includes(s.init.pid), `status says running: ${JSON.stringify(s)}`);
    assert.ok(s.conmon?.alive && !killed.includes(s.conmon.pid), `status says running: ${JSON.stringify(s)}`);
  } else {
    assert.ok(s.reason, `a partition that is ${s.state} has a reason`);
  }
}

/** Seconds until a new init's systemd has booted and qm status agrees; fails after `limitSec`. */
async function recovered(p: TestPartition, killed: number[], limitSec = 120): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitSec * 1000) {
    const { init, conmon } = processes(p);
    if (init > 0 && !killed.includes(init) && alive(init) && alive(conmon)) {
      const s = p.podman("exec", "qm", "systemctl", "is-system-running").stdout.trim();
      if (s === "running" || s === "degraded") {
        const seconds = (Date.now() - started) / 1000;
        const status = statusOf(p);
        assert.equal(status.state, "running", JSON.stringify(status));
        assert.equal(status.init?.oomScoreAdj, 500);
        return seconds;
      }
    }
    await sleep(100);
  }
  const status = statusOf(p);
  const log = readFileSync(`/run/qm/${status.serviceName}.log`, "utf8");
  throw new Error(`not running again within ${limitSec} s: ${JSON.stringify(status)}\n${log}`);
}

/** The first process with parent `parent` that is podman running `run`, polled for until `limitMs`. */
async function podmanChild(parent: number, limitMs = 60_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (
          ppid === parent &&
          readlinkSync(`/proc/${name}/exe`).endsWith("/podman") &&
          readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").includes("run")
        )
          return Number(name);
      } catch {
        // gone meanwhile
      }
    }
    await sleep(5);
  }
  throw new Error(`no podman run under ${parent} within ${limitMs} ms`);
}

function started(p: TestPartition): void {
  const r = p.qm("start", "--root", p.root);
  assert.equal(r.status, 0, r.stderr);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0;

describe("fault matrix: the partition always comes back, and qm status tells the truth", { skip }, () => {
  test("kill -9 of conmon, of init, of both in either order; podman killed while the supervisor restarts", async (t) => {
    const p = testPartition(t);
    started(p);
    const s = statusOf(p);
    assert.equal(s.state, "running");
    assert.ok(s.supervisor?.alive, "direct mode: a supervisor runs");
    const rows: [string, (x: { init: number; conmon: number }) => number[]][] = [
      ["conmon", (x) => [x.conmon]],
      ["init", (x) => [x.init]],
      ["init then conmon", (x) => [x.init, x.conmon]],
      ...Array.from({ length: ROUNDS }, (): [string, (x: { init: number; conmon: number }) => number[]] => [
        "conmon then init",
        (x) => [x.conmon, x.init],
      ]),
    ];
    const times = new Map<string, number[]>();
    for (const [name, victims] of rows) {
      const killed = victims(processes(p));
      for (const pid of killed) process.kill(pid, "SIGKILL");
      assertNotFalselyRunning(p, killed);
      const seconds = await recovered(p, killed);
      times.set(name, [...(times.get(name) ?? []), seconds]);
      // systemd's default start limit is 5 starts in 10 s; stay below it.
      await sleep(2500);
    }
    for (const [name, xs] of times)
      t.diagnostic(
        `kill -9 ${name}: back to running in ${xs.map((x) => x.toFixed(1)).join(" ")} s (median ${median(xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`,
      );

    // podman killed while the supervisor starts the partition again: it tries again at its next check.
    const supervisor = statusOf(p).supervisor?.pid ?? 0;
    const before = processes(p);
    process.kill(before.conmon, "SIGKILL");
    process.kill(before.init, "SIGKILL");
    const podmanRun = await podmanChild(supervisor);
    process.kill(podmanRun, "SIGKILL");
    t.diagnostic(
      `podman (pid ${podmanRun}) killed while starting: back in ${(await recovered(p, [before.init, before.conmon])).toFixed(1)} s`,
    );
    const log = readFileSync(`/run/qm/${s.serviceName}.log`, "utf8");
    assert.match(log, /start failed \(exit status 137\)|restarted/);
    assert.ok(statusOf(p).restarts >= rows.length + 1);
  });

  test("a real OOM kill of init in the partition's cgroup: seen in the kernel log, and back to running", async (t) => {
    const p = testPartition(t);
    p.dropIn("60-memory.conf", "[Service]\nMemoryMax=256M\n");
    started(p);
    const before = processes(p);
    const seq = kernelLog().last;
    // tmpfs pages count against the partition's memory cgroup and no kill frees them: the OOM killer goes through
    // the partition's processes (all at 500) by size until its init dies and takes the tmpfs with it.
    const fill = p.podman("exec", "qm", "dd", "if=/dev/zero", "of=/run/qm-test-fill", "bs=1M", "count=1024");
    assert.notEqual(fill.status, 0, "the fill cannot complete under MemoryMax=256M");
    const killed = kernelLog(seq)
      .messages.filter((m) => /Killed process \d+ /.test(m))
      .map((m) => Number(/Killed process (\d+) /.exec(m)?.[1]));
    // On cgroup v1 podman's exit record does not name the OOM killer (OOMKilled stays false): the kernel log does.
    assert.ok(
      killed.includes(before.init),
      `the OOM killer killed init ${before.init}; it killed ${killed.join(", ") || "nothing"}`,
    );
    assertNotFalselyRunning(p, killed);
    t.diagnostic(
      `OOM kill of init (and ${killed.length - 1} more): back to running in ${(await recovered(p, killed)).toFixed(1)} s`,
    );
  });

  test("qm start interrupted, podman killed under qm start, podman restart by hand, drop-ins since start", async (t) => {
    const p = testPartition(t);
    // podman killed while qm start runs it: a clear error, and nothing is left that status could call running.
    const first = spawn(process.execPath, [distBin("qm"), "start", "--root", p.root], {
      env: p.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    first.stderr.on("data", (d) => {
      stderr += d;
    });
    const firstExit = new Promise<number | null>((r) => first.on("close", (code) => r(code)));
    const podmanUnderQm = await podmanChild(first.pid ?? 0);
    process.kill(podmanUnderQm, "SIGKILL");
    const code = await firstExit;
    assert.equal(code, 5, stderr);
    assert.match(stderr, /QM_START_FAILED|podman could not start the partition/);
    const afterKill = statusOf(p);
    assert.notEqual(afterKill.state, "running", JSON.stringify(afterKill));

    // qm start killed while podman runs: podman finishes, nothing supervises; status says so, qm start resumes.
    const second = spawn(process.execPath, [distBin("qm"), "start", "--root", p.root], {
      env: p.env,
      stdio: "ignore",
    });
    const podmanRun = await podmanChild(second.pid ?? 0);
    second.kill("SIGKILL");
    while (alive(podmanRun)) await sleep(50);
    const unsupervised = statusOf(p);
    assert.notEqual(unsupervised.supervisor?.alive, true);
    if (unsupervised.state === "running")
      assert.ok(
        unsupervised.warnings.some((w) => /nothing supervises/.test(w)),
        JSON.stringify(unsupervised),
      );
    const resumed = p.qm("start", "--json", "--root", p.root);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(JSON.parse(resumed.stdout).action, /supervision resumed|started/);
    const x = processes(p);
    process.kill(x.init, "SIGKILL");
    t.diagnostic(
      `after an interrupted qm start: kill -9 init, back in ${(await recovered(p, [x.init])).toFixed(1)} s`,
    );
    await sleep(2500);

    // podman restart by hand starts conmon at its caller's score: the supervisor puts it back at 500.
    const old = processes(p);
    assert.equal(p.podman("restart", "qm").status, 0);
    await recovered(p, [old.init]);
    const limit = Date.now() + 30_000;
    let s = statusOf(p);
    while (s.conmon?.oomScoreAdj !== 500 && Date.now() < limit) {
      await sleep(500);
      s = statusOf(p);
    }
    assert.equal(s.conmon?.oomScoreAdj, 500, JSON.stringify(s));
    assert.equal(s.init?.oomScoreAdj, 500);
    assert.deepEqual(s.warnings, []);

    // A drop-in installed since start is listed as not applied; a capability the host lacks is listed as such.
    p.dropIn("70-resource.conf", "[Container]\nAddCapability=sys_resource\n");
    s = statusOf(p);
    assert.deepEqual(
      s.pendingChanges.map((c) => `${c.change} ${c.path.replace(p.root, "")}`),
      ["added /etc/containers/systemd/qm.container.d/70-resource.conf"],
    );
    const hostHasIt = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync("/proc/self/status", "utf8"));
    const held = hostHasIt ? (BigInt(`0x${hostHasIt[1]}`) >> 24n) & 1n : 1n;
    if (held === 0n) {
      assert.deepEqual(
        s.ungrantedCapabilities.map((c) => c.capability),
        ["CAP_SYS_RESOURCE"],
      );
      assert.match(s.oomFloor ?? "", /not a floor/);
      const again = p.qm("start", "--root", p.root);
      assert.match(again.stdout, /CAP_SYS_RESOURCE .*70-resource\.conf/);
    }
  });
  test("podman's storage locked by another process: status, start and stop fail with QM_PODMAN_UNRESPONSIVE, never 'running'", async (t) => {
    const p = testPartition(t);
    started(p);
    const db = join(p.root, "podman/root/libpod/bolt_state.db");
    assert.ok(existsSync(db), `${db} exists (podman's state database)`);
    // Another process holds the database's lock, as a podman stuck mid-command would. flock's child inherits the
    // locked file: both are ended, as a group of their own.
    const holder = spawn("flock", [db, "sleep", "600"], { stdio: "ignore", detached: true });
    const group = holder.pid;
    assert.ok(group, "flock started");
    const release = () => {
      if (holder.exitCode === null && holder.signalCode === null) process.kill(-group, "SIGKILL");
    };
    // Released before the fixture cleans up: its podman rm would wait for the lock.
    try {
      await sleep(500);
      assert.equal(holder.exitCode, null, "flock holds the lock");
      const env = { ...p.env, QM_PODMAN_TIMEOUT: "3" };
      for (const args of [["status", "--json"], ["start"], ["stop"]]) {
        const began = Date.now();
        const r = spawnSync(process.execPath, [distBin("qm"), ...args, "--root", p.root], {
          encoding: "utf8",
          env,
          timeout: 120_000,
        });
        const seconds = (Date.now() - began) / 1000;
        assert.equal(r.status, 5, `qm ${args.join(" ")}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /QM_PODMAN_UNRESPONSIVE\]: podman did not answer within 3 s/, r.stderr);
        assert.match(r.stderr, /lslocks/);
        assert.doesNotMatch(r.stdout, /running/);
        t.diagnostic(`locked storage: qm ${args.join(" ")} exit ${r.status} after ${seconds.toFixed(1)} s`);
      }
    } finally {
      release();
    }
    await new Promise((r) =>
      holder.exitCode === null && holder.signalCode === null ? holder.once("exit", r) : r(0),
    );
    // Nothing was done to the partition while its state was unknown.
    const s = statusOf(p);
    assert.equal(s.state, "running", JSON.stringify(s));
    assert.equal(s.supervisor?.alive, true, `the supervisor still runs: ${JSON.stringify(s)}`);
    // The lock taken after qm stop's inspect answered: podman stop itself waits for it. The real podman, behind
    // a wrapper that starts a lock holder just before 'podman stop' runs.
    const wrapper = join(p.root, "podman-stop-locked");
    const holderPid = join(p.root, "lock-holder.pid");
    writeFileSync(
      wrapper,
      [
        "#!/bin/sh",
        'if [ "$1" = stop ]; then',
        `  setsid flock ${db} sleep 600 </dev/null >/dev/null 2>&1 & echo $! > ${holderPid}`,
        `  while flock -n ${db} true; do sleep 0.1; done`,
        "fi",
        `exec ${p.env.QM_PODMAN} "$@"`,
        "",
      ].join("\n"),
    );
    chmodSync(wrapper, 0o755);
    try {
      const r = spawnSync(process.execPath, [distBin("qm"), "stop", "--root", p.root], {
        encoding: "utf8",
        env: { ...p.env, QM_PODMAN: wrapper, QM_PODMAN_TIMEOUT: "3" },
        timeout: 120_000,
      });
      assert.equal(r.status, 5, `qm stop: ${r.stdout}${r.stderr}`);
      assert.match(
        r.stderr,
        /QM_PODMAN_UNRESPONSIVE\]: podman did not answer within 13 s .* stop --time 10 qm\)/,
      );
      t.diagnostic(`lock taken before podman stop: qm stop exit ${r.status}`);
    } finally {
      const pid = existsSync(holderPid) ? Number(readFileSync(holderPid, "utf8")) : 0;
      if (pid > 0) process.kill(-pid, "SIGKILL");
    }
  });
  test("/var/qm full: the partition boots and comes back after kill -9 of init, or qm says why", async (t) => {
    const p = testPartition(t);
    // The partition's /var on a small filesystem of its own, filled to ENOSPC before start.
    const dir = mkdtempSync("/var/tmp/qm-fault-var-");
    t.after(() => {
      p.qm("stop", "--root", p.root);
      spawnSync("umount", [dir]);
      rmSync(dir, { recursive: true, force: true });
    });
    assert.equal(spawnSync("mount", ["-t", "tmpfs", "-o", "size=160m", "qm-fault-var", dir]).status, 0);
    assert.equal(spawnSync("cp", ["-a", `${p.root}/var/qm/.`, dir]).status, 0);
    p.dropIn("10-full-var.conf", `[Service]\nEnvironment=RWVARFS=${dir}\n`);
    spawnSync("dd", ["if=/dev/zero", `of=${dir}/fill`, "bs=1M"]);
    assert.match(spawnSync("df", ["--output=avail", dir], { encoding: "utf8" }).stdout, /\n\s*0\s*$/);
    const r = p.qm("start", "--json", "--root", p.root);
    const s = statusOf(p);
    if (r.status !== 0) {
      // A clear error, and no status that says running.
      assert.match(r.stderr, /QM_START|podman could not start|did not finish booting/);
      assert.notEqual(s.state, "running", JSON.stringify(s));
      t.diagnostic(`qm start with /var full: refused: ${r.stderr.trim().split("\n")[0]}`);
      return;
    }
    assert.equal(s.state, "running", JSON.stringify(s));
    const x = processes(p);
    process.kill(x.init, "SIGKILL");
    assertNotFalselyRunning(p, [x.init]);
    t.diagnostic(
      `/var full: kill -9 init, back to running in ${(await recovered(p, [x.init])).toFixed(1)} s`,
    );
  });
});
