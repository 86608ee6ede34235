import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { repoRoot } from "../../test/helpers.js";
import { diagnose } from "./checks.js";
import { hostFacts, parseLimit, parseMountinfo, parseVersion } from "./facts.js";
import type { HostSnapshot } from "./snapshot.js";

const fixture = (name: string): HostSnapshot =>
  JSON.parse(readFileSync(join(repoRoot, "test/fixtures/doctor", name), "utf8")) as HostSnapshot;

const GiB = 1024 ** 3;
const limits = (nofileHard: number, nprocHard: number): string =>
  [
    "Limit                     Soft Limit           Hard Limit           Units",
    `Max processes             ${`${nprocHard}`.padEnd(21)}${`${nprocHard}`.padEnd(21)}processes`,
    `Max open files            1024                 ${`${nofileHard}`.padEnd(21)}files`,
  ].join("\n");
const status = (capEff: string, seccomp = true): string =>
  `Name:\tnode\nUid:\t0\t0\t0\t0\nCapEff:\t${capEff}\n${seccomp ? "Seccomp:\t0\nSeccomp_filters:\t0\n" : ""}`;

/** A pure cgroup v2 host with systemd as PID 1 and podman 5 (Fedora 42 / Debian 13 shape). */
function v2Host(over: { os: string; lsm: string; enforce: string | null; crun: string }): HostSnapshot {
  return {
    schema: 1,
    uid: 0,
    files: {
      "/proc/1/comm": "systemd\n",
      "/proc/self/status": status("000001ffffffffff"),
      "/proc/self/limits": limits(524288, 255616),
      "/proc/self/mountinfo":
        "24 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n" +
        "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,seclabel,nsdelegate,memory_recursiveprot\n",
      "/proc/cgroups":
        "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t0\t90\t1\ncpu\t0\t90\t1\nmemory\t0\t90\t1\npids\t0\t90\t1\n",
      "/sys/fs/cgroup/cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
      "/sys/fs/cgroup/cgroup.subtree_control": "cpuset cpu io memory pids\n",
      "/proc/sys/kernel/osrelease": "6.14.0\n",
      "/proc/sys/user/max_user_namespaces": "127431\n",
      "/proc/sys/kernel/seccomp/actions_avail":
        "kill_process kill_thread trap errno user_notif trace log allow\n",
      "/sys/kernel/security/lsm": over.lsm,
      "/sys/fs/selinux/enforce": over.enforce,
      "/etc/os-release": over.os,
    },
    exists: {
      "/run/systemd/system": true,
      "/usr/libexec/podman/quadlet": true,
      "/sys/fs/selinux": over.enforce !== null,
    },
    which: {
      podman: "/usr/bin/podman",
      crun: "/usr/bin/crun",
      runc: null,
      conmon: "/usr/bin/conmon",
      dnf: "/usr/bin/dnf",
      mmdebstrap: null,
      rpmbuild: "/usr/bin/rpmbuild",
      "dpkg-deb": null,
    },
    versions: {
      podman: { code: 0, stdout: "podman version 5.4.2\n", stderr: "" },
      crun: {
        code: 0,
        stdout: `crun version ${over.crun}\ncommit: 0\nspec: 1.0.0\n+SYSTEMD +SELINUX +SECCOMP`,
        stderr: "",
      },
      dnf: { code: 0, stdout: "dnf5 version 5.2.13.1\n", stderr: "" },
      rpmbuild: { code: 0, stdout: "RPM version 4.20.1\n", stderr: "" },
    },
    space: {
      "/usr/lib/qm": { measured: "/usr/lib", freeBytes: 30 * GiB, totalBytes: 60 * GiB },
      "/var/qm": { measured: "/var/qm", freeBytes: 2 * GiB, totalBytes: 3 * GiB },
    },
    probes: {
      "cgroup-mkdir:cpu": true,
      "cgroup-mkdir:memory": true,
      "cgroup-mkdir:pids": true,
      "cgroup-mkdir:io": true,
    },
  };
}

const fedora = v2Host({
  os: 'NAME="Fedora Linux"\nVERSION_ID=42\nID=fedora\nPRETTY_NAME="Fedora Linux 42 (Server Edition)"\n',
  lsm: "lockdown,capability,yama,selinux,bpf,landlock,ipe,ima,evm\n",
  enforce: "1",
  crun: "1.21",
});

const byId = (report: ReturnType<typeof diagnose>, id: string) => {
  const c = report.checks.find((x) => x.id === id);
  assert.ok(c, `check ${id} present`);
  return c;
};

describe("doctor on the recorded Debian 12 hybrid host (no systemd, podman 4.3.1)", () => {
  const facts = hostFacts(fixture("debian12-hybrid-nosystemd.json"));
  const report = diagnose(facts);

  test("detects hybrid cgroups with v1 controllers and hugetlb on the unified mount", () => {
    assert.equal(facts.cgroup.mode, "hybrid");
    assert.equal(facts.cgroup.unifiedMount, "/sys/fs/cgroup/unified");
    assert.deepEqual(facts.cgroup.unifiedControllers, ["hugetlb"]);
    for (const name of ["cpu", "memory", "pids", "io", "cpuset", "devices", "freezer"]) {
      const c = facts.cgroup.controllers.find((x) => x.name === name);
      assert.equal(c?.hierarchy, "v1", name);
      assert.equal(c?.writable, true, name);
    }
  });

  test("no systemd as PID 1, no quadlet, no SELinux, no CAP_SYS_RESOURCE", () => {
    assert.equal(facts.init.systemd, false);
    assert.equal(facts.podman.parsed?.text, "4.3.1");
    assert.equal(facts.quadlet.available, false);
    assert.equal(facts.selinux.mode, "disabled");
    assert.equal(facts.capabilities.sysResource, false);
    assert.equal(facts.capabilities.sysAdmin, true);
  });

  test("crun is unusable on hybrid cgroups and runc is chosen", () => {
    assert.equal(facts.runtimes.crun.usable, false);
    assert.match(facts.runtimes.crun.reason ?? "", /hybrid/);
    assert.equal(report.plan.runtime, "runc");
  });

  test("ready, in direct mode with qm-quadlet, with warnings for what the host lacks", () => {
    assert.equal(report.ready, true);
    assert.deepEqual(report.plan, { mode: "direct", generator: "qm-quadlet", runtime: "runc" });
    for (const id of ["podman-oom-score-adj", "cgroup-mode", "selinux", "cap-sys-resource", "limit-nofile"]) {
      assert.equal(byId(report, id).status, "warn", id);
      assert.ok(byId(report, id).hint, `${id} has a hint`);
    }
    assert.match(byId(report, "limit-nofile").summary, /20000 < LimitNOFILE=65536/);
  });
});

describe("doctor on a Fedora 42 host: cgroup v2, systemd, SELinux enforcing, podman 5 with quadlet", () => {
  const facts = hostFacts(fedora);
  const report = diagnose(facts);

  test("facts", () => {
    assert.equal(facts.os.family, "fedora");
    assert.equal(facts.cgroup.mode, "v2");
    assert.deepEqual(
      facts.cgroup.controllers.map((c) => c.name),
      ["cpuset", "cpu", "io", "memory", "hugetlb", "pids"],
    );
    assert.equal(facts.init.systemd, true);
    assert.equal(facts.selinux.mode, "enforcing");
    assert.equal(facts.capabilities.sysResource, true);
    assert.equal(facts.quadlet.available, true);
    assert.equal(facts.runtimes.crun.usable, true);
  });

  test("ready in systemd mode with podman's quadlet and crun; low /var/qm space warns", () => {
    assert.equal(report.ready, true);
    assert.deepEqual(report.plan, { mode: "systemd", generator: "podman-quadlet", runtime: "crun" });
    assert.equal(byId(report, "selinux").status, "ok");
    assert.equal(byId(report, "quadlet").status, "ok");
    assert.equal(byId(report, "rootfs-builder").summary.startsWith("dnf"), true);
    assert.equal(byId(report, "space-var-qm").status, "warn");
    assert.equal(
      report.checks.some((c) => c.id === "podman-oom-score-adj" || c.id === "podman-label-nested"),
      false,
    );
  });

  test("SELinux permissive is a warning", () => {
    const permissive = v2Host({ os: "ID=fedora\n", lsm: "capability,selinux", enforce: "0", crun: "1.21" });
    assert.equal(byId(diagnose(hostFacts(permissive)), "selinux").status, "warn");
    assert.equal(hostFacts(permissive).selinux.mode, "permissive");
  });
});

describe("doctor on a Debian 13 VM: cgroup v2, systemd, podman 5.4 with quadlet, no SELinux", () => {
  const trixie = v2Host({
    os: 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nNAME="Debian GNU/Linux"\nVERSION_ID="13"\nID=debian\n',
    lsm: "lockdown,capability,landlock,yama,apparmor,tomoyo,bpf,ipe,ima,evm\n",
    enforce: null,
    crun: "1.21",
  });
  const facts = hostFacts(trixie);
  test("debian family, SELinux disabled, quadlet from podman", () => {
    assert.equal(facts.os.family, "debian");
    assert.equal(facts.os.versionId, "13");
    assert.equal(facts.selinux.mode, "disabled");
    const report = diagnose(facts);
    assert.equal(report.ready, true);
    assert.equal(report.plan.generator, "podman-quadlet");
    assert.equal(byId(report, "rootfs-builder").status, "ok");
  });
});

describe("doctor on a host that cannot run a partition", () => {
  const broken: HostSnapshot = {
    ...v2Host({ os: "ID=debian\n", lsm: "capability", enforce: null, crun: "1.8.1" }),
    uid: 1000,
    files: {
      ...v2Host({ os: "ID=debian\n", lsm: "capability", enforce: null, crun: "1.8.1" }).files,
      "/proc/1/comm": "init\n",
      "/proc/self/status": status("0000000000000000", false),
      "/proc/self/limits": limits(4096, 512),
      "/proc/self/mountinfo":
        "30 1 0:26 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu,cpuacct\n" +
        "31 1 0:27 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n",
      "/proc/cgroups":
        "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t2\t1\t1\nmemory\t3\t1\t0\npids\t0\t1\t1\n",
      "/proc/sys/user/max_user_namespaces": "0\n",
      "/proc/sys/kernel/seccomp/actions_avail": null,
    },
    exists: {},
    which: { podman: null, runc: null, crun: null, conmon: null },
    versions: {},
    space: { "/usr/lib/qm": { measured: "/", freeBytes: 200 * 1024 ** 2, totalBytes: GiB }, "/var/qm": null },
    probes: {},
  };
  const facts = hostFacts(broken);
  const report = diagnose(facts);

  test("not ready, and every blocker is named with a hint", () => {
    assert.equal(report.ready, false);
    const fails = report.checks.filter((c) => c.status === "fail").map((c) => c.id);
    assert.deepEqual(
      fails.sort(),
      ["cgroup-memory", "cgroup-pids", "oci-runtime", "podman", "root", "seccomp", "space-usr-lib-qm"].sort(),
    );
    for (const id of fails) assert.ok(byId(report, id).hint, `${id} has a hint`);
    assert.equal(report.plan.runtime, null);
  });

  test("v1-only cgroups; a controller disabled in /proc/cgroups does not count", () => {
    assert.equal(facts.cgroup.mode, "v1");
    assert.deepEqual(
      facts.cgroup.controllers.map((c) => c.name),
      ["cpu"],
    );
  });

  test("warnings for user namespaces, nproc, and unmeasurable space", () => {
    assert.equal(byId(report, "user-namespaces").status, "warn");
    assert.equal(byId(report, "limit-nproc").status, "warn");
    assert.equal(byId(report, "space-var-qm").status, "warn");
    assert.equal(byId(report, "init").status, "info");
  });
});

describe("parsers", () => {
  test("parseVersion", () => {
    assert.equal(parseVersion("podman version 4.3.1")?.text, "4.3.1");
    assert.equal(parseVersion("crun version 1.21")?.text, "1.21");
    assert.equal(parseVersion("no digits"), null);
  });
  test("parseLimit handles unlimited", () => {
    assert.deepEqual(
      parseLimit(
        "Max processes             unlimited            unlimited            processes",
        "Max processes",
      ),
      {
        soft: "unlimited",
        hard: "unlimited",
      },
    );
    assert.equal(parseLimit("", "Max open files"), null);
  });
  test("parseMountinfo decodes octal escapes and skips junk", () => {
    const m = parseMountinfo("1 2 0:1 / /mnt/a\\040b rw - ext4 /dev/x rw\ngarbage line\n");
    assert.deepEqual(m, [{ mountpoint: "/mnt/a b", fstype: "ext4", superOptions: ["rw"] }]);
  });
});
