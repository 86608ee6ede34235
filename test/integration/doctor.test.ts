import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { distBin, rootSkipReason, tempDir } from "../helpers.js";

interface Doc {
  ready: boolean;
  plan: { mode: string; generator: string; runtime: string | null };
  checks: { id: string; status: string; summary: string; hint?: string }[];
  host: {
    init: { systemd: boolean; pid1: string };
    cgroup: { mode: string; controllers: { name: string; writable: boolean | null }[] };
    selinux: { mode: string };
    capabilities: { sysResource: boolean };
    limits: { nofile: { hard: number | string } };
    podman: { version: string | null };
    quadlet: { available: boolean };
  };
}

const sh = (script: string) => spawnSync("/bin/sh", ["-c", script], { encoding: "utf8" });

test("qm doctor --json tells the truth about this host", { skip: rootSkipReason() }, (t) => {
  const dir = tempDir(t);
  const snapshotFile = join(dir, "host.json");
  const r = spawnSync(process.execPath, [distBin("qm"), "doctor", "--json", "--record", snapshotFile], {
    encoding: "utf8",
  });
  const doc = JSON.parse(r.stdout) as Doc;
  assert.equal(r.status, doc.ready ? 0 : 4, "exit status follows readiness");

  // Each fact against an independent oracle.
  const pid1 = readFileSync("/proc/1/comm", "utf8").trim();
  assert.equal(doc.host.init.pid1, pid1);
  assert.equal(doc.host.init.systemd, pid1 === "systemd" && existsSync("/run/systemd/system"));

  const fsType = sh("stat -fc %T /sys/fs/cgroup").stdout.trim();
  const expectedMode = fsType === "cgroup2fs" ? "v2" : existsSync("/sys/fs/cgroup/unified") ? "hybrid" : "v1";
  assert.equal(doc.host.cgroup.mode, expectedMode);

  // Only a process holding CAP_SYS_RESOURCE may lower its oom_score_adj below 0.
  const lower = sh("echo -1 > /proc/self/oom_score_adj");
  assert.equal(doc.host.capabilities.sysResource, lower.status === 0);

  const hardNofile = sh("ulimit -Hn").stdout.trim();
  assert.equal(String(doc.host.limits.nofile.hard), hardNofile);

  assert.equal(doc.host.selinux.mode === "disabled", !existsSync("/sys/fs/selinux/enforce"));

  const podman = sh("podman --version");
  if (podman.status === 0) {
    assert.equal(doc.host.podman.version, /(\d+\.\d+\.\d+)/.exec(podman.stdout)?.[1]);
    const quadletBinary = existsSync("/usr/libexec/podman/quadlet") || existsSync("/usr/lib/podman/quadlet");
    assert.equal(doc.host.quadlet.available, quadletBinary);
  } else {
    assert.equal(doc.checks.find((c) => c.id === "podman")?.status, "fail");
  }

  for (const c of doc.checks) {
    if (c.status === "fail" || c.status === "warn")
      assert.ok(c.hint || c.id.startsWith("space"), `${c.id} has a hint`);
  }
  assert.ok(!sh("ls -d /sys/fs/cgroup/*/qm-doctor-* 2>/dev/null").stdout, "cgroup probes removed");

  // The recorded snapshot replays to the same verdicts.
  const replay = spawnSync(
    process.execPath,
    [distBin("qm"), "doctor", "--json", "--snapshot", snapshotFile],
    { encoding: "utf8" },
  );
  const again = JSON.parse(replay.stdout) as Doc;
  assert.deepEqual(again.checks, doc.checks);
  assert.deepEqual(again.plan, doc.plan);
});

test("qm doctor text output lists every check and a verdict", { skip: rootSkipReason() }, () => {
  const r = spawnSync(process.execPath, [distBin("qm"), "doctor"], { encoding: "utf8" });
  assert.match(r.stdout, /^qm doctor /);
  assert.match(r.stdout, /\n\s+(ok|info|WARN|FAIL)\s+podman\s/);
  assert.match(r.stdout, /This host (can|cannot) run a QM partition/);
});
