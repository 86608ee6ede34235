// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in these strings is unit-file syntax left for systemd, not a template.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../../test/helpers.js";
import { QmError } from "../core/errors.js";
import { memoryUnitFs } from "../unit/fs.js";
import { parseUnit, serializeUnit } from "../unit/syntax.js";
import { splitWords } from "../unit/values.js";
import type { GeneratedService } from "./convert.js";
import { generateAll, generateServiceFrom, loadEffectiveUnitFrom, outputFiles } from "./generate.js";
import { CONTAINER_KEYS } from "./keys.js";

const QM = readFileSync(join(repoRoot, "share/containers/systemd/qm.container"), "utf8");
const DROPINS = join(repoRoot, "test/fixtures/quadlet/qm.container.d");
const env = { QUADLET_UNIT_DIRS: "/units" };
const absent = (p: string): boolean => !p.includes("absent");

function gen(files: Record<string, string>, name: string, exists = absent): GeneratedService {
  const tree: Record<string, string> = {};
  for (const [k, v] of Object.entries(files)) tree[`/units/${k}`] = v;
  return generateServiceFrom(memoryUnitFs(tree), name, { env, deviceExists: exists });
}

function entry(s: GeneratedService, section: string, key: string): string[] {
  return (s.sections.find((x) => x.name === section)?.entries ?? [])
    .filter((e) => e.key === key)
    .map((e) => e.value);
}

function indexOfRun(hay: readonly string[], needle: readonly string[]): number {
  for (let i = 0; i + needle.length <= hay.length; i++)
    if (needle.every((n, j) => hay[i + j] === n)) return i;
  return -1;
}

/** The podman command upstream's qm.service runs (reference §1.3), devices present. */
const QM_ARGV = [
  "/usr/bin/podman",
  "run",
  "--name",
  "qm",
  "--cidfile=%t/%N.cid",
  "--replace",
  "--rm",
  "--cgroups=split",
  "--sdnotify=conmon",
  "-d",
  "--security-opt",
  "label=nested",
  "--pids-limit",
  "-1",
  "--security-opt",
  "label=type:qm_t",
  "--security-opt",
  "label=filetype:qm_file_t",
  "--security-opt",
  "label=level:s0",
  "--device",
  "/dev/kvm",
  "--device",
  "/dev/fuse",
  "--security-opt",
  "seccomp=/usr/share/qm/seccomp-no-rt.json",
  "--cap-drop",
  "sys_boot",
  "--cap-drop",
  "sys_resource",
  "--cap-add",
  "all",
  "--read-only",
  "--read-only-tmpfs",
  "-v",
  "${RWETCFS}:/etc",
  "-v",
  "${RWVARFS}:/var",
  "-v",
  "${RWVARFS}/tmp:/var/tmp",
  "--network",
  "private",
  "--sysctl",
  "fs.mqueue.queues_max=4",
  "--tz",
  "local",
  "--rootfs",
  "${ROOTFS}",
  "/sbin/init",
];

describe("qm.container", () => {
  it("round-trips byte for byte, like every reference drop-in", () => {
    assert.equal(serializeUnit(parseUnit(QM, "qm.container")), QM);
    const names = readdirSync(DROPINS);
    assert.equal(names.length, 12);
    for (const n of names) {
      const text = readFileSync(join(DROPINS, n), "utf8");
      assert.equal(serializeUnit(parseUnit(text, n)), text, n);
    }
  });

  it("keeps upstream's exact lines that tools parse", () => {
    assert.match(QM, /^Environment=ROOTFS=\/usr\/lib\/qm\/rootfs$/m);
    assert.equal(QM.match(/^SecurityLabelNested=true$/gm)?.length, 2);
    assert.match(QM, /^# IOReadIOPSMax=\/dev\/sdf 50$/m);
    assert.match(QM, /^# IOWriteIOPSMax=\/dev\/sdf 50$/m);
  });

  it("converts to the podman command upstream gets", () => {
    const s = gen({ "qm.container": QM }, "qm.container", () => true);
    assert.deepEqual(s.execStart, QM_ARGV);
    assert.equal(s.serviceName, "qm.service");
    assert.deepEqual(entry(s, "Service", "ExecStart"), [QM_ARGV.join(" ")]);
    assert.deepEqual(entry(s, "Service", "KillMode"), ["mixed"]);
    assert.deepEqual(entry(s, "Service", "Type"), ["notify"]);
    assert.deepEqual(entry(s, "Service", "NotifyAccess"), ["all"]);
    assert.deepEqual(entry(s, "Service", "SyslogIdentifier"), ["%N"]);
    assert.deepEqual(entry(s, "Service", "ExecStop"), ["/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid"]);
    assert.deepEqual(entry(s, "Service", "ExecStopPost"), [
      "-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid",
    ]);
    assert.ok(entry(s, "Service", "Environment").includes("PODMAN_SYSTEMD_UNIT=%n"));
    assert.deepEqual(entry(s, "Service", "Slice"), ["-.slice"]);
    assert.deepEqual(entry(s, "Unit", "Wants"), ["network-online.target"]);
    assert.deepEqual(entry(s, "Unit", "RequiresMountsFor"), ["%t/containers"]);
    assert.deepEqual(s.install.wantedBy, ["default.target"]);
    assert.ok(s.text.includes("[X-Container]\nAddCapability=all\n"));
  });

  it("skips optional devices missing on the host", () => {
    const s = gen({ "qm.container": QM }, "qm.container", () => false);
    assert.equal(s.execStart.includes("--device"), false);
  });

  const withDropin = (name: string): GeneratedService =>
    gen(
      { "qm.container": QM, [`qm.container.d/${name}`]: readFileSync(join(DROPINS, name), "utf8") },
      "qm.container",
      () => true,
    );

  it("applies each reference drop-in as upstream documents", () => {
    const kvm = withDropin("qm_dropin_mount_bind_kvm.conf").execStart;
    assert.ok(
      indexOfRun(kvm, ["--device", "/dev/fuse", "--device", "/dev/net/tun", "--device", "/dev/kvm"]) > 0,
    );
    assert.ok(
      indexOfRun(withDropin("qm_dropin_mount_bind_snd.conf").execStart, [
        "--annotation",
        "org.containers.qm.device.audio=true",
      ]) > 0,
    );
    assert.ok(
      indexOfRun(withDropin("qm_dropin_mount_bind_video.conf").execStart, ["--device", "/dev/video0"]) > 0,
    );
    assert.ok(
      indexOfRun(withDropin("qm_dropin_mount_bind_window_manager.conf").execStart, [
        "--annotation",
        "org.containers.qm.device.ttys=true",
      ]) > 0,
    );
    assert.ok(
      indexOfRun(withDropin("bluechi-socket.conf").execStart, [
        "-v",
        "/run/bluechi/bluechi.sock:/run/bluechi.sock",
      ]) > 0,
    );
    const extra = withDropin("10-extra-volume.conf");
    assert.ok(indexOfRun(extra.execStart, ["-v", "/run/ipc/:/run/ipc/"]) > 0);
    assert.ok(entry(extra, "Unit", "Requires").includes("ipc_server"));
    assert.ok(entry(extra, "Unit", "RequiresMountsFor").includes("/run/ipc/"));
    const oom = withDropin("oom.conf").execStart;
    assert.ok(indexOfRun(oom, ["--memory", "5G", "--rootfs"]) > 0);
    const capa = withDropin("100-AddCAPA.conf").execStart;
    assert.ok(
      indexOfRun(capa, ["--cap-drop", "sys_boot", "--cap-add", "all", "--cap-add", "sys_resource"]) > 0,
    );
    assert.equal(
      capa.includes("sys_resource") && capa.indexOf("sys_resource") === capa.lastIndexOf("sys_resource"),
      true,
    );
    assert.deepEqual(entry(withDropin("100-MemoryMax.conf"), "Service", "MemoryHigh"), ["infinity", "2G"]);
    assert.ok(indexOfRun(withDropin("rt.conf").execStart, ["--security-opt", 'seccomp=""']) > 0);
    const dev = withDropin("expose-dev.conf").execStart;
    assert.ok(indexOfRun(dev, ["--device", "/dev/net/tun"]) > 0);
    assert.ok(indexOfRun(dev, ["--security-opt", "unmask=ALL"]) > 0);
    assert.ok(
      indexOfRun(withDropin("wayland-seat.conf").execStart, [
        "--annotation",
        "org.containers.qm.wayland.seat=seat0",
      ]) > 0,
    );
  });

  it("records which file and line set each value", () => {
    const fs = memoryUnitFs({
      "/units/qm.container": QM,
      "/units/qm.container.d/oom.conf": "[Container]\nPodmanArgs=\nPodmanArgs=--memory 5G\n",
    });
    const unit = loadEffectiveUnitFrom(fs, "qm.container", { env });
    const args = unit.all("Container", "PodmanArgs");
    assert.equal(args.length, 1);
    assert.deepEqual(
      [args[0]?.file, args[0]?.line, args[0]?.value],
      ["/units/qm.container.d/oom.conf", 3, "--memory 5G"],
    );
    const rootfs = unit.last("Service", "Environment");
    assert.equal(rootfs?.file, "/units/qm.container");
  });
});

describe("[Container] keys (known answers from podman-systemd.unit(5))", () => {
  interface Case {
    key: string;
    lines: string[];
    noImage?: boolean;
    files?: Record<string, string>;
    args?: string[];
    final?: string[];
    absent?: string[];
    service?: Record<string, string>;
    unit?: Record<string, string>;
  }
  const fixture = JSON.parse(
    readFileSync(join(repoRoot, "test/fixtures/quadlet/container-keys.json"), "utf8"),
  ) as { cases: Case[] };

  it("covers every key the generator accepts", () => {
    const covered = new Set(fixture.cases.map((c) => c.key));
    assert.deepEqual(
      [...CONTAINER_KEYS].filter((k) => !covered.has(k)),
      [],
    );
  });

  for (const c of fixture.cases) {
    it(c.key, () => {
      const text = `[Container]\n${c.noImage ? "" : "Image=localhost/imagename\n"}${c.lines.join("\n")}\n`;
      const s = gen({ "test.container": text, ...(c.files ?? {}) }, "test.container");
      if (c.args)
        assert.ok(
          indexOfRun(s.execStart, c.args) >= 0,
          `${JSON.stringify(c.args)} in ${JSON.stringify(s.execStart)}`,
        );
      if (c.final) assert.deepEqual(s.execStart.slice(-c.final.length), c.final);
      for (const a of c.absent ?? []) assert.equal(s.execStart.includes(a), false, a);
      for (const [k, v] of Object.entries(c.service ?? {}))
        assert.ok(entry(s, "Service", k).includes(v), `${k}=${v}`);
      for (const [k, v] of Object.entries(c.unit ?? {}))
        assert.ok(entry(s, "Unit", k).includes(v), `${k}=${v}`);
      // What systemd reads back from ExecStart= is exactly the argv.
      assert.deepEqual(splitWords(entry(s, "Service", "ExecStart")[0] ?? ""), s.execStart);
    });
  }
});

describe("conversion rules", () => {
  it("defaults the container name to systemd-%N and adds quadlet's defaults", () => {
    const s = gen({ "web.container": "[Container]\nImage=img\n" }, "web.container");
    assert.deepEqual(s.execStart.slice(0, 11), [
      "/usr/bin/podman",
      "run",
      "--name",
      "systemd-%N",
      "--cidfile=%t/%N.cid",
      "--replace",
      "--rm",
      "--cgroups=split",
      "--sdnotify=conmon",
      "-d",
      "img",
    ]);
  });

  it("fails a unit with an unsupported key, naming file, line and key", () => {
    const r = generateAll(
      memoryUnitFs({
        "/units/a.container": "[Container]\nImage=x\nBogus=1\n",
        "/units/b.container": "[Container]\nImage=y\n",
      }),
      { env },
    );
    assert.deepEqual(
      r.services.map((s) => s.serviceName),
      ["b.service"],
    );
    const e = r.errors[0];
    assert.ok(e instanceof QmError);
    assert.equal(e.code, "QM_QUADLET_UNSUPPORTED_KEY");
    assert.deepEqual(e.location, { file: "/units/a.container", line: 3, column: 1 });
    assert.match(e.message, /Bogus/);
  });

  it("rejects a container without Image or Rootfs, or with both", () => {
    assert.throws(() => gen({ "a.container": "[Container]\nExec=x\n" }, "a.container"), /no Image or Rootfs/);
    assert.throws(
      () => gen({ "a.container": "[Container]\nImage=x\nRootfs=/r\n" }, "a.container"),
      (e: QmError) => e.location?.line === 3,
    );
  });

  it("rejects invalid KillMode and Type, and a missing referenced unit", () => {
    assert.throws(
      () => gen({ "a.container": "[Container]\nImage=x\n[Service]\nKillMode=none\n" }, "a.container"),
      /KillMode/,
    );
    assert.throws(
      () => gen({ "a.container": "[Container]\nImage=x\n[Service]\nType=simple\n" }, "a.container"),
      /Type/,
    );
    assert.throws(
      () => gen({ "a.container": "[Container]\nImage=x\nNetwork=missing.network\n" }, "a.container"),
      /missing.network was not found/,
    );
  });

  it("uses Type=oneshot without sd-notify or detaching", () => {
    const s = gen({ "a.container": "[Container]\nImage=x\n[Service]\nType=oneshot\n" }, "a.container");
    assert.equal(s.execStart.includes("-d"), false);
    assert.equal(
      s.execStart.some((a) => a.startsWith("--sdnotify")),
      false,
    );
  });

  it("translates dependencies on other quadlet units and honours DefaultDependencies=false", () => {
    const s = gen(
      {
        "a.container":
          "[Unit]\nAfter=b.container x.service\nRequires=b.container\n[Quadlet]\nDefaultDependencies=false\n[Container]\nImage=x\n",
        "b.container": "[Container]\nImage=y\n",
      },
      "a.container",
    );
    assert.deepEqual(entry(s, "Unit", "After"), ["b.service x.service"]);
    assert.deepEqual(entry(s, "Unit", "Requires"), ["b.service"]);
    assert.deepEqual(entry(s, "Unit", "Wants"), []);
  });

  it("leaves ${VAR} and % specifiers for systemd", () => {
    const s = gen({ "a.container": "[Container]\nImage=x\nExec=echo ${HOME} %i\n" }, "a.container");
    assert.deepEqual(s.execStart.slice(-4), ["x", "echo", "${HOME}", "%i"]);
    assert.match(s.text, /ExecStart=.* x echo \$\{HOME\} %i$/m);
  });

  it("depends on the user network target in -user mode", () => {
    const fs = memoryUnitFs({ "/units/a.container": "[Container]\nImage=x\n" });
    const s = generateServiceFrom(fs, "a.container", { env, user: true });
    assert.deepEqual(entry(s, "Unit", "Wants"), ["podman-user-wait-network-online.service"]);
  });

  it("plans [Install] symlinks", () => {
    const s = gen(
      {
        "a.container":
          "[Container]\nImage=x\n[Install]\nWantedBy=multi-user.target default.target\nRequiredBy=b.target\nAlias=z.service\n",
      },
      "a.container",
    );
    assert.deepEqual(
      outputFiles(s, "/out").map((f) => (f.kind === "file" ? f.path : `${f.path} -> ${f.target}`)),
      [
        "/out/a.service",
        "/out/multi-user.target.wants/a.service -> ../a.service",
        "/out/default.target.wants/a.service -> ../a.service",
        "/out/b.target.requires/a.service -> ../a.service",
        "/out/z.service -> a.service",
      ],
    );
  });
});

describe(".volume, .network, .pod, .image", () => {
  it("volume", () => {
    const s = gen(
      {
        "v.volume":
          "[Volume]\nUser=123\nGroup=192\nLabel=a=b\nDevice=/dev/sdb1\nType=ext4\nOptions=noatime\n",
      },
      "v.volume",
    );
    assert.equal(s.serviceName, "v-volume.service");
    assert.deepEqual(s.execStart, [
      "/usr/bin/podman",
      "volume",
      "create",
      "--ignore",
      "--opt",
      "device=/dev/sdb1",
      "--opt",
      "type=ext4",
      "--opt",
      "o=noatime",
      "--opt",
      "uid=123",
      "--opt",
      "gid=192",
      "--label",
      "a=b",
      "systemd-v",
    ]);
    assert.deepEqual(entry(s, "Service", "Type"), ["oneshot"]);
    assert.deepEqual(entry(s, "Service", "RemainAfterExit"), ["yes"]);
    assert.ok(entry(s, "Unit", "RequiresMountsFor").includes("/dev/sdb1"));
  });

  it("network", () => {
    const s = gen(
      {
        "n.network":
          "[Network]\nSubnet=172.16.0.0/24\nGateway=172.16.0.1\nIPRange=172.16.0.0/28\nLabel=org.test.Key=value\nNetworkName=foo\nNetworkDeleteOnStop=true\n",
      },
      "n.network",
    );
    assert.equal(s.serviceName, "n-network.service");
    assert.deepEqual(s.execStart, [
      "/usr/bin/podman",
      "network",
      "create",
      "--ignore",
      "--subnet",
      "172.16.0.0/24",
      "--gateway",
      "172.16.0.1",
      "--ip-range",
      "172.16.0.0/28",
      "--label",
      "org.test.Key=value",
      "foo",
    ]);
    assert.deepEqual(entry(s, "Service", "ExecStopPost"), ["/usr/bin/podman network rm foo"]);
    assert.throws(() => gen({ "n.network": "[Network]\nGateway=1.2.3.4\n" }, "n.network"), /gateways/);
  });

  it("pod, and a container in it", () => {
    const files = {
      "p.pod": "[Pod]\nPublishPort=8080:80\n",
      "c.container": "[Container]\nImage=x\nPod=p.pod\n",
    };
    const pod = gen(files, "p.pod");
    assert.equal(pod.serviceName, "p-pod.service");
    assert.deepEqual(entry(pod, "Service", "Type"), ["forking"]);
    assert.ok(entry(pod, "Service", "ExecStartPre")[0]?.includes("pod create"));
    assert.ok(entry(pod, "Unit", "Wants").includes("c.service"));
    const c = gen(files, "c.container");
    assert.deepEqual(entry(c, "Unit", "BindsTo"), ["p-pod.service"]);
  });

  it("image, and a container using it", () => {
    const files = {
      "i.image": "[Image]\nImage=quay.io/x/y:1\nArch=aarch64\nTLSVerify=false\n",
      "c.container": "[Container]\nImage=i.image\n",
    };
    assert.deepEqual(gen(files, "i.image").execStart, [
      "/usr/bin/podman",
      "image",
      "pull",
      "--arch=aarch64",
      "--tls-verify=false",
      "quay.io/x/y:1",
    ]);
    const c = gen(files, "c.container");
    assert.equal(c.execStart[c.execStart.length - 1], "quay.io/x/y:1");
    assert.ok(entry(c, "Unit", "Requires").includes("i-image.service"));
  });
});
