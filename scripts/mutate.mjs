#!/usr/bin/env node
// Mutation testing of the pure core with StrykerJS (`npm run mutate [GROUP...]`): one Stryker run per module group
// (stryker.config.mjs), incremental, each writing reports/mutation/GROUP/index.html. Not part of the test command.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { groups } from "../stryker.config.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const stryker = join(root, "node_modules/@stryker-mutator/core/bin/stryker.js");
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const passOn = process.argv.slice(2).filter((a) => a.startsWith("-"));
for (const name of wanted) if (!(name in groups)) throw new Error(`unknown group ${name}`);
// Stryker's incremental mode recognizes unchanged tests by their text: compile them here first, so build/ holds
// the tests as they are now (the sandbox compiles its own copy, mutants included).
const tsc = join(root, "node_modules/typescript/bin/tsc");
if (spawnSync(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: root, stdio: "inherit" }).status !== 0) {
  process.stdout.write("stopped: type-check and compile failed\n");
  process.exit(1);
}
let failed = 0;
for (const group of wanted.length ? wanted : Object.keys(groups)) {
  process.stdout.write(`\n▶ mutation testing: ${group}\n`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [stryker, "run", "stryker.config.mjs", ...passOn], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, QM_MUTATE_GROUP: group },
  });
  if (r.status !== 0) failed++;
  process.stdout.write(
    `${r.status === 0 ? "✔" : "✖"} ${group} (${Math.round((Date.now() - started) / 1000)} s)\n`,
  );
}
process.exitCode = failed ? 1 : 0;
