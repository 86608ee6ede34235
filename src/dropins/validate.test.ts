import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { QmError } from "../core/errors.js";
import { shareDir } from "../core/paths.js";
import { memoryUnitFs } from "../unit/fs.js";
import { parseManifest } from "./manifest.js";
import { fileKind, type PackageFile, withMarker } from "./package.js";
import { checkContainersConf, overlayUnitFs, validateFiles } from "./validate.js";

const shipped = readFileSync(join(shareDir(), "containers/systemd/qm.container"), "utf8");
const base = () => memoryUnitFs({ "/usr/share/containers/systemd/qm.container": shipped });

function file(destination: string, text: string, marked = true): PackageFile {
  const content = marked ? withMarker(destination, Buffer.from(text), "qm-test", "1.0") : Buffer.from(text);
  return {
    destination,
    mode: 0o644,
    content,
    kind: fileKind(destination),
    origin: `/src/${destination.split("/").pop()}`,
    lineOffset: marked ? 1 : 0,
  };
}

const DROPIN = "/etc/containers/systemd/qm.container.d/50-test.conf";

function rejects(fn: () => unknown, code: string, file: string, line: number): QmError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof QmError, String(error));
    assert.equal(error.code, code, error.message);
    assert.equal(error.location?.file, file);
    assert.equal(error.location?.line, line);
    return error;
  }
  assert.fail(`expected ${code}`);
}

test("a valid drop-in changes the generated command", () => {
  const r = validateFiles(base(), [file(DROPIN, "[Container]\nAddCapability=sys_nice\n")]);
  assert.ok(r.execStart.join(" ").includes("--cap-add sys_nice"));
});

test("an unknown key is refused at the line of the person's source file, marker not counted", () => {
  const e = rejects(
    () => validateFiles(base(), [file(DROPIN, "[Container]\nAddDevice=-/dev/kvm\nAddDevise=/dev/x\n")]),
    "QM_QUADLET_UNSUPPORTED_KEY",
    "/src/50-test.conf",
    3,
  );
  assert.match(e.hint ?? "", /nothing was installed/);
  assert.equal(e.details?.destination, DROPIN);
});

test("a file from a package keeps the package's own line numbers", () => {
  rejects(
    () => validateFiles(base(), [file(DROPIN, "[Container]\nBogus=1\n", false)]),
    "QM_QUADLET_UNSUPPORTED_KEY",
    "/src/50-test.conf",
    2,
  );
});

test("syntax errors, unknown sections and non-.conf drop-ins are refused", () => {
  rejects(
    () => validateFiles(base(), [file(DROPIN, "[Container]\nno equals sign\n")]),
    "QM_UNIT_SYNTAX",
    "/src/50-test.conf",
    2,
  );
  rejects(
    () => validateFiles(base(), [file(DROPIN, "# x\n[Contaner]\nAddDevice=/dev/x\n")]),
    "QM_DROPIN_UNKNOWN_SECTION",
    "/src/50-test.conf",
    2,
  );
  rejects(
    () =>
      validateFiles(base(), [file("/etc/containers/systemd/qm.container.d/x.txt", "[Container]\n", false)]),
    "QM_DROPIN_INVALID",
    "/src/x.txt",
    1,
  );
});

test("nested units are generated too; a bad key in one is refused with its line", () => {
  const unit = "/etc/qm/containers/systemd/cam.container";
  const ok = validateFiles(base(), [file(unit, "[Container]\nImage=localhost/cam\n")]);
  assert.deepEqual(ok.nested, ["cam.service"]);
  rejects(
    () => validateFiles(base(), [file(unit, "[Container]\nImage=localhost/cam\nImag=x\n")]),
    "QM_QUADLET_UNSUPPORTED_KEY",
    "/src/cam.container",
    3,
  );
});

test("containers.conf drop-ins and hook configurations are checked", () => {
  checkContainersConf('[engine]\nimage_copy_tmp_dir="/var/tmp.dir"\nenv = [\n  "A=1",\n]\n', "c.conf");
  rejects(
    () => checkContainersConf("[engine]\nimage_copy_tmp_dir=/var/tmp.dir\n", "c.conf"),
    "QM_DROPIN_SYNTAX",
    "c.conf",
    2,
  );
  rejects(
    () => validateFiles(base(), [file("/usr/share/containers/oci/hooks.d/x.json", '{"version":"1.0.0"}')]),
    "QM_DROPIN_SYNTAX",
    "/src/x.json",
    1,
  );
});

test("the target's own configuration is the base: its drop-ins count, removed files do not", () => {
  const old = "/etc/containers/systemd/qm.container.d/10-old.conf";
  const fs = memoryUnitFs({
    "/usr/share/containers/systemd/qm.container": shipped,
    [old]: "[Container]\nAddCapability=sys_ptrace\n",
  });
  const r = validateFiles(fs, [file(DROPIN, "[Container]\n")]);
  assert.ok(r.execStart.join(" ").includes("--cap-add sys_ptrace"));
  const without = validateFiles(fs, [file(DROPIN, "[Container]\n")], { removed: new Set([old]) });
  assert.ok(!without.execStart.join(" ").includes("sys_ptrace"));
  assert.deepEqual(r.notes, []);
  assert.match(validateFiles(memoryUnitFs({}), []).notes[0] ?? "", /validated against the one qm ships/);
});

test("overlayUnitFs lists added files and their directories, hides removed ones", () => {
  const fs = overlayUnitFs(
    memoryUnitFs({ "/a/b/x": "1", "/a/y": "2" }),
    new Map([["/a/c/z", "3"]]),
    new Set(["/a/y"]),
  );
  assert.deepEqual(
    fs.list("/a")?.map((e) => `${e.name}:${e.kind}`),
    ["b:dir", "c:dir"],
  );
  assert.equal(fs.readText("/a/c/z"), "3");
  assert.equal(fs.readText("/a/y"), undefined);
  assert.ok(fs.exists("/a/c"));
  assert.equal(fs.list("/nowhere"), undefined);
});

test("manifests are checked with the manifest's file in the error", () => {
  const good = parseManifest('{"name":"cam","summary":"s","files":[]}', "m.json");
  assert.equal(good.package, "qm-cam");
  assert.equal(good.version, undefined);
  for (const bad of [
    "{",
    '{"name":"Bad Name","summary":"s"}',
    '{"name":"a","summary":"s","files":[{"source":"../x","destination":"/etc/x"}]}',
    '{"name":"a","summary":"s","files":[{"source":"x","destination":"etc/x"}]}',
    '{"name":"a","summary":"s","files":[{"source":"x","destination":"/etc/x","mode":"644x"}]}',
    '{"name":"a","summary":"s","package":"Qm_A"}',
    '{"name":"a","summary":"s","requires":["Not A Package"]}',
  ]) {
    assert.throws(
      () => parseManifest(bad, "m.json"),
      (e: unknown) =>
        e instanceof QmError && e.code === "QM_DROPIN_MANIFEST" && e.location?.file === "m.json",
      bad,
    );
  }
});
