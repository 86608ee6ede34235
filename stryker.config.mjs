// StrykerJS configuration for `npm run mutate` (scripts/mutate.mjs), one module group per run: the group is named
// by QM_MUTATE_GROUP, its report and incremental file live in reports/mutation/GROUP/. See docs/testing.md.
import { readdirSync } from "node:fs";
import { join } from "node:path";

/** The pure core, by group (issue 21); globs relative to the repository. */
export const groups = {
  unit: ["src/unit/*.ts"],
  quadlet: ["src/quadlet/*.ts", "src/cli/quadlet.ts"],
  partition: [
    "src/partition/*-plan.ts",
    "src/partition/service-settings.ts",
    "src/partition/containers-conf.ts",
    "src/partition/seccomp.ts",
  ],
  hooks: ["src/hooks/*.ts", "!src/hooks/testing.ts"],
  dropins: [
    "src/dropins/manifest.ts",
    "src/dropins/validate.ts",
    "src/dropins/package.ts",
    "src/dropins/metadata.ts",
  ],
  ffi: ["src/ffi/model.ts"],
  doctor: ["src/doctor/checks.ts", "src/doctor/facts.ts"],
  qmctl: ["src/qmctl/args.ts"],
};

// Property and robustness tests run for seconds to minutes per file: too long to repeat for every mutant.
const slow = /(fuzz|robustness)\.test\.ts$/;
const unitTests = (dir) =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".test.ts") && !slow.test(f))
    .map((f) => join("build", dir, f).replace(/\.ts$/, ".js"))
    .sort();

/**
 * Groups whose modules every test file reaches (quadlet and the unit parser are used throughout): their mutants are
 * run only against the in-process tests of the group's own modules, or a run would take hours here.
 */
const groupTests = {
  quadlet: (f) => /^build\/src\/(quadlet\/|cli\/quadlet[.-])/.test(f),
  unit: (f) => /^build\/src\/(unit\/|quadlet\/|cli\/quadlet[.-])/.test(f),
};

const group = process.env.QM_MUTATE_GROUP ?? "ffi";
const globs = groups[group];
if (!globs) throw new Error(`unknown mutation group ${group}; one of ${Object.keys(groups).join(", ")}`);
const out = `reports/mutation/${group}`;

export default {
  testRunner: "tap",
  tap: {
    testFiles: [...unitTests("src"), ...unitTests("test/unit")].filter(groupTests[group] ?? (() => true)),
    nodeArgs: ["--test-reporter=tap"],
    forceBail: true,
  },
  // Compile source and tests to build/, bundle dist/ (the executables some unit tests spawn).
  buildCommand: "node scripts/mutation-build.mjs",
  coverageAnalysis: "perTest",
  concurrency: 2,
  incremental: true,
  incrementalFile: `${out}/incremental.json`,
  // build/ is read (not ignored): incremental mode compares the compiled tests with the previous run's.
  ignorePatterns: ["dist", "packages", "reports", "/tmp", "bench"],
  mutate: [...globs, "!**/*.test.ts"],
  reporters: ["html", "json", "clear-text", "progress"],
  htmlReporter: { fileName: `${out}/index.html` },
  jsonReporter: { fileName: `${out}/mutation.json` },
  timeoutMS: 10000,
  dryRunTimeoutMinutes: 10,
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
