// applyHook, in process: what a hook answers for each kind of input, with a hook definition made for the test.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Level } from "./log.js";
import { applyHook, type HookContext, type HookDefinition } from "./runner.js";
import type { Json } from "./spec.js";

function context(): HookContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    env: { testMode: true, mocks: new Map() },
    log: { log: (level: Level, message: string) => lines.push(`${level} ${message}`) },
  };
}

function hook(run: (spec: Json) => boolean, extra: Partial<HookDefinition> = {}): HookDefinition {
  return { name: "oci-test", tag: "test", logFile: "/nonexistent/log", run, ...extra };
}

const marking = (spec: Json) => {
  spec.added = 18446744073709551615n.toString();
  return true;
};

test("empty or blank stdin: exit 1, nothing written, the failure logged", () => {
  for (const text of ["", " \n\t"]) {
    const c = context();
    let ran = false;
    const result = applyHook(
      hook(() => {
        ran = true;
        return true;
      }),
      Buffer.from(text),
      c,
    );
    assert.deepEqual(result, { status: 1, output: undefined });
    assert.deepEqual(c.lines, ["ERROR Failed to read OCI spec from stdin"]);
    assert.equal(ran, false);
  }
});

test("stdin that is not JSON: exit 1, the input echoed, the parser's message logged", () => {
  const c = context();
  const input = Buffer.from("{not json");
  const result = applyHook(hook(marking), input, c);
  assert.equal(result.status, 1);
  assert.equal(result.output, input);
  assert.equal(c.lines.length, 1);
  assert.match(c.lines[0] as string, /^ERROR OCI spec on stdin is not valid JSON \(.+\)$/);
});

test("JSON that is not an object passes through unchanged with exit 0", () => {
  for (const text of ["[1]", "3", '"spec"', "null"]) {
    const c = context();
    const input = Buffer.from(text);
    const result = applyHook(hook(marking), input, c);
    assert.deepEqual(result, { status: 0, output: input }, text);
    assert.deepEqual(c.lines, ["ERROR OCI spec is not a JSON object; passing it through unchanged"]);
  }
});

test("an unchanged spec is written back byte for byte; a changed one re-encoded with the hook's indent", () => {
  const input = Buffer.from('{ "a" : 18446744073709551615 }');
  const same = applyHook(
    hook(() => false),
    input,
    context(),
  );
  assert.deepEqual(same, { status: 0, output: input });
  const compact = applyHook(hook(marking), input, context());
  assert.deepEqual(compact, {
    status: 0,
    output: '{"a":18446744073709551615,"added":"18446744073709551615"}\n',
  });
  const indented = applyHook(hook(marking, { indent: 2 }), input, context());
  assert.equal(indented.output, '{\n  "a": 18446744073709551615,\n  "added": "18446744073709551615"\n}\n');
});

test("done runs after run, on the edited spec, whether or not it changed", () => {
  for (const changed of [true, false]) {
    const c = context();
    const seen: string[] = [];
    applyHook(
      hook(
        (spec) => {
          spec.x = 1;
          return changed;
        },
        { done: (spec, ctx) => ctx.log.log("INFO", `done ${JSON.stringify(spec)}`) },
      ),
      Buffer.from("{}"),
      { ...c, log: { log: (l, m) => seen.push(`${l} ${m}`) } },
    );
    assert.deepEqual(seen, ['INFO done {"x":1}']);
  }
});

test("a hook that throws, in run or in done, leaves the spec as it came, exit 0", () => {
  const input = Buffer.from('{"a":1}');
  for (const where of ["run", "done"] as const) {
    const c = context();
    const boom = () => {
      throw new Error("boom\nforged");
    };
    const definition =
      where === "run"
        ? hook(boom)
        : hook(marking, {
            done: boom,
          });
    const result = applyHook(definition, input, c);
    assert.deepEqual(result, { status: 0, output: input }, where);
    assert.deepEqual(c.lines, [
      "ERROR Internal error, spec passed through unchanged: Error: boom\\x0aforged",
    ]);
  }
});
