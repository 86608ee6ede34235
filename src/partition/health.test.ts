import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { UnitValue } from "../unit/unit.js";
import { containerNameOf } from "./context.js";
import {
  judge,
  type Observation,
  oomFloorGap,
  sourceChanges,
  ungrantedCapabilities,
  warnings,
} from "./health.js";

const alive = (pid: number, oomScoreAdj = 500) => ({ pid, alive: true, oomScoreAdj });
const gone = (pid: number) => ({ pid, alive: false, oomScoreAdj: null });

const running: Observation = {
  mode: "direct",
  recorded: true,
  podmanStatus: "running",
  exitCode: 0,
  init: alive(100),
  conmon: alive(90),
  systemState: "running",
  systemError: null,
  supervisorAlive: true,
  startLimitHit: false,
  activeState: null,
  oomKills: null,
};

describe("qm status: what the observations mean", () => {
  test("running needs init and conmon alive and systemd booted", () => {
    assert.deepEqual(judge(running), { state: "running", reason: null });
    assert.deepEqual(judge({ ...running, systemState: "degraded" }), { state: "running", reason: null });
    assert.deepEqual(judge({ ...running, systemState: "starting" }), {
      state: "starting",
      reason: "the partition's systemd is starting",
    });
  });

  test("podman says running but init is gone: never running; restarting while the supervisor lives", () => {
    const dead = { ...running, init: gone(100), conmon: gone(90) };
    assert.deepEqual(judge(dead), {
      state: "restarting",
      reason:
        "its init (pid 100) is gone, though podman still records it as running; the supervisor is starting it again",
    });
    assert.deepEqual(judge({ ...dead, supervisorAlive: false }), {
      state: "failed",
      reason:
        "its init (pid 100) is gone, though podman still records it as running; its supervisor is not running: 'qm start' starts it again",
    });
  });

  test("conmon gone, init alive: nothing watches it", () => {
    const v = judge({ ...running, conmon: gone(90), supervisorAlive: false });
    assert.equal(v.state, "failed");
    assert.match(v.reason ?? "", /conmon \(pid 90\) is gone: nothing watches the partition/);
  });

  test("alive but systemd does not answer: unreachable, with podman's error", () => {
    assert.deepEqual(
      judge({ ...running, systemState: null, systemError: "cannot exec in a stopped container" }),
      {
        state: "unreachable",
        reason: "the partition's systemd does not answer (cannot exec in a stopped container)",
      },
    );
  });

  test("exited or gone containers, recorded or not", () => {
    assert.deepEqual(
      judge({ ...running, podmanStatus: "exited", exitCode: 137, supervisorAlive: false, oomKills: 2 }),
      {
        state: "failed",
        reason:
          "podman records the container as exited (exit status 137); its supervisor is not running; the kernel's OOM killer killed 2 process(es) in the partition's cgroup: 'qm start' starts it again",
      },
    );
    assert.deepEqual(judge({ ...running, podmanStatus: null, init: null, conmon: null, recorded: false }), {
      state: "stopped",
      reason: null,
    });
    assert.equal(
      judge({ ...running, podmanStatus: null, init: null, conmon: null, supervisorAlive: false }).state,
      "failed",
    );
    assert.deepEqual(judge({ ...running, podmanStatus: "exited", startLimitHit: true }), {
      state: "start-limit-hit",
      reason: "started too often (StartLimitBurst=): 'qm start' starts it",
    });
    assert.equal(judge({ ...running, startLimitHit: true }).state, "running");
  });

  test("systemd mode: the unit's state decides, and a dead init is no running partition", () => {
    const sd: Observation = { ...running, mode: "systemd", supervisorAlive: null, activeState: "active" };
    assert.equal(judge(sd).state, "running");
    assert.deepEqual(judge({ ...sd, activeState: "activating" }), {
      state: "restarting",
      reason: "qm.service is activating",
    });
    assert.equal(judge({ ...sd, activeState: "failed" }).state, "failed");
    assert.deepEqual(judge({ ...sd, activeState: "inactive", podmanStatus: null, recorded: false }), {
      state: "stopped",
      reason: null,
    });
    assert.deepEqual(judge({ ...sd, init: gone(100) }), {
      state: "failed",
      reason:
        "its init (pid 100) is gone, though podman still records it as running: systemd did not restart it",
    });
  });

  test("warnings: OOM scores that moved, a partition nobody supervises", () => {
    assert.deepEqual(warnings(running, 500), []);
    assert.deepEqual(warnings({ ...running, conmon: alive(90, 0), supervisorAlive: false }, 500), [
      "nothing supervises the partition (its supervisor is not running): 'qm start' resumes supervision",
      "conmon (pid 90) runs at oom_score_adj 0, not 500",
    ]);
    assert.deepEqual(warnings({ ...running, init: alive(100, 100) }, undefined), []);
  });
});

describe("configuration changes since start", () => {
  test("added, changed and removed files are named", () => {
    const before = [
      { path: "/usr/share/containers/systemd/qm.container", sha256: "a" },
      { path: "/etc/containers/systemd/qm.container.d/10-x.conf", sha256: "b" },
      { path: "/etc/containers/systemd/qm.container.d/20-y.conf", sha256: "c" },
    ];
    const after = [
      { path: "/usr/share/containers/systemd/qm.container", sha256: "a" },
      { path: "/etc/containers/systemd/qm.container.d/10-x.conf", sha256: "B" },
      { path: "/etc/containers/systemd/qm.container.d/30-z.conf", sha256: "d" },
    ];
    assert.deepEqual(sourceChanges(before, after), [
      { path: "/etc/containers/systemd/qm.container.d/10-x.conf", change: "changed" },
      { path: "/etc/containers/systemd/qm.container.d/30-z.conf", change: "added" },
      { path: "/etc/containers/systemd/qm.container.d/20-y.conf", change: "removed" },
    ]);
    assert.deepEqual(sourceChanges(before, before), []);
  });
});

describe("capabilities the host cannot grant", () => {
  const v = (value: string, line = 3): UnitValue => ({
    section: "Container",
    key: "AddCapability",
    value,
    file: "/etc/containers/systemd/qm.container.d/50-res.conf",
    line,
    column: 15,
  });
  // Everything but CAP_SYS_RESOURCE (bit 24): this machine kind.
  const noSysResource = "000001fffeffffff";

  test("sys_resource on a host without it is listed with the drop-in that asks", () => {
    assert.deepEqual(ungrantedCapabilities([v("sys_resource")], [], noSysResource), [
      {
        capability: "CAP_SYS_RESOURCE",
        file: "/etc/containers/systemd/qm.container.d/50-res.conf",
        line: 3,
        reason: "the host does not hold it (not in qm's effective set), so podman cannot grant it",
      },
    ]);
    assert.deepEqual(ungrantedCapabilities([v("CAP_SYS_RESOURCE net_admin")], [], "000001ffffffffff"), []);
  });

  test("all, held capabilities and an unknown effective set list nothing; a dropped or unknown one is said", () => {
    assert.deepEqual(ungrantedCapabilities([v("all"), v("net_admin sys_admin")], [], noSysResource), []);
    assert.deepEqual(ungrantedCapabilities([v("sys_resource")], [], null), []);
    assert.deepEqual(
      ungrantedCapabilities([v("sys_boot"), v("frobnicate", 4)], ["sys_boot"], "000001ffffffffff").map(
        (c) => `${c.capability}:${c.line}: ${c.reason}`,
      ),
      ["CAP_SYS_BOOT:3: DropCapability= drops it again", "CAP_FROBNICATE:4: not a capability this qm knows"],
    );
  });
});

describe("OOM score floor", () => {
  test("said only where a positive score is set without CAP_SYS_RESOURCE", () => {
    assert.match(oomFloorGap(500, false) ?? "", /^OOMScoreAdjust=500 is not a floor on this host/);
    assert.equal(oomFloorGap(500, true), null);
    assert.equal(oomFloorGap(undefined, false), null);
    assert.equal(oomFloorGap(0, false), null);
  });
});

describe("partition names", () => {
  test("the container's name is the generated --name, specifiers expanded", () => {
    assert.equal(containerNameOf(["podman", "run", "--name", "qm", "x"], "qm-1234.service"), "qm");
    assert.equal(containerNameOf(["podman", "run", "--name=systemd-%N", "x"], "qm.service"), "systemd-qm");
    assert.equal(containerNameOf(["podman", "run", "x"], "qm.service"), "qm");
  });
});
