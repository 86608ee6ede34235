import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { QmError } from "../core/errors.js";
import { type GeneratedService, generateServiceFrom, loadEffectiveUnitFrom } from "../quadlet/index.js";
import { memoryUnitFs } from "../unit/fs.js";
import { CGROUP_V1_ANNOTATION, delegateCgroupsV1 } from "./cgroup-hook.js";
import { type CgroupHost, cpuShares, planCgroups } from "./cgroup-plan.js";
import { type DirectHost, planDirect } from "./direct-plan.js";
import { parseSize, serviceSettings } from "./service-settings.js";

const QM = `[Unit]
Description=test

[Container]
ContainerName=qm
Exec=/sbin/init
Rootfs=\${ROOTFS}
ReadOnly=true
SecurityLabelNested=true
SecurityLabelType=qm_t
Volume=\${RWETCFS}:/etc

[Service]
CPUWeight=idle
IOWeight=50
MemoryMax=infinity
MemoryHigh=infinity
MemorySwapMax=0
OOMScoreAdjust=500
Restart=always
Environment=ROOTFS=/usr/lib/qm/rootfs
Environment=RWETCFS=/etc/qm
LimitNOFILE=65536
TasksMax=50%
ManagedOOMSwap=kill

[Install]
WantedBy=default.target
`;

function load(dropins: Record<string, string> = {}) {
  const files: Record<string, string> = { "/usr/share/containers/systemd/qm.container": QM };
  for (const [name, text] of Object.entries(dropins))
    files[`/etc/containers/systemd/qm.container.d/${name}`] = text;
  const fs = memoryUnitFs(files);
  const unit = loadEffectiveUnitFrom(fs, "qm.container");
  const service: GeneratedService = generateServiceFrom(fs, "qm.container");
  return { unit, service, settings: serviceSettings(unit) };
}

const thisHost: DirectHost = {
  podmanVersion: { major: 4, minor: 3 },
  selinux: false,
  cgroupMode: "hybrid",
  runcAvailable: true,
  capSysResource: false,
  nofileHard: 20000,
  nprocHard: 96365,
  hostname: "car1",
};

describe("service settings", () => {
  test("upstream's [Service] values as typed values", () => {
    const { settings } = load();
    assert.equal(settings.cpuWeight, "idle");
    assert.equal(settings.ioWeight, 50);
    assert.equal(settings.memoryMax, "infinity");
    assert.deepEqual(settings.memorySwapMax, { bytes: 0 });
    assert.deepEqual(settings.tasksMax, { percent: 50 });
    assert.equal(settings.oomScoreAdjust, 500);
    assert.deepEqual(settings.limitNofile, { soft: 65536, hard: 65536 });
    assert.equal(settings.restart, "always");
    assert.equal(settings.startLimitBurst, 5);
    assert.equal(settings.startLimitIntervalSec, 10);
    assert.deepEqual(
      settings.unapplied.map((v) => v.key),
      ["ManagedOOMSwap"],
    );
  });

  test("drop-ins override, sizes and spans parse as systemd reads them", () => {
    const { settings } = load({
      "10-mem.conf":
        "[Service]\nMemoryMax=2G\nMemoryHigh=80%\nTasksMax=200\nCPUQuota=50%\nIOReadIOPSMax=/dev/sdf 1.5K\n",
      "20-limit.conf": "[Unit]\nStartLimitIntervalSec=1min 30s\nStartLimitBurst=2\n",
    });
    assert.deepEqual(settings.memoryMax, { bytes: 2 * 1024 ** 3 });
    assert.deepEqual(settings.memoryHigh, { percent: 80 });
    assert.deepEqual(settings.tasksMax, { value: 200 });
    assert.equal(settings.cpuQuotaPercent, 50);
    assert.deepEqual(settings.ioReadIopsMax, [{ device: "/dev/sdf", iops: 1500 }]);
    assert.equal(settings.startLimitIntervalSec, 90);
    assert.equal(settings.startLimitBurst, 2);
  });

  test("invalid values fail with the drop-in's file:line:column", () => {
    for (const [text, message] of [
      ["[Service]\nMemoryMax=lots\n", /MemoryMax=lots: expected bytes/],
      ["[Service]\nCPUWeight=0\n", /out of range/],
      ["[Service]\nRestart=sometimes\n", /expected one of no, always/],
      ["[Service]\nOOMScoreAdjust=2000\n", /out of range \(-1000\.\.1000\)/],
      ["[Service]\nLimitNOFILE=10:5\n", /soft limit exceeds the hard limit/],
      ["[Unit]\nStartLimitIntervalSec=soon\n", /unknown time unit|expected a time span/],
    ] as const) {
      assert.throws(
        () => load({ "50-bad.conf": text }),
        (e: unknown) =>
          e instanceof QmError &&
          e.code === "QM_CONFIG_INVALID" &&
          e.exitCode === 3 &&
          e.location?.file === "/etc/containers/systemd/qm.container.d/50-bad.conf" &&
          e.location.line === 2 &&
          message.test(e.message),
        text,
      );
    }
  });

  test("parseSize", () => {
    const v = (value: string) => ({
      section: "Service",
      key: "MemoryMax",
      value,
      file: "f",
      line: 1,
      column: 1,
    });
    assert.deepEqual(parseSize(v("512M")), { bytes: 512 * 1024 ** 2 });
    assert.deepEqual(parseSize(v("1000")), { bytes: 1000 });
    assert.throws(() => parseSize(v("150%")), /above 100%/);
  });
});

describe("cgroup plan", () => {
  const host = (mode: "v1" | "v2", over: Partial<CgroupHost["has"]> = {}): CgroupHost => ({
    mode,
    mounts:
      mode === "v2"
        ? { unified: "/sys/fs/cgroup" }
        : Object.fromEntries(
            ["cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer"].map((c) => [
              c,
              `/sys/fs/cgroup/${c}`,
            ]),
          ),
    memTotal: 24 * 1024 ** 3,
    tasksLimit: 96365,
    has: { cpuIdle: true, ioWeight: mode === "v2" ? "io.weight" : null, memsw: false, ...over },
    parentCpus: "0-1",
    parentMems: "0",
    devices: { "/dev/sdf": "8:80" },
  });

  test("v2: cpu.idle, io.weight, memory, swap, pids = 50% of the kernel limit", () => {
    const plan = planCgroups("qm.service", load().settings, host("v2"));
    assert.deepEqual(plan.dirs, ["/sys/fs/cgroup/qm.service"]);
    const w = Object.fromEntries(plan.writes.map((x) => [x.path.replace("/sys/fs/cgroup/", ""), x.value]));
    assert.equal(w["cgroup.subtree_control"], "+cpu +cpuset +io +memory +pids");
    assert.equal(w["qm.service/cpu.idle"], "1");
    assert.equal(w["qm.service/io.weight"], "default 50");
    assert.equal(w["qm.service/memory.max"], "max");
    assert.equal(w["qm.service/memory.high"], "max");
    assert.equal(w["qm.service/memory.swap.max"], "0");
    assert.equal(w["qm.service/pids.max"], "48182");
    assert.deepEqual(plan.adaptations, []);
  });

  test("v2 without cpu.idle falls back to the lowest weight, and says so", () => {
    const plan = planCgroups("qm.service", load().settings, host("v2", { cpuIdle: false }));
    assert.ok(plan.writes.some((x) => x.path.endsWith("cpu.weight") && x.value === "1"));
    assert.match(plan.adaptations[0]?.reason ?? "", /cpu.idle/);
  });

  test("v1: every hierarchy, cpu.shares, cpuset inherited, adaptations for what v1 lacks", () => {
    const plan = planCgroups(
      "qm.service",
      load({
        "a.conf":
          "[Service]\nMemoryMax=1G\nMemoryHigh=512M\nIOReadIOPSMax=/dev/sdf 50\nIOWriteIOPSMax=/dev/missing 5\n",
      }).settings,
      host("v1"),
    );
    assert.equal(plan.dirs.length, 8);
    const w = Object.fromEntries(plan.writes.map((x) => [x.path.replace("/sys/fs/cgroup/", ""), x.value]));
    assert.equal(w["cpu/qm.service/cpu.shares"], "2");
    assert.equal(w["cpuset/qm.service/cpuset.cpus"], "0-1");
    assert.equal(w["cpuset/qm.service/cpuset.mems"], "0");
    assert.equal(w["memory/qm.service/memory.limit_in_bytes"], String(1024 ** 3));
    assert.equal(w["blkio/qm.service/blkio.throttle.read_iops_device"], "8:80 50");
    assert.equal(w["pids/qm.service/pids.max"], "48182");
    const options = plan.adaptations.map((a) => a.option);
    assert.ok(options.includes("CPUWeight=idle"));
    assert.ok(options.includes("IOWeight=50"));
    assert.ok(options.includes("MemoryHigh="));
    assert.ok(options.includes("IOWriteIOPSMax=/dev/missing 5"));
  });

  test("cpuShares maps systemd weights", () => {
    assert.equal(cpuShares(100), 1024);
    assert.equal(cpuShares("idle"), 2);
    assert.equal(cpuShares(10000), 102400);
    assert.equal(cpuShares(1), 10);
  });
});

describe("direct-mode podman command", () => {
  test("this host: every adaptation is made and stated", () => {
    const { service, settings } = load();
    const plan = planDirect(service, settings, thisHost);
    const argv = plan.argv.join(" ");
    assert.match(argv, /^\/usr\/bin\/podman --cgroup-manager cgroupfs --runtime runc run /);
    assert.doesNotMatch(argv, /--sdnotify|--cgroups=split| --rm |label=/);
    assert.doesNotMatch(argv, /--restart/);
    assert.match(argv, /--cgroup-parent=\/qm.service/);
    assert.match(argv, /--cgroupns=private/);
    assert.match(argv, /--ulimit nofile=20000:20000/);
    assert.match(argv, /--ulimit nproc=32768:32768/);
    assert.match(argv, /--oom-score-adj=500/);
    assert.doesNotMatch(argv, /start-limit/);
    assert.match(argv, /--rootfs \/usr\/lib\/qm\/rootfs \/sbin\/init$/);
    assert.match(argv, /-v \/etc\/qm:\/etc/);
    assert.match(argv, /--cidfile=\/run\/qm.cid/);
    assert.match(argv, / --name qm /);
    assert.equal(plan.oomScoreAdjust, 500);
    const options = plan.adaptations.map((a) => a.option);
    for (const o of [
      "--sdnotify=conmon",
      "--cgroups=split",
      "--rm",
      "OCI runtime",
      "--cgroupns",
      "--security-opt label=...",
      "LimitNOFILE=65536",
      "RLIMIT_NPROC",
      "ManagedOOMSwap=kill",
    ]) {
      assert.ok(options.includes(o), o);
    }
  });

  test("a capable v2 host with SELinux and podman 5 keeps what it can honour", () => {
    const { service, settings } = load();
    const plan = planDirect(service, settings, {
      ...thisHost,
      podmanVersion: { major: 5, minor: 4 },
      selinux: true,
      cgroupMode: "v2",
      capSysResource: true,
      nofileHard: 524288,
    });
    const argv = plan.argv.join(" ");
    assert.match(argv, /label=nested/);
    assert.match(argv, /label=type:qm_t/);
    assert.doesNotMatch(argv, /--runtime|--cgroupns|nproc=/);
    assert.match(argv, /nofile=65536:65536/);
  });

  test("SELinux with podman before 4.7: only label=nested goes", () => {
    const { service, settings } = load();
    const argv = planDirect(service, settings, { ...thisHost, selinux: true }).argv.join(" ");
    assert.doesNotMatch(argv, /label=nested/);
    assert.match(argv, /label=type:qm_t/);
  });

  test("Restart=no keeps --rm and adds no restart policy; QM_PODMAN replaces the program", () => {
    const { service, settings } = load({ "r.conf": "[Service]\nRestart=no\n" });
    const plan = planDirect(service, settings, thisHost, "/opt/podman-wrapper");
    assert.equal(plan.argv[0], "/opt/podman-wrapper");
    assert.ok(plan.argv.includes("--rm"));
    assert.ok(!plan.argv.some((w) => w.startsWith("--restart")));
  });
});

describe("cgroup v1 delegation hook", () => {
  const spec = {
    ociVersion: "1.0.2",
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      {
        destination: "/sys/fs/cgroup",
        type: "cgroup",
        source: "cgroup",
        options: ["rprivate", "nosuid", "ro"],
      },
      {
        destination: "/sys/fs/cgroup/systemd",
        type: "bind",
        source: "/sys/fs/cgroup/systemd",
        options: ["bind"],
      },
    ],
  };

  test("drops the whole-hierarchy name=systemd bind and makes the runtime's cgroup mounts writable", () => {
    const out = delegateCgroupsV1(spec) as typeof spec;
    assert.deepEqual(
      out.mounts.map((m) => m.destination),
      ["/proc", "/sys/fs/cgroup"],
    );
    assert.deepEqual(out.mounts[1]?.options, ["rprivate", "nosuid", "rw"]);
    assert.equal(out.ociVersion, "1.0.2");
  });

  test("leaves anything else alone", () => {
    assert.equal(delegateCgroupsV1(null), null);
    assert.deepEqual(delegateCgroupsV1({ a: 1 }), { a: 1 });
    const other = { mounts: [{ destination: "/sys/fs/cgroup/systemd", type: "bind", source: "/elsewhere" }] };
    assert.deepEqual(delegateCgroupsV1(other), other);
  });

  test("the direct plan asks for it on v1 hosts only", () => {
    const { service, settings } = load();
    assert.ok(planDirect(service, settings, thisHost).argv.includes(`${CGROUP_V1_ANNOTATION}=delegate`));
    const v2 = planDirect(service, settings, { ...thisHost, cgroupMode: "v2" });
    assert.ok(!v2.argv.includes(`${CGROUP_V1_ANNOTATION}=delegate`));
  });
});
