import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { nestedGenerator, type PlannedEntry, planSetup, type SetupInputs } from "./setup-plan.js";

const inputs = (
  tree: Partial<SetupInputs["tree"]> = {},
  host: Partial<SetupInputs["host"]> = {},
): SetupInputs => ({
  paths: { installDir: "/I", rootfs: "/R", rwEtc: "/E", rwVar: "/V" },
  hostname: "car1",
  shipped: {
    qmContainer: "[Container]\nSecurityLabelNested=true\nExec=/sbin/init\n",
    containersConf: "default_ulimits = []\n",
    contexts: "C",
    fileContexts: "FC",
    oomHook: "OOM",
    cgroupHook: "CG",
    quadletBundle: "QUADLET",
    quadletGenerator: "GENERATOR",
  },
  host: {
    osId: "debian",
    versionId: "12",
    selinux: true,
    cgroupV2: true,
    nofileHard: "unlimited",
    nprocHard: "unlimited",
    subuid: null,
    subgid: null,
    agentConf: null,
    seccomp: null,
    ...host,
  },
  tree: {
    podmanVersion: "5.4.2",
    seccomp: null,
    storageConf: null,
    agentConf: null,
    subuid: null,
    subgid: null,
    hasBluechiAgent: true,
    hasSystemBus: true,
    hasPodmanQuadlet: true,
    hasNode: false,
    maskable: ["a.service", "b.service"],
    ...tree,
  },
});

/** Each entry as "kind path mode-or-target". */
const listing = (entries: readonly PlannedEntry[]): string[] =>
  entries.map((e) =>
    e.kind === "symlink"
      ? `symlink ${e.path} -> ${e.target}`
      : e.kind === "append"
        ? `append ${e.path}`
        : `${e.kind} ${e.path} ${e.mode.toString(8)}`,
  );
const content = (plan: ReturnType<typeof planSetup>, path: string): string => {
  const e = plan.entries.find((x) => x.path === path);
  assert.ok(e && (e.kind === "file" || e.kind === "append"), path);
  return e.content;
};

describe("setup plan: every path, mode and link target", () => {
  test("podman 4.4.0 in the tree, SELinux host: the oom_score_adj hook, masks, the agent link", () => {
    const plan = planSetup(inputs({ podmanVersion: "4.4.0" }));
    assert.deepEqual(listing(plan.entries), [
      "dir /I 755",
      "file /I/containers.conf 644",
      "file /I/contexts 644",
      "file /I/file_contexts 644",
      "file /I/seccomp-no-rt.json 644",
      "file /usr/share/containers/systemd/qm.container 644",
      "dir /etc/containers/systemd/qm.container.d 755",
      "file /E/containers/containers.conf 644",
      "file /E/containers/storage.conf 644",
      "dir /E/containers/systemd 755",
      "dir /V/lib/shared 755",
      "dir /V/tmp.images 755",
      "dir /V/tmp 1777",
      "file /E/selinux/targeted/contexts/files/file_contexts 644",
      "file /R/usr/share/containers/selinux/contexts 644",
      "file /E/subuid 644",
      "file /E/subgid 644",
      "file /E/bluechi/agent.conf.d/agent.conf 644",
      "symlink /E/systemd/system/a.service -> /dev/null",
      "symlink /E/systemd/system/b.service -> /dev/null",
      "symlink /E/systemd/system/multi-user.target.wants/bluechi-agent.service -> /usr/lib/systemd/system/bluechi-agent.service",
      "file /R/usr/libexec/qm/oci-qm-nested-oom-score-adj 755",
      "file /R/usr/share/containers/oci/hooks.d/qm-nested-oom-score-adj.json 644",
      "file /usr/libexec/qm/oci-qm-partition-cgroups 755",
      "file /usr/share/containers/oci/hooks.d/qm-partition-cgroups.json 644",
      "append /etc/subuid",
      "append /etc/subgid",
    ]);
    assert.deepEqual(plan.notes, [
      "no containers seccomp.json on the host or in the tree: seccomp-no-rt.json only removes realtime scheduling",
      "podman 4.4.0 in the tree ignores oom_score_adj in containers.conf: a precreate hook sets 750",
    ]);
    assert.equal(content(plan, "/R/usr/libexec/qm/oci-qm-nested-oom-score-adj"), "OOM");
    assert.equal(content(plan, "/usr/libexec/qm/oci-qm-partition-cgroups"), "CG");
    assert.equal(content(plan, "/E/selinux/targeted/contexts/files/file_contexts"), "FC");
    assert.equal(content(plan, "/R/usr/share/containers/selinux/contexts"), "C");
    assert.match(content(plan, "/E/containers/storage.conf"), /^transient_store = true$/m);
  });

  test("the hook configurations, literally", () => {
    const plan = planSetup(inputs({ podmanVersion: "4.4.0" }));
    assert.deepEqual(
      JSON.parse(content(plan, "/R/usr/share/containers/oci/hooks.d/qm-nested-oom-score-adj.json")),
      {
        version: "1.0.0",
        hook: { path: "/usr/libexec/qm/oci-qm-nested-oom-score-adj" },
        when: { always: true },
        stages: ["precreate"],
      },
    );
    assert.equal(
      content(plan, "/usr/share/containers/oci/hooks.d/qm-partition-cgroups.json"),
      '{\n  "version": "1.0.0",\n  "hook": {\n    "path": "/usr/libexec/qm/oci-qm-partition-cgroups"\n  },\n  "when": {\n    "annotations": {\n      "^org\\\\.containers\\\\.qm\\\\.cgroups-v1$": ".+"\n    }\n  },\n  "stages": [\n    "precreate"\n  ]\n}\n',
    );
  });

  test("nested quadlets: podman's generator, else qm-quadlet on the tree's Node.js, else a note", () => {
    const generator = (plan: ReturnType<typeof planSetup>) =>
      listing(plan.entries).filter((l) => /quadlet/.test(l));
    assert.deepEqual(generator(planSetup(inputs({ hasPodmanQuadlet: true, hasNode: true }))), []);
    const ours = planSetup(inputs({ podmanVersion: "4.3.1", hasPodmanQuadlet: false, hasNode: true }));
    assert.deepEqual(generator(ours), [
      "file /R/usr/lib/qm-quadlet/dist/qm-quadlet.mjs 644",
      "file /R/usr/lib/qm-quadlet/share/systemd/qm-quadlet-generator 755",
      "symlink /R/usr/lib/systemd/system-generators/qm-quadlet-generator -> /usr/lib/qm-quadlet/share/systemd/qm-quadlet-generator",
    ]);
    assert.equal(content(ours, "/R/usr/lib/qm-quadlet/dist/qm-quadlet.mjs"), "QUADLET");
    assert.equal(content(ours, "/R/usr/lib/qm-quadlet/share/systemd/qm-quadlet-generator"), "GENERATOR");
    assert.ok(
      ours.notes.includes(
        "podman 4.3.1 in the tree has no quadlet: qm-quadlet converts nested quadlets (/usr/lib/systemd/system-generators/qm-quadlet-generator)",
      ),
    );
    const none = planSetup(inputs({ podmanVersion: "4.3.1", hasPodmanQuadlet: false, hasNode: false }));
    assert.deepEqual(generator(none), []);
    assert.ok(none.notes.some((n) => /has no quadlet and the tree has no Node\.js/.test(n)));
  });

  test("the partition's generator, as qm status reports it", () => {
    const tree = (...paths: string[]) => nestedGenerator((p) => paths.includes(p));
    assert.deepEqual(
      tree("usr/libexec/podman/quadlet", "usr/lib/systemd/system-generators/qm-quadlet-generator"),
      {
        kind: "podman",
        path: "/usr/libexec/podman/quadlet",
      },
    );
    assert.deepEqual(tree("usr/lib/podman/quadlet"), { kind: "podman", path: "/usr/lib/podman/quadlet" });
    assert.deepEqual(
      tree(
        "usr/lib/systemd/system-generators/qm-quadlet-generator",
        "usr/lib/qm-quadlet/dist/qm-quadlet.mjs",
      ),
      {
        kind: "qm-quadlet",
        path: "/usr/lib/systemd/system-generators/qm-quadlet-generator",
      },
    );
    assert.deepEqual(tree("usr/lib/systemd/system-generators/qm-quadlet-generator"), {
      kind: "none",
      path: null,
    });
    assert.deepEqual(tree(), { kind: "none", path: null });
  });

  test("podman versions: transient_store from 4.4, oom_score_adj honoured from 4.5", () => {
    const hook = "/R/usr/libexec/qm/oci-qm-nested-oom-score-adj";
    const has = (v: string | null, path: string) =>
      planSetup(inputs({ podmanVersion: v })).entries.some((e) => e.path === path);
    const transient = (v: string | null) =>
      /^transient_store = true$/m.test(
        content(planSetup(inputs({ podmanVersion: v })), "/E/containers/storage.conf"),
      );
    for (const [v, t, h] of [
      ["4.3.9", false, true],
      ["4.4.0", true, true],
      ["4.5.0", true, false],
      ["4.10.0", true, false],
      ["3.9.0", false, true],
      ["5.0.0", true, false],
      ["10.1", true, false],
      [null, false, true],
      ["unknown", false, true],
    ] as const) {
      assert.equal(transient(v), t, `transient_store with podman ${v}`);
      assert.equal(has(v, hook), h, `oom hook with podman ${v}`);
    }
    assert.deepEqual(planSetup(inputs({ podmanVersion: "4.3.1" })).notes.slice(1), [
      "podman 4.3.1 in the tree predates transient_store (4.4): not set",
      "podman 4.3.1 in the tree ignores oom_score_adj in containers.conf: a precreate hook sets 750",
    ]);
    assert.match(
      planSetup(inputs({ podmanVersion: null })).notes.join("\n"),
      /podman \? in the tree predates/,
    );
  });

  test("no SELinux: the drop-in beside qm.container, literally", () => {
    const plan = planSetup(inputs({}, { selinux: false }));
    assert.equal(
      content(plan, "/usr/share/containers/systemd/qm.container.d/10-qm-no-selinux.conf"),
      "# Written by qm setup: this host has no SELinux.\n[Container]\n# podman refuses label=nested without SELinux.\nSecurityLabelNested=false\n# Without SELinux policy, CAP_SYS_MODULE would let the partition load kernel modules (seccomp-no-rt.json\n# refuses them too, so a drop-in that resets DropCapability= does not give them back).\nDropCapability=sys_module\n",
    );
    assert.ok(!plan.entries.some((e) => e.path.includes("selinux/targeted")));
  });

  test("CentOS up to 9 loses SecurityLabelNested, CentOS 10 and others keep it", () => {
    const quadlet = (osId: string, versionId: string) => planSetup(inputs({}, { osId, versionId }));
    const nine = quadlet("centos", "9");
    assert.equal(
      content(nine, "/usr/share/containers/systemd/qm.container"),
      "[Container]\nExec=/sbin/init\n",
    );
    assert.ok(nine.notes.includes("CentOS <= 9: SecurityLabelNested removed from qm.container"));
    for (const [os, version] of [
      ["centos", "10"],
      ["fedora", "9"],
    ])
      assert.equal(
        content(quadlet(os as string, version as string), "/usr/share/containers/systemd/qm.container"),
        "[Container]\nSecurityLabelNested=true\nExec=/sbin/init\n",
      );
    assert.equal(
      content(
        planSetup({
          ...inputs({}, { osId: "centos", versionId: "8" }),
          shipped: { ...inputs().shipped, qmContainer: "# SecurityLabelNested=true\n" },
        }),
        "/usr/share/containers/systemd/qm.container",
      ),
      "# SecurityLabelNested=true\n",
    );
  });

  test("nested limits: within the partition's 65536 files and podman's 32768 processes", () => {
    const conf = (nofileHard: number | "unlimited", nprocHard: number | "unlimited", cgroupV2 = true) =>
      content(planSetup(inputs({}, { nofileHard, nprocHard, cgroupV2 })), "/E/containers/containers.conf");
    assert.match(
      conf("unlimited", "unlimited"),
      /^default_ulimits = \["nofile=32768:32768", "nproc=24576:24576"\]$/m,
    );
    assert.match(conf(100000, 100000), /^default_ulimits = \["nofile=32768:32768", "nproc=24576:24576"\]$/m);
    assert.match(conf(40000, 20000), /^default_ulimits = \["nofile=20000:20000", "nproc=15000:15000"\]$/m);
    assert.doesNotMatch(conf(40000, 20000), /runtime/);
    assert.match(conf(40000, 20000, false), /^runtime = "runc"$/m);
    assert.ok(
      planSetup(inputs({}, { cgroupV2: false })).notes.includes(
        "cgroup v1 host: nested containers use runc and no cgroup_conf (memory.oom.group is v2 only)",
      ),
    );
  });

  test("seccomp: the host's profile first, then the tree's, each named when it is broken", () => {
    const profile = (defaultAction: string) => JSON.stringify({ defaultAction, syscalls: [] });
    const seccomp = (host: string | null, tree: string | null) =>
      JSON.parse(content(planSetup(inputs({ seccomp: tree }, { seccomp: host })), "/I/seccomp-no-rt.json"))
        .defaultAction;
    assert.equal(seccomp(profile("HOST"), profile("TREE")), "HOST");
    assert.equal(seccomp(null, profile("TREE")), "TREE");
    assert.equal(seccomp(null, null), "SCMP_ACT_ALLOW");
    assert.deepEqual(planSetup(inputs({ seccomp: profile("TREE") })).notes, []);
    assert.throws(
      () => planSetup(inputs({}, { seccomp: "{" })),
      /^Error: \/usr\/share\/containers\/seccomp\.json: not JSON/,
    );
    assert.throws(() => planSetup(inputs({ seccomp: "{" })), /^Error: the tree's seccomp\.json: not JSON/);
  });

  test("seccomp without SELinux: module syscalls refused with EPERM, even where the base allows them", () => {
    const base = JSON.stringify({
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [
        { names: ["read", "init_module"], action: "SCMP_ACT_ALLOW" },
        {
          names: ["finit_module", "delete_module"],
          action: "SCMP_ACT_ALLOW",
          includes: { caps: ["CAP_SYS_MODULE"] },
        },
      ],
    });
    const rules = (selinux: boolean) =>
      JSON.parse(content(planSetup(inputs({}, { seccomp: base, selinux })), "/I/seccomp-no-rt.json"))
        .syscalls as {
        names: string[];
        action: string;
        errnoRet?: number;
      }[];
    const without = rules(false);
    assert.deepEqual(without[0]?.names, ["read"]);
    assert.ok(!without.some((r) => r.action === "SCMP_ACT_ALLOW" && r.names.some((n) => /module/.test(n))));
    assert.deepEqual(without.at(-1), {
      names: ["init_module", "finit_module", "delete_module"],
      action: "SCMP_ACT_ERRNO",
      args: [],
      errnoRet: 1,
      errno: "EPERM",
    });
    const withSelinux = rules(true);
    assert.deepEqual(withSelinux[0]?.names, ["read", "init_module"]);
    assert.ok(!withSelinux.some((r) => r.action === "SCMP_ACT_ERRNO" && r.names.includes("init_module")));
  });
});
