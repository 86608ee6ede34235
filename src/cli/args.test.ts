import assert from "node:assert/strict";
import { test } from "node:test";
import { QmError } from "../core/errors.js";
import { listOption, type OptionSpec, parseArgs, renderOptions } from "./args.js";

const specs: OptionSpec[] = [
  { name: "json", type: "boolean", description: "json" },
  { name: "root", short: "r", type: "string", valueName: "DIR", description: "root" },
  { name: "only", type: "string", multiple: true, description: "only" },
  { name: "verbose", short: "v", type: "boolean", description: "verbose" },
];
const ctx = { context: "qm test" };

test("long, short, = and bundled forms", () => {
  const a = parseArgs(["--root=/x", "-v", "pos", "--only", "a", "--only=b", "-r", "/y"], specs, ctx);
  assert.equal(a.options.root, "/y");
  assert.equal(a.options.verbose, true);
  assert.deepEqual(listOption(a, "only"), ["a", "b"]);
  assert.deepEqual(a.positionals, ["pos"]);
  assert.equal(parseArgs(["-vr/z"], specs, ctx).options.root, "/z");
});

test("-- ends options and stopAtPositional passes the rest on", () => {
  assert.deepEqual(parseArgs(["--", "--json"], specs, ctx).positionals, ["--json"]);
  const a = parseArgs(["-v", "ls", "--json"], specs, { ...ctx, stopAtPositional: true });
  assert.deepEqual(a.positionals, ["ls", "--json"]);
  assert.equal(a.options.json, undefined);
});

test("errors are usage errors naming the command and its --help", () => {
  for (const [argv, message] of [
    [["--nope"], "qm test: unknown option --nope"],
    [["-x"], "qm test: unknown option -x"],
    [["--root"], "qm test: option --root needs a value (DIR)"],
    [["--json=1"], "qm test: option --json takes no value"],
  ] as const) {
    assert.throws(
      () => parseArgs(argv, specs, ctx),
      (e: unknown) =>
        e instanceof QmError &&
        e.exitCode === 2 &&
        e.message === message &&
        e.hint === "see 'qm test --help'",
    );
  }
});

test("option table is aligned", () => {
  const lines = renderOptions(specs).split("\n");
  assert.equal(lines[1], "  -r, --root DIR    root");
  assert.equal(lines[2], "      --only VALUE  only");
  for (const [i, line] of lines.entries())
    assert.equal(line.lastIndexOf(specs[i]?.description ?? "?"), 20, line);
});
