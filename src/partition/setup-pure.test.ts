import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { repoRoot } from "../../test/helpers.js";
import { QmError } from "../core/errors.js";
import { dnfArgv, mmdebstrapArgv, sourceFingerprint } from "../rootfs/source.js";
import { agentNodeName, checkBluechiConf, parseControllerAddress, partitionAgentConf } from "./agent-conf.js";
import {
  defaultStorageConf,
  editStorageConf,
  nestedContainersConf,
  nestedLimits,
} from "./containers-conf.js";
import { minimalBaseProfile, noRealtimeProfile, parseProfile } from "./seccomp.js";
import { ownedPaths, planAgentOnly, planSetup, type SetupInputs } from "./setup-plan.js";
import { checkStateAgainst, parseSetupState } from "./state.js";
import { ensureSubIds, hostSubIds, removeSubIdLines } from "./subids.js";

const share = (p: string): string => readFileSync(join(repoRoot, "share", p), "utf8");

describe("seccomp-no-rt.json (reference §2.10)", () => {
  const base = parseProfile(
    JSON.stringify({
      defaultAction: "SCMP_ACT_ERRNO",
      defaultErrnoRet: 38,
      syscalls: [
        { names: ["read", "sched_setscheduler", "sched_setattr", "write"], action: "SCMP_ACT_ALLOW" },
        { names: ["sched_setattr"], action: "SCMP_ACT_ALLOW", includes: { caps: ["CAP_SYS_NICE"] } },
        { names: ["ptrace"], action: "SCMP_ACT_ERRNO", errnoRet: 1 },
      ],
    }),
    "test",
  );
  const out = noRealtimeProfile(base);

  test("removes the syscalls from every allow rule and keeps the rest", () => {
    assert.deepEqual(out.syscalls[0]?.names, ["read", "write"]);
    assert.equal(out.syscalls[1]?.names?.includes("sched_setattr"), false);
    assert.deepEqual(out.syscalls[1], { names: ["ptrace"], action: "SCMP_ACT_ERRNO", errnoRet: 1 });
    assert.equal(out.defaultAction, "SCMP_ACT_ERRNO");
    assert.equal(out.defaultErrnoRet, 38);
  });

  test("sched_setscheduler allowed for OTHER, BATCH, IDLE only; sched_setattr EPERM", () => {
    const sched = out.syscalls.filter((r) => r.names?.includes("sched_setscheduler"));
    assert.deepEqual(
      sched.map((r) => [(r.args as { value: number }[])[0]?.value, r.action]),
      [
        [0, "SCMP_ACT_ALLOW"],
        [3, "SCMP_ACT_ALLOW"],
        [5, "SCMP_ACT_ALLOW"],
      ],
    );
    const setattr = out.syscalls.filter((r) => r.names?.includes("sched_setattr"));
    assert.deepEqual(setattr, [
      { names: ["sched_setattr"], action: "SCMP_ACT_ERRNO", args: [], errnoRet: 1, errno: "EPERM" },
    ]);
  });

  test("the minimal fallback denies FIFO, RR and DEADLINE with ENOSYS explicitly", () => {
    const m = noRealtimeProfile(minimalBaseProfile);
    const denied = m.syscalls.filter(
      (r) => r.names?.includes("sched_setscheduler") && r.action === "SCMP_ACT_ERRNO",
    );
    assert.deepEqual(
      denied.map((r) => [(r.args as { value: number }[])[0]?.value, r.errnoRet]),
      [
        [1, 38],
        [2, 38],
        [6, 38],
      ],
    );
  });

  test("rejects what is not a profile", () => {
    assert.throws(() => parseProfile("{", "x.json"), /x.json: not JSON/);
    assert.throws(() => parseProfile("{}", "x.json"), /not a seccomp profile/);
  });
});

describe("BlueChi agent.conf for the partition (reference §2.4)", () => {
  test("host NodeName gets the qm. prefix", () => {
    const conf = partitionAgentConf(
      null,
      "[bluechi-agent]\nNodeName=localrootfs\nControllerHost=10.0.0.1\n",
      "car1",
    );
    assert.equal(conf, "[bluechi-agent]\nNodeName=qm.localrootfs\nControllerHost=10.0.0.1\n");
    assert.equal(agentNodeName(conf), "qm.localrootfs");
  });
  test("no host file: a two-line file with qm.<hostname>", () => {
    assert.equal(partitionAgentConf(null, null, "car1"), "[bluechi-agent]\nNodeName=qm.car1\n");
  });
  test("existing file: only empty NodeName= or NodeName=qm. are completed", () => {
    assert.equal(
      partitionAgentConf("[bluechi-agent]\nNodeName=\n", "x", "car1"),
      "[bluechi-agent]\nNodeName=qm.car1\n",
    );
    assert.equal(
      partitionAgentConf("[bluechi-agent]\nNodeName=qm.\n", null, "h"),
      "[bluechi-agent]\nNodeName=qm.h\n",
    );
    assert.equal(
      partitionAgentConf("[bluechi-agent]\nNodeName=custom\n", null, "h"),
      "[bluechi-agent]\nNodeName=custom\n",
    );
    assert.equal(
      partitionAgentConf(null, "[bluechi-agent]\nNodeName=\n", "h"),
      "[bluechi-agent]\nNodeName=qm.h\n",
    );
  });
  test("checkBluechiConf locates problems", () => {
    assert.equal(
      checkBluechiConf("[bluechi-agent]\n# c\nNodeName=a\nControllerAddress=unix:\n  path=/x\n"),
      null,
    );
    assert.deepEqual(checkBluechiConf("[bluechi-agent]\nNodeName=a\njunk\n"), {
      line: 3,
      column: 1,
      message: "expected Key=Value, found 'junk'",
    });
    assert.deepEqual(checkBluechiConf("NodeName=a\n"), {
      line: 1,
      column: 1,
      message: "Key=Value before the first [section]",
    });
    assert.equal(checkBluechiConf(`[a]\nK=${"x".repeat(600)}\n`)?.line, 2);
    assert.equal(checkBluechiConf("[broken\n")?.message, "malformed section header '[broken'");
  });
});

describe("sub-ID ranges", () => {
  test("appended only when the name is absent; removal restores the file byte for byte", () => {
    const before = "alice:100000:65536\ncontainers:5:6";
    const { text, added } = ensureSubIds(before, hostSubIds);
    assert.equal(text, "alice:100000:65536\ncontainers:5:6\nqmcontainers:1000000000:1500000000\n");
    assert.deepEqual(added, ["qmcontainers:1000000000:1500000000"]);
    assert.deepEqual(ensureSubIds(text, hostSubIds).added, []);
    assert.equal(removeSubIdLines(text, added), "alice:100000:65536\ncontainers:5:6\n");
    assert.equal(ensureSubIds(null, hostSubIds).added.length, 2);
  });
});

describe("nested containers.conf and storage.conf", () => {
  const base = share("qm/containers.conf");
  test("limits fit inside the partition; TMPDIR added once; v1 drops cgroup_conf", () => {
    const limits = nestedLimits(20000, 96365);
    assert.deepEqual(limits, { nofile: 10000, nproc: 72273 });
    const v2 = nestedContainersConf(base, { limits, cgroupV2: true });
    assert.match(v2, /^default_ulimits = \["nofile=10000:10000", "nproc=72273:72273"\]$/m);
    assert.match(v2, /^cgroup_conf = \["memory.oom.group=1"\]$/m);
    assert.match(v2, /^oom_score_adj = 750$/m);
    assert.match(v2, /^netns = "host"$/m);
    assert.match(v2, /\[engine\]\nenv = \["TMPDIR=\/var\/tmp.images"\]\n$/);
    assert.equal(nestedContainersConf(v2, { limits, cgroupV2: true }), v2, "idempotent");
    const v1 = nestedContainersConf(base, { limits, cgroupV2: false, runtime: "runc" });
    assert.doesNotMatch(v1, /^cgroup_conf/m);
    assert.match(v1, /\[engine\]\nruntime = "runc"\nenv = \["TMPDIR=\/var\/tmp.images"\]/);
    assert.doesNotMatch(v2, /^runtime/m);
  });
  test("storage.conf edits as qm-storage-settings", () => {
    const fedora = [
      "[storage]",
      'driver = "overlay"',
      "# transient_store = true",
      "",
      "[storage.options]",
      "# AdditionalImageStores is used to pass paths to additional Read/Only image stores",
      "#additionalimagestores = [",
      '#"/usr/lib/containers/storage",',
      "#]",
      "",
    ].join("\n");
    const edited = editStorageConf(fedora, true);
    assert.match(edited, /^transient_store = true$/m);
    assert.match(
      edited,
      /^additionalimagestores = \[\n {2}"\/var\/lib\/shared",\n"\/usr\/lib\/containers\/storage",\n\]$/m,
    );
    assert.equal(editStorageConf(edited, true), edited, "idempotent");
    assert.doesNotMatch(editStorageConf(fedora, false), /^transient_store/m);
    const none = editStorageConf('[storage]\ndriver = "overlay"\n', false);
    assert.match(none, /\[storage.options\]\nadditionalimagestores = \[\n {2}"\/var\/lib\/shared",\n\]/);
    assert.match(defaultStorageConf(true), /^transient_store = true$/m);
  });
});

describe("rootfs builders", () => {
  test("mmdebstrap never mounts host filesystems into the tree", () => {
    const argv = mmdebstrapArgv(
      { kind: "mmdebstrap", suite: "bookworm", mirror: "http://m", packages: ["systemd", "podman"] },
      "/t",
    );
    assert.deepEqual(argv.slice(0, 3), ["--mode=root", "--variant=minbase", "--skip=chroot/mount"]);
    assert.ok(argv.includes("--include=systemd,podman"));
    assert.deepEqual(argv.slice(-3), ["bookworm", "/t", "http://m"]);
  });
  test("dnf as upstream", () => {
    assert.deepEqual(
      dnfArgv({ kind: "dnf", releasever: "42", packages: ["podman"], useHostConfig: true }, "/t"),
      ["-y", "install", "--releasever=42", "--installroot", "/t", "podman", "--use-host-config"],
    );
  });
  test("fingerprints change with the inputs", () => {
    const a = sourceFingerprint({ kind: "tar", file: "/a", fingerprint: "1" });
    assert.equal(a, sourceFingerprint({ kind: "tar", file: "/a", fingerprint: "1" }));
    assert.notEqual(a, sourceFingerprint({ kind: "tar", file: "/a", fingerprint: "2" }));
  });
});

describe("planSetup", () => {
  const inputs = (
    over: Partial<SetupInputs["tree"]> = {},
    host: Partial<SetupInputs["host"]> = {},
  ): SetupInputs => ({
    paths: { installDir: "/usr/share/qm", rootfs: "/usr/lib/qm/rootfs", rwEtc: "/etc/qm", rwVar: "/var/qm" },
    hostname: "car1",
    shipped: {
      qmContainer: "[Container]\nSecurityLabelNested=true\nExec=/sbin/init\nSecurityLabelNested=true\n",
      containersConf: share("qm/containers.conf"),
      contexts: share("qm/contexts"),
      fileContexts: share("qm/file_contexts"),
      oomHook: share("qm/hooks/oci-qm-nested-oom-score-adj"),
      cgroupHook: "#!/usr/bin/env node\n",
      quadletBundle: "QUADLET",
      quadletGenerator: "GENERATOR",
    },
    host: {
      osId: "debian",
      versionId: "12",
      selinux: false,
      cgroupV2: true,
      nofileHard: 524288,
      nprocHard: 100000,
      subuid: null,
      subgid: null,
      agentConf: null,
      seccomp: null,
      ...host,
    },
    tree: {
      podmanVersion: "5.4.2",
      seccomp: JSON.stringify({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [] }),
      storageConf: null,
      agentConf: null,
      subuid: null,
      subgid: null,
      hasBluechiAgent: true,
      hasSystemBus: true,
      hasPodmanQuadlet: true,
      hasNode: false,
      maskable: ["e2scrub_reap.service"],
      ...over,
    },
  });
  const paths = (p: ReturnType<typeof planSetup>) => p.entries.map((e) => e.path);

  test("upstream's files in upstream's places", () => {
    const plan = planSetup(inputs());
    for (const p of [
      "/usr/share/qm/containers.conf",
      "/usr/share/qm/seccomp-no-rt.json",
      "/usr/share/containers/systemd/qm.container",
      "/etc/containers/systemd/qm.container.d",
      "/etc/qm/containers/containers.conf",
      "/etc/qm/containers/storage.conf",
      "/etc/qm/bluechi/agent.conf.d/agent.conf",
      "/etc/qm/systemd/system/multi-user.target.wants/bluechi-agent.service",
      "/etc/qm/subuid",
      "/etc/subuid",
      "/var/qm/lib/shared",
      "/var/qm/tmp.images",
    ]) {
      assert.ok(paths(plan).includes(p), p);
    }
    assert.deepEqual(plan.notes, [
      "no SELinux on this host: SecurityLabelNested=false and DropCapability=sys_module in a drop-in beside qm.container; seccomp-no-rt.json refuses init_module, finit_module and delete_module",
    ]);
    assert.ok(paths(plan).includes("/usr/share/containers/systemd/qm.container.d/10-qm-no-selinux.conf"));
    assert.ok(
      !paths(planSetup(inputs({}, { selinux: true }))).some((p) => p.endsWith("10-qm-no-selinux.conf")),
    );
  });

  test("podman < 4.5 in the tree gets the oom_score_adj hook; < 4.4 no transient_store", () => {
    const plan = planSetup(inputs({ podmanVersion: "4.3.1" }));
    assert.ok(paths(plan).includes("/usr/lib/qm/rootfs/usr/libexec/qm/oci-qm-nested-oom-score-adj"));
    assert.ok(
      paths(plan).includes(
        "/usr/lib/qm/rootfs/usr/share/containers/oci/hooks.d/qm-nested-oom-score-adj.json",
      ),
    );
    assert.equal(plan.notes.filter((n) => /podman 4.3.1/.test(n)).length, 2);
    assert.ok(!paths(planSetup(inputs())).some((p) => p.includes("oom-score-adj")));
  });

  test("CentOS <= 9 drops SecurityLabelNested; SELinux hosts get file contexts", () => {
    const plan = planSetup(inputs({}, { osId: "centos", versionId: "9", selinux: true }));
    const quadlet = plan.entries.find((e) => e.path === "/usr/share/containers/systemd/qm.container");
    assert.equal(quadlet?.kind === "file" && quadlet.content, "[Container]\nExec=/sbin/init\n");
    assert.ok(paths(plan).includes("/etc/qm/selinux/targeted/contexts/files/file_contexts"));
    assert.ok(!paths(planSetup(inputs())).includes("/etc/qm/selinux/targeted/contexts/files/file_contexts"));
  });

  test("no bluechi-agent in the tree: no unit link, and a note says so", () => {
    const plan = planSetup(inputs({ hasBluechiAgent: false }));
    assert.ok(!paths(plan).some((p) => p.endsWith("bluechi-agent.service")));
    assert.match(plan.notes.join("\n"), /bluechi-agent is not installed/);
  });

  const byPath = (entries: ReturnType<typeof planSetup>["entries"]) =>
    Object.fromEntries(entries.map((e) => [e.path, e]));

  test("with --bluechi-controller: a file in agent.conf.d and a qm.container drop-in, both 0644", () => {
    const plan = byPath(
      planSetup({ ...inputs(), controller: parseControllerAddress("/run/bc/c.sock") }).entries,
    );
    const conf = plan["/etc/qm/bluechi/agent.conf.d/qm-controller.conf"];
    const dropIn = plan["/usr/share/containers/systemd/qm.container.d/20-qm-bluechi-controller.conf"];
    assert.equal(conf?.kind === "file" && conf.mode, 0o644);
    assert.match(
      conf?.kind === "file" ? conf.content : "",
      /^ControllerAddress=unix:path=\/run\/bluechi-controller\/c\.sock$/m,
    );
    assert.equal(dropIn?.kind === "file" && dropIn.mode, 0o644);
    assert.match(
      dropIn?.kind === "file" ? dropIn.content : "",
      /^Volume=\/run\/bc:\/run\/bluechi-controller:ro$/m,
    );
    assert.equal(conf?.why, "BlueChi controller at /run/bc/c.sock");
    const tcp = byPath(planSetup({ ...inputs(), controller: parseControllerAddress("10.0.0.1") }).entries);
    assert.equal(
      tcp["/etc/qm/bluechi/agent.conf.d/qm-controller.conf"]?.why,
      "BlueChi controller at 10.0.0.1:842",
    );
    // The drop-in is qm's own: --remove-qm-rootfs may remove it.
    assert.ok(
      ownedPaths(inputs().paths, "/usr/lib/qm/setup-state.json").files.includes(
        "/usr/share/containers/systemd/qm.container.d/20-qm-bluechi-controller.conf",
      ),
    );
  });

  test("without it, an earlier run's controller settings are left as they are", () => {
    const plan = byPath(planSetup(inputs()).entries);
    assert.equal(plan["/etc/qm/bluechi/agent.conf.d/qm-controller.conf"], undefined);
    assert.equal(
      plan["/usr/share/containers/systemd/qm.container.d/20-qm-bluechi-controller.conf"],
      undefined,
    );
  });

  test("qm setup bluechi-agent writes the controller settings too", () => {
    const base = { paths: inputs().paths, hostname: "car1", hostAgentConf: null, treeAgentConf: null };
    assert.deepEqual(
      planAgentOnly(base).entries.map((e) => e.path),
      ["/etc/qm/bluechi/agent.conf.d/agent.conf"],
    );
    assert.deepEqual(
      planAgentOnly({ ...base, controller: parseControllerAddress("ctl:1") }).entries.map((e) => e.path),
      [
        "/etc/qm/bluechi/agent.conf.d/agent.conf",
        "/etc/qm/bluechi/agent.conf.d/qm-controller.conf",
        "/usr/share/containers/systemd/qm.container.d/20-qm-bluechi-controller.conf",
      ],
    );
  });

  test("an agent without a D-Bus system bus in the tree is named in the notes", () => {
    const note = /bluechi-agent is installed but the tree has no D-Bus system bus/;
    assert.match(planSetup(inputs({ hasSystemBus: false })).notes.join("\n"), note);
    assert.doesNotMatch(planSetup(inputs()).notes.join("\n"), note);
    assert.doesNotMatch(
      planSetup(inputs({ hasSystemBus: false, hasBluechiAgent: false })).notes.join("\n"),
      note,
    );
    assert.match(
      planSetup(inputs({ hasBluechiAgent: false })).notes.join("\n"),
      /Debian and Ubuntu do not ship it; give a BlueChi build with --bluechi-from/,
    );
  });

  test("ownedPaths covers every path planSetup makes, for every kind of host and tree", () => {
    const owned = ownedPaths(inputs().paths, "/usr/lib/qm/setup-state.json");
    const inside = (p: string, d: string) => p === d || p.startsWith(`${d}/`);
    const ancestors = new Set(
      [...owned.files, ...owned.dirs, ...owned.trees].flatMap((p) =>
        p
          .split("/")
          .slice(1, -1)
          .map((_, i, a) => `/${a.slice(0, i + 1).join("/")}`),
      ),
    );
    for (const plan of [
      planSetup(inputs()),
      planSetup(
        inputs({ podmanVersion: "4.3.1", hasBluechiAgent: false }, { selinux: true, cgroupV2: false }),
      ),
      planSetup(inputs({ podmanVersion: null }, { osId: "centos", versionId: "9" })),
    ]) {
      for (const e of plan.entries) {
        const ok =
          owned.trees.some((t) => inside(e.path, t)) ||
          (e.kind === "dir"
            ? owned.dirs.includes(e.path) || ancestors.has(e.path)
            : owned.files.includes(e.path));
        assert.ok(ok, `${e.kind} ${e.path} is not in ownedPaths`);
      }
    }
    // Literal expectations, not the constants under test.
    assert.deepEqual(owned.trees, ["/usr/lib/qm/rootfs", "/etc/qm", "/var/qm"]);
    assert.deepEqual(owned.appended, ["/etc/subuid", "/etc/subgid"]);
  });
});

describe("setup-state.json is checked before removal", () => {
  const owned = ownedPaths(
    { installDir: "/usr/share/qm", rootfs: "/usr/lib/qm/rootfs", rwEtc: "/etc/qm", rwVar: "/var/qm" },
    "/usr/lib/qm/setup-state.json",
  );
  const check = (created: unknown[], appended: Record<string, string[]> = {}, root = "/r") => {
    const text = JSON.stringify({ schema: 1, created, appended }, null, 2);
    checkStateAgainst(parseSetupState(text, "/r/state.json"), root, owned, "/r/state.json", text);
  };
  const refused = (fn: () => void, message: RegExp) =>
    assert.throws(
      fn,
      (e: unknown) => e instanceof QmError && e.code === "QM_SETUP_STATE" && message.test(e.message),
    );

  test("what setup creates passes", () => {
    check(
      [
        { path: "/r/usr", kind: "dir" },
        { path: "/r/usr/lib/qm", kind: "dir" },
        { path: "/r/usr/lib/qm/rootfs", kind: "tree" },
        { path: "/r/etc/qm", kind: "tree" },
        { path: "/r/etc/qm/containers/containers.conf", kind: "file" },
        { path: "/r/usr/share/containers/systemd/qm.container", kind: "file" },
        { path: "/r/etc/subuid", kind: "file" },
      ],
      { "/r/etc/subuid": ["qmcontainers:1000000000:1500000000"] },
    );
    check([{ path: "/etc/qm", kind: "tree" }], {}, "/");
  });

  test("paths outside the root, not normalized, or nothing setup makes are refused with their line", () => {
    refused(() => check([{ path: "/etc/shadow", kind: "file" }]), /not a normalized path below \/r/);
    refused(() => check([{ path: "/r/../etc/shadow", kind: "file" }]), /not a normalized path/);
    refused(() => check([{ path: "/r/etc/qm/", kind: "tree" }]), /not a normalized path/);
    refused(() => check([{ path: "/r/srv", kind: "tree" }]), /nothing qm setup creates/);
    refused(() => check([{ path: "/r/etc/passwd", kind: "file" }]), /nothing qm setup creates/);
    refused(() => check([{ path: "/r/srv", kind: "dir" }]), /nothing qm setup creates/);
    refused(() => check([{ path: "/etc/shadow", kind: "file" }], {}, "/"), /nothing qm setup creates/);
    refused(() => check([], { "/r/etc/passwd": ["x:1:2"] }), /not a file qm setup appends to/);
    refused(() => check([], { "/r/etc/subuid": ["x:1:2\nroot::0:0"] }), /not a sub-ID line/);
    assert.throws(
      () =>
        check([
          { path: "/r/etc/qm", kind: "tree" },
          { path: "/r/srv", kind: "tree" },
        ]),
      (e: unknown) => (e as QmError).location?.line === 9,
      "the error points at the line of the offending path",
    );
  });

  test("a state file that is not what qm writes is a located error, never a crash", () => {
    for (const text of [
      "",
      "[]",
      "{",
      '{"schema":2}',
      '{"schema":1,"created":{}}',
      '{"schema":1,"created":[{"path":1}]}',
    ])
      assert.throws(() => parseSetupState(text, "/r/state.json"), { code: "QM_SETUP_STATE" });
  });
});
