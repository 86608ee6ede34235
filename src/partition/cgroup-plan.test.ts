import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type CgroupHost, cpuShares, planCgroups } from "./cgroup-plan.js";
import type { ServiceSettings } from "./service-settings.js";

const none: ServiceSettings = {
  ioReadIopsMax: [],
  ioWriteIopsMax: [],
  restart: "no",
  startLimitIntervalSec: 10,
  startLimitBurst: 5,
  environment: {},
  unapplied: [],
};

const v1Mounts = {
  cpu: "/sys/fs/cgroup/cpu,cpuacct",
  cpuacct: "/sys/fs/cgroup/cpu,cpuacct",
  cpuset: "/sys/fs/cgroup/cpuset",
  memory: "/sys/fs/cgroup/memory",
  pids: "/sys/fs/cgroup/pids",
  blkio: "/sys/fs/cgroup/blkio",
};

function host(
  mode: "v1" | "v2",
  over: Partial<CgroupHost> = {},
  has: Partial<CgroupHost["has"]> = {},
): CgroupHost {
  return {
    mode,
    mounts: mode === "v2" ? { unified: "/sys/fs/cgroup" } : v1Mounts,
    memTotal: 1000,
    tasksLimit: 999,
    has: { cpuIdle: true, ioWeight: mode === "v2" ? "io.weight" : "blkio.bfq.weight", memsw: true, ...has },
    parentCpus: "0-3",
    parentMems: "0",
    devices: { "/dev/sda": "8:0" },
    ...over,
  };
}

/** The plan's writes as "path value" lines, in order. */
const writes = (s: Partial<ServiceSettings>, h: CgroupHost): string[] =>
  planCgroups("qm.service", { ...none, ...s }, h).writes.map((w) => `${w.path} ${w.value}`);

describe("cgroup v2 plan", () => {
  test("nothing set: only the controllers are enabled", () => {
    assert.deepEqual(writes({}, host("v2")), [
      "/sys/fs/cgroup/cgroup.subtree_control +cpu +cpuset +io +memory +pids",
    ]);
    assert.deepEqual(writes({}, host("v2", { mounts: {} })), [
      "/sys/fs/cgroup/cgroup.subtree_control +cpu +cpuset +io +memory +pids",
    ]);
    assert.deepEqual(planCgroups("qm.service", none, host("v2", { mounts: { unified: "/cg" } })).dirs, [
      "/cg/qm.service",
    ]);
  });

  test("every key written as systemd writes it", () => {
    const w = writes(
      {
        cpuWeight: 1,
        cpuQuotaPercent: 150,
        allowedCpus: "0-1",
        ioWeight: 10000,
        ioReadIopsMax: [{ device: "/dev/sda", iops: 50 }],
        ioWriteIopsMax: [{ device: "/dev/sda", iops: 60 }],
        memoryMax: { percent: 50 },
        memoryHigh: { bytes: 300 },
        memorySwapMax: "infinity",
        tasksMax: { percent: 10 },
      },
      host("v2"),
    ).slice(1);
    assert.deepEqual(w, [
      "/sys/fs/cgroup/qm.service/cpu.weight 1",
      "/sys/fs/cgroup/qm.service/cpu.max 150000 100000",
      "/sys/fs/cgroup/qm.service/cpuset.cpus 0-1",
      "/sys/fs/cgroup/qm.service/io.weight default 10000",
      "/sys/fs/cgroup/qm.service/io.max 8:0 riops=50",
      "/sys/fs/cgroup/qm.service/io.max 8:0 wiops=60",
      "/sys/fs/cgroup/qm.service/memory.max 500",
      "/sys/fs/cgroup/qm.service/memory.high 300",
      "/sys/fs/cgroup/qm.service/memory.swap.max max",
      "/sys/fs/cgroup/qm.service/pids.max 99",
    ]);
  });

  test("CPUQuota rounds to whole microseconds; TasksMax as a count or infinity", () => {
    assert.deepEqual(writes({ cpuQuotaPercent: 0.0015, tasksMax: { value: 7 } }, host("v2")).slice(1), [
      "/sys/fs/cgroup/qm.service/cpu.max 2 100000",
      "/sys/fs/cgroup/qm.service/pids.max 7",
    ]);
    assert.deepEqual(writes({ tasksMax: "infinity" }, host("v2")).slice(1), [
      "/sys/fs/cgroup/qm.service/pids.max max",
    ]);
  });

  test("what the host lacks is not written, and said so", () => {
    const plan = planCgroups(
      "qm.service",
      { ...none, ioWeight: 5, ioWriteIopsMax: [{ device: "/dev/nope", iops: 3 }] },
      host("v2", {}, { ioWeight: null }),
    );
    assert.equal(plan.writes.length, 1);
    assert.deepEqual(plan.adaptations, [
      {
        option: "IOWeight=5",
        action: "not applied",
        reason: "no io.weight (no io controller or weight-capable scheduler)",
      },
      { option: "IOWriteIOPSMax=/dev/nope 3", action: "not applied", reason: "/dev/nope does not exist" },
    ]);
    const idle = planCgroups(
      "qm.service",
      { ...none, cpuWeight: "idle" },
      host("v2", {}, { cpuIdle: false }),
    );
    assert.deepEqual(idle.adaptations, [
      {
        option: "CPUWeight=idle",
        action: "cpu.weight=1",
        reason: "the kernel has no cpu.idle (before 5.15)",
      },
    ]);
    assert.deepEqual(writes({ cpuWeight: "idle" }, host("v2")).slice(1), [
      "/sys/fs/cgroup/qm.service/cpu.idle 1",
    ]);
  });
});

describe("cgroup v1 plan", () => {
  test("one directory per mounted hierarchy, co-mounted ones once; cpuset inherits its parent's", () => {
    const plan = planCgroups("qm.service", none, host("v1"));
    assert.deepEqual(plan.dirs, [
      "/sys/fs/cgroup/cpu,cpuacct/qm.service",
      "/sys/fs/cgroup/cpuset/qm.service",
      "/sys/fs/cgroup/memory/qm.service",
      "/sys/fs/cgroup/pids/qm.service",
      "/sys/fs/cgroup/blkio/qm.service",
    ]);
    assert.deepEqual(writes({}, host("v1")), [
      "/sys/fs/cgroup/cpuset/qm.service/cpuset.mems 0",
      "/sys/fs/cgroup/cpuset/qm.service/cpuset.cpus 0-3",
    ]);
    assert.deepEqual(writes({ allowedCpus: "2" }, host("v1")), [
      "/sys/fs/cgroup/cpuset/qm.service/cpuset.mems 0",
      "/sys/fs/cgroup/cpuset/qm.service/cpuset.cpus 2",
    ]);
    const { cpuset: _, ...noCpuset } = v1Mounts;
    assert.deepEqual(writes({ allowedCpus: "2" }, host("v1", { mounts: noCpuset })), []);
  });

  test("every key written as systemd writes it on v1", () => {
    const w = writes(
      {
        cpuWeight: 50,
        cpuQuotaPercent: 20,
        ioWeight: 30,
        ioReadIopsMax: [{ device: "/dev/sda", iops: 50 }],
        ioWriteIopsMax: [{ device: "/dev/sda", iops: 60 }],
        memoryMax: { bytes: 400 },
        memorySwapMax: { bytes: 100 },
        tasksMax: { value: 12 },
      },
      host("v1"),
    ).slice(2);
    assert.deepEqual(w, [
      "/sys/fs/cgroup/cpu,cpuacct/qm.service/cpu.shares 512",
      "/sys/fs/cgroup/cpu,cpuacct/qm.service/cpu.cfs_period_us 100000",
      "/sys/fs/cgroup/cpu,cpuacct/qm.service/cpu.cfs_quota_us 20000",
      "/sys/fs/cgroup/blkio/qm.service/blkio.bfq.weight 300",
      "/sys/fs/cgroup/blkio/qm.service/blkio.throttle.read_iops_device 8:0 50",
      "/sys/fs/cgroup/blkio/qm.service/blkio.throttle.write_iops_device 8:0 60",
      "/sys/fs/cgroup/memory/qm.service/memory.limit_in_bytes 400",
      "/sys/fs/cgroup/memory/qm.service/memory.memsw.limit_in_bytes 500",
      "/sys/fs/cgroup/pids/qm.service/pids.max 12",
    ]);
  });

  test("blkio weights are 10 to 1000", () => {
    const weight = (ioWeight: number) => writes({ ioWeight }, host("v1")).slice(2);
    assert.deepEqual(weight(1), ["/sys/fs/cgroup/blkio/qm.service/blkio.bfq.weight 10"]);
    assert.deepEqual(weight(100), ["/sys/fs/cgroup/blkio/qm.service/blkio.bfq.weight 1000"]);
    assert.deepEqual(weight(101), ["/sys/fs/cgroup/blkio/qm.service/blkio.bfq.weight 1000"]);
    const plan = planCgroups("qm.service", { ...none, ioWeight: 7 }, host("v1", {}, { ioWeight: null }));
    assert.deepEqual(plan.adaptations, [
      {
        option: "IOWeight=7",
        action: "not applied",
        reason: "no blkio.weight (v1 weights need the BFQ scheduler on the disk)",
      },
    ]);
  });

  test("memory: infinity is -1; MemoryHigh cannot be applied unless infinity", () => {
    assert.deepEqual(writes({ memoryMax: "infinity", memoryHigh: "infinity" }, host("v1")).slice(2), [
      "/sys/fs/cgroup/memory/qm.service/memory.limit_in_bytes -1",
    ]);
    assert.deepEqual(
      planCgroups("qm.service", { ...none, memoryHigh: "infinity" }, host("v1")).adaptations,
      [],
    );
    assert.deepEqual(
      planCgroups("qm.service", { ...none, memoryHigh: { bytes: 5 } }, host("v1")).adaptations,
      [{ option: "MemoryHigh=", action: "not applied", reason: "cgroup v1 has no memory.high" }],
    );
    assert.deepEqual(writes({ memoryMax: { percent: 25 } }, host("v1")).slice(2), [
      "/sys/fs/cgroup/memory/qm.service/memory.limit_in_bytes 250",
    ]);
  });

  test("MemorySwapMax=0 without memory+swap accounting or without MemoryMax: swappiness 0, said so", () => {
    const swapOff = (h: CgroupHost, s: Partial<ServiceSettings> = {}) =>
      planCgroups("qm.service", { ...none, memorySwapMax: { bytes: 0 }, ...s }, h);
    const noMemsw = swapOff(host("v1", {}, { memsw: false }), { memoryMax: { bytes: 400 } });
    assert.deepEqual(
      noMemsw.writes.slice(2).map((w) => `${w.path} ${w.value}`),
      [
        "/sys/fs/cgroup/memory/qm.service/memory.limit_in_bytes 400",
        "/sys/fs/cgroup/memory/qm.service/memory.swappiness 0",
      ],
    );
    assert.deepEqual(noMemsw.adaptations, [
      {
        option: "MemorySwapMax=0",
        action: "memory.swappiness=0",
        reason: "no swap accounting (memory.memsw) on this kernel",
      },
    ]);
    assert.equal(swapOff(host("v1")).adaptations[0]?.reason, "no MemoryMax to bound memory+swap on v1");
    // With accounting and a bound, memory+swap = MemoryMax + 0.
    assert.deepEqual(
      swapOff(host("v1"), { memoryMax: { bytes: 400 } })
        .writes.slice(-1)
        .map((w) => `${w.path} ${w.value}`),
      ["/sys/fs/cgroup/memory/qm.service/memory.memsw.limit_in_bytes 400"],
    );
    // A non-zero swap limit v1 cannot express is left alone.
    const some = planCgroups(
      "qm.service",
      { ...none, memorySwapMax: { bytes: 9 } },
      host("v1", {}, { memsw: false }),
    );
    assert.deepEqual(some.writes.length, 2);
    assert.deepEqual(some.adaptations, []);
  });

  test("CPUWeight=idle is the lowest share, said so", () => {
    const plan = planCgroups("qm.service", { ...none, cpuWeight: "idle" }, host("v1"));
    assert.deepEqual(
      plan.writes.slice(2).map((w) => `${w.path} ${w.value}`),
      ["/sys/fs/cgroup/cpu,cpuacct/qm.service/cpu.shares 2"],
    );
    assert.deepEqual(plan.adaptations, [
      {
        option: "CPUWeight=idle",
        action: "cpu.shares=2",
        reason: "cgroup v1 has no SCHED_IDLE group: the lowest share",
      },
    ]);
  });

  test("cpuShares: weight x 10.24, rounded", () => {
    assert.equal(cpuShares(1), 10);
    assert.equal(cpuShares(3), 31);
    assert.equal(cpuShares(10000), 102400);
  });
});
