import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { withEnv } from "../../test/helpers.js";
import { QmError } from "../core/errors.js";
import { VERSION } from "../core/version.js";
import {
  catalogDir,
  catalogNames,
  fileKind,
  loadPackage,
  markerLine,
  readMarker,
  sha256,
  withMarker,
} from "./package.js";

const tmp = mkdtempSync(join(tmpdir(), "qm-dropin-package-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
let serial = 0;

/** A package directory under tmp with a dropin.json of `manifest` and the files given (path -> text). */
function packageDir(manifest: Record<string, unknown>, files: Record<string, string> = {}): string {
  const dir = join(tmp, `pkg${serial++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, "dropin.json"), JSON.stringify({ name: "cam", summary: "A camera", ...manifest }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function fails(fn: () => unknown, code: string): QmError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof QmError, String(error));
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

test("fileKind: what a destination is decides how it is validated", () => {
  const cases: [string, string][] = [
    ["/etc/containers/systemd/qm.container.d/50-x.conf", "qm-dropin"],
    ["/usr/share/containers/systemd/qm.container.d/x.txt", "qm-dropin"],
    ["/etc/containers/systemd/myqm.container.d/x.conf", "file"],
    ["/etc/containers/systemd/qm.container.d/sub/x.conf", "file"],
    ["/etc/qm/containers/systemd/cam.container", "nested-unit"],
    ["/etc/qm/containers/systemd/cam.volume", "nested-unit"],
    ["/etc/qm/containers/systemd/cam.network", "nested-unit"],
    ["/etc/qm/containers/systemd/cam.pod", "nested-unit"],
    ["/etc/qm/containers/systemd/cam.kube", "nested-unit"],
    ["/etc/qm/containers/systemd/cam.image", "nested-unit"],
    ["/etc/qm/containers/systemd/cam.build", "nested-unit"],
    ["/etc/qm/containers/systemd/cam.artifact", "nested-unit"],
    ["/etc/qm/containers/systemd/cam.service", "file"],
    ["/etc/qm/containers/systemd/cam.containers", "file"],
    ["/etc/qm/containers/systemd/cam.container.bak", "file"],
    ["/etc/qm/containers/systemd/sub/cam.container", "file"],
    ["/etc/containers/systemd/cam.container", "file"],
    ["/etc/qm/containers/containers.conf.d/x.conf", "containers-conf"],
    ["/etc/qm/containers/containers.conf.d/x", "containers-conf"],
    ["/etc/qm/containers/containers.conf", "file"],
    ["/etc/containers/containers.conf.d/x.conf", "file"],
    ["/usr/share/containers/oci/hooks.d/x.json", "hook-config"],
    ["/etc/qm/containers/oci/hooks.d/x.json", "hook-config"],
    ["/usr/share/containers/oci/hooks.d/x.json.bak", "file"],
    ["/usr/share/containers/oci/hooks.d/x", "file"],
    ["/usr/share/containers/oci/hooks.d/sub/x.json", "file"],
    ["/usr/share/containers/myoci/hooks.d/x.json", "file"],
    ["/usr/libexec/oci/hooks.d/x", "file"],
    ["/etc/qm/systemd/system/x.service", "partition-unit"],
    ["/etc/qm/systemd/system/x.socket", "partition-unit"],
    ["/etc/qm/systemd/system/x.target", "partition-unit"],
    ["/etc/qm/systemd/system/x.timer", "partition-unit"],
    ["/etc/qm/systemd/system/x.path", "partition-unit"],
    ["/etc/qm/systemd/system/x.mount", "partition-unit"],
    ["/etc/qm/systemd/system/multi-user.target.wants/x.service", "partition-unit"],
    ["/etc/qm/systemd/system/x.conf", "file"],
    ["/etc/qm/systemd/system/x.service.d", "file"],
    ["/etc/qm/systemd/x.service", "file"],
    ["/etc/systemd/system/x.service", "file"],
    ["/etc/qm/x.conf", "file"],
  ];
  for (const [destination, kind] of cases) assert.equal(fileKind(destination), kind, destination);
});

test("markerLine: a comment naming the package, its version and how to remove it", () => {
  assert.equal(
    markerLine("qm-cam", "1.2"),
    "# qm-dropin: package=qm-cam version=1.2 ('qm dropin remove qm-cam' deletes this file)\n",
  );
});

test("withMarker: files with # comments get the marker once; others are left as they are", () => {
  const body = Buffer.from("[Container]\n");
  const marked =
    "# qm-dropin: package=qm-cam version=1.2 ('qm dropin remove qm-cam' deletes this file)\n[Container]\n";
  for (const ext of [
    "conf",
    "container",
    "volume",
    "network",
    "pod",
    "kube",
    "image",
    "socket",
    "service",
    "target",
    "timer",
    "path",
    "mount",
    "ini",
    "toml",
  ])
    assert.equal(withMarker(`/etc/qm/x.${ext}`, body, "qm-cam", "1.2").toString(), marked, ext);
  for (const destination of ["/etc/qm/x.json", "/etc/qm/x.conf.bak", "/etc/qm/xconf", "/etc/qm/x.build"])
    assert.equal(withMarker(destination, body, "qm-cam", "1.2"), body, destination);
  const already = Buffer.from(marked);
  assert.equal(withMarker("/etc/qm/x.conf", already, "qm-other", "9"), already);
});

test("readMarker: the package and version of a marker on the first line only", () => {
  assert.deepEqual(readMarker("# qm-dropin: package=qm-cam version=1.2 (...)\nx\n"), {
    package: "qm-cam",
    version: "1.2",
  });
  assert.deepEqual(readMarker(Buffer.from("# qm-dropin: package=a+b.c-9 version=2~rc1\n")), {
    package: "a+b.c-9",
    version: "2~rc1",
  });
  for (const text of [
    "",
    "[Container]\n# qm-dropin: package=qm-cam version=1.2\n",
    " # qm-dropin: package=qm-cam version=1.2\n",
    "# qm-dropin: package=Qm-Cam version=1.2\n",
    "# qm-dropin: package=qm_cam version=1.2\n",
    "# qm-dropin: package= version=1.2\n",
    "# qm-dropin: package=qm-cam version=\n",
    "# qm-dropin: package=qm-cam version= 1.2\n",
    "# qm-dropin: package=qm-cam\n",
  ])
    assert.equal(readMarker(text), undefined, text);
  // Of a file's bytes only the first 300 are read.
  const long = `# qm-dropin: package=qm-cam version=${"1".repeat(400)}\n`;
  assert.equal(readMarker(long)?.version.length, 400);
  assert.equal(
    readMarker(Buffer.from(long))?.version.length,
    300 - "# qm-dropin: package=qm-cam version=".length,
  );
});

test("sha256: the hex digest of text or bytes", () => {
  assert.equal(sha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.equal(
    sha256(Buffer.from("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

test("catalogDir and catalogNames: entries with a dropin.json below share/dropins, sorted", () => {
  const share = join(tmp, "share");
  withEnv({ QM_SHARE_DIR: share }, () => {
    assert.equal(catalogDir(), join(share, "dropins"));
    assert.deepEqual(catalogNames(), []);
    for (const n of ["zed", "Abc", "abc", "empty"]) mkdirSync(join(share, "dropins", n), { recursive: true });
    for (const n of ["zed", "Abc", "abc"]) writeFileSync(join(share, "dropins", n, "dropin.json"), "{}");
    assert.deepEqual(catalogNames(), ["Abc", "abc", "zed"]);
  });
});

test("loadPackage: files in memory, marked, sorted by destination, with kind, mode and origin", () => {
  const dir = packageDir(
    {
      version: "2.5",
      files: [
        { source: "units/cam.container", destination: "/etc/qm/containers/systemd/cam.container" },
        { source: "hook.json", destination: "/usr/share/containers/oci/hooks.d/cam.json", mode: "0600" },
        { source: "50-cam.conf", destination: "/etc/containers/systemd/qm.container.d/50-cam.conf" },
      ],
    },
    { "units/cam.container": "[Container]\n", "hook.json": "{}", "50-cam.conf": "[Container]\n" },
  );
  const pkg = loadPackage(dir);
  assert.equal(pkg.origin, dir);
  assert.equal(pkg.version, "2.5");
  assert.equal(pkg.manifest.package, "qm-cam");
  const marker = "# qm-dropin: package=qm-cam version=2.5 ('qm dropin remove qm-cam' deletes this file)\n";
  assert.deepEqual(
    pkg.files.map((f) => ({ ...f, content: f.content.toString() })),
    [
      {
        destination: "/etc/containers/systemd/qm.container.d/50-cam.conf",
        mode: 0o644,
        content: `${marker}[Container]\n`,
        kind: "qm-dropin",
        origin: join(dir, "50-cam.conf"),
        lineOffset: 1,
      },
      {
        destination: "/etc/qm/containers/systemd/cam.container",
        mode: 0o644,
        content: `${marker}[Container]\n`,
        kind: "nested-unit",
        origin: join(dir, "units/cam.container"),
        lineOffset: 1,
      },
      {
        destination: "/usr/share/containers/oci/hooks.d/cam.json",
        mode: 0o600,
        content: "{}",
        kind: "hook-config",
        origin: join(dir, "hook.json"),
        lineOffset: 0,
      },
    ],
  );
  // A file that already carries a marker keeps its own line numbers.
  const own = packageDir(
    { files: [{ source: "a.conf", destination: "/etc/qm/a.conf" }] },
    { "a.conf": "# qm-dropin: package=qm-cam version=1\nx=1\n" },
  );
  assert.equal(loadPackage(own).files[0]?.lineOffset, 0);
});

test("loadPackage: the manifest's file names the package directory; a version defaults to qm's", () => {
  const dir = packageDir({});
  assert.equal(loadPackage(join(dir, "dropin.json")).origin, dir);
  assert.equal(loadPackage(`${dir}/`).origin, dir);
  assert.equal(loadPackage(dir).version, VERSION);
  const cwd = process.cwd();
  try {
    process.chdir(dir);
    assert.equal(loadPackage(".").origin, dir);
    process.chdir(join(dir, ".."));
    mkdirSync(join(dir, "below"));
    process.chdir(join(dir, "below"));
    assert.equal(loadPackage("..").origin, dir);
  } finally {
    process.chdir(cwd);
  }
});

test("loadPackage: unknown names and directories without a manifest are refused with a way forward", () => {
  const empty = join(tmp, "empty");
  mkdirSync(empty);
  for (const path of [empty, join(tmp, "missing"), join(empty, "dropin.json")]) {
    const e = fails(() => loadPackage(path), "QM_DROPIN_UNKNOWN");
    assert.equal(e.message, `${path} holds no dropin.json`);
    assert.equal(e.hint, "create one with 'qm dropin new NAME'");
  }
  const share = join(tmp, "share2");
  mkdirSync(join(share, "dropins", "kvm"), { recursive: true });
  writeFileSync(join(share, "dropins", "kvm", "dropin.json"), "{}");
  mkdirSync(join(share, "dropins", "dvb"));
  writeFileSync(join(share, "dropins", "dvb", "dropin.json"), "{}");
  writeFileSync(join(share, "dropins", "notes"), "{}");
  withEnv({ QM_SHARE_DIR: share }, () => {
    const e = fails(() => loadPackage("cam"), "QM_DROPIN_UNKNOWN");
    assert.equal(e.message, "no sub-package 'cam' in the catalog");
    assert.equal(e.hint, "known: dvb, kvm; a directory must be given as a path (./NAME)");
    assert.equal(
      fails(() => loadPackage("notes"), "QM_DROPIN_UNKNOWN").message,
      "no sub-package 'notes' in the catalog",
    );
    assert.equal(
      fails(() => loadPackage("kvm"), "QM_DROPIN_MANIFEST").location?.file,
      join(share, "dropins/kvm/dropin.json"),
    );
  });
});

test("loadPackage: a missing source is refused at the manifest", () => {
  const dir = packageDir({ files: [{ source: "gone.conf", destination: "/etc/qm/gone.conf" }] });
  const e = fails(() => loadPackage(dir), "QM_DROPIN_SOURCE");
  assert.equal(e.message, `${join(dir, "dropin.json")}: gone.conf does not exist`);
  assert.deepEqual(e.location, { file: join(dir, "dropin.json"), line: 1 });
});

test("loadPackage with hooks: the hook executables from QM_DIST_DIR, their configurations from share/", () => {
  const root = join(tmp, "qmroot");
  const share = join(root, "share");
  const dist = join(tmp, "dist");
  mkdirSync(join(share, "oci/hooks.d"), { recursive: true });
  mkdirSync(dist);
  for (const n of [
    "oci-qm-device-manager.json",
    "oci-qm-seat-manager.json",
    "oci-qm-wayland-client-devices.json",
  ])
    writeFileSync(join(share, "oci/hooks.d", n), `config ${n}`);
  const dir = packageDir({ hooks: true });
  withEnv({ QM_SHARE_DIR: share, QM_DIST_DIR: undefined }, () => {
    const e = fails(() => loadPackage(dir), "QM_DROPIN_SOURCE");
    assert.equal(e.message, "cannot find qm's dist/oci-qm-device-manager.cjs");
    assert.equal(e.hint, "build qm first (node scripts/build.mjs) or set QM_DIST_DIR");
  });
  for (const n of ["oci-qm-device-manager", "oci-qm-wayland-client-devices"])
    writeFileSync(join(dist, `${n}.cjs`), `bundle ${n}`);
  // Only dist/ files are looked for in QM_DIST_DIR; the configurations always come from share/.
  writeFileSync(join(dist, "oci-qm-device-manager.json.cjs"), "not the configuration");
  const files = withEnv({ QM_SHARE_DIR: share, QM_DIST_DIR: dist }, () => loadPackage(dir).files);
  assert.deepEqual(
    files.map((f) => [f.destination, f.mode, f.content.toString(), f.kind, f.origin, f.lineOffset]),
    [
      [
        "/usr/libexec/oci/hooks.d/oci-qm-device-manager",
        0o755,
        "bundle oci-qm-device-manager",
        "file",
        join(dist, "oci-qm-device-manager.cjs"),
        0,
      ],
      [
        "/usr/libexec/oci/hooks.d/oci-qm-wayland-client-devices",
        0o755,
        "bundle oci-qm-wayland-client-devices",
        "file",
        join(dist, "oci-qm-wayland-client-devices.cjs"),
        0,
      ],
      ...["oci-qm-device-manager.json", "oci-qm-seat-manager.json", "oci-qm-wayland-client-devices.json"].map(
        (n) => [
          `/usr/share/containers/oci/hooks.d/${n}`,
          0o644,
          `config ${n}`,
          "hook-config",
          join(share, "oci/hooks.d", n),
          0,
        ],
      ),
    ],
  );
  // Without QM_DIST_DIR, the dist/ beside share/.
  const beside = join(root, "dist");
  mkdirSync(beside);
  for (const n of ["oci-qm-device-manager", "oci-qm-wayland-client-devices"])
    writeFileSync(join(beside, `${n}.cjs`), `beside ${n}`);
  const fromBeside = withEnv({ QM_SHARE_DIR: share, QM_DIST_DIR: undefined }, () => loadPackage(dir).files);
  assert.equal(fromBeside[0]?.origin, join(beside, "oci-qm-device-manager.cjs"));
  assert.equal(fromBeside[0]?.content.toString(), "beside oci-qm-device-manager");
});
