import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { keyCases, specialCases } from "../quadlet-corpus.js";
import { batches, type CaseDiff, type DiffCase, formatDiffs, runBatch } from "../quadlet-differential.js";
import { fuzzCases } from "../quadlet-fuzz.js";
import { referenceQuadlet } from "../quadlet-reference.js";

function runAll(binary: string, cases: readonly DiffCase[], size: number): CaseDiff[] {
  const diffs: CaseDiff[] = [];
  for (const batch of batches(cases, size)) diffs.push(...runBatch(binary, batch));
  return diffs;
}

function counts(cases: readonly DiffCase[]): string {
  const by = new Map<string, number>();
  for (const c of cases) by.set(c.type, (by.get(c.type) ?? 0) + 1);
  return [...by.entries()].map(([t, n]) => `${t} ${n}`).join(", ");
}

describe("qm-quadlet against podman 5.4.2's quadlet", () => {
  let reference = "";
  before(async () => {
    reference = await referenceQuadlet();
  });

  it("the corpus: every key in many shapes, drop-ins, references, [Install], search paths, invalid input", (t) => {
    const cases = [...keyCases(), ...specialCases()];
    const only = process.env.QM_QUADLET_CASES;
    const selected = only ? cases.filter((c) => only.split(",").some((o) => c.id.includes(o))) : cases;
    const diffs = runAll(reference, selected, 100);
    t.diagnostic(`corpus: ${selected.length} cases (${counts(selected)}), ${diffs.length} differences`);
    assert.equal(diffs.length, 0, `${diffs.length} cases differ:\n${formatDiffs(diffs)}`);
  });

  it("random trees from a seed (QM_QUADLET_FUZZ_SEED, QM_QUADLET_FUZZ_CASES)", (t) => {
    const seed = Number(process.env.QM_QUADLET_FUZZ_SEED ?? Date.now() % 2 ** 31);
    const count = Number(process.env.QM_QUADLET_FUZZ_CASES ?? 3000);
    process.stdout.write(`# differential fuzzer seed ${seed} (QM_QUADLET_FUZZ_SEED=${seed} reproduces it)\n`);
    const { cases, leftOut } = fuzzCases(seed, count);
    const diffs = runAll(reference, cases, 60);
    t.diagnostic(
      `fuzzer seed ${seed}: ${cases.length} cases (${counts(cases)}), ${leftOut} left out (would crash the reference), ${diffs.length} differences`,
    );
    assert.equal(diffs.length, 0, `seed ${seed}: ${diffs.length} cases differ:\n${formatDiffs(diffs)}`);
  });
});
