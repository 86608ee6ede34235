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

  it("treats only argparse's negative-number shapes as values", () => {
    for (const value of ["-1", "-12", "-.5", "-12.5", "-1.25", "-"]) {
      assert.deepEqual(
        run(["cp", value, "qm:/x"]).invocation,
        { kind: "cp", paths: [value, "qm:/x"] },
        value,
      );
    }
    for (const option of ["-1x", "-a-1", "-x-.5", "-.5x", "-1.", "--1"]) {
      assert.equal(error(["cp", option, "a", "qm:/x"]).message, `unrecognized arguments: ${option}`, option);
    }
  });

  it("names options with a short form as argparse does: -v/--verbose", () => {
    const cases: [string[], string][] = [
      [["-vx"], "argument -v/--verbose: ignored explicit argument 'x'"],
      [["-hvx", "show"], "argument -v/--verbose: ignored explicit argument 'x'"],
      [["--verbose=yes"], "argument -v/--verbose: ignored explicit argument 'yes'"],
      [["--help=x"], "argument -h/--help: ignored explicit argument 'x'"],
      [["show", "-hq"], "argument -h/--help: ignored explicit argument 'q'"],
      [["--config"], "argument --config: expected one argument"],
      [["--container", "-v", "show"], "argument --container: expected one argument"],
    ];
    for (const [args, message] of cases) assert.equal(error(args).message, message, args.join(" "));
  });

  it("quotes values as Python's repr does", () => {
    const cases: [string, string][] = [
      ["it's", `"it's"`],
      ['say "hi"', `'say "hi"'`],
      [`both ' and "`, `'both \\' and "'`],
      ["back\\slash", "'back\\\\slash'"],
      ["a\nb\rc\td", "'a\\nb\\rc\\td'"],
      ["\u0001\u001f\u007f\u0080\u00a0\u00ad", "'\\x01\\x1f\\x7f\\x80\\xa0\\xad'"],
      ["caf\u00e9 \u00e0 \u4e2d", "'caf\u00e9 \u00e0 \u4e2d'"],
      ["\u2028\u200b\ufeff", "'\\u2028\\u200b\\ufeff'"],
      ["\u{1f600}", "'\u{1f600}'"],
      ["\u{e0001}", "'\\U000e0001'"],
      [" sp ace ", "' sp ace '"],
    ];
    for (const [value, quoted] of cases) {
      assert.equal(
        error(["show", value]).message,
        `argument show_command_topic: invalid choice: ${quoted} (choose from 'container', 'unix-domain-sockets', 'shared-memory', 'resources', 'available-devices', 'namespaces', 'all')`,
        JSON.stringify(value),
      );
    }
  });

  it("takes '--' before the subcommand as the end of options", () => {
    assert.deepEqual(run(["--", "show", "all"]).invocation, { kind: "show", topic: "all" });
    assert.deepEqual(run(["-v", "--", "cp", "a", "qm:/b"]).invocation, { kind: "cp", paths: ["a", "qm:/b"] });
    assert.equal(parseArgs(["--"]).kind, "missing-subcommand");
    assert.deepEqual(parseArgs(["-v", "--"]), {
      kind: "missing-subcommand",
      global: { verbose: true, json: false },
    });
  });

  it("reports unknown options from before and after the subcommand together", () => {
    assert.equal(error(["--bogus", "show", "--other"]).message, "unrecognized arguments: --bogus --other");
    assert.equal(error(["--bogus", "exec", "ls"]).message, "unrecognized arguments: --bogus");
  });

  it("leaves container and config out of the global options unless given", () => {
    assert.deepEqual(run(["show"]).global, { verbose: false, json: false });
    assert.deepEqual(run(["--config", "/c", "show"]).global, { verbose: false, json: false, config: "/c" });
    assert.deepEqual(run(["--container=x", "show"]).global, { verbose: false, json: false, container: "x" });
  });

  it("completion takes exactly one shell; --effective is not --json", () => {
    assert.equal(error(["completion", "bash", "zsh"]).message, "unrecognized arguments: zsh");
    assert.equal(error(["completion", "bash", "tcsh"]).message, "unrecognized arguments: tcsh");
    assert.deepEqual(run(["completion", "fish"]).invocation, { kind: "completion", shell: "fish" });
    assert.equal(run(["show", "--effective"]).global.json, false);
  });

  it("gives each subcommand its -h, --help and --json", () => {
    const usage: Record<string, string> = {
      show: "usage: qmctl show [-h] [--json]\n                  [{container,unix-domain-sockets,shared-memory,resources,available-devices,namespaces,all}]\n",
      exec: "usage: qmctl exec [-h] [--json] ...\n",
      execin: "usage: qmctl execin [-h] [--json] ...\n",
      cp: "usage: qmctl cp [-h] [--json] paths paths\n",
      completion: "usage: qmctl completion [-h] {bash,zsh,fish}\n",
    };
    const main = parseArgs(["-h"]);
    assert.equal(main.kind, "help");
    assert.ok((main as { text: string }).text.startsWith(MAIN_USAGE));
    for (const [sub, line] of Object.entries(usage)) {
      for (const flag of ["-h", "--help"]) {
        const help = parseArgs([sub, flag]);
        assert.equal(help.kind, "help", `${sub} ${flag}`);
        assert.ok((help as { text: string }).text.startsWith(line), `${sub} ${flag}`);
      }
      const e = error([sub, "-hx"]);
      assert.equal(e.usage, line, sub);
      assert.equal(e.message, "argument -h/--help: ignored explicit argument 'x'", sub);
      if (sub !== "completion") {
        assert.equal(error([sub, "--json=1"]).message, "argument --json: ignored explicit argument '1'", sub);
      }
    }
    assert.equal(run(["exec", "--json", "ls"]).global.json, true);
    assert.equal(run(["execin", "--json", "n", "ls"]).global.json, true);
    assert.equal(run(["cp", "--json", "a", "qm:/b"]).global.json, true);
    assert.equal(error(["completion", "--json", "bash"]).message, "unrecognized arguments: --json");
  });
});
