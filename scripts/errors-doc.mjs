#!/usr/bin/env node
// Write docs/errors.md from the error registry (src/core/error-registry.ts). With --check, write nothing and exit 1
// when the file is not what the registry gives (the unit tests check the same).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const target = join(root, "docs/errors.md");
const bundle = await build({
  entryPoints: [join(root, "src/core/errors-doc.ts")],
  bundle: true,
  platform: "node",
  format: "esm",
  write: false,
});
const code = bundle.outputFiles[0].text;
const { renderErrorsDoc } = await import(
  `data:text/javascript;base64,${Buffer.from(code).toString("base64")}`
);
const text = renderErrorsDoc();
let current = null;
try {
  current = readFileSync(target, "utf8");
} catch {}
if (process.argv.includes("--check")) {
  if (current !== text) {
    process.stderr.write("docs/errors.md is not up to date: run node scripts/errors-doc.mjs\n");
    process.exitCode = 1;
  }
} else if (current !== text) {
  writeFileSync(target, text);
  process.stdout.write("docs/errors.md written\n");
}
