import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { repoRoot } from "../../test/helpers.js";
import { type Check, diagnose } from "./checks.js";
import { type HostFacts, hostFacts, parseVersion } from "./facts.js";

const GiB = 1024 ** 3;
/** The recorded Debian 12 hybrid host, then changed one fact at a time. */
const base: HostFacts = hostFacts(
  JSON.parse(readFileSync(join(repoRoot, "test/fixtures/doctor/debian12-hybrid-nosystemd.json"), "utf8")),
);
const checks = (over: Partial<HostFacts>): readonly Check[] => diagnose({ ...base, ...over }).checks;
const check = (over: Partial<HostFacts>, id: string): Check | undefined =>
  checks(over).find((c) => c.id === id);
const status = (over: Partial<HostFacts>, id: string): string | undefined => check(over, id)?.status;
const podman = (version: string | null, path: string | null = "/usr/bin/podman"): Partial<HostFacts> => ({
  podman: { path, version, parsed: parseVersion(version) },
});

describe("doctor verdicts at their boundaries", () => {
  test("podman: 4.0 is the oldest; quadlet from 4.4; oom_score_adj from 4.5; label=nested from 4.7 with SELinux", () => {
    assert.deepEqual(check(podman("3.9.9"), "podman"), {
      id: "podman",
      status: "fail",
      summary: "podman 3.9.9 at /usr/bin/podman is older than 4.0",
      hint: "install podman 4.0 or newer",
    });
    assert.equal(status(podman("4.0.0"), "podman"), "ok");
    assert.equal(
      check(podman(null), "podman")?.summary,
      "podman (version unknown) at /usr/bin/podman is older than 4.0",
    );
    assert.equal(
      check(podman("4.3.9"), "quadlet")?.summary,
      "podman's quadlet not available (podman 4.3.9 < 4.4): qm-quadlet generates qm.service",
    );
    assert.equal(
      check(podman("4.4.0"), "quadlet")?.summary,
      "podman's quadlet not available (binary not found): qm-quadlet generates qm.service",
    );
    assert.deepEqual(
      check(
        { ...podman("4.4.0"), quadlet: { path: "/usr/libexec/podman/quadlet", available: true } },
        "quadlet",
      ),
      { id: "quadlet", status: "ok", summary: "podman's quadlet available (/usr/libexec/podman/quadlet)" },
    );
    assert.equal(status(podman("4.4.9"), "podman-oom-score-adj"), "warn");
    assert.equal(status(podman("4.5.0"), "podman-oom-score-adj"), undefined);
    assert.equal(status(podman(null), "podman-oom-score-adj"), undefined);
    const selinux = { selinux: { active: true, mode: "enforcing", qmPolicy: "loaded" } } as const;
    assert.equal(status({ ...podman("4.6.0"), ...selinux }, "podman-label-nested"), "warn");
    assert.equal(status({ ...podman("4.7.0"), ...selinux }, "podman-label-nested"), undefined);
    assert.equal(status({ ...podman("5.0.0"), ...selinux }, "podman-label-nested"), undefined);
    assert.equal(status(podman("4.6.0"), "podman-label-nested"), undefined);
  });

  test("podman or conmon missing fails, with the distribution's install command", () => {
    const os = (family: HostFacts["os"]["family"]) => ({ os: { ...base.os, family }, ...podman(null, null) });
    assert.deepEqual(
      checks(os("debian")).filter((c) => c.id === "podman"),
      [
        {
          id: "podman",
          status: "fail",
          summary: "podman is not installed",
          hint: "run 'scripts/install-host-deps' from the qm source tree, or 'apt-get install -y podman'",
        },
      ],
    );
    assert.match(check(os("fedora"), "podman")?.hint ?? "", /'dnf install -y podman'$/);
    assert.match(check(os("other"), "podman")?.hint ?? "", /'install podman'$/);
    const conmon = { tools: { ...base.tools, conmon: { path: null, version: null } } };
    assert.deepEqual(check(conmon, "conmon"), {
      id: "conmon",
      status: "fail",
      summary: "conmon is not installed (podman needs it)",
      hint: "run 'scripts/install-host-deps' from the qm source tree, or 'apt-get install -y conmon'",
    });
    assert.equal(check({}, "conmon"), undefined);
  });

  test("OCI runtime: crun when usable, else runc, else a failure naming why crun is not", () => {
    const crun = (usable: boolean) => ({
      path: "/usr/bin/crun",
      version: "1.8",
      usable,
      reason: usable ? null : "old",
    });
    const runtimes = (c: HostFacts["runtimes"]["crun"], runcPath: string | null) => ({
      runtimes: { runc: { path: runcPath, version: "1.1" }, crun: c },
    });
    const crunOk = diagnose({ ...base, ...runtimes(crun(true), "/r") });
    assert.equal(crunOk.plan.runtime, "crun");
    assert.equal(crunOk.checks.find((c) => c.id === "oci-runtime")?.summary, "crun 1.8 (/usr/bin/crun)");
    assert.equal(
      check(runtimes(crun(false), "/r"), "oci-runtime")?.summary,
      "runc 1.1 (/r) (crun unusable: old)",
    );
    const none = diagnose({ ...base, ...runtimes(crun(false), null) });
    assert.equal(none.plan.runtime, null);
    assert.equal(none.ready, false);
    assert.deepEqual(
      none.checks.find((c) => c.id === "oci-runtime"),
      {
        id: "oci-runtime",
        status: "fail",
        summary: "no usable OCI runtime (crun unusable: old)",
        hint: "run 'scripts/install-host-deps' from the qm source tree, or 'apt-get install -y runc'",
      },
    );
    assert.equal(
      check(runtimes({ path: null, version: null, usable: false, reason: null }, null), "oci-runtime")
        ?.summary,
      "no usable OCI runtime",
    );
  });

  test("cgroups: none fails; v2 is ok, v1 and hybrid warn; each required controller present and writable", () => {
    const cg = (over: Partial<HostFacts["cgroup"]>) => ({ cgroup: { ...base.cgroup, ...over } });
    assert.deepEqual(
      checks(cg({ mode: "none" })).filter((c) => c.id.startsWith("cgroup")),
      [
        {
          id: "cgroup-mode",
          status: "fail",
          summary: "no cgroup filesystem is mounted under /sys/fs/cgroup",
          hint: "mount cgroup2 on /sys/fs/cgroup",
        },
      ],
    );
    const v2 = check(cg({ mode: "v2", unifiedMount: "/sys/fs/cgroup" }), "cgroup-mode");
    assert.equal(v2?.status, "ok");
    assert.equal(v2?.hint, undefined);
    assert.equal(
      v2?.summary,
      "cgroup v2 (/sys/fs/cgroup), controllers: cpu cpuset memory devices freezer io pids hugetlb",
    );
    assert.equal(
      check(cg({ mode: "v1" }), "cgroup-mode")?.summary,
      "cgroup v1, controllers: cpu cpuset memory devices freezer io pids hugetlb",
    );
    assert.match(
      check(cg({ unifiedControllers: [] }), "cgroup-mode")?.summary ?? "",
      /^cgroup hybrid \(v1 controllers, cgroup2 at \/sys\/fs\/cgroup\/unified with no controllers\)/,
    );
    const without = (name: string) => base.cgroup.controllers.filter((c) => c.name !== name);
    assert.deepEqual(check(cg({ controllers: without("pids") }), "cgroup-pids"), {
      id: "cgroup-pids",
      status: "fail",
      summary: "cgroup controller 'pids' is not available",
      hint: "enable it (kernel command line: cgroup_enable=pids; on v2 add it to cgroup.subtree_control)",
    });
    const readOnly = base.cgroup.controllers.map((c) =>
      c.name === "memory" ? { ...c, writable: false } : c,
    );
    assert.equal(
      check(cg({ controllers: readOnly }), "cgroup-memory")?.summary,
      "cgroup controller 'memory' (/sys/fs/cgroup/memory) is read-only for qm",
    );
    const unknown = base.cgroup.controllers.map((c) => (c.name === "memory" ? { ...c, writable: null } : c));
    assert.equal(status(cg({ controllers: unknown }), "cgroup-memory"), "ok");
    assert.equal(check({}, "cgroup-cpu")?.summary, "'cpu' controller usable (v1, /sys/fs/cgroup/cpu)");
    assert.equal(status(cg({ controllers: without("io") }), "cgroup-io"), "warn");
    assert.equal(status({}, "cgroup-io"), undefined);
  });

  test("SELinux policy module: loaded, missing, not probed; no check without SELinux", () => {
    const sel = (mode: "enforcing" | "permissive", qmPolicy: "loaded" | "missing" | "unknown") => ({
      selinux: { active: true, mode, qmPolicy },
    });
    assert.deepEqual(check(sel("enforcing", "loaded"), "selinux-policy"), {
      id: "selinux-policy",
      status: "ok",
      summary: "SELinux policy module qm loaded (qm_t, qm_file_t, qm_container_t defined), SELinux enforcing",
    });
    assert.equal(status(sel("permissive", "missing"), "selinux-policy"), "fail");
    assert.match(
      check(sel("permissive", "missing"), "selinux-policy")?.summary ?? "",
      /^SELinux permissive, but/,
    );
    assert.equal(status(sel("enforcing", "unknown"), "selinux-policy"), "warn");
    assert.equal(status({}, "selinux-policy"), undefined);
  });

  test("SELinux, CAP_SYS_RESOURCE, seccomp and user namespaces", () => {
    assert.equal(
      status({ selinux: { active: true, mode: "enforcing", qmPolicy: "loaded" } }, "selinux"),
      "ok",
    );
    assert.deepEqual(
      check({ selinux: { active: true, mode: "permissive", qmPolicy: "loaded" } }, "selinux"),
      {
        id: "selinux",
        status: "warn",
        summary: "SELinux permissive: denials are logged, not enforced",
        hint: "setenforce 1",
      },
    );
    assert.equal(status({}, "selinux"), "warn");
    const caps = { ...base.capabilities, sysResource: true };
    assert.deepEqual(check({ capabilities: caps }, "cap-sys-resource"), {
      id: "cap-sys-resource",
      status: "ok",
      summary: "CAP_SYS_RESOURCE present",
    });
    assert.equal(status({}, "cap-sys-resource"), "warn");
    assert.equal(status({ seccomp: { supported: false, actions: [] } }, "seccomp"), "fail");
    assert.deepEqual(check({ seccomp: { supported: true, actions: ["kill", "allow"] } }, "seccomp"), {
      id: "seccomp",
      status: "fail",
      summary: "seccomp lacks the errno action (available: kill allow)",
    });
    assert.deepEqual(check({ seccomp: { supported: true, actions: [] } }, "seccomp"), {
      id: "seccomp",
      status: "ok",
      summary: "seccomp filters supported",
    });
    assert.equal(
      check({ seccomp: { supported: true, actions: ["errno"] } }, "seccomp")?.summary,
      "seccomp filters supported (errno)",
    );
    assert.equal(status({ userNamespaces: { max: 0, unprivilegedClone: null } }, "user-namespaces"), "warn");
    assert.equal(status({ userNamespaces: { max: 1, unprivilegedClone: null } }, "user-namespaces"), "ok");
    assert.equal(
      check({ userNamespaces: { max: null, unprivilegedClone: null } }, "user-namespaces")?.summary,
      "user namespaces enabled (max unknown)",
    );
  });

  test("limits: hard nofile from 65536 and nproc from 4096; unlimited and unknown pass", () => {
    const limits = (nofile: number | "unlimited" | null, nproc: number | "unlimited" | null) => ({
      limits: {
        nofile: nofile === null ? null : { soft: 1024, hard: nofile },
        nproc: nproc === null ? null : { soft: 1024, hard: nproc },
      },
    });
    const verdicts = (nofile: number | "unlimited" | null, nproc: number | "unlimited" | null) => [
      status(limits(nofile, nproc), "limit-nofile"),
      status(limits(nofile, nproc), "limit-nproc"),
    ];
    assert.deepEqual(verdicts(65535, 4095), ["warn", "warn"]);
    assert.deepEqual(verdicts(65536, 4096), ["ok", "ok"]);
    assert.deepEqual(verdicts("unlimited", "unlimited"), ["ok", "ok"]);
    assert.deepEqual(verdicts(null, null), ["ok", "ok"]);
    assert.equal(check(limits(null, null), "limit-nofile")?.summary, "open files: unknown");
    assert.equal(check(limits(65536, 4096), "limit-nproc")?.summary, "processes: soft 1024, hard 4096");
    assert.equal(
      check(limits(100, 4095), "limit-nproc")?.summary,
      "processes hard limit 4095 < 4096: the partition may not start its services",
    );
  });

  test("tools: the distribution's tree builder first, the other one second", () => {
    const tools = (family: HostFacts["os"]["family"], dnf: string | null, mmdebstrap: string | null) => ({
      os: { ...base.os, family },
      tools: {
        ...base.tools,
        dnf: { path: dnf, version: "5" },
        mmdebstrap: { path: mmdebstrap, version: "1" },
      },
    });
    assert.equal(
      check(tools("fedora", "/d", "/m"), "rootfs-builder")?.summary,
      "dnf 5 builds the partition tree (/d)",
    );
    assert.equal(
      check(tools("debian", "/d", "/m"), "rootfs-builder")?.summary,
      "mmdebstrap 1 builds the partition tree (/m)",
    );
    assert.equal(
      check(tools("debian", "/d", null), "rootfs-builder")?.summary,
      "dnf 5 builds the partition tree (/d)",
    );
    assert.equal(
      check(tools("fedora", null, "/m"), "rootfs-builder")?.summary,
      "mmdebstrap 1 builds the partition tree (/m)",
    );
    assert.deepEqual(check(tools("fedora", null, null), "rootfs-builder"), {
      id: "rootfs-builder",
      status: "warn",
      summary: "neither mmdebstrap nor dnf found: qm setup can only use --from-tar or --from-dir",
      hint: "run 'scripts/install-host-deps' from the qm source tree, or 'dnf install -y dnf'",
    });
    const missing = {
      tools: {
        ...base.tools,
        rpmbuild: { path: null, version: null },
        "dpkg-deb": { path: null, version: null },
      },
    };
    assert.deepEqual(
      checks(missing).filter((c) => c.id === "rpmbuild" || c.id === "dpkg-deb"),
      [
        {
          id: "rpmbuild",
          status: "info",
          summary: "rpmbuild not found: 'qm dropin build --format rpm' unavailable",
          hint: "run 'scripts/install-host-deps' from the qm source tree, or 'apt-get install -y rpm'",
        },
        {
          id: "dpkg-deb",
          status: "info",
          summary: "dpkg-deb not found: 'qm dropin build --format deb' unavailable",
          hint: "run 'scripts/install-host-deps' from the qm source tree, or 'apt-get install -y dpkg-dev'",
        },
      ],
    );
  });

  test("var-bounded: /var/qm on the host's root filesystem warns, a filesystem of its own is ok", () => {
    const probe = (onRootFilesystem: boolean | undefined, measured = "/var/qm") => ({
      space: {
        "/var/qm": {
          measured,
          freeBytes: 3 * GiB,
          totalBytes: 4 * GiB,
          ...(onRootFilesystem === undefined ? {} : { onRootFilesystem }),
        },
      },
    });
    assert.deepEqual(check(probe(true), "var-bounded"), {
      id: "var-bounded",
      status: "warn",
      summary:
        "/var/qm is on the host's root filesystem: the partition can fill the host's disk (FFI-DISK-01 fails)",
      hint: "'qm setup --var-size 4G' bounds it without repartitioning (docs/setup.md), or mount a partition of its own there",
    });
    assert.equal(status(probe(true, "/var"), "var-bounded"), "info");
    assert.deepEqual(check(probe(false), "var-bounded"), {
      id: "var-bounded",
      status: "ok",
      summary: "/var/qm is a filesystem of its own: 4.0 GiB, 3.0 GiB free",
    });
    assert.equal(check(probe(undefined), "var-bounded"), undefined);
  });

  test("free space: below 1 GiB fails, below 4 GiB warns", () => {
    const space = (freeBytes: number, measured = "/var/qm") => ({
      space: { "/var/qm": { measured, freeBytes } },
    });
    assert.deepEqual(check(space(GiB - 1), "space-var-qm"), {
      id: "space-var-qm",
      status: "fail",
      summary: "1.0 GiB free under /var/qm; at least 1.0 GiB needed",
      hint: "free space or mount a larger filesystem at /var/qm",
    });
    assert.deepEqual(check(space(GiB, "/var"), "space-var-qm"), {
      id: "space-var-qm",
      status: "warn",
      summary: "only 1.0 GiB free under /var/qm (on /var)",
      hint: "nested images need room; 4.0 GiB or more is advised",
    });
    assert.equal(status(space(4 * GiB - 1), "space-var-qm"), "warn");
    assert.deepEqual(check(space(4 * GiB), "space-var-qm"), {
      id: "space-var-qm",
      status: "ok",
      summary: "4.0 GiB free under /var/qm",
    });
    assert.deepEqual(check({ space: { "/var/qm": null } }, "space-var-qm"), {
      id: "space-var-qm",
      status: "warn",
      summary: "free space under /var/qm could not be measured",
    });
  });

  test("root, init and the run plan", () => {
    const user = diagnose({ ...base, root: false });
    assert.equal(user.ready, false);
    assert.deepEqual(user.checks[0], {
      id: "root",
      status: "fail",
      summary: "not running as root: the partition needs root podman, cgroups and mounts",
      hint: "run qm as root",
    });
    assert.equal(diagnose(base).ready, true);
    const systemd = diagnose({
      ...base,
      init: { pid1: "systemd", systemd: true },
      quadlet: { path: "/q", available: true },
    });
    assert.deepEqual(systemd.plan, { mode: "systemd", generator: "podman-quadlet", runtime: "runc" });
    assert.deepEqual(systemd.checks[1], {
      id: "init",
      status: "ok",
      summary: "systemd is PID 1: qm.service runs under systemd",
    });
    assert.deepEqual(diagnose(base).plan, { mode: "direct", generator: "qm-quadlet", runtime: "runc" });
    assert.equal(
      check({ init: { pid1: "", systemd: false } }, "init")?.summary,
      "PID 1 is 'unknown', not systemd: qm runs the partition directly (qm start applies the [Service] settings itself)",
    );
  });

  test("bluechi-agent: nothing before setup; info without the agent; ok, or warn for a running partition's node", () => {
    const b = (
      tree: boolean,
      agent: boolean,
      active: boolean | null = null,
      connected: boolean | null = null,
      online: boolean | null = null,
    ) => ({
      bluechi: { tree, agent, active, connected, online },
    });
    assert.equal(check(b(false, false), "bluechi-agent"), undefined);
    assert.deepEqual(check(b(true, false), "bluechi-agent"), {
      id: "bluechi-agent",
      status: "info",
      summary: "the partition's tree has no bluechi-agent: the partition joins no BlueChi cluster",
      hint: "on Debian and Ubuntu build BlueChi (scripts/build-bluechi) and rerun 'qm setup --bluechi-from DIR' (docs/bluechi.md)",
    });
    assert.deepEqual(check(b(true, true), "bluechi-agent"), {
      id: "bluechi-agent",
      status: "ok",
      summary:
        "bluechi-agent is in the partition's tree (the partition is not running: 'qm status' tells more once it is)",
    });
    const summary = (over: Partial<HostFacts>) =>
      `${status(over, "bluechi-agent")}: ${check(over, "bluechi-agent")?.summary}`;
    assert.equal(
      summary(b(true, true, true, true, true)),
      "ok: bluechi-agent in the partition is active and connected; this host's controller has the node online",
    );
    assert.equal(
      summary(b(true, true, true, true, null)),
      "ok: bluechi-agent in the partition is active and connected",
    );
    assert.equal(
      summary(b(true, true, false, false, false)),
      "warn: bluechi-agent is not active in the running partition",
    );
    assert.equal(
      summary(b(true, true, true, false, false)),
      "warn: bluechi-agent runs in the partition but is not connected to a controller",
    );
    assert.equal(
      summary(b(true, true, true, true, false)),
      "warn: this host's BlueChi controller does not have the partition's node online",
    );
    // From a snapshot: the tree and the agent's path below /usr/lib/qm/rootfs, the live probes.
    const fixture = JSON.parse(
      readFileSync(join(repoRoot, "test/fixtures/doctor/debian12-hybrid-nosystemd.json"), "utf8"),
    );
    const facts = (paths: string[], probes: Record<string, boolean> = {}) =>
      hostFacts({ ...fixture, exists: Object.fromEntries(paths.map((p) => [p, true])), probes }).bluechi;
    assert.deepEqual(facts([]), { tree: false, agent: false, active: null, connected: null, online: null });
    assert.deepEqual(
      facts(["/usr/lib/qm/rootfs", "/usr/lib/qm/rootfs/usr/libexec/bluechi-agent"], {
        "bluechi:agent-active": true,
        "bluechi:connected": false,
        "bluechi:node-online": false,
      }),
      { tree: true, agent: true, active: true, connected: false, online: false },
    );
  });
});
