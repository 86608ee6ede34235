import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { memoryUnitFs } from "../unit/fs.js";
import { beforeQuadlet, type PodmanVersion, parsePodmanVersion, podmanCompat } from "./compat.js";
import { type GeneratedService, generateServiceFrom } from "./generate.js";

const env = { QUADLET_UNIT_DIRS: "/units" };
const v = (text: string): PodmanVersion => parsePodmanVersion(text) as PodmanVersion;

function gen(files: Record<string, string>, name: string): GeneratedService {
  const tree: Record<string, string> = {};
  for (const [k, text] of Object.entries(files)) tree[`/units/${k}`] = text;
  return generateServiceFrom(memoryUnitFs(tree), name, { env });
}

/** The service text and warnings for podman `version` (undefined: no target). */
function compat(files: Record<string, string>, name: string, version: string | undefined) {
  const s = gen(files, name);
  const r = podmanCompat(
    s.file,
    name,
    s.type,
    version === undefined ? undefined : parsePodmanVersion(version),
  );
  return {
    before: s.file.toString(),
    text: r.service.toString(),
    warnings: r.warnings,
    same: r.service === s.file,
  };
}

const service = (text: string, key: string): string[] =>
  text
    .split("\n")
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));

const WEB = { "web.container": "[Container]\nImage=quay.io/x/y\n" };

describe("parsePodmanVersion", () => {
  it("reads versions and podman --version output", () => {
    assert.deepEqual(parsePodmanVersion("4.3.1"), { major: 4, minor: 3, patch: 1 });
    assert.deepEqual(parsePodmanVersion("podman version 4.3.1\n"), { major: 4, minor: 3, patch: 1 });
    assert.deepEqual(parsePodmanVersion("4.4"), { major: 4, minor: 4, patch: 0 });
    assert.deepEqual(parsePodmanVersion("4.4.0-rc1"), { major: 4, minor: 4, patch: 0 });
    assert.deepEqual(parsePodmanVersion("4.3.1+ds1"), { major: 4, minor: 3, patch: 1 });
    assert.deepEqual(parsePodmanVersion("5.10.20"), { major: 5, minor: 10, patch: 20 });
  });

  it("refuses anything else", () => {
    for (const bad of [
      "",
      "4",
      "four.three",
      "4.3.1.2",
      "v4.3.1",
      "4.3.x",
      "podman 4.3.1",
      "4.3.1 rm -rf /",
      "1234567.1",
    ])
      assert.equal(parsePodmanVersion(bad), undefined, bad);
  });
});

describe("beforeQuadlet", () => {
  it("is true below 4.4.0 only", () => {
    assert.equal(beforeQuadlet(v("4.3.9")), true);
    assert.equal(beforeQuadlet(v("4.3.1")), true);
    assert.equal(beforeQuadlet(v("3.9.9")), true);
    assert.equal(beforeQuadlet(v("4.4.0")), false);
    assert.equal(beforeQuadlet(v("4.10.0")), false);
    assert.equal(beforeQuadlet(v("5.0.0")), false);
  });
});

describe("podmanCompat", () => {
  it("changes nothing without a target, for 4.4.0 and later, or for a bad version", () => {
    for (const version of [undefined, "4.4.0", "5.4.2", "garbage"]) {
      for (const [files, name] of [
        [WEB, "web.container"],
        [{ "d.volume": "[Volume]\n" }, "d.volume"],
        [{ "n.network": "[Network]\nDNS=1.1.1.1\n" }, "n.network"],
        [{ "p.pod": "[Pod]\n" }, "p.pod"],
      ] as const) {
        const r = compat(files, name, version);
        assert.equal(r.same, true, `${name} ${version}`);
        assert.deepEqual(r.warnings, []);
      }
    }
  });

  it("4.3.9: a container removes its cid file after the podman rm that leaves it, and a stale one first", () => {
    const r = compat(WEB, "web.container", "4.3.9");
    assert.deepEqual(service(r.text, "ExecStopPost"), [
      "-/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid",
      "-/bin/rm -f %t/%N.cid",
    ]);
    assert.match(r.text, /^\[Service\]\nExecStartPre=-\/bin\/rm -f %t\/%N\.cid\n/m);
    // Only those lines are added.
    assert.equal(
      r.text
        .replace("ExecStopPost=-/bin/rm -f %t/%N.cid\n", "")
        .replace("ExecStartPre=-/bin/rm -f %t/%N.cid\n", ""),
      r.before,
    );
  });

  it("the cid file is the unit's own: %N follows ServiceName= and template instances; ContainerName= does not matter", () => {
    for (const [files, name] of [
      [
        { "a.container": "[Container]\nImage=quay.io/x/y\nContainerName=named\nServiceName=svc\n" },
        "a.container",
      ],
      [{ "t@.container": "[Container]\nImage=quay.io/x/y\n" }, "t@.container"],
    ] as const) {
      const r = compat(files, name, "4.3.1");
      assert.equal(service(r.text, "ExecStopPost").at(-1), "-/bin/rm -f %t/%N.cid", name);
      assert.match(service(r.text, "ExecStart")[0] as string, / --cidfile=%t\/%N\.cid /);
    }
  });

  it("a pod removes its pod id file after stopping, and before its pod create", () => {
    const r = compat({ "p.pod": "[Service]\nExecStartPre=/bin/true\n[Pod]\n" }, "p.pod", "4.3.1");
    assert.deepEqual(service(r.text, "ExecStopPost"), [
      "/usr/bin/podman pod rm --pod-id-file=%t/%N.pod-id --ignore --force",
      "-/bin/rm -f %t/%N.pod-id",
    ]);
    const pre = service(r.text, "ExecStartPre");
    assert.equal(pre[0], "-/bin/rm -f %t/%N.pod-id");
    assert.equal(pre.length, 3);
    assert.match(pre[2] as string, /^\/usr\/bin\/podman pod create .*--pod-id-file=%t\/%N\.pod-id /);
  });

  it("a volume is created unless it exists, without --ignore, its words kept", () => {
    const r = compat({ "d.volume": '[Volume]\nLabel="a=b c"\nVolumeName=v$x\n' }, "d.volume", "4.3.1");
    const [exec] = service(r.text, "ExecStart");
    assert.equal(
      exec,
      '/bin/sh -c "n=$$1 v=$$2; shift 2; e() { m=$$#; for a do [ $$# -ge $$((m + n)) ] || set -- \\"$$@\\" \\"$$a\\"; done; shift $$m; \\"$$@\\" volume exists \\"$$v\\"; }; e \\"$$@\\" || exec \\"$$@\\"" sh 1 v$x /usr/bin/podman volume create --label "a=b c" v$x',
    );
    assert.deepEqual(service(r.before, "ExecStart"), [
      '/usr/bin/podman volume create --ignore --label "a=b c" v$x',
    ]);
  });

  it("a network the same way; GlobalArgs= words count as podman's", () => {
    const r = compat(
      { "n.network": "[Network]\nGlobalArgs=--root /s --log-level=info\nSubnet=10.1.0.0/24\n" },
      "n.network",
      "4.3.1",
    );
    const [exec] = service(r.text, "ExecStart");
    assert.match(exec as string, /\\"\$\$@\\" network exists \\"\$\$v\\"/);
    assert.ok(
      (exec as string).endsWith(
        '" sh 4 systemd-n /usr/bin/podman --root /s --log-level=info network create --subnet 10.1.0.0/24 systemd-n',
      ),
      exec,
    );
  });

  it("warns about keys whose options podman 4.3 does not have, and only when they produce one", () => {
    const cases: [Record<string, string>, string, string[]][] = [
      [
        {
          "h.container":
            "[Container]\nImage=quay.io/x/y\nNotify=healthy\nHealthStartupCmd=true\nHealthCmd=true\n",
        },
        "h.container",
        [
          "Warning: h.container: HealthStartupCmd= needs podman 4.4 or later (podman 4.3.1 has no --health-startup-cmd)",
          "Warning: h.container: Notify=healthy needs podman 4.4 or later (podman 4.3.1 has no --sdnotify=healthy)",
        ],
      ],
      [
        { "h.container": "[Container]\nImage=quay.io/x/y\nNotify=healthy\n[Service]\nType=oneshot\n" },
        "h.container",
        [],
      ],
      [{ "h.container": "[Container]\nImage=quay.io/x/y\nHealthStartupCmd=\n" }, "h.container", []],
      [{ "h.container": '[Container]\nImage=quay.io/x/y\nHealthStartupCmd=""\n' }, "h.container", []],
      [
        { "k.kube": "[Kube]\nYaml=/k.yaml\nKubeDownForce=\n" },
        "k.kube",
        ["Warning: k.kube: KubeDownForce= needs podman 4.4 or later (podman 4.3.1 has no kube down --force)"],
      ],
      [
        { "n.network": "[Network]\nDNS=1.1.1.1\n" },
        "n.network",
        ["Warning: n.network: DNS= needs podman 4.4 or later (podman 4.3.1 has no --dns)"],
      ],
      [{ "n.network": "[Network]\nDNS=1.1.1.1\nDNS=\n" }, "n.network", []],
      [
        { "k.kube": "[Kube]\nYaml=/k.yaml\nPublishPort=80:80\nKubeDownForce=false\n" },
        "k.kube",
        [
          "Warning: k.kube: PublishPort= needs podman 4.4 or later (podman 4.3.1 has no --publish)",
          "Warning: k.kube: KubeDownForce= needs podman 4.4 or later (podman 4.3.1 has no kube down --force)",
        ],
      ],
      [
        { "i.image": "[Image]\nImage=quay.io/x/y\nDecryptionKey=/k\n" },
        "i.image",
        ["Warning: i.image: DecryptionKey= needs podman 4.4 or later (podman 4.3.1 has no --decryption-key)"],
      ],
      [{ "b.build": "[Build]\nImageTag=localhost/b\nFile=/Containerfile\n" }, "b.build", []],
    ];
    for (const [files, name, warnings] of cases)
      assert.deepEqual(compat(files, name, "4.3.1").warnings, warnings, name);
  });

  it("leaves kube, image and build services as they are", () => {
    for (const [files, name] of [
      [{ "k.kube": "[Kube]\nYaml=/k.yaml\n" }, "k.kube"],
      [{ "i.image": "[Image]\nImage=quay.io/x/y\n" }, "i.image"],
      [{ "b.build": "[Build]\nImageTag=localhost/b\nFile=/Containerfile\n" }, "b.build"],
    ] as const) {
      const r = compat(files, name, "4.3.1");
      assert.equal(r.text, r.before, name);
    }
  });
});
