import assert from "node:assert/strict";
import { test } from "node:test";
import type { CheckResult, Report } from "./model.js";
import { barChart, escapeXml, render, renderHtml, renderJunit, renderText } from "./report.js";

const check = (over: Partial<CheckResult>): CheckResult => ({
  id: "FFI-X-01",
  title: "a check",
  requirement: "§7.5.5",
  status: "PASS",
  reason: "",
  commands: ["podman exec qm test -e /dev/mem"],
  observed: { present: false },
  series: [],
  durationMs: 1500,
  ...over,
});

const report: Report = {
  schema: 1,
  tool: "qm ffi",
  version: "0.1.0",
  startedAt: "2026-01-01T00:00:00.000Z",
  durationMs: 61_000,
  host: { kernel: "6.18", cgroup: "v1 (hybrid)", selinux: false, cpus: 2, memTotalBytes: 24 * 2 ** 30 },
  partition: { container: "qm", pid: 42 },
  summary: { PASS: 1, FAIL: 1, SKIP: 1, ERROR: 0 },
  checks: [
    check({
      id: "FFI-CPU-01",
      series: [
        {
          title: "throughput",
          unit: "M iter/s",
          points: [
            { label: "alone", value: 100 },
            { label: "loaded", value: 50 },
          ],
        },
      ],
    }),
    check({ id: "FFI-MQ-01", status: "FAIL", reason: "created 6 <queues> & more" }),
    check({ id: "FFI-SEL-01", status: "SKIP", reason: "SELinux is not active on this host" }),
  ],
};

test("text: one line per check with duration, reasons, series and the closing tally", () => {
  const t = renderText(report);
  assert.match(t, /^PASS {2}FFI-CPU-01 +1\.5 s {2}a check$/m);
  assert.match(t, /why: created 6 <queues> & more/);
  assert.match(t, /skipped: SELinux is not active/);
  assert.match(t, /throughput: alone 100 M iter\/s, loaded 50 M iter\/s/);
  assert.match(t, /1 passed, 1 failed, 1 skipped, 0 errors in 61\.0 s$/);
  assert.doesNotMatch(t, /\$ podman exec/);
  assert.match(renderText(report, true), /\$ podman exec qm test -e \/dev\/mem/);
});

test("json round-trips", () => {
  assert.deepEqual(JSON.parse(render(report, "json")), report);
});

test("junit: counts, failure and skipped elements, escaped text", () => {
  const x = renderJunit(report);
  assert.match(x, /<testsuites name="qm ffi" tests="3" failures="1" errors="0" skipped="1" time="61.000">/);
  assert.match(
    x,
    /<testcase classname="qm.ffi" name="FFI-MQ-01 a check" time="1.500">\n {6}<failure message="created 6 &lt;queues&gt; &amp; more"/,
  );
  assert.match(x, /<skipped message="SELinux is not active on this host"\/>/);
  assert.equal((x.match(/<testcase /g) ?? []).length, 3);
  assert.equal((x.match(/<\/testcase>/g) ?? []).length, 3);
});

test("xml escaping drops control characters", () => {
  assert.equal(escapeXml(`a<b>"c"&'d'\x01`), "a&lt;b&gt;&quot;c&quot;&amp;&apos;d&apos;");
});

test("html: self-contained, a row per check, failures open, an inline SVG chart scaled to the maximum", () => {
  const h = renderHtml(report);
  assert.match(h, /^<!DOCTYPE html>/);
  assert.doesNotMatch(h, /<(script|link|img)\b/);
  assert.doesNotMatch(h, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  assert.equal((h.match(/<tr><td>/g) ?? []).length, 3);
  assert.match(h, /<details id="FFI-MQ-01" open>/);
  assert.match(h, /<details id="FFI-CPU-01">/);
  assert.match(h, /created 6 &lt;queues&gt; &amp; more/);
  assert.match(h, /<svg[^>]*aria-label="FFI-CPU-01: throughput"/);
  const svg = barChart({
    title: "t",
    unit: "u",
    points: [
      { label: "a", value: 10 },
      { label: "b", value: 5 },
    ],
  });
  assert.match(svg, /width="360" height="18"/);
  assert.match(svg, /width="180" height="18"/);
});
