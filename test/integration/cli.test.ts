import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { distBin } from "../helpers.js";

const qm = (...args: string[]) => spawnSync(process.execPath, [distBin("qm"), ...args], { encoding: "utf8" });

test("qm --version and --help", () => {
  const v = qm("--version");
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^qm \d+\.\d+\.\d+\n$/);
  const h = qm("--help");
  assert.equal(h.status, 0);
  assert.match(h.stdout, /^Usage: qm /);
  assert.match(h.stdout, /doctor/);
  const ch = qm("doctor", "--help");
  assert.equal(ch.status, 0);
  assert.match(ch.stdout, /Usage: qm doctor/);
  assert.match(ch.stdout, /Examples:/);
});

test("no command prints help and exits 2", () => {
  const r = qm();
  assert.equal(r.status, 2);
  assert.match(r.stdout, /^Usage: qm /);
});

test("unknown command and option: exit 2, message and hint on stderr, nothing on stdout", () => {
  const r = qm("frobnicate");
  assert.equal(r.status, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^qm: error\[QM_USAGE\]: unknown command 'frobnicate'\n {2}hint: commands: doctor/);
  const o = qm("doctor", "--bogus");
  assert.equal(o.status, 2);
  assert.match(o.stderr, /unknown option --bogus\n {2}hint: see 'qm doctor --help'/);
});

test("with --json, errors are one JSON document on stdout", () => {
  const r = qm("--json", "doctor", "--snapshot", "/nonexistent/snapshot.json");
  assert.equal(r.status, 1);
  const doc = JSON.parse(r.stdout) as { error: { code: string; message: string; hint: string } };
  assert.equal(doc.error.code, "QM_DOCTOR_SNAPSHOT");
  assert.match(doc.error.message, /\/nonexistent\/snapshot\.json/);
  assert.match(r.stderr, /QM_DOCTOR_SNAPSHOT/);
});

test("qm setup: a bad --bluechi-controller and --bluechi-from with the agent-only action stop before any change", () => {
  for (const [args, message] of [
    [
      ["--bluechi-controller", "host\nControllerPort=1"],
      /^qm: error\[QM_SETUP_BLUECHI_CONTROLLER\]: --bluechi-controller "host\\nControllerPort=1": /,
    ],
    [["--bluechi-controller", "/run/a:b/c.sock"], /cannot be mounted \(Volume=\)/],
    [
      ["bluechi-agent", "--bluechi-from", "/nonexistent"],
      /^qm: error\[QM_USAGE\]: qm setup bluechi-agent: --bluechi-from puts the agent into the tree/,
    ],
  ] as const) {
    const r = qm("setup", "--dry-run", "--root", "/nonexistent-root", ...args);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, message);
  }
});
