#!/usr/bin/env node
// Stryker's build step in its sandbox: compile source and tests to build/ (the tests Stryker runs), then bundle
// dist/ (the executables some unit tests spawn). Stryker runs one command without a shell, hence this file.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
for (const args of [[tsc, "-p", join(root, "tsconfig.json")], [join(root, "scripts/build.mjs")]]) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
