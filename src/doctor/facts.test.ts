import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { repoRoot } from "../../test/helpers.js";
import { hostFacts, hostMode, limitBelow, parseOsRelease, parseVersion, versionAtLeast } from "./facts.js";
import type { HostSnapshot } from "./snapshot.js";

const recorded: HostSnapshot = JSON.parse(
  readFileSync(join(repoRoot, "test/fixtures/doctor/debian12-hybrid-nosystemd.json"), "utf8"),
);
/** The recorded snapshot with some files, existence probes and tools replaced. */
const facts = (
  files: Record<string, string | null> = {},
  exists: Record<string, boolean> = {},
  more: Partial<HostSnapshot> = {},
) =>
  hostFacts({
    ...recorded,
    ...more,
    files: { ...recorded.files, ...files },
    exists: { ...recorded.exists, ...exists },
  });

describe("host facts from a snapshot", () => {
  test("versions: the first N.N[.N] in the text; at-least compares major, then minor", () => {
    assert.deepEqual(parseVersion("podman version 10.21.3-dev"), {
      major: 10,
      minor: 21,
      patch: 3,
      text: "10.21.3",
    });
    assert.deepEqual(parseVersion("crun 1.8"), { major: 1, minor: 8, patch: 0, text: "1.8" });
    assert.equal(parseVersion("none"), null);
    assert.equal(parseVersion(null), null);
    const v = parseVersion("4.5.0");
    assert.equal(versionAtLeast(v, 4, 5), true);
    assert.equal(versionAtLeast(v, 4, 6), false);
    assert.equal(versionAtLeast(v, 3, 9), true);
    assert.equal(versionAtLeast(v, 5, 0), false);
    assert.equal(versionAtLeast(null, 0, 0), false);
  });

  test("os-release: KEY=value lines, one level of matching quotes removed", () => {
    assert.deepEqual(
      parseOsRelease(`  ID=debian\nNAME="Debian GNU/Linux"\nX='a'\nY="b'\nlower=no\n# ID=x\nBAD LINE=1`),
      { ID: "debian", NAME: "Debian GNU/Linux", X: "a", Y: `"b'` },
    );
    assert.deepEqual(parseOsRelease(null), {});
  });

  test("limitBelow: only a known, finite hard limit under the need", () => {
    assert.equal(limitBelow({ soft: 1, hard: 99 }, 100), true);
    assert.equal(limitBelow({ soft: 1, hard: 100 }, 100), false);
    assert.equal(limitBelow({ soft: 1, hard: "unlimited" }, 100), false);
    assert.equal(limitBelow(null, 100), false);
  });

  test("os family from ID and ID_LIKE", () => {
    const family = (os: string) => facts({ "/etc/os-release": os }).os;
    assert.equal(family("ID=ubuntu\n").family, "debian");
    assert.equal(family("ID=linuxmint\nID_LIKE=ubuntu\n").family, "debian");
    assert.equal(family('ID=centos\nVERSION_ID="9"\n').family, "fedora");
    assert.equal(family('ID=almalinux\nID_LIKE="rhel centos fedora"\n').family, "fedora");
    assert.equal(family("ID=arch\n").family, "other");
    assert.equal(family("ID=notdebian\n").family, "other");
    assert.deepEqual(family(""), { id: "unknown", versionId: "", family: "other", prettyName: "unknown" });
    assert.deepEqual(family("ID=x\nVERSION_ID=3\n"), {
      id: "x",
      versionId: "3",
      family: "other",
      prettyName: "x",
    });
  });

  test("SELinux: active from the LSM list or a mounted selinuxfs; mode from enforce", () => {
    const selinux = (lsm: string | null, enforce: string | null, mounted: boolean) =>
      facts(
        { "/sys/kernel/security/lsm": lsm, "/sys/fs/selinux/enforce": enforce },
        { "/sys/fs/selinux": mounted },
      ).selinux;
    assert.deepEqual(selinux("capability, selinux ,bpf", "1\n", true), {
      active: true,
      mode: "enforcing",
      qmPolicy: "unknown",
    });
    assert.deepEqual(selinux("capability,selinux", "0\n", false), {
      active: true,
      mode: "permissive",
      qmPolicy: "unknown",
    });
    assert.deepEqual(selinux("capability,selinux", null, false), {
      active: true,
      mode: "disabled",
      qmPolicy: "unknown",
    });
    assert.deepEqual(selinux(null, "1", true), { active: true, mode: "enforcing", qmPolicy: "unknown" });
    assert.deepEqual(selinux(null, "1", false), { active: false, mode: "disabled", qmPolicy: "unknown" });
    assert.deepEqual(selinux("capability,apparmor", null, true), {
      active: false,
      mode: "disabled",
      qmPolicy: "unknown",
    });
    assert.deepEqual(selinux("selinuxfoo", "1", false), {
      active: false,
      mode: "disabled",
      qmPolicy: "unknown",
    });
  });

  test("SELinux: qm's policy loaded when the kernel accepts every qm type, missing when it refuses one", () => {
    const policy = (probes: Record<string, boolean>, lsm = "capability,selinux") =>
      facts({ "/sys/kernel/security/lsm": lsm, "/sys/fs/selinux/enforce": "1" }, {}, { probes }).selinux
        .qmPolicy;
    const all = {
      "selinux-type:qm_t": true,
      "selinux-type:qm_file_t": true,
      "selinux-type:qm_container_t": true,
    };
    assert.equal(policy(all), "loaded");
    assert.equal(policy({ ...all, "selinux-type:qm_container_t": false }), "missing");
    assert.equal(policy({ "selinux-type:qm_t": true }), "unknown");
    assert.equal(policy({}), "unknown");
    assert.equal(policy(all, "capability,apparmor"), "unknown");
  });

  test("init: systemd only when PID 1 is systemd and /run/systemd/system exists", () => {
    assert.deepEqual(facts({ "/proc/1/comm": "systemd\n" }, { "/run/systemd/system": true }).init, {
      pid1: "systemd",
      systemd: true,
    });
    assert.equal(
      facts({ "/proc/1/comm": "systemd\n" }, { "/run/systemd/system": false }).init.systemd,
      false,
    );
    assert.equal(facts({ "/proc/1/comm": "init\n" }, { "/run/systemd/system": true }).init.systemd, false);
    assert.equal(facts({ "/proc/1/comm": null }).init.pid1, "");
  });

  test("kernel, user namespaces and seccomp actions, trimmed", () => {
    const f = facts({
      "/proc/sys/kernel/osrelease": " 6.1.0-13-amd64\n",
      "/proc/sys/user/max_user_namespaces": " 0\n",
      "/proc/sys/kernel/unprivileged_userns_clone": "1\n",
      "/proc/sys/kernel/seccomp/actions_avail": " kill  errno\n",
    });
    assert.equal(f.kernel, "6.1.0-13-amd64");
    assert.deepEqual(f.userNamespaces, { max: 0, unprivilegedClone: true });
    assert.deepEqual(f.seccomp.actions, ["kill", "errno"]);
    const g = facts({
      "/proc/sys/kernel/osrelease": null,
      "/proc/sys/user/max_user_namespaces": null,
      "/proc/sys/kernel/unprivileged_userns_clone": "0",
      "/proc/sys/kernel/seccomp/actions_avail": null,
    });
    assert.equal(g.kernel, "");
    assert.deepEqual(g.userNamespaces, { max: null, unprivilegedClone: false });
    assert.deepEqual(g.seccomp.actions, []);
    assert.equal(
      facts({ "/proc/sys/kernel/unprivileged_userns_clone": null }).userNamespaces.unprivilegedClone,
      null,
    );
  });

  test("capabilities from CapEff bits 21 and 24; nonsense is no capability", () => {
    const caps = (capEff: string) =>
      facts({ "/proc/self/status": `Name:\tx\nCapEff:\t${capEff}\nSeccomp:\t0\n` }).capabilities;
    assert.deepEqual(caps("0000000001000000"), {
      effective: "0000000001000000",
      sysResource: true,
      sysAdmin: false,
    });
    assert.deepEqual(caps("0000000000200000"), {
      effective: "0000000000200000",
      sysResource: false,
      sysAdmin: true,
    });
    assert.deepEqual(caps("xyz0000001200000"), {
      effective: "xyz0000001200000",
      sysResource: false,
      sysAdmin: false,
    });
    assert.equal(facts({ "/proc/self/status": "Name:\tx\n" }).seccomp.supported, false);
  });

  test("tools: the version from the first output line, stderr when stdout is empty; a failed probe has none", () => {
    const tool = (probe: { code: number; stdout: string; stderr: string }) =>
      facts({}, {}, { versions: { ...recorded.versions, runc: probe } }).runtimes.runc.version;
    assert.equal(tool({ code: 0, stdout: "runc version 1.1.12\ncommit: x\n", stderr: "" }), "1.1.12");
    assert.equal(tool({ code: 0, stdout: "", stderr: "  runc 2.0\n" }), "2.0");
    assert.equal(tool({ code: 0, stdout: "runc (dev build)\nspec 1.0.2\n", stderr: "" }), "runc (dev build)");
    assert.equal(tool({ code: 1, stdout: "runc version 1.1.12", stderr: "" }), null);
  });

  test("crun before 1.9 is unusable on hybrid hosts whose cgroup2 carries controllers", () => {
    const crun = (version: string, unified: string) =>
      facts(
        { "/sys/fs/cgroup/unified/cgroup.controllers": unified },
        {},
        {
          versions: {
            ...recorded.versions,
            crun: { code: 0, stdout: `crun version ${version}\n`, stderr: "" },
          },
        },
      ).runtimes.crun;
    assert.deepEqual(
      [crun("1.8.9", "hugetlb\n").usable, crun("1.8.9", "hugetlb\n").reason],
      [false, "crun 1.8.9 refuses hybrid cgroups while /sys/fs/cgroup/unified has controllers (hugetlb)"],
    );
    assert.equal(crun("1.9", "hugetlb\n").usable, true);
    assert.equal(crun("1.8.9", "\n").usable, true);
    const missing = facts({}, {}, { which: { ...recorded.which, crun: null } }).runtimes.crun;
    assert.deepEqual([missing.usable, missing.reason], [false, "not installed"]);
  });

  test("quadlet: either path, and only with podman 4.4 or newer", () => {
    const quadlet = (path: string, version: string) =>
      facts(
        {},
        { [path]: true },
        {
          versions: {
            ...recorded.versions,
            podman: { code: 0, stdout: `podman version ${version}`, stderr: "" },
          },
        },
      ).quadlet;
    assert.deepEqual(quadlet("/usr/lib/podman/quadlet", "4.4.0"), {
      path: "/usr/lib/podman/quadlet",
      available: true,
    });
    assert.deepEqual(quadlet("/usr/libexec/podman/quadlet", "4.3.9"), {
      path: "/usr/libexec/podman/quadlet",
      available: false,
    });
  });
});

describe("host mode: what the commands decide by", () => {
  test("systemd runs the partition only as PID 1 with /run/systemd/system, and only for the machine's own tree", () => {
    const sd = facts({ "/proc/1/comm": "systemd\n" }, { "/run/systemd/system": true });
    assert.equal(hostMode(sd, "/").systemd, true);
    assert.equal(hostMode(sd, "/srv/image").systemd, false);
    assert.equal(
      hostMode(facts({ "/proc/1/comm": "systemd\n" }, { "/run/systemd/system": false }), "/").systemd,
      false,
    );
    assert.equal(
      hostMode(facts({ "/proc/1/comm": "bash\n" }, { "/run/systemd/system": true }), "/").systemd,
      false,
    );
  });

  test("SELinux counts when enforcing or permissive; cgroup v2 only without v1 hierarchies", () => {
    const on = (enforce: string) =>
      hostMode(facts({ "/sys/fs/selinux/enforce": enforce }, { "/sys/fs/selinux": true }), "/");
    assert.deepEqual([on("1").selinux, on("0").selinux], [true, true]);
    assert.equal(
      hostMode(facts({ "/sys/fs/selinux/enforce": null }, { "/sys/fs/selinux": false }), "/").selinux,
      false,
    );
    assert.equal(hostMode(facts(), "/").cgroupV2, false, "the recorded host is hybrid");
    const v2 = facts({ "/proc/self/mountinfo": "30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n" });
    assert.equal(hostMode(v2, "/").cgroupV2, true);
  });
});
