import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAIN_USAGE, type ParseResult, parseArgs } from "./args.js";

function run(args: string[]) {
  const r = parseArgs(args);
  assert.equal(r.kind, "run", JSON.stringify(r));
  return r as Extract<ParseResult, { kind: "run" }>;
}
function error(args: string[]) {
  const r = parseArgs(args);
  assert.equal(r.kind, "error", JSON.stringify(r));
  return r as Extract<ParseResult, { kind: "error" }>;
}

describe("qmctl argument parsing", () => {
  it("keeps upstream's usage line", () => {
    assert.equal(MAIN_USAGE, "usage: qmctl [-h] [-v] {show,exec,execin,cp} ...\n");
  });

  it("reports a missing subcommand, also after global options", () => {
    assert.equal(parseArgs([]).kind, "missing-subcommand");
    assert.equal(parseArgs(["-v", "--json"]).kind, "missing-subcommand");
  });

  it("defaults the show topic to container and accepts --json on either side", () => {
    assert.deepEqual(run(["show"]).invocation, { kind: "show", topic: "container" });
    assert.equal(run(["show", "--json"]).global.json, true);
    assert.equal(run(["show", "all", "--json"]).global.json, true);
    assert.deepEqual(run(["show", "--json", "namespaces"]).invocation, { kind: "show", topic: "namespaces" });
    assert.deepEqual(run(["show", "container", "--effective"]).invocation, {
      kind: "show",
      topic: "container",
      effective: true,
    });
    assert.equal(run(["show"]).global.json, false);
  });

  it("accepts --json, --container and --config before the subcommand", () => {
    const r = run(["--json", "--container", "radio", "--config=/tmp/my qm.container", "exec", "ls"]);
    assert.deepEqual(r.global, {
      verbose: false,
      json: true,
      container: "radio",
      config: "/tmp/my qm.container",
    });
    assert.equal(run(["-v", "show"]).global.verbose, true);
    assert.equal(run(["--verb", "show"]).global.verbose, true, "unique prefixes are accepted like argparse");
  });

  it("passes everything after the exec command through, --json included", () => {
    assert.deepEqual(run(["exec", "ls", "/dev", "--json"]).invocation, {
      kind: "exec",
      cmd: ["ls", "/dev", "--json"],
    });
    const r = run(["exec", "--json", "echo", "-n", "a b"]);
    assert.deepEqual(r.invocation, { kind: "exec", cmd: ["echo", "-n", "a b"] });
    assert.equal(r.global.json, true);
    assert.deepEqual(run(["exec", "--json"]).invocation, { kind: "exec", cmd: [] });
    assert.deepEqual(run(["exec", "--", "-x"]).invocation, { kind: "exec", cmd: ["--", "-x"] });
    assert.deepEqual(run(["execin", "radio", "ps", "aux"]).invocation, {
      kind: "execin",
      cmd: ["radio", "ps", "aux"],
    });
  });

  it("parses cp's two paths, with '--' for paths that look like options", () => {
    assert.deepEqual(run(["cp", "a", "qm:/b"]).invocation, { kind: "cp", paths: ["a", "qm:/b"] });
    assert.deepEqual(run(["cp", "--json", "-- x", "qm:/$y"]).invocation.kind, "cp");
    assert.deepEqual(run(["cp", "--", "-f", "qm:/b"]).invocation, { kind: "cp", paths: ["-f", "qm:/b"] });
  });

  it("gives argparse's messages for bad input", () => {
    const cases: [string[], string, string][] = [
      [
        ["invalid_command"],
        "qmctl",
        "argument subcommand: invalid choice: 'invalid_command' (choose from 'show', 'exec', 'execin', 'cp', 'completion')",
      ],
      [
        ["show", "--json", "nonexistent_subcommand"],
        "qmctl show",
        "argument show_command_topic: invalid choice: 'nonexistent_subcommand' (choose from 'container', 'unix-domain-sockets', 'shared-memory', 'resources', 'available-devices', 'namespaces', 'all')",
      ],
      [["cp"], "qmctl cp", "the following arguments are required: paths"],
      [["cp", "/some/path"], "qmctl cp", "the following arguments are required: paths"],
      [["exec", "-v"], "qmctl", "unrecognized arguments: -v"],
      [["show", "all", "x", "y"], "qmctl", "unrecognized arguments: x y"],
      [["--bogus", "show"], "qmctl", "unrecognized arguments: --bogus"],
      [["--con", "x", "show"], "qmctl", "ambiguous option: --con could match --container, --config"],
      [["--container"], "qmctl", "argument --container: expected one argument"],
      [["show", "--json=yes"], "qmctl show", "argument --json: ignored explicit argument 'yes'"],
      [["completion"], "qmctl completion", "the following arguments are required: shell"],
      [
        ["completion", "tcsh"],
        "qmctl completion",
        "argument shell: invalid choice: 'tcsh' (choose from 'bash', 'zsh', 'fish')",
      ],
    ];
    for (const [args, prog, message] of cases) {
      const e = error(args);
      assert.equal(e.prog, prog, args.join(" "));
      assert.equal(e.message, message, args.join(" "));
      assert.match(
        e.usage,
        prog === "qmctl" ? /^usage: qmctl \[-h\] \[-v\]/ : new RegExp(`^usage: ${prog} `),
      );
    }
  });

  it("lets -h win where it appears", () => {
    const main = parseArgs(["--help", "bogus"]);
    assert.equal(main.kind, "help");
    assert.match(
      (main as { text: string }).text,
      /^usage: qmctl \[-h\] \[-v\] \{show,exec,execin,cp\} \.\.\.\n\nQmCTL: Command Line Interface for QM Container/,
    );
    const show = parseArgs(["show", "-h"]);
    assert.match((show as { text: string }).text, /What to show \(default: container\)/);
    assert.equal(parseArgs(["exec", "ls", "-h"]).kind, "run", "after the command, -h belongs to the command");
    assert.equal(
      parseArgs(["show", "bogus", "-h"]).kind,
      "error",
      "an invalid topic before -h is reported first",
    );
  });

  it("treats negative numbers as values", () => {
    assert.deepEqual(run(["cp", "-1", "qm:/x"]).invocation, { kind: "cp", paths: ["-1", "qm:/x"] });
  });
});
