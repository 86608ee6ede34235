// Where quadlet's conversion errors point: the file, line and column of the key the message is about (the last
// assignment of it), the key in the details, and the error code; errors about the unit as a whole point at line 1.
// Also units without a path (convertUnitFile on a parsed text): relative paths resolve against `cwd`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { memoryUnitFs } from "../unit/fs.js";
import { UnitFile } from "../unit/unitfile.js";
import { convertUnitFile, unitInfoOf } from "./convert.js";
import { generateAll } from "./generate.js";

// [unit, text, code, located(), details.key, other units]
const ROWS: ReadonlyArray<
  readonly [string, string, string, string, string | null, Readonly<Record<string, string>>?]
> = [
  [
    "a.container",
    "[Container]\nImage=x.image\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:2:7: requested Quadlet image x.image was not found",
    "Image",
  ],
  [
    "a.container",
    "[Container]\nImage=x.build\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:2:7: requested Quadlet image x.build was not found",
    "Image",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nNetwork=m.network\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:3:9: requested Quadlet unit m.network was not found",
    "Network",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nNetwork=f.container\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:3:9: cannot get the resource name of f.container",
    "Network",
    { "f.container": "[Container]\nImage=docker.io/library/busybox:latest\nContainerName=%p\n" },
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nNetwork=f.container:x\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:3:9: extra options are not supported when joining another container's network",
    "Network",
    { "f.container": "[Container]\nImage=docker.io/library/busybox:latest\n" },
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nUserNS=host\nRemapUsers=auto\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:4:12: deprecated Remap keys are set along with explicit mapping keys",
    "RemapUsers",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nRemapUid=0:1:1\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:3:10: UidMap set without RemapUsers",
    "RemapUid",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nRemapGid=0:1:1\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:3:10: GidMap set without RemapUsers",
    "RemapGid",
  ],
  [
    "a.kube",
    "[Kube]\nYaml=/y\nRemapUsers=manual\n",
    "QM_QUADLET_INVALID",
    "/units/a.kube:3:12: RemapUsers=manual is not supported",
    "RemapUsers",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nRemapUsers=keep-id\nRemapUid=1\nRemapUid=2\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:5:10: RemapUsers=keep-id supports only a single value for UID mapping",
    "RemapUid",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nRemapUsers=keep-id\nRemapGid=1\nRemapGid=2\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:5:10: RemapUsers=keep-id supports only a single value for GID mapping",
    "RemapGid",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nRemapUsers=bogus\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:3:12: unsupported RemapUsers option 'bogus'",
    "RemapUsers",
  ],
  [
    "a.build",
    "[Build]\nImageTag=localhost/a\nSetWorkingDirectory=yaml\n",
    "QM_QUADLET_INVALID",
    "/units/a.build:3:21: SetWorkingDirectory=yaml is only supported in .kube files",
    "SetWorkingDirectory",
  ],
  [
    "a.kube",
    "[Kube]\nYaml=/y\nSetWorkingDirectory=file\n",
    "QM_QUADLET_INVALID",
    "/units/a.kube:3:21: SetWorkingDirectory=file is only supported in .build files",
    "SetWorkingDirectory",
  ],
  [
    "a.build",
    "[Build]\nImageTag=localhost/a\nSetWorkingDirectory=file\n",
    "QM_QUADLET_INVALID",
    "/units/a.build:1: no File key specified",
    "File",
  ],
  [
    "a.kube",
    "[Kube]\nYaml=/y\nSetWorkingDirectory=/x\n",
    "QM_QUADLET_INVALID",
    "/units/a.kube:3:21: unsupported value for WorkingDirectory: /x ",
    "SetWorkingDirectory",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nRootfs=/r\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:3:8: the Image And Rootfs keys conflict can not be specified together",
    "Rootfs",
  ],
  [
    "a.container",
    "[Container]\nContainerName=x\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:1: no Image or Rootfs key specified",
    null,
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nGroup=g\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:3:7: invalid Group set without User",
    "Group",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nExposeHostPort=x\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:3:16: invalid port format 'x'",
    "ExposeHostPort",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nPod=p\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:3:5: pod p is not Quadlet based",
    "Pod",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nPod=m.pod\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:3:5: quadlet pod unit m.pod does not exist",
    "Pod",
  ],
  [
    "a.container",
    '[Container]\nImage=docker.io/library/busybox:latest\nMount=type=bind,src=/a\\"b,dst=/c\n',
    "QM_QUADLET_INVALID",
    '/units/a.container:3:7: parse error on line 1, column 17: bare " in non-quoted-field',
    "Mount",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nMount=src=/a,dst=/b\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:3:7: incorrect mount format: should be --mount type=<bind|glob|tmpfs|volume>,[src=<host-dir|volume-name>,]target=<ctr-dir>[,options]",
    "Mount",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nMount=type=bind,src,dst=/b\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:3:7: source parameter does not include a value",
    "Mount",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nMount=type=bind,dst=/b\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:3:7: Mount=type=bind,dst=/b: a bind mount needs a source",
    "Mount",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nMount=type=volume,src=m.volume,dst=/b\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:3:7: requested Quadlet source m.volume was not found",
    "Mount",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nVolume=m.volume:/b\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:3:8: requested Quadlet source m.volume was not found",
    "Volume",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\n\n[Service]\nType=simple\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:1: invalid service Type 'simple'",
    null,
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\n\n[Service]\nKillMode=none\n",
    "QM_QUADLET_INVALID",
    "/units/a.container:1: invalid KillMode 'none'",
    null,
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\nBogus=1\n",
    "QM_QUADLET_UNSUPPORTED_KEY",
    "/units/a.container:3:1: unsupported key 'Bogus' in group 'Container' in /units/a.container",
    "Bogus",
  ],
  [
    "a.container",
    "[Container]\nImage=docker.io/library/busybox:latest\n[Quadlet]\nBogus=1\n",
    "QM_QUADLET_UNSUPPORTED_KEY",
    "/units/a.container:4:1: unsupported key 'Bogus' in group 'Quadlet' in /units/a.container",
    "Bogus",
  ],
  [
    "a.volume",
    "[Volume]\nDriver=image\n",
    "QM_QUADLET_INVALID",
    "/units/a.volume:1: the key Image is mandatory when using the image driver",
    "Image",
  ],
  [
    "a.volume",
    "[Volume]\nType=t\n",
    "QM_QUADLET_INVALID",
    "/units/a.volume:2:6: key Type can't be used without Device",
    "Type",
  ],
  [
    "a.volume",
    "[Volume]\nOptions=o\n",
    "QM_QUADLET_INVALID",
    "/units/a.volume:2:9: key Options can't be used without Device",
    "Options",
  ],
  [
    "a.network",
    "[Network]\nSubnet=10.0.0.0/24\nGateway=10.0.0.1\nGateway=10.0.0.2\n",
    "QM_QUADLET_INVALID",
    "/units/a.network:4:9: cannot set more gateways than subnets",
    "Gateway",
  ],
  [
    "a.network",
    "[Network]\nSubnet=10.0.0.0/24\nIPRange=10.0.0.0/25\nIPRange=10.0.0.128/25\n",
    "QM_QUADLET_INVALID",
    "/units/a.network:4:9: cannot set more ranges than subnets",
    "IPRange",
  ],
  [
    "a.network",
    "[Network]\nGateway=10.0.0.1\n",
    "QM_QUADLET_INVALID",
    "/units/a.network:2:9: cannot set gateway or range without subnet",
    "Gateway",
  ],
  [
    "a.network",
    "[Network]\nIPRange=10.0.0.0/25\n",
    "QM_QUADLET_INVALID",
    "/units/a.network:2:9: cannot set gateway or range without subnet",
    "IPRange",
  ],
  ["a.kube", "[Kube]\n", "QM_QUADLET_INVALID", "/units/a.kube:1: no Yaml key specified", "Yaml"],
  ["a.image", "[Image]\n", "QM_QUADLET_INVALID", "/units/a.image:1: no Image key specified", "Image"],
  [
    "a.build",
    "[Build]\nFile=/F\n",
    "QM_QUADLET_INVALID",
    "/units/a.build:1: no ImageTag key specified",
    "ImageTag",
  ],
  [
    "a.build",
    "[Build]\nImageTag=localhost/a\n",
    "QM_QUADLET_INVALID",
    "/units/a.build:1: neither SetWorkingDirectory, nor File key specified",
    "File",
  ],
  [
    "a.build",
    "[Build]\nImageTag=localhost/a\nFile=rel\n",
    "QM_QUADLET_INVALID",
    "/units/a.build:3:6: relative path in File key requires SetWorkingDirectory key to be set",
    "File",
  ],
];

test("conversion errors name the file, line and column of their key", () => {
  for (const [name, text, code, located, key, others] of ROWS) {
    const tree: Record<string, string> = { [`/units/${name}`]: text };
    for (const [n, t] of Object.entries(others ?? {})) tree[`/units/${n}`] = t;
    const result = generateAll(memoryUnitFs(tree), { env: { QUADLET_UNIT_DIRS: "/units" } });
    const error = result.units.find((u) => u.name === name)?.error;
    assert.ok(error, `${name}: ${text}`);
    assert.equal(error.code, code, text);
    assert.equal(error.located(), located, text);
    assert.equal(error.details?.key ?? null, key, text);
  }
});

function convertText(name: string, text: string, cwd?: string): UnitFile {
  const unit = UnitFile.parse(text, "", name);
  const info = unitInfoOf(unit, name.endsWith(".kube") ? "kube" : "container");
  return convertUnitFile(unit, new Map([[name, info]]), cwd === undefined ? {} : { cwd });
}

test("a unit without a path: no SourcePath, relative paths against cwd (default /), optional devices kept", () => {
  const text =
    "[Container]\nImage=docker.io/library/busybox:latest\nEnvironmentFile=env\nAddDevice=-/dev/x\nVolume=./v:/v\n";
  const service = convertText("a.container", text, "/base");
  assert.equal(service.lookup("Unit", "SourcePath"), undefined);
  assert.deepEqual(service.lookupAll("Unit", "RequiresMountsFor"), ["%t/containers", "/base/v"]);
  assert.match(
    service.lookup("Service", "ExecStart") ?? "",
    / --device \/dev\/x -v \/base\/v:\/v --env-file \/base\/env /,
  );
  const rooted = convertText("a.container", text);
  assert.match(rooted.lookup("Service", "ExecStart") ?? "", / -v \/v:\/v --env-file \/env /);
});

test("a kube unit without a path: Yaml=, ConfigMap= and SetWorkingDirectory=yaml against cwd", () => {
  const text = "[Kube]\nYaml=k.yaml\nConfigMap=c.yaml\nSetWorkingDirectory=yaml\n";
  const service = convertText("a.kube", text, "/base");
  assert.equal(service.lookup("Service", "WorkingDirectory"), "/base");
  assert.match(service.lookup("Service", "ExecStart") ?? "", / --configmap \/base\/c.yaml \/base\/k.yaml$/);
  assert.equal(service.lookup("Service", "ExecStopPost"), "/usr/bin/podman kube down /base/k.yaml");
  const rooted = convertText("a.kube", text);
  assert.equal(rooted.lookup("Service", "WorkingDirectory"), "/");
  assert.match(rooted.lookup("Service", "ExecStart") ?? "", / --configmap \/c.yaml \/k.yaml$/);
});
