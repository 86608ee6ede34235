import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { QmError } from "../core/errors.js";
import type { ContainerState } from "../engine/podman.js";
import type { PartitionContext } from "./context.js";
import { judge } from "./health.js";
import { directRuntime, restartPartition, systemdRuntime } from "./runtime.js";
import { contextWith, ctx, FakeHost, input, QM, recorded } from "./testing/fake-host.js";

describe("direct runtime", () => {
  test("observe: a healthy partition is running; its systemd is asked", async () => {
    const host = new FakeHost();
    host.running();
    const { observation } = await directRuntime(host.ports()).observe(ctx, recorded);
    assert.deepEqual(judge(observation), { state: "running", reason: null });
    assert.deepEqual(host.calls, ["exec qm systemctl is-system-running"]);
  });

  test("observe after kill -9 of conmon and init: podman's 'running' is not believed; systemd is not asked", async () => {
    const host = new FakeHost();
    host.running();
    host.live.clear();
    const rt = directRuntime(host.ports());
    assert.equal(judge((await rt.observe(ctx, recorded)).observation).state, "restarting");
    host.supervisorPid = null;
    const { observation } = await rt.observe(ctx, recorded);
    assert.equal(judge(observation).state, "failed");
    assert.equal(observation.supervisorAlive, false);
    assert.deepEqual(host.calls, []);
  });

  test("observe: the start limit, and nothing at all", async () => {
    const host = new FakeHost();
    host.files.add(ctx.paths.startLimitHit);
    host.supervisorPid = null;
    assert.equal(
      judge((await directRuntime(host.ports()).observe(ctx, recorded)).observation).state,
      "start-limit-hit",
    );
    assert.equal(
      judge((await directRuntime(new FakeHost().ports()).observe(ctx, null)).observation).state,
      "stopped",
    );
  });

  /** A partition qm start left: running, recorded, supervised, its cgroup and runtime files in place. */
  function startedHost(): FakeHost {
    const host = new FakeHost();
    host.running();
    host.runState = recorded;
    host.cgroupDirs = ["/sys/fs/cgroup/qm.service"];
    for (const f of [ctx.paths.runState, ctx.paths.cidFile, ctx.paths.supervisorLog]) host.files.add(f);
    return host;
  }

  test("stop: the supervisor first, then podman stop and rm, then the cgroups and the runtime files", async () => {
    const host = startedHost();
    const r = await directRuntime(host.ports()).stop(ctx);
    assert.deepEqual(host.calls, [
      "stop supervisor 7",
      "podman stop qm",
      "podman rm qm",
      "rmdir cgroups of qm.service",
      "rmdir /run/qm/start-limit",
      "rmdir /run/qm",
    ]);
    assert.deepEqual(r, {
      mode: "direct",
      action: "stopped",
      removed: [
        "supervisor (pid 7)",
        "container qm",
        "cgroup /sys/fs/cgroup/qm.service",
        "/run/qm/qm.service.json",
        "/run/qm.cid",
        "/run/qm/qm.service.log",
      ],
    });
    assert.deepEqual([...host.files], []);
    assert.equal(host.runState, null);
  });

  test("stop with conmon dead: init is killed first, podman cannot stop it", async () => {
    const host = startedHost();
    host.live.delete(90);
    await directRuntime(host.ports()).stop(ctx);
    assert.deepEqual(host.calls.slice(0, 4), [
      "stop supervisor 7",
      "kill -9 100",
      "podman stop qm",
      "podman rm qm",
    ]);
    assert.equal(host.live.size, 0);
  });

  test("stop of a partition gone by itself: what it left (cgroups, record) is removed", async () => {
    const host = startedHost();
    host.containers.clear();
    host.live.clear();
    host.supervisorPid = null;
    const r = await directRuntime(host.ports()).stop(ctx);
    assert.equal(r.action, "stopped");
    assert.deepEqual(r.removed.slice(0, 2), ["cgroup /sys/fs/cgroup/qm.service", "/run/qm/qm.service.json"]);
    assert.equal(host.runState, null);
  });

  test("stop after the record was lost: the cgroups left are removed all the same", async () => {
    const host = new FakeHost();
    host.supervisorPid = null;
    host.cgroupDirs = ["/sys/fs/cgroup/qm.service"];
    assert.deepEqual(await directRuntime(host.ports()).stop(ctx), {
      mode: "direct",
      action: "stopped",
      removed: ["cgroup /sys/fs/cgroup/qm.service"],
    });
    assert.deepEqual(host.cgroupDirs, []);
  });

  test("stop with cgroups still populated: QM_STOP_INCOMPLETE, and the record kept for the next stop", async () => {
    const host = startedHost();
    host.populated = ["/sys/fs/cgroup/qm.service"];
    await assert.rejects(
      directRuntime(host.ports()).stop(ctx),
      (e: unknown) =>
        e instanceof QmError &&
        e.code === "QM_STOP_INCOMPLETE" &&
        e.message === "cgroups still populated after stop: /sys/fs/cgroup/qm.service",
    );
    assert.ok(host.time >= 1_000_000 + 49 * 100, "waited for the cgroup's last processes");
    assert.ok(host.files.has(ctx.paths.runState));
  });

  test("stop while podman does not answer: the error, and the supervisor and the partition left as they were", async () => {
    const host = startedHost();
    host.unresponsive = true;
    await assert.rejects(directRuntime(host.ports()).stop(ctx), /did not answer/);
    assert.deepEqual(host.calls, []);
    assert.equal(host.supervisorPid, 7);
    assert.equal(host.live.size, 2);
    assert.equal(host.files.size, 3);
  });

  test("podman stop that does not answer: the error, and no rm of a partition whose state is unknown", async () => {
    const host = startedHost();
    host.stopHangs = true;
    await assert.rejects(
      directRuntime(host.ports()).stop(ctx),
      (e: unknown) =>
        e instanceof QmError && e.code === "QM_PODMAN_UNRESPONSIVE" && /--time 10 qm/.test(e.message),
    );
    assert.deepEqual(host.calls, ["stop supervisor 7", "podman stop qm"]);
    assert.equal(host.live.size, 2);
  });

  test("stop of nothing: not running, nothing touched", async () => {
    const host = new FakeHost();
    host.supervisorPid = null;
    assert.deepEqual(await directRuntime(host.ports()).stop(ctx), {
      mode: "direct",
      action: "not running",
      removed: [],
    });
    assert.deepEqual(host.calls, []);
  });

  test("logs: the partition's journal while it runs, podman's console log otherwise", async () => {
    const host = new FakeHost();
    host.running();
    const rt = directRuntime(host.ports());
    await rt.logs(ctx, { follow: true, lines: 50 });
    host.containers.set("qm", { ...(host.containers.get("qm") as ContainerState), status: "exited" });
    await rt.logs(ctx, { follow: false, lines: 20 });
    // The recorded container is the one looked at, whatever the configuration names now.
    host.containers.clear();
    host.running("old-qm");
    host.runState = { ...recorded, containerName: "old-qm" };
    await rt.logs(ctx, { follow: false, lines: undefined });
    host.containers.clear();
    await rt.logs(ctx, { follow: true, lines: undefined });
    assert.deepEqual(host.shown, [
      "exec qm journalctl --follow --lines 50",
      "podman logs --tail 20 qm",
      "exec old-qm journalctl",
      "podman logs --follow old-qm",
    ]);
  });
});

describe("systemd runtime", () => {
  const sdctx = { ...ctx, containerName: "systemd-qm" } as PartitionContext;

  test("observe: systemd's view and the partition's own", async () => {
    const host = new FakeHost();
    host.running("systemd-qm");
    host.units.set("qm.service", { ActiveState: "active", SubState: "running", Result: "success" });
    const rt = systemdRuntime(host.ports());
    const { observation } = await rt.observe(sdctx, null);
    assert.equal(observation.supervisorAlive, null);
    assert.deepEqual(judge(observation), { state: "running", reason: null });
    host.systemState = null;
    assert.deepEqual(judge((await rt.observe(sdctx, null)).observation), {
      state: "unreachable",
      reason: "the partition's systemd does not answer (cannot exec in a stopped container)",
    });
  });

  test("observe: start-limit-hit and a stopped unit", async () => {
    const host = new FakeHost();
    host.units.set("qm.service", { ActiveState: "failed", Result: "start-limit-hit" });
    const rt = systemdRuntime(host.ports());
    assert.equal(judge((await rt.observe(sdctx, null)).observation).state, "start-limit-hit");
    host.units.set("qm.service", { ActiveState: "inactive", Result: "success" });
    assert.equal(judge((await rt.observe(sdctx, null)).observation).state, "stopped");
  });

  test("stop is systemctl stop; no process, cgroup or file is touched", async () => {
    const host = new FakeHost();
    host.running("systemd-qm");
    host.cgroupDirs = ["/sys/fs/cgroup/qm.service"];
    host.files.add(ctx.paths.runState);
    assert.deepEqual(await systemdRuntime(host.ports()).stop(sdctx), {
      mode: "systemd",
      action: "stopped",
      removed: [],
    });
    assert.deepEqual(host.calls, ["systemctl stop qm.service"]);
    assert.equal(host.live.size, 2);
    assert.equal(host.files.size, 1);
  });

  test("logs: the unit's journal on the host, whether the partition runs or not", async () => {
    const host = new FakeHost();
    const rt = systemdRuntime(host.ports());
    await rt.logs(sdctx, { follow: false, lines: 5 });
    host.running("systemd-qm");
    await rt.logs(sdctx, { follow: true, lines: undefined });
    assert.deepEqual(host.shown, [
      "journalctl --unit qm.service --lines 5",
      "journalctl --unit qm.service --follow",
    ]);
  });
});

describe("direct runtime: start", () => {
  const podmanRun = (calls: string[]) => calls.find((c) => c.startsWith("podman run")) ?? "";

  test("a clean start: /var mounted, cgroups, recorded before podman runs, at OOMScoreAdjust, then supervised", async () => {
    const host = new FakeHost();
    host.supervisorPid = null;
    host.mountUnits.set("/var/lib/qm", {
      what: "/var/lib/qm.img",
      where: "/var/lib/qm",
      type: "ext4",
      options: "loop",
    });
    const r = await directRuntime(host.ports()).start(ctx, input);
    const run = podmanRun(host.calls);
    assert.match(run, /^podman run at 500: \S*podman .*run .*--cgroup-parent=\/qm\.service .*--name qm /);
    assert.deepEqual(host.calls, [
      "mount /var/lib/qm.img /var/lib/qm",
      "cgroups /sys/fs/cgroup/qm.service",
      "record",
      run,
      `start supervisor always: ${run.slice("podman run at 500: ".length)}`,
      "record supervisor 8",
      "exec qm systemctl is-system-running",
    ]);
    assert.equal(host.runState?.configHash, ctx.configHash);
    assert.deepEqual(
      { action: r.action, pid: r.pid, systemState: r.systemState, supervisorPid: r.supervisorPid },
      { action: "started", pid: 100, systemState: "running", supervisorPid: 8 },
    );
    assert.deepEqual(r.mounted, [{ what: "/var/lib/qm.img", where: "/var/lib/qm", seconds: 0.25 }]);
    assert.equal(r.seconds, 0.25);
  });

  test("stale files of an earlier run go before podman runs: its --cidfile, the start limit, the supervisor's log", async () => {
    const host = new FakeHost();
    const { cidFile, startLimitHit, startLimitRecord, supervisorLog } = ctx.paths;
    for (const f of [cidFile, startLimitHit, startLimitRecord, supervisorLog]) host.files.add(f);
    await directRuntime(host.ports()).start(ctx, input);
    assert.deepEqual([...host.files], []);
  });

  test("Restart=no: no supervisor; --no-wait: the partition's systemd is not asked", async () => {
    const host = new FakeHost();
    const r = await directRuntime(host.ports()).start(contextWith(`${QM}Restart=no\n`), {
      ...input,
      wait: false,
    });
    assert.equal(r.supervisorPid, null);
    assert.deepEqual(
      host.calls.filter((c) => !c.startsWith("podman run")),
      ["cgroups /sys/fs/cgroup/qm.service", "record"],
    );
  });

  test("already running and supervised: nothing is started", async () => {
    const host = new FakeHost();
    host.running();
    host.runState = recorded;
    const r = await directRuntime(host.ports()).start(ctx, input);
    assert.equal(r.action, "already running");
    assert.equal(r.supervisorPid, 7);
    assert.deepEqual(host.calls, ["exec qm systemctl is-system-running"]);
  });

  test("running without its supervisor (qm start killed before it): supervision resumed with the recorded command", async () => {
    const host = new FakeHost();
    host.running();
    host.supervisorPid = null;
    host.runState = recorded;
    const r = await directRuntime(host.ports()).start(ctx, input);
    assert.equal(r.action, "supervision resumed");
    assert.deepEqual(host.calls, [
      "start supervisor always: podman run",
      "record supervisor 8",
      "exec qm systemctl is-system-running",
    ]);
    assert.equal(host.runState?.configHash, "h");
  });

  test("dead but recorded (conmon gone, init alive): the old supervisor and init go, then a clean start", async () => {
    const host = new FakeHost();
    host.running();
    host.live.delete(90);
    host.runState = recorded;
    const r = await directRuntime(host.ports()).start(ctx, input);
    assert.equal(r.action, "started");
    assert.deepEqual(host.calls.slice(0, 3), [
      "stop supervisor 7",
      "kill -9 100",
      "cgroups /sys/fs/cgroup/qm.service",
    ]);
  });

  test("podman run fails: the container, the cgroups and the record go; the error has podman's words", async () => {
    const host = new FakeHost();
    host.runStatus = 125;
    await assert.rejects(
      directRuntime(host.ports()).start(ctx, input),
      (e: unknown) =>
        e instanceof QmError &&
        e.code === "QM_START_FAILED" &&
        /exit status 125\):\nError: no such image$/.test(e.message),
    );
    assert.deepEqual(host.calls.slice(3), ["podman rm --time 0 qm", "rmdir cgroups of qm.service"]);
    assert.equal(host.runState, null, "the record is removed");
  });

  test("a partition whose systemd never boots: QM_START_TIMEOUT after --timeout, the partition left running", async () => {
    const host = new FakeHost();
    host.systemState = "starting";
    await assert.rejects(
      directRuntime(host.ports()).start(ctx, { ...input, timeoutSec: 2 }),
      (e: unknown) =>
        e instanceof QmError && e.code === "QM_START_TIMEOUT" && /last state: starting/.test(e.message),
    );
    assert.ok(host.time > input.started + 2000);
    assert.equal(host.containers.get("qm")?.status, "running");
    assert.equal(host.supervisorPid, 8);
  });

  test("degraded: the failed units are listed", async () => {
    const host = new FakeHost();
    host.systemState = "degraded";
    host.failedUnits = ["a.service"];
    const r = await directRuntime(host.ports()).start(ctx, input);
    assert.deepEqual([r.systemState, r.failedUnits], ["degraded", ["a.service"]]);
  });
});

describe("systemd runtime: start", () => {
  test("daemon-reload, then systemctl start; the generated command is reported", async () => {
    const host = new FakeHost();
    host.files.add("/usr/libexec/podman/quadlet");
    const r = await systemdRuntime(host.ports()).start({ ...ctx, containerName: "systemd-qm" }, input);
    assert.deepEqual(host.calls, [
      "systemctl daemon-reload",
      "systemctl start qm.service",
      "exec systemd-qm systemctl is-system-running",
    ]);
    assert.deepEqual(
      { mode: r.mode, pid: r.pid, argv: r.argv, adaptations: r.adaptations, supervisorPid: r.supervisorPid },
      { mode: "systemd", pid: 100, argv: ctx.service.execStart, adaptations: [], supervisorPid: null },
    );
  });

  test("podman without quadlet: qm-quadlet becomes systemd's generator, once", async () => {
    const host = new FakeHost();
    const rt = systemdRuntime(host.ports());
    const r = await rt.start(ctx, { ...input, wait: false });
    const generator = "/etc/systemd/system-generators/qm-quadlet-generator";
    assert.equal(host.calls[0], `ln -s /usr/lib/qm/dist/qm-quadlet.mjs ${generator}`);
    assert.equal(r.adaptations[0]?.action, `qm-quadlet as systemd generator (${generator})`);
    host.calls = [];
    await rt.start(ctx, { ...input, wait: false });
    assert.deepEqual(host.calls, ["systemctl daemon-reload", "systemctl start qm.service"]);
    await assert.rejects(
      systemdRuntime(new FakeHost().ports()).start(ctx, { ...input, qmQuadlet: null }),
      /qm-quadlet is not installed/,
    );
  });

  test("systemctl start fails: the error names the unit and its journal", async () => {
    const host = new FakeHost();
    host.files.add("/usr/lib/podman/quadlet");
    host.unitStartStatus = 1;
    await assert.rejects(
      systemdRuntime(host.ports()).start(ctx, input),
      (e: unknown) =>
        e instanceof QmError &&
        e.message === "systemctl start qm.service failed: Job failed." &&
        /journalctl --no-pager -xu qm.service/.test(e.hint ?? ""),
    );
  });
});

describe("restart", () => {
  test("direct mode: the old partition, its supervisor, cgroups and record go, then a clean start with the configuration on disk", async () => {
    const host = new FakeHost();
    host.running();
    host.runState = recorded;
    host.cgroupDirs = ["/sys/fs/cgroup/qm.service"];
    host.files.add(ctx.paths.runState);
    let stoppedFirst = false;
    const { stopped, started } = await restartPartition(directRuntime(host.ports()), ctx, () => {
      stoppedFirst = host.containers.size === 0 && host.runState === null;
      return { ...input, started: host.time };
    });
    assert.ok(stoppedFirst, "the start's input is made after the stop");
    assert.deepEqual(stopped.removed.slice(0, 3), [
      "supervisor (pid 7)",
      "container qm",
      "cgroup /sys/fs/cgroup/qm.service",
    ]);
    assert.equal(started.action, "started");
    assert.deepEqual(
      host.calls.filter((c) => !c.startsWith("rmdir /run")),
      [
        "stop supervisor 7",
        "podman stop qm",
        "podman rm qm",
        "rmdir cgroups of qm.service",
        "cgroups /sys/fs/cgroup/qm.service",
        "record",
        host.calls.find((c) => c.startsWith("podman run")),
        host.calls.find((c) => c.startsWith("start supervisor")),
        "record supervisor 8",
        "exec qm systemctl is-system-running",
      ],
    );
    assert.equal(host.runState?.configHash, ctx.configHash, "recorded with the configuration it now runs");
  });

  test("systemd mode: systemctl stop, then daemon-reload and start", async () => {
    const host = new FakeHost();
    host.files.add("/usr/libexec/podman/quadlet");
    host.running("systemd-qm");
    const sdctx = { ...ctx, containerName: "systemd-qm" } as PartitionContext;
    const { stopped, started } = await restartPartition(systemdRuntime(host.ports()), sdctx, () => input);
    assert.deepEqual([stopped.action, started.action], ["stopped", "started"]);
    assert.deepEqual(host.calls, [
      "systemctl stop qm.service",
      "systemctl daemon-reload",
      "systemctl start qm.service",
      "exec systemd-qm systemctl is-system-running",
    ]);
  });
});
