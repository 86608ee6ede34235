import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { QmError } from "../core/errors.js";
import {
  dropInText,
  formatSize,
  MOUNT_UNIT_MARKER,
  mountUnitName,
  mountUnitText,
  parseVarMountUnit,
  parseVarSize,
} from "./bounded-var.js";
import { ownedPaths, planSetup, type SetupInputs } from "./setup-plan.js";

const MIB = 1024 * 1024;

describe("--var-size", () => {
  test("whole M, G and T, with or without B/iB, any case", () => {
    assert.equal(parseVarSize("512M"), 512 * MIB);
    assert.equal(parseVarSize("4G"), 4096 * MIB);
    assert.equal(parseVarSize("10GiB"), 10240 * MIB);
    assert.equal(parseVarSize("1tb"), 1024 * 1024 * MIB);
    assert.equal(parseVarSize("256M"), 256 * MIB);
  });
  for (const bad of ["", "4", "4K", "0G", "1.5G", "-1G", "4 G", "04G", "G", "4GX"])
    test(`refuses ${JSON.stringify(bad)} with a hint`, () => {
      assert.throws(
        () => parseVarSize(bad),
        (e: unknown) =>
          e instanceof QmError && e.code === "QM_USAGE" && /e\.g\. --var-size 4G/.test(e.hint ?? ""),
      );
    });
  test("refuses less than 256M", () => {
    assert.throws(() => parseVarSize("255M"), /at least 256M/);
  });
  test("formatSize gives back what parseVarSize takes", () => {
    for (const s of ["256M", "512M", "1G", "1536M", "4G", "1T"]) assert.equal(formatSize(parseVarSize(s)), s);
  });
});

describe("mount unit", () => {
  test("names as systemd-escape --path --suffix=mount does", () => {
    assert.equal(mountUnitName("/var/qm"), "var-qm.mount");
    assert.equal(mountUnitName("/srv/qm-var"), "srv-qm\\x2dvar.mount");
    assert.equal(mountUnitName("/"), "-.mount");
    assert.equal(mountUnitName("/a.b/.c"), "a.b-.c.mount");
    assert.equal(mountUnitName("/.x"), "\\x2ex.mount");
    assert.equal(mountUnitName("/x y"), "x\\x20y.mount");
    assert.equal(mountUnitName("/var//qm/"), "var-qm.mount");
  });
  test("text: the image, loop,nodev,nosuid, after the image's directory is mounted", () => {
    assert.equal(
      mountUnitText("/var/lib/qm/var.img", "/var/qm", 4096 * MIB),
      [
        MOUNT_UNIT_MARKER,
        "[Unit]",
        "Description=QM partition /var (4G, ext4 in /var/lib/qm/var.img)",
        "RequiresMountsFor=/var/lib/qm",
        "",
        "[Mount]",
        "What=/var/lib/qm/var.img",
        "Where=/var/qm",
        "Type=ext4",
        "Options=loop,nodev,nosuid",
        "",
      ].join("\n"),
    );
    assert.equal(dropInText("/var/qm"), dropInText("/var/qm"));
    assert.match(dropInText("/var/qm"), /^\[Unit\]\nRequiresMountsFor=\/var\/qm\n$/m);
  });
  test("paths that would need quoting or hold specifiers never reach a unit file", () => {
    for (const where of [
      "/var/q m",
      "/var/%n",
      "/var/qm\nExecStart=/x",
      "relative",
      "/var/../etc",
      "/var/q\\m",
    ])
      assert.throws(() => mountUnitText("/var/lib/qm/var.img", where, 256 * MIB), /plain absolute path/);
  });
  test("parsed back; a unit without qm's marker, or with other options, is not qm's", () => {
    const text = mountUnitText("/var/lib/qm/var.img", "/var/qm", 256 * MIB);
    assert.deepEqual(parseVarMountUnit(text, "f"), {
      what: "/var/lib/qm/var.img",
      where: "/var/qm",
      type: "ext4",
      options: "loop,nodev,nosuid",
    });
    assert.equal(parseVarMountUnit(text.replace(MOUNT_UNIT_MARKER, "# mine"), "f"), null);
    assert.equal(parseVarMountUnit(text.replace("nosuid", "suid"), "f"), null);
    assert.throws(() => parseVarMountUnit(text.replace("Where=/var/qm", "Where=/var/q m"), "f"), /plain/);
  });
});

describe("setup plan with a bounded /var", () => {
  const inputs: SetupInputs = {
    paths: { installDir: "/usr/share/qm", rootfs: "/usr/lib/qm/rootfs", rwEtc: "/etc/qm", rwVar: "/var/qm" },
    hostname: "car1",
    shipped: {
      qmContainer: "[Container]\nExec=/sbin/init\n",
      containersConf: "",
      contexts: "",
      fileContexts: "",
      oomHook: "",
      cgroupHook: "",
      quadletBundle: "",
      quadletGenerator: "",
    },
    host: {
      osId: "debian",
      versionId: "12",
      selinux: false,
      cgroupV2: false,
      nofileHard: 1024,
      nprocHard: 1024,
      subuid: null,
      subgid: null,
      agentConf: null,
      seccomp: null,
    },
    tree: {
      podmanVersion: "4.3.1",
      seccomp: null,
      storageConf: null,
      agentConf: null,
      subuid: null,
      subgid: null,
      hasBluechiAgent: false,
      hasSystemBus: true,
      hasPodmanQuadlet: true,
      hasNode: false,
      maskable: [],
    },
  };
  const files = (i: SetupInputs) =>
    new Map(planSetup(i).entries.flatMap((e) => (e.kind === "file" ? [[e.path, e.content] as const] : [])));
  test("the mount unit and the drop-in, only with --var-size, and all owned", () => {
    const without = files(inputs);
    const bounded = files({ ...inputs, boundedVar: { sizeBytes: 4096 * MIB } });
    const added = [...bounded.keys()].filter((p) => !without.has(p));
    assert.deepEqual(added, [
      "/etc/systemd/system/var-qm.mount",
      "/usr/share/containers/systemd/qm.container.d/10-qm-bounded-var.conf",
    ]);
    assert.match(bounded.get("/etc/systemd/system/var-qm.mount") ?? "", /^What=\/var\/lib\/qm\/var\.img$/m);
    assert.match(bounded.get(added[1] as string) ?? "", /^RequiresMountsFor=\/var\/qm$/m);
    const owned = ownedPaths(inputs.paths, "/usr/lib/qm/setup-state.json");
    for (const p of [...added, "/var/lib/qm/var.img"]) assert.ok(owned.files.includes(p), p);
  });
  test("another --rwvarfs: the unit is named after it", () => {
    const bounded = files({
      ...inputs,
      paths: { ...inputs.paths, rwVar: "/srv/qm-var" },
      boundedVar: { sizeBytes: 256 * MIB },
    });
    assert.match(bounded.get("/etc/systemd/system/srv-qm\\x2dvar.mount") ?? "", /^Where=\/srv\/qm-var$/m);
  });
});
