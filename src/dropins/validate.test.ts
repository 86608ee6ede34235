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

test("checkContainersConf: tables, comments and every TOML value form pass", () => {
  checkContainersConf(
    [
      "",
      "  # a comment",
      "[engine]",
      "[[engine.volume_plugins]]",
      "[a.b-c_D9]",
      'a = "quoted \\" string"',
      "b='single'",
      "c = true",
      "d=false",
      "e = 1",
      "f = -2",
      "g = +3_000",
      "h = 1.5",
      'i = ["a", "b"]',
      "j = {x = 1}",
      "k_9-x = 1   # trailing comment",
      "  indented = 2  ",
      'label = "cam #1"',
      "label2 = 'cam #2'",
      'label3 = "x" # a comment with a "quote"',
      "l = [",
      "  anything inside a multi-line array",
      "]",
      "h2 = 1.25",
      "m = [  # a comment",
      "  1,",
      "]  # the end",
      "n = [",
      "  2",
      "]  ",
    ].join("\n"),
    "c.conf",
  );
});

test("checkContainersConf: lines and values that are not TOML are refused at their line", () => {
  const hint = 'quote strings: image_copy_tmp_dir="/var/tmp.dir"';
  for (const [text, line, message] of [
    ["[engine]\nno equals sign", 2, "not a [table] or key = value line: no equals sign"],
    ["a b = 1", 1, "not a [table] or key = value line: a b = 1"],
    ["= 1", 1, "not a [table] or key = value line: = 1"],
    ["a =", 1, "not a [table] or key = value line: a ="],
    ["[engine", 1, "not a [table] or key = value line: [engine"],
    ["[[[engine]]]", 1, "not a [table] or key = value line: [[[engine]]]"],
    ["[en gine]", 1, "not a [table] or key = value line: [en gine]"],
    ["[]", 1, "not a [table] or key = value line: []"],
    ["[engine]x", 1, "not a [table] or key = value line: [engine]x"],
    ["a = 1\rx", 1, "not a [table] or key = value line: a = 1\rx"],
    ["x[engine]", 1, "not a [table] or key = value line: x[engine]"],
  ] as const)
    assert.equal(
      rejects(() => checkContainersConf(text, "c.conf"), "QM_DROPIN_SYNTAX", "c.conf", line).message,
      message,
    );
  for (const [text, line, value] of [
    ["a = yes", 1, "yes"],
    ['a = "open', 1, '"open'],
    ['a = "x"y"', 1, '"x"y"'],
    ['a = "x\\"', 1, '"x\\"'],
    ["a = 'x'y'", 1, "'x'y'"],
    ["a = 1.", 1, "1."],
    ["a = 1.x", 1, "1.x"],
    ["a = _1", 1, "_1"],
    ["a = 1 2", 1, "1 2"],
    ["a = truely", 1, "truely"],
    ["a = xtrue", 1, "xtrue"],
    ["a = {x", 1, "{x"],
    ["a = x}", 1, "x}"],
    ["a = x]", 1, "x]"],
    ["a = x # c", 1, "x"],
    ["a = x[1]", 1, "x[1]"],
    ["a = x{1}", 1, "x{1}"],
    ["a = {1}x", 1, "{1}x"],
    ["a = [\n1,\n]  # end\nb = bad", 4, "bad"],
    ["a = [\n1,\n]  \nb = bad", 4, "bad"],
    ["a = [1,\n2]\nb = bad", 3, "bad"],
    ["a = [1]\nb = bad", 2, "bad"],
    ["a = x[", 1, "x["],
    ["a = [\n1,\n]\nb = bad", 4, "bad"],
    ["a = [\n1,\n2]\nb = bad", 4, "bad"],
  ] as const) {
    const e = rejects(() => checkContainersConf(text, "c.conf"), "QM_DROPIN_SYNTAX", "c.conf", line);
    const key = text.split("\n")[line - 1]?.split("=")[0]?.trim();
    assert.equal(
      e.message,
      `value of ${key} is not a TOML string, number, boolean, array or table: ${value}`,
      text,
    );
    assert.equal(e.hint, hint);
  }
});

test("checkContainersConf: an array that is never closed is refused at its first line", () => {
  for (const [text, line] of [
    ["a = [\n1,\n2", 1],
    ["a = [", 1],
    ["x = 1\na = [ # open\n1, # ]", 2],
  ] as const)
    assert.equal(
      rejects(() => checkContainersConf(text, "c.conf"), "QM_DROPIN_SYNTAX", "c.conf", line).message,
      "the array of a is not closed with ']'",
    );
});

test("hook configurations need version, hook.path, when and stages", () => {
  const at = "/usr/share/containers/oci/hooks.d/x.json";
  const ok = {
    version: "1.0.0",
    hook: { path: "/usr/libexec/x" },
    when: { always: true },
    stages: ["prestart"],
  };
  validateFiles(base(), [file(at, JSON.stringify(ok))]);
  for (const bad of [
    { ...ok, version: 1 },
    { ...ok, hook: {} },
    { ...ok, hook: undefined },
    { ...ok, when: "always" },
    { ...ok, when: null },
    { ...ok, stages: "prestart" },
    null,
    [],
    "x",
  ]) {
    const e = rejects(
      () => validateFiles(base(), [file(at, JSON.stringify(bad))]),
      "QM_DROPIN_SYNTAX",
      "/src/x.json",
      1,
    );
    assert.equal(e.message, "an OCI hook configuration needs version, hook.path, when and stages");
    assert.equal(e.hint, `nothing was installed (the file would go to ${at})`);
  }
  const json = rejects(() => validateFiles(base(), [file(at, "{")]), "QM_DROPIN_SYNTAX", "/src/x.json", 1);
  assert.match(json.message, /^not valid JSON: /);
});

test("errors keep their own hint before 'nothing was installed', and never point before line 1", () => {
  const unit = "/etc/qm/containers/systemd/cam.container";
  const e = rejects(
    () => validateFiles(base(), [file(unit, "[Container]\nImag=x\n")]),
    "QM_QUADLET_UNSUPPORTED_KEY",
    "/src/cam.container",
    2,
  );
  assert.ok(e.hint?.endsWith(`; nothing was installed (the file would go to ${unit})`), e.hint);
  assert.ok((e.hint?.length ?? 0) > `; nothing was installed (the file would go to ${unit})`.length);
  assert.deepEqual(e.details, {
    unit: "cam.container",
    section: "Container",
    key: "Imag",
    destination: unit,
  });
  // A marked hook configuration (lineOffset 1) with an error on its first line.
  const at = "/usr/share/containers/oci/hooks.d/x.json";
  rejects(
    () => validateFiles(base(), [{ ...file(at, "{", false), lineOffset: 1 }]),
    "QM_DROPIN_SYNTAX",
    "/src/x.json",
    1,
  );
});

test("qm.container drop-ins: the sections quadlet reads and X- sections pass, others are refused", () => {
  const text =
    "[Unit]\nDescription=x\n[Service]\nRestart=always\n[Install]\nWantedBy=default.target\n[Container]\n[Quadlet]\n[X-Mine]\nA=1\n";
  validateFiles(base(), [file(DROPIN, text)]);
  for (const section of ["Contaner", "Pod", "x-Mine", "XMine"]) {
    const e = rejects(
      () => validateFiles(base(), [file(DROPIN, `[Container]\n[${section}]\n`)]),
      "QM_DROPIN_UNKNOWN_SECTION",
      "/src/50-test.conf",
      2,
    );
    assert.equal(e.message, `unknown section [${section}] in a qm.container drop-in`);
    assert.equal(
      e.hint,
      "qm.container drop-ins hold [Container], [Service], [Unit], [Install] or [Quadlet]; nothing was installed (the file would go to /etc/containers/systemd/qm.container.d/50-test.conf)",
    );
  }
  const e = rejects(
    () =>
      validateFiles(base(), [file("/etc/containers/systemd/qm.container.d/x.txt", "[Container]\n", false)]),
    "QM_DROPIN_INVALID",
    "/src/x.txt",
    1,
  );
  assert.equal(e.message, "quadlet reads only *.conf files in a drop-in directory");
});

test("partition units and containers.conf drop-ins are checked as part of a package", () => {
  rejects(
    () => validateFiles(base(), [file("/etc/qm/systemd/system/x.service", "[Service]\nno equals\n")]),
    "QM_UNIT_SYNTAX",
    "/src/x.service",
    2,
  );
  rejects(
    () => validateFiles(base(), [file("/etc/qm/containers/containers.conf.d/x.conf", "[engine]\na = b\n")]),
    "QM_DROPIN_SYNTAX",
    "/src/x.conf",
    2,
  );
  // Plain files are not parsed.
  const r = validateFiles(base(), [file("/etc/qm/x.txt", "[Service]\nno equals\n")]);
  assert.deepEqual(r.nested, []);
  assert.deepEqual(r.notes, []);
  assert.equal(r.execStart[0], "/usr/bin/podman");
});

test("an error outside the package's files keeps its location and hint", () => {
  const fs = memoryUnitFs({ "/usr/share/containers/systemd/qm.container": `${shipped}\nBogusKey=1\n` });
  const e = rejects(
    () => validateFiles(fs, [file(DROPIN, "[Container]\n")]),
    "QM_QUADLET_UNSUPPORTED_KEY",
    "/usr/share/containers/systemd/qm.container",
    shipped.split("\n").length + 1,
  );
  assert.ok(!e.hint?.includes("nothing was installed"), e.hint);
  assert.equal(e.details?.destination, undefined);
});

test("overlayUnitFs: added files win, removed ones are gone, directories are listed as the files imply", () => {
  const fs = overlayUnitFs(
    memoryUnitFs({ "/a/b/x": "1", "/a/y": "2", "/a/w": "base w", "/top": "t" }),
    new Map([
      ["/a/c/d/z", "3"],
      ["/a/w", "added w"],
      ["/a/v", "4"],
      ["/root-file", "5"],
      ["/q/r", "6"],
    ]),
    new Set(["/a/y", "/a/w", "/a/b/x"]),
  );
  const names = (p: string) => fs.list(p)?.map((e) => `${e.name}:${e.kind}`);
  assert.deepEqual(names("/a"), ["b:dir", "c:dir", "v:file", "w:file"]);
  assert.deepEqual(names("/a/"), names("/a"));
  assert.deepEqual(names("/a//"), names("/a"));
  assert.deepEqual(names("/a/c"), ["d:dir"]);
  assert.deepEqual(names("/a/c/d"), ["z:file"]);
  assert.deepEqual(names("/q"), ["r:file"]);
  assert.deepEqual(names("/a/b"), []);
  assert.deepEqual(names("/"), ["a:dir", "q:dir", "root-file:file", "top:file"]);
  assert.equal(fs.list("/a/c/d/z/none"), undefined);
  assert.equal(fs.readText("/a/w"), "added w");
  assert.equal(fs.readText("/a/y"), undefined);
  assert.equal(fs.readText("/top"), "t");
  assert.equal(fs.readText("/a/c/d/z"), "3");
  for (const p of ["/a/c", "/a/c/", "/a/c/d", "/a/v", "/a/w", "/top", "/a", "/q"]) assert.ok(fs.exists(p), p);
  assert.ok(fs.exists("/a/c/d/"));
  // A name that only begins like an added file's directory does not exist.
  for (const p of ["/a/y", "/a/b/x", "/a/c/d/z/x", "/a/cx", "/root-f", "/nowhere"])
    assert.equal(fs.exists(p), false, p);
  // Without removals, the base shows through.
  const plain = overlayUnitFs(memoryUnitFs({ "/a/y": "2" }), new Map());
  assert.equal(plain.readText("/a/y"), "2");
  assert.ok(plain.exists("/a/y"));
  assert.deepEqual(
    plain.list("/a")?.map((e) => e.name),
    ["y"],
  );
});

test("an error is relocated to the file it is in, not to the package's first file", () => {
  const unit = "/etc/qm/containers/systemd/cam.container";
  rejects(
    () =>
      validateFiles(base(), [file(DROPIN, "[Container]\n"), file(unit, "[Container]\nImage=x\nImag=x\n")]),
    "QM_QUADLET_UNSUPPORTED_KEY",
    "/src/cam.container",
    3,
  );
});

test("without qm.container under the root (other units there or not), the one qm ships is used", () => {
  const other = memoryUnitFs({ "/etc/containers/systemd/other.container": "[Container]\nImage=x\n" });
  for (const fs of [other, memoryUnitFs({})]) {
    const r = validateFiles(fs, [file(DROPIN, "[Container]\nAddCapability=sys_nice\n")]);
    assert.deepEqual(r.notes, ["no qm.container under the root: validated against the one qm ships"]);
    assert.equal(r.execStart[0], "/usr/bin/podman");
    assert.ok(r.execStart.join(" ").includes("--cap-add sys_nice"));
    assert.ok(r.execStart.includes("qm"), r.execStart.join(" "));
  }
});

test("a failure that is not qm's own error comes back as an internal error, not as a crash of the relocation", () => {
  const broken = {
    ...base(),
    list(): never {
      throw new Error("disk gone");
    },
  };
  assert.throws(
    () => validateFiles(broken, [file(DROPIN, "[Container]\n")]),
    (e: unknown) =>
      e instanceof QmError && e.code === "QM_INTERNAL" && e.message === "internal error: disk gone",
  );
});
