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
