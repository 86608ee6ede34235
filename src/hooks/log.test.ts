// The hook log, in process: upstream's line format, safe values, a log file that never fails a hook.
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../test/helpers.js";
import { HookLog, shown, timestamp } from "./log.js";

test("timestamp: local time, YYYY-MM-DD HH:MM:SS with zero padding", () => {
  assert.equal(timestamp(new Date(2026, 0, 2, 3, 4, 5)), "2026-01-02 03:04:05");
  assert.equal(timestamp(new Date(2026, 11, 31, 23, 59, 59)), "2026-12-31 23:59:59");
  assert.equal(timestamp(new Date(2026, 9, 10, 10, 10, 10)), "2026-10-10 10:10:10");
});

test("shown: strings as they are, other values as JSON, control characters escaped", () => {
  assert.equal(shown("plain text"), "plain text");
  assert.equal(shown(3), "3");
  assert.equal(shown({ a: ["b"] }), '{"a":["b"]}');
  assert.equal(shown(undefined), "undefined");
  assert.equal(shown("\u0000\u0009\u001f \u007f~\u0080"), "\\x00\\x09\\x1f \\x7f~\u0080");
});

test("shown: values longer than the limit are cut and their length named", () => {
  assert.equal(shown("abcdef", 6), "abcdef");
  assert.equal(shown("abcdefg", 6), "abcdef...(7 chars)");
  assert.equal(shown("x".repeat(200)), "x".repeat(200));
  assert.equal(shown("x".repeat(201)), `${"x".repeat(200)}...(201 chars)`);
});

test("HookLog appends one formatted line per call to a file it creates, mode 0640", (t) => {
  const file = join(tempDir(t), "var/log/qm-test.log");
  const log = new HookLog("qm-test", file);
  const before = Date.now();
  log.log("INFO", "first");
  log.log("WARNING", "second");
  const lines = readFileSync(file, "utf8").split("\n");
  assert.equal(lines.length, 3);
  assert.equal(lines[2], "");
  assert.match(lines[0] as string, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - qm-test - INFO - first$/);
  assert.match(lines[1] as string, / - qm-test - WARNING - second$/);
  const stamp = (lines[0] as string).slice(0, 19);
  assert.ok(Math.abs(new Date(stamp.replace(" ", "T")).getTime() - before) < 60_000, stamp);
  assert.equal(statSync(file).mode & 0o777, 0o640);
  new HookLog("other", file).log("DEBUG", "third");
  assert.match(readFileSync(file, "utf8"), /first\n.* - WARNING - second\n.* - other - DEBUG - third\n$/);
});

test("HookLog never throws when its file cannot be opened", (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "file"), "");
  const log = new HookLog("qm-test", join(dir, "file/below/log"));
  log.log("INFO", "lost");
  log.log("WARNING", "lost too");
  assert.equal(readFileSync(join(dir, "file"), "utf8"), "");
});
