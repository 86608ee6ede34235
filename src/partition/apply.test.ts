import assert from "node:assert/strict";
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, type TestContext, test } from "node:test";
import { repoRoot } from "../../test/helpers.js";
import { SafeRoot } from "../engine/safe-fs.js";
import { retireFiles } from "./apply.js";
import { RETIRED_FILES } from "./setup-plan.js";
import { StateFile } from "./state.js";

const HOOK = "/usr/libexec/qm/oci-qm-start-limit";
const CONFIG = "/usr/share/containers/oci/hooks.d/qm-start-limit.json";
const KEPT = "/usr/share/containers/oci/hooks.d/qm-partition-cgroups.json";

/** A root holding what an earlier qm setup wrote there (test/fixtures/setup-retired), recorded in its state file. */
function oldRoot(t: TestContext): { root: string; fs: SafeRoot; state: StateFile } {
  const root = mkdtempSync(join(tmpdir(), "qm-retire-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  cpSync(join(repoRoot, "test/fixtures/setup-retired/usr"), join(root, "usr"), { recursive: true });
  writeFileSync(join(root, KEPT), "{}\n");
  const fs = new SafeRoot(root, {});
  const state = StateFile.load(fs, "/usr/lib/qm/setup-state.json");
  for (const p of [HOOK, CONFIG, KEPT]) state.willCreate(fs.hostPath(p), "file");
  return { root, fs, state };
}

describe("files earlier versions of qm setup wrote", () => {
  test("the start-limit hook and its configuration, as qm wrote them, are removed and forgotten", (t) => {
    const { root, fs, state } = oldRoot(t);
    assert.deepEqual(
      RETIRED_FILES.map((f) => f.path),
      [HOOK, CONFIG],
    );
    assert.deepEqual(retireFiles(fs, RETIRED_FILES, state, true), [join(root, HOOK), join(root, CONFIG)]);
    assert.ok(existsSync(join(root, HOOK)), "a dry run removes nothing");
    assert.deepEqual(retireFiles(fs, RETIRED_FILES, state, false), [join(root, HOOK), join(root, CONFIG)]);
    assert.equal(existsSync(join(root, HOOK)), false);
    assert.equal(existsSync(join(root, CONFIG)), false);
    assert.equal(readFileSync(join(root, KEPT), "utf8"), "{}\n");
    const recorded = JSON.parse(readFileSync(join(root, "usr/lib/qm/setup-state.json"), "utf8")) as {
      created: { path: string }[];
    };
    assert.deepEqual(
      recorded.created.map((c) => c.path).filter((p) => p.startsWith(join(root, "usr/share"))),
      [join(root, KEPT)],
      "the state file no longer names the removed files",
    );
    assert.deepEqual(retireFiles(fs, RETIRED_FILES, state, false), [], "a second run finds nothing");
  });

  test("files of the same names that qm did not write are left alone", (t) => {
    const { root, fs, state } = oldRoot(t);
    const original = readFileSync(join(root, HOOK), "utf8");
    writeFileSync(join(root, HOOK), `${original}# local change\n`);
    rmSync(join(root, CONFIG));
    // A link to a copy of qm's text is not a file qm wrote either.
    cpSync(join(repoRoot, "test/fixtures/setup-retired", CONFIG), join(root, "copy.json"));
    symlinkSync("/copy.json", join(root, CONFIG));
    assert.deepEqual(retireFiles(fs, RETIRED_FILES, state, false), []);
    assert.equal(readFileSync(join(root, HOOK), "utf8"), `${original}# local change\n`);
    assert.ok(lstatSync(join(root, CONFIG)).isSymbolicLink());
  });
});
