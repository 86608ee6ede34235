import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../../test/helpers.js";
import { SHELLS, SUBCOMMANDS, TOPICS } from "./args.js";
import { COMPLETION_FILES, completionScript } from "./completion.js";

describe("qmctl completion scripts", () => {
  it("ship in share/completions exactly as `qmctl completion` prints them", () => {
    for (const shell of SHELLS) {
      const file = join(repoRoot, "share/completions", shell, COMPLETION_FILES[shell]);
      assert.equal(readFileSync(file, "utf8"), completionScript(shell), file);
    }
  });

  it("name every subcommand and topic", () => {
    for (const shell of SHELLS) {
      const script = completionScript(shell);
      for (const word of [...SUBCOMMANDS, ...TOPICS]) assert.ok(script.includes(word), `${shell}: ${word}`);
    }
  });

  it("complete subcommands and topics in bash", (t) => {
    if (spawnSync("bash", ["--version"]).status !== 0) {
      t.skip("bash is not installed");
      return;
    }
    const complete = (line: string[]): string[] => {
      const script = `${completionScript("bash")}
COMP_WORDS=(${line.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${line.length - 1}; _qmctl; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const r = spawnSync("bash", ["-c", script], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split("\n").filter(Boolean);
    };
    assert.deepEqual(complete(["qmctl", "ex"]), ["exec", "execin"]);
    assert.deepEqual(complete(["qmctl", "--json", "show", "sh"]), ["shared-memory"]);
    assert.deepEqual(complete(["qmctl", "--container", "x", "completion", "f"]), ["fish"]);
  });

  it("parse in zsh and fish where those shells exist", (t) => {
    for (const [shell, args] of [
      ["zsh", ["-n"]],
      ["fish", ["--no-execute"]],
    ] as const) {
      const probe = spawnSync(shell, ["--version"]);
      if (probe.status !== 0) {
        t.diagnostic(`${shell} is not installed; syntax not checked`);
        continue;
      }
      const r = spawnSync(shell, [...args], { input: completionScript(shell), encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
    }
  });
});
