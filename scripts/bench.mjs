#!/usr/bin/env node
// Run every benchmark (build/bench/*.js, compiled by tsc) one after the other; each prints its own ratio.
//   node scripts/bench.mjs [NAME...]     e.g. node scripts/bench.mjs quadlet hooks
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = spawnSync(
  process.execPath,
  [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"],
  { cwd: root, stdio: "inherit" },
);
if (tsc.status !== 0) process.exit(1);
spawnSync(process.execPath, [join(root, "scripts/build.mjs")], { cwd: root, stdio: "inherit" });
const wanted = process.argv.slice(2);
const benches = readdirSync(join(root, "build/bench"))
  .filter((f) => f.endsWith(".js") && (wanted.length === 0 || wanted.some((w) => f.includes(w))))
  .sort();
let failed = 0;
for (const file of benches) {
  process.stdout.write(`\n== bench/${file.replace(/\.js$/, ".ts")}\n`);
  const r = spawnSync(process.execPath, [join(root, "build/bench", file)], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
