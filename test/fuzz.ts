/**
 * Property-based fuzzing in the test command: fast-check with a seed printed by every run and taken from
 * QM_FUZZ_SEED when set, so a failure seen once can be replayed exactly (`QM_FUZZ_SEED=N node scripts/test.mjs NAME`).
 */
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import fc from "fast-check";

export { fc };

export interface FuzzOptions {
  /** Cases to run (the acceptance floor is 10,000 for in-process properties). */
  readonly numRuns: number;
  /** Stop early after this long; the run still fails if it did fewer than `minRuns` cases. */
  readonly budgetMs?: number;
  readonly minRuns?: number;
}

export function fuzzSeed(): number {
  const fromEnv = process.env.QM_FUZZ_SEED;
  return fromEnv !== undefined && /^-?\d+$/.test(fromEnv) ? Number(fromEnv) : Date.now() % 2 ** 31;
}

/** Check `property`; report the seed and the number of cases, and fail with fast-check's counterexample. */
export function fuzz<T>(
  t: TestContext,
  name: string,
  arbitrary: fc.Arbitrary<T>,
  property: (value: T) => void,
  options: FuzzOptions,
): number {
  const seed = fuzzSeed();
  const started = Date.now();
  const details = fc.check(fc.property(arbitrary, property), {
    seed,
    numRuns: options.numRuns,
    ...(options.budgetMs ? { interruptAfterTimeLimit: options.budgetMs, markInterruptAsFailure: false } : {}),
  });
  const line = `${name}: ${details.numRuns} cases in ${Date.now() - started} ms, seed ${seed} (replay: QM_FUZZ_SEED=${seed})`;
  t.diagnostic(line);
  if (details.failed) assert.fail(`${line}\n${fc.defaultReportMessage(details)}`);
  assert.ok(details.numRuns >= (options.minRuns ?? options.numRuns), `${line}: fewer cases than required`);
  return details.numRuns;
}

/** Strings an attacker would try in text that ends up in generated files. */
export function hostileString(): fc.Arbitrary<string> {
  const pieces = fc.constantFrom(
    "%",
    "%%",
    "\n",
    "\r",
    "\t",
    "\0",
    "\u2028",
    "\u0085",
    "\u001b[31m",
    " ",
    "\\",
    '"',
    "'",
    "$(",
    "`",
    "..",
    "/",
    "%build",
    "%pre",
    "%post",
    "%include /etc/shadow",
    "%if 0",
    "%{lua:x}",
    "%(id)",
    "Provides: qm",
    "Conflicts: qm",
    "[Service]",
    "ExecStartPre=/bin/sh",
    "=",
    ";",
    "#",
    "a",
    "qm",
    "0666",
    "/dev/",
    "*",
  );
  return fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.array(pieces, { maxLength: 8 }).map((a) => a.join("")),
  );
}
