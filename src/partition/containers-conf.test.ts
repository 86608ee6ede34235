import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  defaultStorageConf,
  editStorageConf,
  nestedContainersConf,
  nestedLimits,
} from "./containers-conf.js";
import { minimalBaseProfile, noRealtimeProfile, parseProfile, renderProfile } from "./seccomp.js";

describe("nested containers.conf, literal text", () => {
  const limits = { nofile: 5, nproc: 6 };

  test("limits: half the open files, three quarters of the processes, never below 1024", () => {
    assert.deepEqual(nestedLimits(2049, "unlimited"), { nofile: 1024, nproc: 786432 });
    assert.deepEqual(nestedLimits(4096, 2000), { nofile: 2048, nproc: 1500 });
    assert.deepEqual(nestedLimits(100, 1367), { nofile: 1024, nproc: 1025 });
  });

  test("v1: the real default_ulimits and cgroup_conf lines change, comments stay, TMPDIR once at the end", () => {
    const base = [
      "# default_ulimits = [] is the default",
      "default_ulimits=[",
      '  "nofile=1:1",',
      "]",
      '# cgroup_conf = ["memory.oom.group=1"] on v2',
      'cgroup_conf=["memory.oom.group=1"]',
      "",
      "",
      "",
    ].join("\n");
    assert.equal(
      nestedContainersConf(base, { limits, cgroupV2: false, runtime: "runc" }),
      [
        "# default_ulimits = [] is the default",
        'default_ulimits = ["nofile=5:5", "nproc=6:6"]',
        '# cgroup_conf = ["memory.oom.group=1"] on v2',
        "# cgroup_conf: memory.oom.group needs cgroup v2; this host has v1 controllers",
        "",
        "[engine]",
        'runtime = "runc"',
        'env = ["TMPDIR=/var/tmp.images"]',
        "",
      ].join("\n"),
    );
    assert.equal(
      nestedContainersConf('cgroup_conf=["x"]', { limits, cgroupV2: true }),
      'cgroup_conf=["x"]\n\n[engine]\nenv = ["TMPDIR=/var/tmp.images"]\n',
    );
  });

  test("a runtime the file already sets is kept; a commented one is not a setting", () => {
    for (const line of ['runtime="crun"', 'runtime = "crun"'])
      assert.equal(
        nestedContainersConf(`${line}\n`, { limits, cgroupV2: true, runtime: "runc" }),
        `${line}\n\n[engine]\nenv = ["TMPDIR=/var/tmp.images"]\n`,
      );
    assert.equal(
      nestedContainersConf('# runtime = "crun"\n', { limits, cgroupV2: true, runtime: "runc" }),
      '# runtime = "crun"\n\n[engine]\nruntime = "runc"\nenv = ["TMPDIR=/var/tmp.images"]\n',
    );
  });
});

describe("storage.conf, literal text", () => {
  test("the default file, with and without a transient store", () => {
    const lines = (transient: boolean) => [
      "# Storage of the QM partition's podman, written by qm setup.",
      "[storage]",
      'driver = "overlay"',
      'runroot = "/run/containers/storage"',
      'graphroot = "/var/lib/containers/storage"',
      ...(transient ? ["transient_store = true"] : []),
      "",
      "[storage.options]",
      "# Read-only image store shared into the partition (images placed there by the image builder).",
      "additionalimagestores = [",
      '  "/var/lib/shared",',
      "]",
      "",
    ];
    assert.equal(defaultStorageConf(false), lines(false).join("\n"));
    assert.equal(defaultStorageConf(true), lines(true).join("\n"));
  });

  test("the shared store goes right below [storage.options]; transient_store below [storage]", () => {
    assert.equal(
      editStorageConf('[storage]  \ndriver = "overlay"\n\n[storage.options]\nmount_program = "x"\n', true),
      '[storage]\ntransient_store = true\ndriver = "overlay"\n\n[storage.options]\nadditionalimagestores = [\n  "/var/lib/shared",\n]\nmount_program = "x"\n',
    );
  });

  test("indented comments are uncommented; an empty list is filled", () => {
    assert.equal(
      editStorageConf(
        "[storage]\n  #  transient_store = false\n[storage.options]\n  # additionalimagestores = []\n",
        true,
      ),
      '[storage]\ntransient_store = true\n[storage.options]\n  additionalimagestores = [\n  "/var/lib/shared",\n]\n',
    );
    assert.equal(
      editStorageConf('[storage.options]\n#additionalimagestores = [\n#  "/a",\n#]\n# kept\n', false),
      '[storage.options]\nadditionalimagestores = [\n  "/var/lib/shared",\n "/a",\n]\n# kept\n',
    );
  });

  test("a list that holds the shared store and a set transient_store stay as they are", () => {
    const text =
      '[storage]\ntransient_store=false\n[storage.options]\nadditionalimagestores = [\n  "/var/lib/shared",\n]\nx = 1\n';
    assert.equal(editStorageConf(text, true), text);
    assert.equal(
      editStorageConf("[storage]\n# transient_store = true\n", false).split("\n")[1],
      "# transient_store = true",
    );
  });
});

describe("seccomp-no-rt.json, literal", () => {
  const allow = (value: number) => ({
    names: ["sched_setscheduler"],
    action: "SCMP_ACT_ALLOW",
    args: [{ index: 1, value, valueTwo: 0, op: "SCMP_CMP_EQ" }],
    comment: "",
    includes: {},
    excludes: {},
  });
  const setattr = {
    names: ["sched_setattr"],
    action: "SCMP_ACT_ERRNO",
    args: [],
    errnoRet: 1,
    errno: "EPERM",
  };
  const enosys = (value: number) => ({
    names: ["sched_setscheduler"],
    action: "SCMP_ACT_ERRNO",
    errnoRet: 38,
    args: [{ index: 1, value, valueTwo: 0, op: "SCMP_CMP_EQ" }],
  });

  test("the minimal fallback, whole", () => {
    assert.deepEqual(noRealtimeProfile(minimalBaseProfile), {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [allow(0), allow(3), allow(5), setattr, enosys(1), enosys(2), enosys(6)],
    });
  });

  test("only allow rules with a name list lose the two syscalls", () => {
    const base = {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [
        { action: "SCMP_ACT_ALLOW", comment: "no names" },
        { names: ["sched_setscheduler"], action: "SCMP_ACT_LOG" },
        { names: ["sched_setattr", "sched_setscheduler"], action: "SCMP_ACT_ALLOW" },
      ],
    };
    assert.deepEqual(noRealtimeProfile(base).syscalls, [
      { action: "SCMP_ACT_ALLOW", comment: "no names" },
      { names: ["sched_setscheduler"], action: "SCMP_ACT_LOG" },
      allow(0),
      allow(3),
      allow(5),
      setattr,
    ]);
  });

  test("rendered with tabs, as jq --tab, ending in a newline", () => {
    assert.equal(
      renderProfile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [] }),
      '{\n\t"defaultAction": "SCMP_ACT_ALLOW",\n\t"syscalls": []\n}\n',
    );
  });

  test("a profile needs a string defaultAction and a syscalls list", () => {
    for (const text of [
      "null",
      '"x"',
      '{"defaultAction":1,"syscalls":[]}',
      '{"defaultAction":"a"}',
      '{"syscalls":[]}',
    ])
      assert.throws(
        () => parseProfile(text, "p.json"),
        (e: Error) => e.message === "p.json: not a seccomp profile (needs defaultAction and syscalls)",
        text,
      );
    assert.deepEqual(parseProfile('{"defaultAction":"a","syscalls":[]}', "p.json"), {
      defaultAction: "a",
      syscalls: [],
    });
  });
});
