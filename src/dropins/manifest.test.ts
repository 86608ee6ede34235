import assert from "node:assert/strict";
import { test } from "node:test";
import { QmError } from "../core/errors.js";
import { defaultPackageName, type Manifest, manifestError, parseManifest } from "./manifest.js";

const FILE = "/src/cam/dropin.json";
const HINT = "see docs/dropins.md for the manifest fields";

/** A manifest with the two required fields and `extra` merged in. */
function parse(extra: Record<string, unknown> = {}): Manifest {
  return parseManifest(JSON.stringify({ name: "cam", summary: "A camera", ...extra }), FILE);
}

/** The error parsing `text` throws: QM_DROPIN_MANIFEST at line 1 of FILE unless `code` says otherwise. */
function failure(text: string, code = "QM_DROPIN_MANIFEST"): QmError {
  try {
    parseManifest(text, FILE);
  } catch (error) {
    assert.ok(error instanceof QmError, String(error));
    assert.equal(error.code, code, error.message);
    assert.deepEqual(error.location, { file: FILE, line: 1 });
    return error;
  }
  assert.fail(`expected ${code} for ${text}`);
}

const refused = (extra: Record<string, unknown>, code?: string): QmError =>
  failure(JSON.stringify({ name: "cam", summary: "A camera", ...extra }), code);

test("defaultPackageName: qm- and the name in lower case, every '_' a '-'", () => {
  assert.equal(defaultPackageName("ttyUSB0"), "qm-ttyusb0");
  assert.equal(defaultPackageName("img_tempdir"), "qm-img-tempdir");
  assert.equal(defaultPackageName("a_b_c"), "qm-a-b-c");
  assert.equal(defaultPackageName("kvm"), "qm-kvm");
});

test("manifestError: the manifest file at line 1, a hint only when given", () => {
  const e = manifestError("m.json", "bad", "look here");
  assert.equal(e.code, "QM_DROPIN_MANIFEST");
  assert.equal(e.message, "bad");
  assert.deepEqual(e.location, { file: "m.json", line: 1 });
  assert.equal(e.hint, "look here");
  assert.equal(manifestError("m.json", "bad").hint, undefined);
  assert.equal(manifestError("m.json", "bad", "").hint, undefined);
});

test("a minimal manifest: every default", () => {
  assert.deepEqual(parse(), {
    name: "cam",
    package: "qm-cam",
    version: undefined,
    summary: "A camera",
    description: "A camera",
    files: [],
    hooks: false,
    directories: [],
    requires: [],
    host: { devices: [], hooks: [], partitionPackages: [] },
    upstream: undefined,
  });
});

test("a full manifest is read field by field", () => {
  const m = parse({
    name: "Cam_2.x+y-z",
    package: "qm-cam2",
    version: "1.2+git~rc1",
    description: "Line one\n\nLine three",
    files: [
      { source: "a.conf", destination: "/etc/qm/a.conf" },
      { source: "sub/b..c", destination: "/etc/qm/b", mode: "0755" },
      { source: "..d", destination: "/etc/qm/d", mode: "600" },
    ],
    hooks: true,
    directories: [{ path: "/var/qm/cam" }, { path: "/var/qm/x", mode: "0700" }],
    requires: ["qm-oci-hooks", "9p"],
    host: { devices: ["/dev/kvm", "/dev/snd/*"], hooks: ["qm_hook.1"], partitionPackages: ["libFoo_2"] },
    upstream: { package: "qm-cam", status: "replaced", note: "renamed" },
  });
  assert.deepEqual(m, {
    name: "Cam_2.x+y-z",
    package: "qm-cam2",
    version: "1.2+git~rc1",
    summary: "A camera",
    description: "Line one\n\nLine three",
    files: [
      { source: "a.conf", destination: "/etc/qm/a.conf", mode: 0o644 },
      { source: "sub/b..c", destination: "/etc/qm/b", mode: 0o755 },
      { source: "..d", destination: "/etc/qm/d", mode: 0o600 },
    ],
    hooks: true,
    directories: [
      { path: "/var/qm/cam", mode: 0o755 },
      { path: "/var/qm/x", mode: 0o700 },
    ],
    requires: ["qm-oci-hooks", "9p"],
    host: { devices: ["/dev/kvm", "/dev/snd/*"], hooks: ["qm_hook.1"], partitionPackages: ["libFoo_2"] },
    upstream: { package: "qm-cam", status: "replaced", note: "renamed" },
  });
  assert.equal(parse({ hooks: false }).hooks, false);
  for (const status of ["shipped", "removed"])
    assert.equal(parse({ upstream: { package: "p", status, note: "n" } }).upstream?.status, status);
});

test("not JSON, or not an object: refused without the fields hint", () => {
  const e = failure("{");
  assert.match(e.message, /^not valid JSON: /);
  assert.equal(e.hint, undefined);
  for (const text of ["null", "[]", "1", '"cam"', "true"]) {
    const n = failure(text);
    assert.equal(n.message, "not an object");
    assert.equal(n.hint, undefined);
  }
});

test("name: required, a non-empty string of letters, digits and _ . + -, starting with a letter or digit", () => {
  for (const text of ['{"summary":"s"}', '{"name":"","summary":"s"}', '{"name":1,"summary":"s"}']) {
    const e = failure(text);
    assert.equal(e.message, '"name" must be a non-empty string');
    assert.equal(e.hint, HINT);
  }
  for (const name of ["-cam", "_cam", ".cam", "ca m", "cam ", " cam", "ca/m", "cäm"]) {
    const e = refused({ name });
    assert.equal(e.message, `"name" ${JSON.stringify(name)}: use letters, digits and _ . + -`);
  }
  for (const name of ["c", "7", "A.b+c-d_e"]) assert.equal(parse({ name }).name, name);
});

test("package: lower case letters, digits and + - ., at least two characters", () => {
  for (const pkg of ["ab", "9p", "a+.-", "qm-x11"]) assert.equal(parse({ package: pkg }).package, pkg);
  for (const pkg of ["a", "Qm-a", "qm_a", "-qm", ".qm", "qm a", " qm", "qm "]) {
    const e = refused({ package: pkg });
    assert.equal(e.message, `"package" ${JSON.stringify(pkg)}: use lower case letters, digits and + - .`);
  }
  assert.equal(refused({ package: "" }).message, '"package" must be a non-empty string');
  // The default package name of an upper-case name is lower case, so it passes.
  assert.equal(parse({ name: "ttyUSB0" }).package, "qm-ttyusb0");
});

test("version: starts with a digit, no '-' or blanks", () => {
  for (const version of ["1", "1.0", "2.0+git~rc1", "0A"]) assert.equal(parse({ version }).version, version);
  for (const version of ["v1", "1-2", "1 2", " 1", "1 ", ".1", "~1"]) {
    const e = refused({ version });
    assert.equal(
      e.message,
      `"version" ${JSON.stringify(version)}: must start with a digit and hold no '-' or spaces`,
    );
  }
  assert.equal(refused({ version: 1 }).message, '"version" must be a non-empty string');
});

test("summary is required and one line; description defaults to it and may not start a line with '%'", () => {
  assert.equal(failure('{"name":"cam"}').message, '"summary" must be a non-empty string');
  assert.equal(refused({ summary: "" }).message, '"summary" must be a non-empty string');
  const line = refused({ summary: "two\nlines" }, "QM_UNSAFE_TEXT");
  assert.match(line.message, /^"summary" /);
  assert.equal(refused({ description: "" }).message, '"description" must be a non-empty string');
  const pct = refused({ description: "ok\n %include /etc/passwd" }, "QM_UNSAFE_TEXT");
  assert.match(pct.message, /^"description" line 2 /);
  assert.match(refused({ summary: "%x" }, "QM_UNSAFE_TEXT").message, /^"description" line 1 /);
});

test("files: a list of objects; sources inside the manifest's directory; absolute, safe destinations", () => {
  assert.equal(refused({ files: {} }).message, '"files" must be a list');
  assert.equal(refused({ files: "a" }).message, '"files" must be a list');
  for (const f of [null, "a.conf", 1])
    assert.equal(refused({ files: [f] }).message, "files[0] must be an object");
  for (const source of [undefined, 1, "", "/etc/x", "../x", "a/../x", "a/.."]) {
    const e = refused({
      files: [
        { source: "ok", destination: "/etc/ok" },
        { source, destination: "/etc/x" },
      ],
    });
    assert.equal(e.message, "files[1].source must be a path inside the manifest's directory");
  }
  assert.equal(
    refused({ files: [{ source: "x", destination: "etc/x" }] }).message,
    'files[0].destination "etc/x" is not an absolute path',
  );
  assert.equal(
    refused({ files: [{ source: "x", destination: 3 }] }).message,
    "files[0].destination 3 is not a string",
  );
  assert.equal(
    refused({ files: [{ source: "x" }] }).message,
    "files[0].destination undefined is not a string",
  );
  assert.equal(
    refused({
      files: [
        { source: "x", destination: "/etc/x" },
        { source: "y", destination: "/etc/x" },
      ],
    }).message,
    "two files install to /etc/x",
  );
});

test("modes: octal text of three digits (a leading 0 allowed), never writable by group or others", () => {
  const fileMode = (mode: unknown) =>
    parse({ files: [{ source: "x", destination: "/etc/x", mode }] }).files[0]?.mode;
  assert.equal(fileMode(undefined), 0o644);
  assert.equal(fileMode("644"), 0o644);
  assert.equal(fileMode("0755"), 0o755);
  assert.equal(fileMode("0400"), 0o400);
  assert.equal(fileMode("0000"), 0o000);
  assert.equal(fileMode("0711"), 0o711);
  for (const mode of ["0644x", "x0644", "64", "00644", "06444", "0648", "0o644", "1644", 420, ""]) {
    const e = refused({ files: [{ source: "x", destination: "/etc/x", mode }] });
    assert.equal(e.message, 'files[0]: mode must be octal text like "0644"', String(mode));
  }
  for (const mode of ["0664", "0646", "0666", "0777", "0020", "0002", "0622"]) {
    const e = refused({ files: [{ source: "x", destination: "/etc/x", mode }] });
    assert.equal(e.message, `files[0]: mode ${mode} lets users other than root write it; use 0644 or 0755`);
  }
  const dirMode = (mode: unknown) =>
    parse({ directories: [{ path: "/var/qm/d", mode }] }).directories[0]?.mode;
  assert.equal(dirMode(undefined), 0o755);
  assert.equal(dirMode("0750"), 0o750);
  assert.equal(
    refused({ directories: [{ path: "/var/qm/d", mode: "0775" }] }).message,
    "directories[0]: mode 0775 lets users other than root write it; use 0644 or 0755",
  );
});

test("directories: a list of objects with absolute, safe paths", () => {
  assert.equal(refused({ directories: {} }).message, '"directories" must be a list');
  assert.equal(
    refused({ directories: ["/var/qm/d"] }).message,
    "directories[0].path undefined is not a string",
  );
  assert.equal(refused({ directories: [null] }).message, "directories[0].path undefined is not a string");
  assert.equal(
    refused({ directories: [{ path: "/var/qm/../d" }] }).message,
    "directories[0].path \"/var/qm/../d\" has a '..' segment",
  );
});

test("requires: a list of package names", () => {
  assert.deepEqual(parse({ requires: ["qm-sound"] }).requires, ["qm-sound"]);
  assert.equal(refused({ requires: "qm-sound" }).message, '"requires" must be a list of strings');
  assert.equal(refused({ requires: ["qm-sound", 1] }).message, '"requires" must be a list of strings');
  assert.equal(refused({ requires: ["Qm-Sound"] }).message, '"requires": "Qm-Sound" is not a package name');
});

test("host: devices below /dev (a '*' for a whole directory), hook names, partition package names", () => {
  for (const host of [null, "x", 1])
    assert.deepEqual(parse({ host }).host, { devices: [], hooks: [], partitionPackages: [] });
  assert.equal(
    refused({ host: { devices: "/dev/kvm" } }).message,
    '"host.devices" must be a list of strings',
  );
  assert.equal(refused({ host: { hooks: [1] } }).message, '"host.hooks" must be a list of strings');
  assert.equal(
    refused({ host: { partitionPackages: {} } }).message,
    '"host.partitionPackages" must be a list of strings',
  );
  assert.equal(
    refused({ host: { devices: ["/etc/kvm"] } }).message,
    '"host.devices": "/etc/kvm" is not below /dev/',
  );
  assert.equal(
    refused({ host: { devices: ["/dev/../etc"] } }).message,
    '"host.devices": "/dev/../etc" has a \'..\' segment',
  );
  assert.match(
    refused({ host: { devices: ["/dev/*/x"] } }).message,
    /^"host\.devices": "\/dev\/\*\/x" has the segment/,
  );
  assert.equal(refused({ host: { hooks: ["-x"] } }).message, '"host.hooks": "-x" is not a hook name');
  assert.equal(refused({ host: { hooks: ["a b"] } }).message, '"host.hooks": "a b" is not a hook name');
  for (const p of ["_x", "x y", "x/y", "x "])
    assert.equal(
      refused({ host: { partitionPackages: [p] } }).message,
      `"host.partitionPackages": ${JSON.stringify(p)} is not a package name`,
    );
});

test("upstream: a status of shipped, removed or replaced, a package and a note, each one line", () => {
  for (const upstream of [
    { package: "p", note: "n" },
    { package: "p", status: "gone", note: "n" },
    null,
    "x",
  ])
    assert.equal(refused({ upstream }).message, '"upstream.status" must be shipped, removed or replaced');
  for (const upstream of [
    { status: "shipped", note: "n" },
    { package: "p", status: "shipped" },
    { package: 1, status: "shipped", note: "n" },
  ])
    assert.equal(refused({ upstream }).message, '"upstream" needs "package" and "note" strings');
  assert.match(
    refused({ upstream: { package: "p\nq", status: "shipped", note: "n" } }, "QM_UNSAFE_TEXT").message,
    /^"upstream\.package" /,
  );
  assert.match(
    refused({ upstream: { package: "p", status: "shipped", note: "a\u0007" } }, "QM_UNSAFE_TEXT").message,
    /^"upstream\.note" /,
  );
});

test("hooks: true or false only", () => {
  for (const hooks of ["true", 1, null, []])
    assert.equal(refused({ hooks }).message, '"hooks" must be true or false');
});
