import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { QmError } from "../core/errors.js";
import type { ProcessIdentity } from "../engine/host.js";
import type { ContainerState } from "../engine/podman.js";
import { generateServiceFrom, loadEffectiveUnitFrom } from "../quadlet/index.js";
import { memoryUnitFs } from "../unit/fs.js";
import type { VarMount } from "./bounded-var.js";
import type { CgroupHost } from "./cgroup-plan.js";
import { contextOf, type PartitionContext } from "./context.js";
import type { DirectHost } from "./direct-plan.js";
import { judge } from "./health.js";
import type { RunState } from "./runstate.js";
import { directRuntime, type Ports, type StartInput, systemdRuntime } from "./runtime.js";

/** A host made of data: containers podman records, live processes, a supervisor, systemd's units; calls recorded. */
class FakeHost {
  calls: string[] = [];
  containers = new Map<string, ContainerState>();
  live = new Map<number, number>(); // pid -> oom_score_adj
  supervisorPid: number | null = 7;
  files = new Set<string>();
  units = new Map<string, Record<string, string>>();
  systemState: string | null = "running";
  /** podman does not answer (its storage locked): every question fails as inspectContainer does then. */
  unresponsive = false;
  /** podman stop does not answer (the lock taken after inspect answered): it fails as podman() does then. */
  stopHangs = false;
  /** podman run's exit status. */
  runStatus = 0;
  /** systemctl start's exit status. */
  unitStartStatus = 0;
  failedUnits: string[] = [];
  runState: RunState | null = null;
  /** Cgroups that stay populated, however often they are removed. */
  populated: string[] = [];
  mountUnits = new Map<string, VarMount>();
  time = 1_000_000;

  ports(): Ports {
    return {
      podman: {
        inspect: async (name) => {
          if (this.unresponsive)
            throw new QmError("QM_PODMAN_UNRESPONSIVE", "podman did not answer within 3 s");
          return this.containers.get(name) ?? null;
        },
        systemState: async (name) => {
          this.calls.push(`exec ${name} systemctl is-system-running`);
          return this.systemState === null
            ? { state: null, error: "cannot exec in a stopped container" }
            : { state: this.systemState, error: null };
        },
        stop: async (name, timeoutSec) => {
          this.calls.push(`podman stop ${name}`);
          if (this.stopHangs)
            throw new QmError(
              "QM_PODMAN_UNRESPONSIVE",
              `podman did not answer within ${timeoutSec + 3} s (podman stop --time ${timeoutSec} ${name})`,
            );
          const c = this.containers.get(name);
          if (c && this.live.has(c.conmonPid)) {
            this.live.delete(c.pid);
            this.live.delete(c.conmonPid);
            this.containers.set(name, { ...c, status: "exited" });
          }
        },
        remove: async (name) => {
          this.calls.push(`podman rm ${name}`);
          this.containers.delete(name);
        },
        run: async (argv, oomScoreAdjust) => {
          this.calls.push(`podman run at ${oomScoreAdjust}: ${argv.join(" ")}`);
          if (this.runStatus === 0) this.running(ctx.containerName);
          return { code: this.runStatus, stderr: this.runStatus === 0 ? "" : "Error: no such image\n" };
        },
        discard: async (name) => {
          this.calls.push(`podman rm --time 0 ${name}`);
          this.containers.delete(name);
        },
        failedUnits: async () => this.failedUnits,
      },
      systemctl: {
        show: async (unit) => this.units.get(unit) ?? { ActiveState: "inactive" },
        stop: async (unit) => {
          this.calls.push(`systemctl stop ${unit}`);
        },
        daemonReload: async () => {
          this.calls.push("systemctl daemon-reload");
        },
        start: async (unit) => {
          this.calls.push(`systemctl start ${unit}`);
          if (this.unitStartStatus === 0) this.running("systemd-qm");
          return { code: this.unitStartStatus, stderr: this.unitStartStatus === 0 ? "" : "Job failed.\n" };
        },
      },
      processes: {
        alive: (pid) => this.live.has(pid),
        oomScoreAdj: (pid) => this.live.get(pid) ?? null,
        kill: (pid) => {
          this.calls.push(`kill -9 ${pid}`);
          this.live.delete(pid);
        },
      },
      supervisor: {
        alive: (id) => id !== undefined && id.pid === this.supervisorPid,
        stop: async (id) => {
          if (id === undefined || id.pid !== this.supervisorPid) return false;
          this.calls.push(`stop supervisor ${id.pid}`);
          this.supervisorPid = null;
          return true;
        },
        start: (o, policy) => {
          this.calls.push(`start supervisor ${policy}: ${o.argv.join(" ")}`);
          this.supervisorPid = 8;
          return { pid: 8, start: 2, bootId: "b" };
        },
      },
      files: {
        exists: (path) => this.files.has(path),
        remove: (path) => {
          this.files.delete(path);
          if (path === ctx.paths.runState) this.runState = null;
        },
        link: async (target, path) => {
          this.calls.push(`ln -s ${target} ${path}`);
          this.files.add(path);
        },
        readRunState: () => this.runState,
        writeRunState: (state) => {
          this.calls.push(`record${state.supervisor ? ` supervisor ${state.supervisor.pid}` : ""}`);
          this.runState = state;
        },
      },
      cgroups: {
        host: () => cgroupHost,
        apply: (plan) => {
          this.calls.push(`cgroups ${plan.dirs.join(" ")}`);
        },
        remove: (name) => {
          this.calls.push(`rmdir cgroups of ${name}`);
          return this.populated;
        },
      },
      mounts: {
        unitFor: (_root, path) => this.mountUnits.get(path) ?? null,
        mount: async (what, where) => {
          this.calls.push(`mount ${what} ${where}`);
          this.time += 250;
          return "mounted";
        },
      },
      clock: {
        now: () => this.time,
        sleep: async (ms) => {
          this.time += ms;
        },
      },
    };
  }

  /** A partition podman started: init 100, conmon 90, both at 500. */
  running(name = "qm"): void {
    this.containers.set(name, {
      id: "c0ffee",
      status: "running",
      pid: 100,
      conmonPid: 90,
      startedAt: "2026-12-05T05:00:00Z",
      restartCount: 0,
      exitCode: 0,
      rootfs: "/usr/lib/qm/rootfs",
      error: "",
    });
    this.live.set(100, 500);
    this.live.set(90, 500);
  }
}

const QM = `[Unit]
RequiresMountsFor=/var/lib/qm

[Container]
ContainerName=qm
Exec=/sbin/init
Rootfs=/usr/lib/qm/rootfs

[Service]
OOMScoreAdjust=500
Restart=always
MemoryMax=1G
`;

function contextWith(text: string): PartitionContext {
  const fs = memoryUnitFs({ "/usr/share/containers/systemd/qm.container": text });
  return contextOf("/", loadEffectiveUnitFrom(fs, "qm.container"), generateServiceFrom(fs, "qm.container"));
}

const ctx = contextWith(QM);

const cgroupHost: CgroupHost = {
  mode: "v2",
  mounts: { unified: "/sys/fs/cgroup" },
  memTotal: 8 * 1024 ** 3,
  tasksLimit: 32768,
  has: { cpuIdle: true, ioWeight: "io.weight", memsw: false },
  parentCpus: "0-1",
  parentMems: "0",
  devices: {},
};

const thisHost: DirectHost = {
  podmanVersion: { major: 4, minor: 7 },
  selinux: true,
  cgroupMode: "v2",
  runcAvailable: true,
  capSysResource: true,
  nofileHard: "unlimited",
  nprocHard: "unlimited",
  hostname: "car1",
};

const input: StartInput = {
  started: 1_000_000,
  wait: true,
  timeoutSec: 60,
  log: () => {},
  host: thisHost,
  podman: undefined,
  qmQuadlet: "/usr/lib/qm/dist/qm-quadlet.mjs",
  limits: { ungrantedCapabilities: [], oomFloor: null },
};

const supervisor: ProcessIdentity = { pid: 7, start: 1, bootId: "b" };
const recorded: RunState = {
  schema: 1,
  mode: "direct",
  serviceName: "qm.service",
  containerName: "qm",
  configHash: "h",
  argv: ["podman", "run"],
  adaptations: [],
  startedAt: "2026-12-05T05:00:00Z",
  supervisor,
};

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

  test("stop: the supervisor first, then podman stop and rm", async () => {
    const host = new FakeHost();
    host.running();
    const removed = await directRuntime(host.ports()).stopPartition(ctx, recorded);
    assert.deepEqual(host.calls, ["stop supervisor 7", "podman stop qm", "podman rm qm"]);
    assert.deepEqual(removed, ["supervisor (pid 7)", "container qm"]);
  });

  test("stop with conmon dead: init is killed first, podman cannot stop it", async () => {
    const host = new FakeHost();
    host.running();
    host.live.delete(90);
    await directRuntime(host.ports()).stopPartition(ctx, recorded);
    assert.deepEqual(host.calls, ["stop supervisor 7", "kill -9 100", "podman stop qm", "podman rm qm"]);
    assert.equal(host.live.size, 0);
  });

  test("stop while podman does not answer: the error, and the supervisor and the partition left as they were", async () => {
    const host = new FakeHost();
    host.running();
    host.unresponsive = true;
    await assert.rejects(directRuntime(host.ports()).stopPartition(ctx, recorded), /did not answer/);
    assert.deepEqual(host.calls, []);
    assert.equal(host.supervisorPid, 7);
    assert.equal(host.live.size, 2);
  });

  test("podman stop that does not answer: the error, and no rm of a partition whose state is unknown", async () => {
    const host = new FakeHost();
    host.running();
    host.stopHangs = true;
    await assert.rejects(
      directRuntime(host.ports()).stopPartition(ctx, recorded),
      (e: unknown) =>
        e instanceof QmError && e.code === "QM_PODMAN_UNRESPONSIVE" && /--time 10 qm/.test(e.message),
    );
    assert.deepEqual(host.calls, ["stop supervisor 7", "podman stop qm"]);
    assert.equal(host.live.size, 2);
  });

  test("stop of nothing: nothing to report", async () => {
    const host = new FakeHost();
    host.supervisorPid = null;
    assert.deepEqual(await directRuntime(host.ports()).stopPartition(ctx, null), []);
    assert.deepEqual(host.calls, []);
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

  test("stop is systemctl stop; no process is touched", async () => {
    const host = new FakeHost();
    host.running("systemd-qm");
    assert.deepEqual(await systemdRuntime(host.ports()).stopPartition(sdctx, null), []);
    assert.deepEqual(host.calls, ["systemctl stop qm.service"]);
    assert.equal(host.live.size, 2);
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
