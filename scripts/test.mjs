#!/usr/bin/env node
// The whole test suite: type-check (and compile tests), lint/format check, bundle, unit tests, integration tests.
// Ends with the line "N passed, N failed, N skipped" that CI reads. Exit status 0 only when nothing failed.
//
//   node scripts/test.mjs                  everything
//   node scripts/test.mjs --unit           checks + unit tests only
//   node scripts/test.mjs --integration    checks + integration tests only
//   node scripts/test.mjs PATTERN...       only test files whose path contains a PATTERN
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { join, relative } from "node:path";
import { run } from "node:test";
import { spec } from "node:test/reporters";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const argv = process.argv.slice(2);
const only = argv.includes("--unit") ? "unit" : argv.includes("--integration") ? "integration" : "all";
const patterns = argv.filter((a) => !a.startsWith("--"));
const counts = { passed: 0, failed: 0, skipped: 0 };
const bin = (name) => join(root, "node_modules/.bin", name);
// Separate output directories let several checkouts' test runs share one tree without colliding.
const buildDir = process.env.QM_BUILD_DIR ?? join(root, "build");
process.env.QM_REPO_ROOT = root;
// Bundles outside the tree cannot find share/ by looking upward from themselves.
if (process.env.QM_DIST_DIR) process.env.QM_SHARE_DIR ??= join(root, "share");

function step(name, file, args) {
  process.stdout.write(`\n▶ ${name}: ${[file, ...args].map((a) => relative(root, a) || a).join(" ")}\n`);
  const started = Date.now();
  const result = spawnSync(file, args, { cwd: root, stdio: "inherit" });
  const ok = result.status === 0;
  counts[ok ? "passed" : "failed"]++;
  process.stdout.write(`${ok ? "✔" : "✖"} ${name} (${Date.now() - started} ms)\n`);
  return ok;
}

function testFiles(dir) {
  let out = [];
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(testFiles(path));
    // A compiled test whose source was moved or deleted stays in the build directory: not a test any more.
    else if (
      name.endsWith(".test.js") &&
      existsSync(join(root, relative(buildDir, path)).replace(/\.js$/, ".ts"))
    )
      out.push(path);
  }
  return out.sort();
}

/** The test files whose path contains a PATTERN given on the command line (all without one). */
const selectFiles = (files) =>
  patterns.length ? files.filter((f) => patterns.some((p) => relative(buildDir, f).includes(p))) : files;

/**
 * Minutes a test file may take. The VM tier boots two guests under TCG (no KVM here), from an empty cache after
 * building them: up to ~25 minutes on a loaded 2-core machine.
 */
const fileLimitMinutes = (file) => (file.endsWith("/vm.test.js") ? 45 : 20);

async function suite(name, selected, concurrency) {
  process.stdout.write(`\n▶ ${name}: ${selected.length} test files\n`);
  if (selected.length === 0) return;
  const timeout = Math.max(...selected.map(fileLimitMinutes)) * 60_000;
  const stream = run({ files: selected, concurrency, timeout });
  stream.on("test:pass", (d) => {
    if (d.details?.type === "suite") return;
    counts[d.skip || d.todo ? "skipped" : "passed"]++;
  });
  stream.on("test:fail", (d) => {
    if (d.details?.type === "suite") return;
    // A failing todo test is a known gap, reported with its reason; node's runner does not fail on it either.
    counts[d.todo ? "skipped" : "failed"]++;
  });
  const out = stream.compose(new spec());
  out.pipe(process.stdout, { end: false });
  await new Promise((resolve) => out.on("end", resolve));
}

/** Files in the working tree that git does not know and does not ignore: what a test left behind. */
function strayFiles() {
  const r = spawnSync("git", ["ls-files", "--others", "--exclude-standard", "-z"], {
    cwd: root,
    encoding: "utf8",
  });
  return r.status === 0 ? new Set(r.stdout.split("\0").filter((f) => f !== "")) : new Set();
}

/** Count a failure when `what` left files in the working tree, naming them. */
function checkStray(before, what) {
  const left = [...strayFiles()].filter((f) => !before.has(f));
  if (left.length === 0) return;
  counts.failed++;
  process.stdout.write(`✖ ${what} left files in the working tree: ${left.join(", ")}\n`);
}

// Each stage needs the one before: stop at the first that fails, naming it.
const stages = [
  [
    "type-check and compile",
    process.execPath,
    [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json", "--outDir", buildDir],
  ],
  ["lint and format", bin("biome"), ["check", "."]],
  ["bundle", process.execPath, [join(root, "scripts/build.mjs")]],
];
const failedStage = stages.find(([name, file, args]) => !step(name, file, args));
if (failedStage) {
  process.stdout.write(`\nstopped: ${failedStage[0]} failed, no tests were run\n`);
} else {
  const before = strayFiles();
  if (only !== "integration") {
    const unit = selectFiles([
      ...testFiles(join(buildDir, "src")),
      ...testFiles(join(buildDir, "test/unit")),
    ]);
    await suite("unit tests", unit, Math.max(2, cpus().length));
    checkStray(before, "the unit tests");
  }
  if (only !== "unit") {
    // Integration tests share real host resources (podman, cgroups): one file at a time, each checked for
    // files it leaves behind.
    for (const file of selectFiles(testFiles(join(buildDir, "test/integration")))) {
      const beforeFile = strayFiles();
      await suite(`integration: ${relative(buildDir, file)}`, [file], 1);
      checkStray(beforeFile, relative(buildDir, file));
    }
  }
}

process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
process.exitCode = counts.failed === 0 ? 0 : 1;
