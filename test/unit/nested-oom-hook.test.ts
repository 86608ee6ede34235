import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { repoRoot } from "../helpers.js";

/** share/qm/hooks/oci-qm-nested-oom-score-adj, run the way podman in the partition runs it: /bin/sh, no environment. */
const NESTED_OOM_HOOK = join(repoRoot, "share/qm/hooks/oci-qm-nested-oom-score-adj");

function runNestedOomHook(input: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("/bin/sh", [NESTED_OOM_HOOK], {
    input,
    encoding: "utf8",
    env: {},
    timeout: 60_000,
    maxBuffer: 1 << 26,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const edited = (input: string): Record<string, unknown> => {
  const r = runNestedOomHook(input);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};
const oomOf = (spec: Record<string, unknown>): unknown =>
  (spec.process as Record<string, unknown>).oomScoreAdj;

// podman 4.3.1 hands precreate hooks its spec indented by tabs... or compact; both shapes are tested.
const pretty = (value: unknown): string => JSON.stringify(value, null, "\t");

describe("nested OOM hook: only the spec's own process.oomScoreAdj counts", () => {
  test("an annotation key or value reading oomScoreAdj does not stop the 750", () => {
    for (const annotations of [
      { oomScoreAdj: "-1000" },
      { "io.x/oomScoreAdj": "1" },
      { x: "oomScoreAdj" },
      { x: '"oomScoreAdj":0' },
      { x: '{"oomScoreAdj":0}' },
    ]) {
      for (const spec of [
        { ociVersion: "1.0.2-dev", process: { args: ["sh"], cwd: "/" }, annotations },
        { ociVersion: "1.0.2-dev", annotations, process: { args: ["sh"], cwd: "/" } },
      ]) {
        for (const text of [JSON.stringify(spec), pretty(spec)]) {
          const out = edited(text);
          assert.equal(oomOf(out), 750, text);
          assert.deepEqual(out.annotations, annotations);
          assert.deepEqual((out.process as Record<string, unknown>).args, ["sh"]);
        }
      }
    }
  });

  test("oomScoreAdj or process in environment, arguments or nested objects counts for nothing", () => {
    const spec = {
      process: {
        env: ["oomScoreAdj=1", '"oomScoreAdj":1'],
        args: ["process", '"process":{"oomScoreAdj":1}', "\\", '\\"'],
        user: { uid: 0, oomScoreAdj: 3 },
      },
      linux: { x: { process: { args: [] } }, oomScoreAdj: 5 },
      annotations: { process: '{"oomScoreAdj":1}', 'x\\"process': "{" },
    };
    for (const text of [JSON.stringify(spec), pretty(spec), JSON.stringify(spec, null, 2)]) {
      const out = edited(text);
      assert.equal(oomOf(out), 750, text);
      assert.deepEqual(
        { ...out, process: { ...(out.process as object), oomScoreAdj: undefined } },
        {
          ...spec,
          process: { ...spec.process, oomScoreAdj: undefined },
        },
      );
    }
  });

  test("a spec that sets process.oomScoreAdj comes back byte for byte", () => {
    for (const text of [
      '{"process":{"oomScoreAdj":100,"args":["sh"]},"annotations":{"a":"b"}}',
      '{\n\t"process": {\n\t\t"args": [\n\t\t\t"sh"\n\t\t],\n\t\t"oomScoreAdj": -5\n\t}\n}',
      '{"annotations":{"oomScoreAdj":"x"},"process":{"user":{"uid":0},"oomScoreAdj":0}}',
    ]) {
      const r = runNestedOomHook(text);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${text}\n`);
    }
  });

  test("an empty process object gets a valid member; the layout of an edited spec is kept", () => {
    assert.deepEqual(edited('{"process":{},"a":1}'), { process: { oomScoreAdj: 750 }, a: 1 });
    const text = '{\n  "ociVersion": "1.0.2-dev",\n  "process": {\n    "terminal": false\n  }\n}';
    const r = runNestedOomHook(text);
    assert.equal(
      r.stdout,
      '{\n  "ociVersion": "1.0.2-dev",\n  "process": {"oomScoreAdj":750,\n    "terminal": false\n  }\n}\n',
    );
  });

  test("no process object: nothing to do; not a JSON object: echoed with status 1", () => {
    const r = runNestedOomHook('{"annotations":{"process":"{"}}');
    assert.equal(r.status, 0);
    assert.equal(r.stdout, '{"annotations":{"process":"{"}}\n');
    for (const bad of ["", "not json", "[1]", '{"a":"b', '{"a":"b\\"}', '{"process":{}', '{"a":1}{"b":2}']) {
      const out = runNestedOomHook(bad);
      assert.equal(out.status, 1, bad);
      assert.equal(out.stdout, `${bad}\n`, bad);
    }
  });

  test("escapes are read as JSON reads them: an invalid \\u is not completed by the characters of a later escape", () => {
    // Removing the escapes \" or \\ first would leave \u0000 behind and accept the string.
    for (const bad of [
      '{"a":"\\u\\"0000"}',
      '{"a":"\\u\\\\0000"}',
      '{"a":"\\u00\\"00"}',
      '{"a":"\\\\\\u12\\t"}',
      '{"a":"\\u00\\n0"}',
      '{"a":"\\q"}',
      '{"a":"\\u12"}',
    ]) {
      const out = runNestedOomHook(bad);
      assert.equal(out.status, 1, bad);
      assert.equal(out.stdout, `${bad}\n`, bad);
    }
    for (const good of [
      '{"a":"\\\\u0000"}',
      '{"a":"\\u005C\\"x"}',
      '{"a":"\\\\\\"\\/\\b\\f\\n\\r\\t\\uFFfF"}',
    ]) {
      const out = runNestedOomHook(good);
      assert.equal(out.status, 0, good);
      assert.deepEqual(JSON.parse(out.stdout), JSON.parse(good), good);
    }
  });

  test("megabytes of annotation and deep nesting end in seconds", () => {
    const huge = JSON.stringify({
      process: { args: ["a"] },
      annotations: { a: `${'\\"{[,:'.repeat(300_000)}` },
    });
    const started = Date.now();
    assert.equal(oomOf(edited(huge)), 750);
    const deep = `{"a":${"[".repeat(50_000)}${"]".repeat(50_000)},"process":{}}`;
    assert.equal(runNestedOomHook(deep).status, 1);
    assert.ok(Date.now() - started < 20_000, `${Date.now() - started} ms`);
  });
});
