import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { QmError } from "../core/errors.js";
import type { ProcessIdentity } from "../engine/host.js";
import type { ContainerState } from "../engine/podman.js";
import { type PartitionContext, partitionPaths } from "./context.js";
import { judge } from "./health.js";
import type { RunState } from "./runstate.js";
import { directRuntime, type Ports, systemdRuntime } from "./runtime.js";

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
      },
      systemctl: {
        show: async (unit) => this.units.get(unit) ?? { ActiveState: "inactive" },
        stop: async (unit) => {
          this.calls.push(`systemctl stop ${unit}`);
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
      },
      files: { exists: (path) => this.files.has(path) },
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

const ctx = {
  root: "/",
  serviceName: "qm.service",
  containerName: "qm",
  paths: partitionPaths("qm.service"),
} as PartitionContext;

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
