import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { statusOutput } from "../cli/commands/lifecycle.js";
import type { ContainerState } from "../engine/podman.js";
import type { PartitionContext } from "./context.js";
import { type HostLimits, hostLimits } from "./health.js";
import { directRuntime, systemdRuntime } from "./runtime.js";
import { partitionRuns, partitionStatus, type StatusReport } from "./status.js";
import { contextWith, ctx, FakeHost, QM, recorded } from "./testing/fake-host.js";

const noLimits: HostLimits = { ungrantedCapabilities: [], oomFloor: null };
const BASE = "/usr/share/containers/systemd/qm.container";

/** A direct-mode partition qm start left with the configuration on disk: running, supervised, 90 s up. */
function startedHost(): FakeHost {
  const host = new FakeHost();
  host.running();
  host.runState = { ...recorded, configHash: ctx.configHash, sources: ctx.sources };
  host.time = Date.parse("2026-12-05T05:01:30Z");
  return host;
}

async function direct(host: FakeHost, limits = noLimits, c: PartitionContext = ctx) {
  const ports = host.ports();
  return shown(await partitionStatus(ports, directRuntime(ports), c, limits));
}

const sdctx = { ...ctx, containerName: "systemd-qm" } as PartitionContext;

async function systemd(host: FakeHost) {
  const ports = host.ports();
  return shown(await partitionStatus(ports, systemdRuntime(ports), sdctx, noLimits));
}

/** The report as qm status shows it: its text, its --json document and its exit status. */
function shown(report: StatusReport) {
  const out = statusOutput(report);
  return { report, text: out.text(), json: JSON.parse(JSON.stringify(out.data)), exit: out.exitCode };
}

describe("qm status, direct mode", () => {
  test("running: processes, supervisor, uptime, restarts, usage; exit status 0", async () => {
    const host = startedHost();
    host.texts.set(
      ctx.paths.supervisorLog,
      "2026-12-05T05:00:10Z qm restarted\nnoise\n2026-12-05T05:00:20Z qm restarted\n",
    );
    const { text, json, exit } = await direct(host);
    assert.equal(exit, 0);
    assert.equal(
      text,
      [
        "qm.service (direct mode): running",
        "  init 100 alive (oom_score_adj 500), conmon 90 alive (oom_score_adj 500)",
        "  supervisor 7 alive",
        "  container qm, pid 100, up 90 s, restarts 2",
        "  partition systemd: running",
        "  memory 64.0 MiB of no limit, tasks 12 of no limit, cpu - s",
        "  /var: no source on the host's root filesystem: not bounded, filling it fills the host",
        "  nested quadlets: not converted (the tree has no quadlet generator)",
        "  last supervisor event: 2026-12-05T05:00:20Z qm restarted",
      ].join("\n"),
    );
    assert.deepEqual(
      { state: json.state, reason: json.reason, pid: json.pid, supervisor: json.supervisor },
      { state: "running", reason: null, pid: 100, supervisor: { pid: 7, alive: true } },
    );
    assert.deepEqual([json.uptimeSeconds, json.restarts, json.restartPending], [90, 2, false]);
    assert.deepEqual(json.usage, { memoryBytes: 64 * 1024 ** 2, tasks: 12 });
  });

  test("dead but recorded (container exited, no supervisor): failed, exit status 3, no usage", async () => {
    const host = startedHost();
    host.containers.set("qm", {
      ...(host.containers.get("qm") as ContainerState),
      status: "exited",
      exitCode: 137,
    });
    host.live.clear();
    host.supervisorPid = null;
    const { text, json, exit } = await direct(host);
    assert.equal(exit, 3);
    const reason =
      "podman records the container as exited (exit status 137); its supervisor is not running: 'qm start' starts it again";
    assert.equal(text.split("\n")[0], `qm.service (direct mode): failed: ${reason}`);
    assert.match(text, /^ {2}supervisor 7 not running$/m);
    assert.doesNotMatch(text, /container qm, pid/);
    assert.deepEqual(
      { state: json.state, reason: json.reason, pid: json.pid, usage: json.usage, startedAt: json.startedAt },
      { state: "failed", reason, pid: null, usage: {}, startedAt: null },
    );
  });

  test("systemd in the partition does not answer: unreachable, exit status 3, with podman's words", async () => {
    const host = startedHost();
    host.systemState = null;
    const { text, json, exit } = await direct(host);
    assert.equal(exit, 3);
    assert.equal(
      text.split("\n")[0],
      "qm.service (direct mode): unreachable: the partition's systemd does not answer (cannot exec in a stopped container)",
    );
    assert.match(text, /^ {2}partition systemd: no answer$/m);
    assert.deepEqual([json.state, json.systemState, json.pid], ["unreachable", null, 100]);
  });

  test("conmon dead: failed (nothing watches it), the supervisor gone; conmon shown gone", async () => {
    const host = startedHost();
    host.live.delete(90);
    host.supervisorPid = null;
    const { text, json, exit } = await direct(host);
    assert.equal(exit, 3);
    assert.equal(json.state, "failed");
    assert.equal(
      json.reason,
      "its conmon (pid 90) is gone: nothing watches the partition; its supervisor is not running: 'qm start' starts it again",
    );
    assert.match(text, /^ {2}init 100 alive \(oom_score_adj 500\), conmon 90 gone$/m);
    assert.deepEqual(json.conmon, { pid: 90, alive: false, oomScoreAdj: null });
  });

  test("init dead, podman still saying running: restarting while the supervisor lives, else failed (the OOM killer named)", async () => {
    const host = startedHost();
    host.live.delete(100);
    const restarting = await direct(host);
    assert.equal(restarting.exit, 3);
    assert.equal(restarting.json.state, "restarting");
    assert.equal(
      restarting.json.reason,
      "its init (pid 100) is gone, though podman still records it as running; the supervisor is starting it again",
    );
    host.supervisorPid = null;
    host.oomKilled = [100];
    const { json, text } = await direct(host);
    assert.equal(json.state, "failed");
    assert.match(json.reason, /: 'qm start' starts it again \(the kernel's OOM killer killed its init\)$/);
    assert.match(text, /^qm\.service \(direct mode\): failed: its init \(pid 100\) is gone/);
    host.oomKilled = null;
    assert.doesNotMatch(
      (await direct(host)).json.reason,
      /OOM killer/,
      "an unreadable kernel log says nothing",
    );
  });

  test("degraded: running, with the failed units", async () => {
    const host = startedHost();
    host.systemState = "degraded";
    host.failedUnits = ["a.service", "b.service"];
    const { text, json, exit } = await direct(host);
    assert.equal(exit, 0);
    assert.deepEqual([json.state, json.failedUnits], ["running", ["a.service", "b.service"]]);
    assert.match(text, /^ {2}partition systemd: degraded; failed units: a\.service, b\.service$/m);
    assert.ok(host.calls.includes("exec qm systemctl list-units --failed"));
    host.systemState = "running";
    assert.deepEqual(
      (await direct(host)).json.failedUnits,
      [],
      "the failed units are asked for only when degraded",
    );
  });

  test("configuration changed since start: restart pending, each file named", async () => {
    const host = startedHost();
    const dropin = "/etc/containers/systemd/qm.container.d/10-gone.conf";
    host.runState = {
      ...recorded,
      configHash: "started-with-another",
      sources: [
        { path: BASE, sha256: "0000" },
        { path: dropin, sha256: "1111" },
      ],
    };
    const { text, json, exit } = await direct(host);
    assert.equal(exit, 0);
    assert.equal(json.restartPending, true);
    assert.deepEqual(json.pendingChanges, [
      { path: BASE, change: "changed" },
      { path: dropin, change: "removed" },
    ]);
    assert.match(
      text,
      new RegExp(
        `restart pending: the configuration on disk changed since start \\('qm restart' applies it\\)\\n {4}changed: ${BASE}\\n {4}removed: ${dropin}`,
      ),
    );
  });

  test("capabilities the host cannot grant, and an OOM score that is no floor", async () => {
    const host = startedHost();
    const c = contextWith(`${QM}\n[Container]\nAddCapability=sys_resource\n`);
    host.runState = { ...recorded, configHash: c.configHash, sources: c.sources };
    // CapEff without bit 24 (CAP_SYS_RESOURCE).
    const limits = hostLimits(c, { effective: "00000000feffffff", sysResource: false });
    const { text, json, exit } = await direct(host, limits, c);
    assert.equal(exit, 0);
    assert.deepEqual(json.ungrantedCapabilities, [
      {
        capability: "CAP_SYS_RESOURCE",
        file: BASE,
        line: 15,
        reason: "the host does not hold it (not in qm's effective set), so podman cannot grant it",
      },
    ]);
    assert.match(
      text,
      /\n {2}capabilities asked for that this host cannot grant:\n {4}CAP_SYS_RESOURCE \(\/usr\/share\/containers\/systemd\/qm\.container:15\): the host does not hold it/,
    );
    assert.match(text, /\n {2}oom floor: OOMScoreAdjust=500 is not a floor on this host/);
  });

  test("never started: stopped, exit status 3, nothing asked of the partition", async () => {
    const host = new FakeHost();
    host.supervisorPid = null;
    const { text, json, exit } = await direct(host);
    assert.equal(exit, 3);
    assert.equal(text.split("\n")[0], "qm.service (direct mode): stopped");
    assert.deepEqual(
      [json.state, json.init, json.supervisor, json.nestedGenerator],
      ["stopped", null, null, null],
    );
    assert.deepEqual(host.calls, []);
  });

  test("below another root, a container of the same name that this root's qm start did not record is not its partition", async () => {
    const host = new FakeHost();
    host.running(); // the host's partition, named alike, in the same podman store
    const below = { ...ctx, root: "/srv/image" } as PartitionContext;
    const { text, json, exit } = await direct(host, noLimits, below);
    assert.equal(exit, 3);
    assert.equal(text.split("\n")[0], "qm.service (direct mode): stopped");
    assert.deepEqual([json.state, json.init, json.conmon, json.pid], ["stopped", null, null, null]);
    assert.deepEqual(host.calls, [], "podman is not asked for a partition nothing recorded");
    // On /, the same container is the partition (podman restart qm, or started by hand).
    assert.equal((await direct(host)).json.state, "running");
    // Recorded by this root's qm start: looked at.
    host.runState = { ...recorded, configHash: ctx.configHash, sources: ctx.sources };
    assert.equal((await direct(host, noLimits, below)).json.state, "running");
  });

  test("the BlueChi node: asked only when the partition runs and its tree has the agent", async () => {
    const host = startedHost();
    host.bluechi = { node: "qm.car1", agent: "active", connected: true, controller: "offline" };
    assert.equal((await direct(host)).json.bluechi, null);
    assert.ok(!host.calls.some((c) => c.includes("bluechi")));
    host.files.add("/usr/lib/qm/rootfs/usr/libexec/bluechi-agent");
    const { text, json } = await direct(host);
    assert.deepEqual(json.bluechi, {
      node: "qm.car1",
      agent: "active",
      connected: true,
      controller: "offline",
    });
    assert.ok(host.calls.includes("exec qm bluechi probe"));
    assert.match(
      text,
      /^ {2}BlueChi: node qm\.car1, agent active, connected; this host's controller says offline$/m,
    );
    // Exited: podman still names its tree, but nothing is asked of a partition that does not run.
    host.containers.set("qm", { ...(host.containers.get("qm") as ContainerState), status: "exited" });
    host.calls.length = 0;
    assert.equal((await direct(host)).json.bluechi, null);
    assert.ok(!host.calls.some((c) => c.includes("bluechi")));
  });

  test("the tree's quadlet generator is looked at in the rootfs podman names", async () => {
    const host = startedHost();
    host.files.add("/usr/lib/qm/rootfs/usr/libexec/podman/quadlet");
    const { text, json } = await direct(host);
    assert.deepEqual(json.nestedGenerator, { kind: "podman", path: "/usr/libexec/podman/quadlet" });
    assert.match(
      text,
      /^ {2}nested quadlets: converted by podman's quadlet \(\/usr\/libexec\/podman\/quadlet\)$/m,
    );
  });
});

describe("qm status, systemd mode", () => {
  test("running: systemd's unit active and the partition's systemd answering; no supervisor", async () => {
    const host = new FakeHost();
    host.running("systemd-qm");
    host.units.set("qm.service", { ActiveState: "active", SubState: "running", Result: "success" });
    // A record a direct-mode start left: its supervisor is no concern of systemd's.
    host.runState = { ...recorded, configHash: ctx.configHash };
    const { text, json, exit } = await systemd(host);
    assert.equal(exit, 0);
    assert.equal(text.split("\n")[0], "qm.service (systemd mode): running");
    assert.match(text, /^ {2}container systemd-qm, pid 100, /m);
    assert.doesNotMatch(text, /supervisor/);
    assert.deepEqual([json.mode, json.supervisor, json.containerName], ["systemd", null, "systemd-qm"]);
  });

  test("unit active but its container gone: failed, systemd did not restart it", async () => {
    const host = new FakeHost();
    host.units.set("qm.service", { ActiveState: "active", SubState: "running", Result: "success" });
    const { json, exit } = await systemd(host);
    assert.equal(exit, 3);
    assert.deepEqual(
      [json.state, json.reason],
      ["failed", "the container is gone: systemd did not restart it"],
    );
  });

  test("unit failed, and unreachable: exit status 3 with systemd's words", async () => {
    const host = new FakeHost();
    host.running("systemd-qm");
    host.units.set("qm.service", { ActiveState: "failed", Result: "exit-code" });
    const failed = await systemd(host);
    assert.deepEqual(
      [failed.exit, failed.json.state, failed.json.reason],
      [3, "failed", "qm.service is failed"],
    );
    host.units.set("qm.service", { ActiveState: "active", Result: "success" });
    host.systemState = null;
    const unreachable = await systemd(host);
    assert.deepEqual([unreachable.exit, unreachable.json.state], [3, "unreachable"]);
    assert.match(
      unreachable.text,
      /^qm\.service \(systemd mode\): unreachable: the partition's systemd does not answer/,
    );
  });

  test("degraded: the failed units of the partition's systemd", async () => {
    const host = new FakeHost();
    host.running("systemd-qm");
    host.units.set("qm.service", { ActiveState: "active", Result: "success" });
    host.systemState = "degraded";
    host.failedUnits = ["c.service"];
    const { text, exit } = await systemd(host);
    assert.equal(exit, 0);
    assert.match(text, /^ {2}partition systemd: degraded; failed units: c\.service$/m);
  });
});

describe("whether the partition runs (qm dropin list)", () => {
  test("direct mode: only a partition recorded under this root, and only while it runs or is brought back", async () => {
    const host = new FakeHost();
    host.running(); // another root's partition, named alike
    const ports = host.ports();
    const rt = directRuntime(ports);
    assert.deepEqual(await partitionRuns(ports, rt, ctx), { running: false, configHash: null });
    assert.deepEqual(host.calls, [], "podman is not asked for a partition nothing recorded");
    host.runState = recorded;
    assert.deepEqual(await partitionRuns(ports, rt, ctx), { running: true, configHash: "h" });
    host.live.clear();
    assert.equal(
      (await partitionRuns(ports, rt, ctx)).running,
      true,
      "restarting: its supervisor brings it back",
    );
    host.supervisorPid = null;
    assert.deepEqual(await partitionRuns(ports, rt, ctx), { running: false, configHash: "h" });
  });

  test("systemd mode: systemd's unit and the partition, without a record", async () => {
    const host = new FakeHost();
    host.running("systemd-qm");
    host.units.set("qm.service", { ActiveState: "active", Result: "success" });
    const ports = host.ports();
    assert.deepEqual(await partitionRuns(ports, systemdRuntime(ports), sdctx), {
      running: true,
      configHash: null,
    });
    host.units.set("qm.service", { ActiveState: "inactive", Result: "success" });
    host.containers.clear();
    assert.equal((await partitionRuns(ports, systemdRuntime(ports), sdctx)).running, false);
  });
});
