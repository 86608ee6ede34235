/**
 * Property-based fuzzing with fast-check, shared by the fuzz tests. Each target runs at least `minRuns` cases, then
 * more until its time budget is spent, and prints how many cases ran and with which seed.
 *
 *   QM_FUZZ_SEED=N         replay: the same seed gives the same cases (the first `minRuns` exactly)
 *   QM_FUZZ_BUDGET_MS=N    time budget of each target (default: the target's own)
 *
 * A failure message carries fast-check's seed and path, which replay the shrunk counterexample alone.
 */
import type { TestContext } from "node:test";
import fc from "fast-check";

export interface FuzzOptions {
  /** Cases run whatever the budget. */
  readonly minRuns: number;
  /** Time after which no further cases start (once minRuns are done). */
  readonly budgetMs: number;
  /** A case slower than this fails: no hang, no blow-up. */
  readonly caseLimitMs: number;
}

export interface FuzzReport {
  readonly runs: number;
  readonly ms: number;
  readonly seed: number;
}

/** The seed of this run: $QM_FUZZ_SEED, or a fresh one (printed, so a failure can be replayed). */
export const fuzzSeed: number = (() => {
  const given = process.env.QM_FUZZ_SEED;
  if (given !== undefined && given !== "") {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed)) throw new Error(`QM_FUZZ_SEED must be an integer, got ${given}`);
    return seed | 0;
  }
  return (Date.now() ^ (process.pid << 12)) | 0;
})();

function budget(own: number): number {
  const given = process.env.QM_FUZZ_BUDGET_MS;
  return given === undefined || given === "" ? own : Number(given);
}

function report<Ts>(name: string, details: fc.RunDetails<Ts>): number {
  if (details.failed) {
    throw new Error(`fuzz ${name} failed (QM_FUZZ_SEED=${fuzzSeed}):\n${fc.defaultReportMessage(details)}`);
  }
  return details.numRuns;
}

/** Run `check` on values of `arb`; throws with fast-check's report when a case fails. */
export function fuzz<T>(
  t: TestContext,
  name: string,
  arb: fc.Arbitrary<T>,
  check: (value: T) => void,
  options: FuzzOptions,
): FuzzReport {
  const started = performance.now();
  const property = fc.property(arb, (value) => {
    const caseStarted = performance.now();
    check(value);
    limit(performance.now() - caseStarted, options);
  });
  // First the floor, exactly reproducible from the seed; then more cases (seed + 1) until the budget is spent.
  let runs = report(name, fc.check(property, { seed: fuzzSeed, numRuns: options.minRuns }));
  const remaining = Math.ceil(budget(options.budgetMs) - (performance.now() - started));
  if (remaining > 0) runs += report(name, fc.check(property, more(remaining)));
  return done(t, name, runs, started);
}

/** fuzz() for a check that returns a promise (one case at a time). */
export async function fuzzAsync<T>(
  t: TestContext,
  name: string,
  arb: fc.Arbitrary<T>,
  check: (value: T) => Promise<void>,
  options: FuzzOptions,
): Promise<FuzzReport> {
  const started = performance.now();
  const property = fc.asyncProperty(arb, async (value) => {
    const caseStarted = performance.now();
    await check(value);
    limit(performance.now() - caseStarted, options);
  });
  let runs = report(name, await fc.check(property, { seed: fuzzSeed, numRuns: options.minRuns }));
  const remaining = Math.ceil(budget(options.budgetMs) - (performance.now() - started));
  if (remaining > 0) runs += report(name, await fc.check(property, more(remaining)));
  return done(t, name, runs, started);
}

function limit(ms: number, options: FuzzOptions): void {
  if (ms > options.caseLimitMs)
    throw new Error(`one case took ${Math.round(ms)} ms (limit ${options.caseLimitMs})`);
}

const more = (remainingMs: number) => ({
  seed: fuzzSeed + 1,
  numRuns: Number.MAX_SAFE_INTEGER,
  plugins: [fc.interruptAfterTimeLimit(remainingMs)],
});

function done(t: TestContext, name: string, runs: number, started: number): FuzzReport {
  const ms = Math.round(performance.now() - started);
  const line = `fuzz ${name}: ${runs} cases in ${ms} ms, seed ${fuzzSeed} (replay with QM_FUZZ_SEED=${fuzzSeed})`;
  t.diagnostic(line);
  return { runs, ms, seed: fuzzSeed };
}

/** Integer literals JavaScript numbers cannot hold, as podman writes them (uint64 rlimits, memory limits). */
export const BIG_INTEGERS = [
  "18446744073709551615",
  "9223372036854775807",
  "-9223372036854775808",
  "9007199254740993",
  "123456789012345678901234567890",
] as const;

/** How often each of BIG_INTEGERS appears in `text` as a whole literal. */
export function bigIntegerCounts(text: string): number[] {
  return BIG_INTEGERS.map((literal) => {
    const escaped = literal.replace("-", "\\-");
    return (text.match(new RegExp(`(?<![\\w.+-])${escaped}(?![\\w.])`, "g")) ?? []).length;
  });
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
